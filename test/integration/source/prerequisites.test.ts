import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { MySqlSource, testSourceConnection } from '../../../core/source/mysql/source.js';
import { dmsConfig } from './helpers.js';

describe('source prerequisites', { timeout: 30_000 }, () => {
  let good: MariaDb;
  let stmt: MariaDb;
  beforeAll(async () => {
    [good, stmt] = await Promise.all([
      startMariaDb(),
      startMariaDb({ extraArgs: ['--binlog-format=STATEMENT', '--binlog-row-metadata=NO_LOG'] }),
    ]);
  }, 60_000);
  afterAll(async () => { await Promise.all([good?.stop(), stmt?.stop()]); });

  it('a correctly configured server with the dms user passes', async () => {
    const src = await MySqlSource.open(dmsConfig(good));
    try {
      const r = await src.checkPrerequisites({ cdc: true });
      expect(r.failures).toEqual([]);
    } finally { await src.close(); }
  });

  it('binlog_format=STATEMENT is named, with actual and required value', async () => {
    const src = await MySqlSource.open(dmsConfig(stmt));
    try {
      const r = await src.checkPrerequisites({ cdc: true });
      expect(r.failures.map((f) => f.variable)).toEqual(['binlog_format']);
      expect(r.failures[0]!.message).toBe('binlog_format is STATEMENT; AWS DMS CDC requires binlog_format=ROW');
      expect(r.warnings.map((w) => w.variable)).toContain('binlog_row_metadata');
      // full load does not care about the binlog
      expect((await src.checkPrerequisites({ cdc: false })).failures).toEqual([]);
    } finally { await src.close(); }
  });

  it('a user without replication privileges fails CDC but not full load', async () => {
    await good.createUser('ro', 'ro-pass', 'SELECT');
    const src = await MySqlSource.open({ host: good.host, port: good.port, user: 'ro', password: 'ro-pass' });
    try {
      const r = await src.checkPrerequisites({ cdc: true });
      expect(r.failures.map((f) => f.variable)).toEqual(['privileges']);
      expect(r.failures[0]!.message).toMatch(/REPLICATION CLIENT, REPLICATION SLAVE/);
      expect((await src.checkPrerequisites({ cdc: false })).failures).toEqual([]);
    } finally { await src.close(); }
  });

  it('bad credentials fail to connect with the server message', async () => {
    await expect(testSourceConnection({ ...dmsConfig(good), password: 'wrong' })).rejects.toThrow(/Access denied/);
    await expect(testSourceConnection(dmsConfig(good))).resolves.toMatchObject({ version: expect.stringMatching(/MariaDB/) });
  });

  it('listTables excludes system schemas and reports views', async () => {
    await good.query('CREATE DATABASE shop; CREATE TABLE shop.orders (id int PRIMARY KEY); CREATE VIEW shop.v AS SELECT id FROM shop.orders');
    const src = await MySqlSource.open(dmsConfig(good));
    try {
      expect(await src.listTables()).toEqual([
        { schema: 'shop', table: 'orders', tableType: 'table' },
        { schema: 'shop', table: 'v', tableType: 'view' },
      ]);
      expect(await src.listTables(['nope'])).toEqual([]);
      expect(await src.describeTable('shop', 'missing')).toBeNull();
    } finally { await src.close(); }
  });
});
