import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from '../../support/dms.js';
import { createStream, readAllRecords, startKinesisMock, type KinesisServer } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { parseRecords, startTask, summary, tableStatistics, waitForStatus } from '../../support/task-flow.js';

// The AWS-validated small flow (two tables, one row each -> 6 records) against kinesis-mock
// (`kinesis-local`, the Kinesis engine of LocalStack) instead of kinesalite.

let mock: KinesisServer;
let stack: TestStack;
let db: MariaDb;

beforeAll(async () => {
  [mock, db] = await Promise.all([startKinesisMock(), startMariaDb()]);
  stack = await startTestStack({ runner: true, kinesisEndpoint: mock.endpoint });
  await db.query('CREATE DATABASE km');
  await db.query('CREATE TABLE km.a1 (id INT PRIMARY KEY, name VARCHAR(20))');
  await db.query('CREATE TABLE km.a2 (id INT PRIMARY KEY, name VARCHAR(20))');
  await db.query("INSERT INTO km.a1 VALUES (1, 'one')");
  await db.query("INSERT INTO km.a2 VALUES (2, 'two')");
});
afterAll(async () => {
  await stack?.stop();
  await Promise.all([mock?.stop(), db?.stop()]);
});

describe('full load into kinesis-mock', () => {
  it('two tables with one row each give exactly 6 records', async () => {
    const stream = uniqueName('km');
    await createStream(mock.endpoint, stream, 2);
    const source = (await createMySqlSource(stack.dms, 'src', { port: db.port, ...db.dmsUser })).EndpointArn!;
    const instance = (await createInstance(stack.dms, 'inst')).ReplicationInstanceArn!;
    const target = (await createKinesisTarget(stack.dms, 'tgt', stream)).EndpointArn!;
    const task = await createTask(stack.dms, { id: 'km', source, target, instance, mappings: selectionMappings('km', 'a%') });
    const arn = task.ReplicationTaskArn!;
    await waitForStatus(stack.dms, arn, ['ready']);
    await startTask(stack.dms, arn);
    const done = await waitForStatus(stack.dms, arn, ['stopped', 'failed']);
    expect([done.Status, done.StopReason, done.LastFailureMessage]).toEqual(['stopped', 'Stop Reason FULL_LOAD_ONLY_FINISHED', undefined]);
    expect(done.ReplicationTaskStats).toMatchObject({ FullLoadProgressPercent: 100, TablesLoaded: 2, TablesLoading: 0, TablesQueued: 0, TablesErrored: 0 });
    const stats = await tableStatistics(stack.dms, arn);
    expect(stats.map((s) => [s.SchemaName, s.TableName, s.FullLoadRows, s.FullLoadErrorRows, s.TableState])).toEqual([
      ['km', 'a1', 1, 0, 'Table completed'],
      ['km', 'a2', 1, 0, 'Table completed'],
    ]);

    const records = parseRecords(await readAllRecords(mock.endpoint, stream));
    expect(records).toHaveLength(6);
    const perTable = (t: string) => summary(records).filter((s) => s.endsWith(`.${t}`));
    expect(perTable('a1')).toEqual(['drop-table km.a1', 'create-table km.a1', 'load km.a1']);
    expect(perTable('a2')).toEqual(['drop-table km.a2', 'create-table km.a2', 'load km.a2']);
    const taskId = arn.split(':').pop()!;
    expect(records.map((r) => r.partitionKey).sort()).toEqual(['1', '2', `${taskId}.km.a1`, `${taskId}.km.a1`, `${taskId}.km.a2`, `${taskId}.km.a2`]);
    const load = records.find((r) => r.partitionKey === '1')!;
    expect(load.text.replace(/("timestamp":\t")\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"/, '$1<ts>"')).toBe(
      '{\n\t"data":\t{\n\t\t"id":\t1,\n\t\t"name":\t"one"\n\t},\n\t"metadata":\t{\n\t\t"timestamp":\t"<ts>",\n\t\t"record-type":\t"data",\n' +
        '\t\t"operation":\t"load",\n\t\t"partition-key-type":\t"primary-key",\n\t\t"schema-name":\t"km",\n\t\t"table-name":\t"a1"\n\t}\n}',
    );
  });
});
