import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';

describe('test/support/mariadb', () => {
  let db: MariaDb;
  beforeAll(async () => { db = await startMariaDb(); }, 60_000);
  afterAll(async () => { await db?.stop(); });

  it('starts a private server with the binlog on, ROW format', async () => {
    expect(db.port).not.toBe(3306);
    const rows = await db.query<{ Variable_name: string; Value: string }[]>(
      "SHOW VARIABLES WHERE Variable_name IN ('log_bin','binlog_format','binlog_row_image','binlog_row_metadata','server_id')");
    const v = Object.fromEntries(rows.map((r) => [r.Variable_name, r.Value]));
    expect(v).toEqual({ log_bin: 'ON', binlog_format: 'ROW', binlog_row_image: 'FULL', binlog_row_metadata: 'FULL', server_id: '1' });
  });

  it('has a password-protected dms user and survives restart', async () => {
    const c = await mysql.createConnection({ host: db.host, port: db.port, user: 'dms', password: 'dms-pass' });
    const [grants] = await c.query('SHOW GRANTS');
    await c.end();
    expect(JSON.stringify(grants)).toMatch(/REPLICATION SLAVE/);
    await expect(mysql.createConnection({ host: db.host, port: db.port, user: 'dms', password: '' })).rejects.toThrow();
    await db.query('CREATE DATABASE s1');
    await db.restart();
    const dbs = await db.query<{ Database: string }[]>('SHOW DATABASES');
    expect(dbs.map((d) => d.Database)).toContain('s1');
  }, 60_000);
});
