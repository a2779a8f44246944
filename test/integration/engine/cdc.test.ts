import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from '../../support/dms.js';
import { createStream } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { describeTask, startTask, summary, tableStatistics, waitForStatus, stopTaskAndWait, readStream } from '../../support/task-flow.js';

let stack: TestStack;
let db: MariaDb;
let source: string;
let instance: string;
const kinesis = () => inject('kinesisEndpoint');
const stopTask = (arn: string) => stopTaskAndWait(stack.dms, arn);
const readRecords = (stream: string, count: number, timeoutMs?: number) => readStream(kinesis(), stream, count, timeoutMs);

beforeAll(async () => {
  [stack, db] = await Promise.all([startTestStack({ runner: true }), startMariaDb()]);
  await db.query('CREATE DATABASE cdc');
  for (const t of ['t1', 't2', 't3']) await db.query(`CREATE TABLE cdc.${t} (id INT PRIMARY KEY, name VARCHAR(20), qty INT)`);
  source = (await createMySqlSource(stack.dms, 'src', { port: db.port, ...db.dmsUser })).EndpointArn!;
  instance = (await createInstance(stack.dms, 'inst')).ReplicationInstanceArn!;
});
afterAll(async () => {
  await Promise.all([stack?.stop(), db?.stop()]);
});

async function startCdc(stream: string, mappings: string, kinesisSettings: Record<string, unknown> = {}, settings?: unknown) {
  const target = (await createKinesisTarget(stack.dms, uniqueName('tgt'), stream, kinesisSettings)).EndpointArn!;
  const task = await createTask(stack.dms, { id: uniqueName('task'), source, target, instance, type: 'cdc', mappings, settings });
  await waitForStatus(stack.dms, task.ReplicationTaskArn!, ['ready']);
  await startTask(stack.dms, task.ReplicationTaskArn!);
  await waitForStatus(stack.dms, task.ReplicationTaskArn!, ['running']);
  return task.ReplicationTaskArn!;
}

describe('cdc', () => {
  it('two tasks over three tables announce 5 control records, then one record per row change', async () => {
    const stream = uniqueName('cdc');
    await createStream(kinesis(), stream, 1);
    const a = await startCdc(stream, selectionMappings('cdc', 't[12]'.replace('[12]', '%'), [
      { 'rule-type': 'selection', 'rule-id': '2', 'rule-name': '2', 'object-locator': { 'schema-name': 'cdc', 'table-name': 't3' }, 'rule-action': 'exclude' },
    ]));
    const b = await startCdc(stream, selectionMappings('cdc', 't3'));
    const control = await readRecords(stream, 5);
    expect(control).toHaveLength(5);
    expect(summary(control).sort()).toEqual([
      'create-table .awsdms_apply_exceptions',
      'create-table .awsdms_apply_exceptions',
      'create-table cdc.t1',
      'create-table cdc.t2',
      'create-table cdc.t3',
    ]);

    await db.query("INSERT INTO cdc.t1 VALUES (1, 'one', 10)");
    await db.query('UPDATE cdc.t1 SET qty = 11 WHERE id = 1');
    await db.query('DELETE FROM cdc.t1 WHERE id = 1');
    await db.query('BEGIN');
    await db.query("INSERT INTO cdc.t3 VALUES (3, 'gone', 0)");
    await db.query('ROLLBACK');
    await db.query("INSERT INTO cdc.t3 VALUES (4, 'four', 4)");
    const all = await readRecords(stream, 9);
    // Two tasks share the stream: order holds per task and table, not across tasks.
    const data = all.slice(5);
    const t1 = data.filter((r) => r.json.metadata['table-name'] === 't1');
    const t3 = data.filter((r) => r.json.metadata['table-name'] === 't3');
    expect(data).toHaveLength(4);
    expect(summary(t1)).toEqual(['insert cdc.t1', 'update cdc.t1', 'delete cdc.t1']);
    expect(t1.map((r) => r.json.data)).toEqual([
      { id: 1, name: 'one', qty: 10 },
      { id: 1, name: 'one', qty: 11 },
      { id: 1, name: 'one', qty: 11 },
    ]);
    expect(summary(t3)).toEqual(['insert cdc.t3']);
    expect(t3[0].json.data).toEqual({ id: 4, name: 'four', qty: 4 });
    for (const r of data) {
      expect(r.partitionKey).toBe(`cdc.${r.json.metadata['table-name']}`);
      expect(r.json.metadata['partition-key-type']).toBe('schema-table');
      expect(typeof r.json.metadata['transaction-id']).toBe('number');
      expect(Object.keys(r.json.metadata)).toEqual(['timestamp', 'record-type', 'operation', 'partition-key-type', 'schema-name', 'table-name', 'transaction-id']);
    }
    const stats = await tableStatistics(stack.dms, a);
    expect(stats.map((s) => [s.TableName, s.Inserts, s.Updates, s.Deletes, s.AppliedInserts, s.AppliedUpdates, s.AppliedDeletes])).toEqual([
      ['t1', 1, 1, 1, 1, 1, 1],
      ['t2', 0, 0, 0, 0, 0, 0],
    ]);
    const stopped = await stopTask(a);
    expect(stopped).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason NORMAL' });
    expect(stopped.RecoveryCheckpoint).toMatch(/^checkpoint:V1#\d+#.+:\d+:-1:\d+:\d+:.+:\d+#0#0#\*#0#0$/);
    await stopTask(b);
  });

  it('three ALTERs give 3 control records with IncludeTableAlterOperations and 0 without', async () => {
    const withOps = uniqueName('alt');
    const without = uniqueName('noalt');
    await createStream(kinesis(), withOps, 1);
    await createStream(kinesis(), without, 1);
    await db.query('CREATE TABLE cdc.alt (id INT PRIMARY KEY, a INT, b INT)');
    const t1 = await startCdc(withOps, selectionMappings('cdc', 'alt'), { IncludeTableAlterOperations: true });
    const t2 = await startCdc(without, selectionMappings('cdc', 'alt'));
    await readRecords(withOps, 2);
    await db.query('ALTER TABLE cdc.alt ADD COLUMN c INT');
    await db.query('ALTER TABLE cdc.alt DROP COLUMN a');
    await db.query('ALTER TABLE cdc.alt MODIFY COLUMN b BIGINT');
    await db.query('INSERT INTO cdc.alt VALUES (1, 2, 3)');
    const a = await readRecords(withOps, 6);
    expect(summary(a.slice(2))).toEqual(['add-column cdc.alt', 'drop-column cdc.alt', 'column-type-change cdc.alt', 'insert cdc.alt']);
    expect(a[5].json.data).toEqual({ id: 1, b: 2, c: 3 });
    const b = await readRecords(without, 3);
    expect(summary(b.slice(2))).toEqual(['insert cdc.alt']);
    const stats = await tableStatistics(stack.dms, t1);
    expect(stats[0]).toMatchObject({ TableName: 'alt', Ddls: 3, AppliedDdls: 3, Inserts: 1 });
    await stopTask(t1);
    await stopTask(t2);
  });

  it('stop, write changes, resume-processing: exactly those changes arrive', async () => {
    const stream = uniqueName('resume');
    await createStream(kinesis(), stream, 1);
    await db.query('CREATE TABLE cdc.res (id INT PRIMARY KEY, v INT)');
    const arn = await startCdc(stream, selectionMappings('cdc', 'res'));
    await readRecords(stream, 2);
    await db.query('INSERT INTO cdc.res VALUES (1, 1)');
    await readRecords(stream, 3);
    await stopTask(arn);
    for (let i = 2; i <= 101; i++) await db.query('INSERT INTO cdc.res VALUES (?, ?)', [i, i]);
    await startTask(stack.dms, arn, 'resume-processing');
    await waitForStatus(stack.dms, arn, ['running']);
    const records = await readRecords(stream, 103);
    expect(records.slice(3).map((r) => r.json.data!.id)).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
    expect(records).toHaveLength(103);
    const t = await describeTask(stack.dms, arn);
    expect(t.Status).toBe('running');
    await stopTask(arn);
  });
});
