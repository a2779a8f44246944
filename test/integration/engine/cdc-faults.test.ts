import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from '../../support/dms.js';
import { createStream, readAllRecords } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { describeTask, parseRecords, startTask, summary, tableStatistics, waitForStatus, type ParsedRecord, stopTaskAndWait, readStream } from '../../support/task-flow.js';

// CDC against a source that misbehaves or changes: a server restart, a wrong binlog format,
// DDL (TRUNCATE, DROP, RENAME, CREATE), row filters, ENUM/SET without full row metadata.

let stack: TestStack;
let db: MariaDb;
let source: string;
let instance: string;
const kinesis = () => inject('kinesisEndpoint');
const stopTask = (arn: string) => stopTaskAndWait(stack.dms, arn);
const readRecords = (stream: string, count: number, timeoutMs?: number) => readStream(kinesis(), stream, count, timeoutMs);

beforeAll(async () => {
  [stack, db] = await Promise.all([startTestStack({ runner: true }), startMariaDb()]);
  await db.query('CREATE DATABASE f');
  source = (await createMySqlSource(stack.dms, 'src', { port: db.port, ...db.dmsUser })).EndpointArn!;
  instance = (await createInstance(stack.dms, 'inst')).ReplicationInstanceArn!;
});
afterAll(async () => {
  await Promise.all([stack?.stop(), db?.stop()]);
});

async function startCdc(mappings: string, opts: { source?: string; kinesis?: Record<string, unknown> } = {}) {
  const stream = uniqueName('f');
  await createStream(kinesis(), stream, 1);
  const target = (await createKinesisTarget(stack.dms, uniqueName('tgt'), stream, opts.kinesis)).EndpointArn!;
  const task = await createTask(stack.dms, { id: uniqueName('task'), source: opts.source ?? source, target, instance, type: 'cdc', mappings });
  const arn = task.ReplicationTaskArn!;
  await waitForStatus(stack.dms, arn, ['ready']);
  await startTask(stack.dms, arn);
  return { arn, stream };
}

/** Starts a cdc task and waits until it announced its tables (it then reads the binlog). */
async function startRunning(mappings: string, controlRecords: number, opts: { source?: string; kinesis?: Record<string, unknown> } = {}) {
  const t = await startCdc(mappings, opts);
  expect((await waitForStatus(stack.dms, t.arn, ['running', 'failed'])).Status).toBe('running');
  expect(await readRecords(t.stream, controlRecords)).toHaveLength(controlRecords);
  return t;
}

const dataOf = (records: ParsedRecord[]) => records.filter((r) => r.json.metadata['record-type'] === 'data');

describe('CDC faults and DDL', () => {
  it('a source restart during CDC: the task stays running and every change arrives', async () => {
    await db.query('CREATE TABLE f.r (id INT PRIMARY KEY, v INT)');
    const t = await startRunning(selectionMappings('f', 'r'), 2);
    for (let i = 1; i <= 50; i++) await db.query('INSERT INTO f.r VALUES (?, ?)', [i, i]);
    expect(dataOf(await readRecords(t.stream, 52))).toHaveLength(50);
    // Changes right before the restart may still be unacknowledged when the source goes away.
    for (let i = 51; i <= 60; i++) await db.query('INSERT INTO f.r VALUES (?, ?)', [i, i]);
    await db.restart();
    expect((await describeTask(stack.dms, t.arn)).Status).toBe('running');
    for (let i = 61; i <= 100; i++) await db.query('INSERT INTO f.r VALUES (?, ?)', [i, i]);
    await db.query('UPDATE f.r SET v = -v WHERE id IN (1, 100)');

    const deadline = Date.now() + 60_000;
    let data = dataOf(await readRecords(t.stream, 104, 1000));
    while (!data.some((r) => r.json.metadata.operation === 'update' && r.json.data!.id === 100) && Date.now() < deadline) {
      data = dataOf(await readRecords(t.stream, 0, 0));
    }
    // At least once, in commit order: dropping earlier copies of a change leaves the commit sequence.
    const changes = data.map((r) => `${r.json.metadata.operation} ${r.json.data!.id} ${r.json.data!.v}`);
    const expected = [
      ...Array.from({ length: 100 }, (_, i) => `insert ${i + 1} ${i + 1}`),
      'update 1 -1',
      'update 100 -100',
    ];
    const lastCopies = changes.filter((c, i) => changes.lastIndexOf(c) === i);
    expect(lastCopies).toEqual(expected);
    const task = await describeTask(stack.dms, t.arn);
    expect(task.Status).toBe('running');
    expect(task.LastFailureMessage).toBeUndefined();
    expect((await stopTask(t.arn)).Status).toBe('stopped');
  });

  it('TRUNCATE counts as a DDL without a record; DROP TABLE and RENAME TABLE emit nothing', async () => {
    await db.query('CREATE TABLE f.tr (id INT PRIMARY KEY)');
    await db.query('CREATE TABLE f.dr (id INT PRIMARY KEY)');
    await db.query('CREATE TABLE f.rn (id INT PRIMARY KEY)');
    await db.query('CREATE TABLE f.sentinel (id INT PRIMARY KEY)');
    await db.query('INSERT INTO f.tr VALUES (1), (2)');
    const mappings = JSON.stringify({
      rules: ['tr', 'dr', 'rn', 'sentinel'].map((table, i) => ({
        'rule-type': 'selection', 'rule-id': String(i + 1), 'rule-name': String(i + 1),
        'object-locator': { 'schema-name': 'f', 'table-name': table }, 'rule-action': 'include',
      })),
    });
    const t = await startRunning(mappings, 5, { kinesis: { IncludeTableAlterOperations: true, IncludeControlDetails: true } });
    await db.query('TRUNCATE TABLE f.tr');
    await db.query('DROP TABLE f.dr');
    await db.query('RENAME TABLE f.rn TO f.rn_old');
    await db.query('INSERT INTO f.sentinel VALUES (1)');
    const records = await readRecords(t.stream, 6);
    expect(summary(records.slice(5))).toEqual(['insert f.sentinel']);
    expect(records).toHaveLength(6);
    // Statistics are persisted on heartbeats; a stop persists them all.
    await stopTask(t.arn);
    const stats = await tableStatistics(stack.dms, t.arn);
    expect(stats.find((s) => s.TableName === 'tr')).toMatchObject({ Ddls: 1, AppliedDdls: 1, Inserts: 0, Deletes: 0 });
    expect(stats.find((s) => s.TableName === 'sentinel')).toMatchObject({ Ddls: 0, Inserts: 1, AppliedInserts: 1 });
  });

  it('a table created after the start that matches a rule is captured: create-table, then its rows', async () => {
    await db.query('CREATE DATABASE g');
    await db.query('CREATE TABLE g.base (id INT PRIMARY KEY)');
    const t = await startRunning(
      selectionMappings('g', '%', [
        { 'rule-type': 'selection', 'rule-id': '2', 'rule-name': '2', 'object-locator': { 'schema-name': 'g', 'table-name': 'skip%' }, 'rule-action': 'exclude' },
      ]),
      2,
    );
    await db.query('CREATE TABLE g.skip_me (id INT PRIMARY KEY)');
    await db.query('INSERT INTO g.skip_me VALUES (9)');
    await db.query("CREATE TABLE g.later (id INT PRIMARY KEY, name VARCHAR(10))");
    await db.query("INSERT INTO g.later VALUES (1, 'one'), (2, 'two')");
    await db.query("UPDATE g.later SET name = 'uno' WHERE id = 1");
    await db.query('INSERT INTO g.base VALUES (1)');
    const records = await readRecords(t.stream, 7);
    expect(records).toHaveLength(7);
    // Order holds per partition key (table), not across tables.
    const later = records.filter((r) => r.json.metadata['table-name'] === 'later');
    expect(summary(later)).toEqual(['create-table g.later', 'insert g.later', 'insert g.later', 'update g.later']);
    expect(later.slice(1).map((r) => r.json.data)).toEqual([{ id: 1, name: 'one' }, { id: 2, name: 'two' }, { id: 1, name: 'uno' }]);
    expect(later[0].partitionKey).toBe(`${t.arn.split(':').pop()}.g.later`);
    expect(summary(records.filter((r) => r.json.metadata['table-name'] === 'base'))).toEqual(['create-table g.base', 'insert g.base']);
    await stopTask(t.arn);
    const stats = await tableStatistics(stack.dms, t.arn);
    expect(stats.map((s) => [s.TableName, s.Inserts, s.Updates])).toEqual([
      ['base', 1, 0],
      ['later', 2, 1],
    ]);
  });

  it('a filters rule applies to CDC rows: only matching changes arrive', async () => {
    await db.query('CREATE TABLE f.flt (id INT PRIMARY KEY, region VARCHAR(10), qty INT)');
    const mappings = JSON.stringify({
      rules: [
        {
          'rule-type': 'selection', 'rule-id': '1', 'rule-name': '1', 'rule-action': 'include',
          'object-locator': { 'schema-name': 'f', 'table-name': 'flt' },
          filters: [
            { 'filter-type': 'source', 'column-name': 'region', 'filter-conditions': [{ 'filter-operator': 'eq', value: 'eu' }] },
            { 'filter-type': 'source', 'column-name': 'qty', 'filter-conditions': [{ 'filter-operator': 'gte', value: '10' }] },
          ],
        },
      ],
    });
    const t = await startRunning(mappings, 2);
    await db.query("INSERT INTO f.flt VALUES (1, 'eu', 10), (2, 'us', 50), (3, 'eu', 5), (4, 'eu', 99)");
    await db.query('UPDATE f.flt SET qty = qty + 1 WHERE id IN (1, 2, 3)');
    await db.query('DELETE FROM f.flt WHERE id IN (2, 3, 4)');
    const records = await readRecords(t.stream, 6);
    expect(dataOf(records).map((r) => `${r.json.metadata.operation} ${JSON.stringify(r.json.data)}`)).toEqual([
      'insert {"id":1,"region":"eu","qty":10}',
      'insert {"id":4,"region":"eu","qty":99}',
      'update {"id":1,"region":"eu","qty":11}',
      'delete {"id":4,"region":"eu","qty":99}',
    ]);
    expect(records).toHaveLength(6);
    await stopTask(t.arn);
  });

  it('ENUM and SET arrive as labels, with FULL and with MINIMAL binlog row metadata', async () => {
    const minimal = await startMariaDb({ extraArgs: ['--binlog-row-metadata=MINIMAL'] });
    try {
      const minimalSource = (await createMySqlSource(stack.dms, uniqueName('min'), { port: minimal.port, ...minimal.dmsUser })).EndpointArn!;
      expect((await minimal.query<{ v: string }[]>('SELECT @@binlog_row_metadata AS v'))[0].v).toBe('MINIMAL');
      for (const [server, src] of [[db, source], [minimal, minimalSource]] as const) {
        await server.query('CREATE DATABASE IF NOT EXISTS e');
        await server.query("CREATE TABLE e.labels (id INT PRIMARY KEY, color ENUM('red', 'green', 'it''s, blue'), tags SET('a', 'b''c', 'd'))");
        const t = await startRunning(selectionMappings('e', 'labels'), 2, { source: src });
        await server.query("INSERT INTO e.labels VALUES (1, 'green', 'a,d'), (2, 'it''s, blue', 'b''c,d'), (3, NULL, '')");
        await server.query("UPDATE e.labels SET color = 'red', tags = 'a' WHERE id = 1");
        await server.query('DELETE FROM e.labels WHERE id = 2');
        const records = await readRecords(t.stream, 7);
        expect(dataOf(records).map((r) => [r.json.metadata.operation, r.json.data])).toEqual([
          ['insert', { id: 1, color: 'green', tags: 'a,d' }],
          ['insert', { id: 2, color: "it's, blue", tags: "b'c,d" }],
          ['insert', { id: 3, tags: '' }],
          ['update', { id: 1, color: 'red', tags: 'a' }],
          ['delete', { id: 2, color: "it's, blue", tags: "b'c,d" }],
        ]);
        expect(records).toHaveLength(7);
        await stopTask(t.arn);
      }
    } finally {
      await minimal.stop();
    }
  });

  it('a source with binlog_format=STATEMENT fails the task with a message naming binlog_format', async () => {
    const statement = await startMariaDb({ extraArgs: ['--binlog-format=STATEMENT'] });
    try {
      await statement.query('CREATE DATABASE s');
      await statement.query('CREATE TABLE s.t (id INT PRIMARY KEY)');
      const src = (await createMySqlSource(stack.dms, uniqueName('stmt'), { port: statement.port, ...statement.dmsUser })).EndpointArn!;
      const t = await startCdc(selectionMappings('s', 't'), { source: src });
      const failed = await waitForStatus(stack.dms, t.arn, ['failed', 'stopped']);
      expect(failed.Status).toBe('failed');
      expect(failed.LastFailureMessage).toContain('binlog_format');
      expect(failed.LastFailureMessage).toContain('STATEMENT');
      expect(failed.LastFailureMessage).toContain('ROW');
      expect(parseRecords(await readAllRecords(kinesis(), t.stream))).toEqual([]);
    } finally {
      await statement.stop();
    }
  });
});
