import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from '../../support/dms.js';
import { createStream, readAllRecords } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { parseRecords, startTask, summary, tableStatistics, waitForStatus } from '../../support/task-flow.js';

let stack: TestStack;
let db: MariaDb;
let source: string;
let instance: string;
const kinesis = () => inject('kinesisEndpoint');

beforeAll(async () => {
  [stack, db] = await Promise.all([startTestStack({ runner: true }), startMariaDb()]);
  await db.query('CREATE DATABASE fl');
  await db.query('CREATE TABLE fl.a1 (id INT PRIMARY KEY, name VARCHAR(20))');
  await db.query('CREATE TABLE fl.a2 (id INT PRIMARY KEY, name VARCHAR(20))');
  await db.query('CREATE TABLE fl.b1 (id INT PRIMARY KEY, name VARCHAR(20))');
  await db.query("INSERT INTO fl.a1 VALUES (1, 'one')");
  await db.query("INSERT INTO fl.a2 VALUES (2, 'two')");
  await db.query("INSERT INTO fl.b1 VALUES (3, 'three'), (4, 'four')");
  source = (await createMySqlSource(stack.dms, 'src', { port: db.port, ...db.dmsUser })).EndpointArn!;
  instance = (await createInstance(stack.dms, 'inst')).ReplicationInstanceArn!;
});
afterAll(async () => {
  await Promise.all([stack?.stop(), db?.stop()]);
});

async function runFullLoad(tableMappings: string, settings?: unknown) {
  const stream = uniqueName('fl');
  await createStream(kinesis(), stream, 1);
  const target = (await createKinesisTarget(stack.dms, uniqueName('tgt'), stream)).EndpointArn!;
  const task = await createTask(stack.dms, { id: uniqueName('task'), source, target, instance, mappings: tableMappings, settings });
  await waitForStatus(stack.dms, task.ReplicationTaskArn!, ['ready']);
  await startTask(stack.dms, task.ReplicationTaskArn!);
  const done = await waitForStatus(stack.dms, task.ReplicationTaskArn!, ['stopped', 'failed']);
  const records = parseRecords(await readAllRecords(kinesis(), stream));
  return { task: done, records, arn: task.ReplicationTaskArn! };
}

describe('full load', () => {
  it('two tables selected by a% with one row each give exactly 6 records', async () => {
    const { task, records, arn } = await runFullLoad(selectionMappings('fl', 'a%'));
    expect(task.Status).toBe('stopped');
    expect(task.StopReason).toBe('Stop Reason FULL_LOAD_ONLY_FINISHED');
    expect(task.ReplicationTaskStats).toMatchObject({ FullLoadProgressPercent: 100, TablesLoaded: 2, TablesLoading: 0, TablesQueued: 0, TablesErrored: 0 });
    expect(records).toHaveLength(6);
    const perTable = (t: string) => summary(records).filter((s) => s.endsWith(`.${t}`));
    expect(perTable('a1')).toEqual(['drop-table fl.a1', 'create-table fl.a1', 'load fl.a1']);
    expect(perTable('a2')).toEqual(['drop-table fl.a2', 'create-table fl.a2', 'load fl.a2']);
    const load = records.find((r) => r.json.metadata.operation === 'load' && r.json.metadata['table-name'] === 'a1')!;
    expect(load.json.data).toEqual({ id: 1, name: 'one' });
    expect(load.partitionKey).toBe('1');
    const taskId = arn.split(':').pop();
    expect(records.find((r) => r.json.metadata.operation === 'drop-table' && r.json.metadata['table-name'] === 'a1')!.partitionKey).toBe(`${taskId}.fl.a1`);
    const stats = await tableStatistics(stack.dms, arn);
    expect(stats.map((s) => [s.SchemaName, s.TableName, s.FullLoadRows, s.TableState, s.FullLoadErrorRows])).toEqual([
      ['fl', 'a1', 1, 'Table completed', 0],
      ['fl', 'a2', 1, 'Table completed', 0],
    ]);
  });

  it('one table with two rows gives 4 records; an exclude rule removes its table', async () => {
    const { records } = await runFullLoad(
      selectionMappings('fl', '%', [
        { 'rule-type': 'selection', 'rule-id': '2', 'rule-name': '2', 'object-locator': { 'schema-name': 'fl', 'table-name': 'a%' }, 'rule-action': 'exclude' },
      ]),
    );
    expect(summary(records)).toEqual(['drop-table fl.b1', 'create-table fl.b1', 'load fl.b1', 'load fl.b1']);
  });

  it('DO_NOTHING emits no control records; TRUNCATE_BEFORE_LOAD only create-table', async () => {
    const a = await runFullLoad(selectionMappings('fl', 'b1'), { FullLoadSettings: { TargetTablePrepMode: 'DO_NOTHING' } });
    expect(summary(a.records)).toEqual(['load fl.b1', 'load fl.b1']);
    const b = await runFullLoad(selectionMappings('fl', 'b1'), { FullLoadSettings: { TargetTablePrepMode: 'TRUNCATE_BEFORE_LOAD' } });
    expect(summary(b.records)).toEqual(['create-table fl.b1', 'load fl.b1', 'load fl.b1']);
  });

  it('a selected table that does not exist fails the task', async () => {
    const { task, records } = await runFullLoad(selectionMappings('fl', 'missingtable'));
    expect(task.Status).toBe('failed');
    expect(task.LastFailureMessage).toContain("'fl'.'missingtable'");
    expect(records).toEqual([]);
  });

  it('no table matching fails with AWS’s no-tables message', async () => {
    const { task } = await runFullLoad(selectionMappings('nothere', '%'));
    expect(task.Status).toBe('failed');
    expect(task.LastFailureMessage).toMatch(/No tables were found at task initialization/);
  });
});
