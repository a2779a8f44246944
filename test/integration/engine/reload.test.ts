import { ReloadTablesCommand, StopReplicationTaskCommand } from '@aws-sdk/client-database-migration-service';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { awsError, createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from '../../support/dms.js';
import { createStream } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { startTask, summary, tableStatistics, waitForStatus, readStream } from '../../support/task-flow.js';

let stack: TestStack;
let db: MariaDb;
const kinesis = () => inject('kinesisEndpoint');
const waitForRecords = (stream: string, n: number) => readStream(kinesis(), stream, n);

beforeAll(async () => {
  [stack, db] = await Promise.all([startTestStack({ runner: true }), startMariaDb()]);
  await db.query('CREATE DATABASE rl');
  await db.query('CREATE TABLE rl.items (id INT PRIMARY KEY, v VARCHAR(10))');
  await db.query("INSERT INTO rl.items VALUES (1, 'a'), (2, 'b')");
});
afterAll(async () => {
  await Promise.all([stack?.stop(), db?.stop()]);
});

describe('ReloadTables', () => {
  it('reloads a table of a running full-load-and-cdc task while CDC goes on', async () => {
    const stream = uniqueName('reload');
    await createStream(kinesis(), stream, 1);
    const source = (await createMySqlSource(stack.dms, 'src', { port: db.port, ...db.dmsUser })).EndpointArn!;
    const target = (await createKinesisTarget(stack.dms, 'tgt', stream)).EndpointArn!;
    const instance = (await createInstance(stack.dms, 'inst')).ReplicationInstanceArn!;
    const task = await createTask(stack.dms, { id: 'reload-task', source, target, instance, type: 'full-load-and-cdc', mappings: selectionMappings('rl') });
    const arn = task.ReplicationTaskArn!;
    await waitForStatus(stack.dms, arn, ['ready']);
    expect(await awsError(stack.dms.send(new ReloadTablesCommand({ ReplicationTaskArn: arn, TablesToReload: [{ SchemaName: 'rl', TableName: 'items' }] })))).toMatchObject({
      name: 'InvalidResourceStateFault',
    });
    await startTask(stack.dms, arn);
    // drop, create, 2 loads, then the CDC phase's awsdms_apply_exceptions.
    const first = await waitForRecords(stream, 5);
    expect(summary(first)).toEqual(['drop-table rl.items', 'create-table rl.items', 'load rl.items', 'load rl.items', 'create-table .awsdms_apply_exceptions']);
    await db.query("INSERT INTO rl.items VALUES (3, 'c')");
    await waitForRecords(stream, 6);
    await stack.dms.send(new ReloadTablesCommand({ ReplicationTaskArn: arn, TablesToReload: [{ SchemaName: 'rl', TableName: 'items' }] }));
    const after = await waitForRecords(stream, 11);
    expect(summary(after.slice(5))).toEqual(['insert rl.items', 'drop-table rl.items', 'create-table rl.items', 'load rl.items', 'load rl.items', 'load rl.items']);
    expect(after.slice(8).map((r) => r.json.data!.id).sort()).toEqual([1, 2, 3]);
    const deadline = Date.now() + 10_000;
    let stats = await tableStatistics(stack.dms, arn);
    while (!(stats[0].FullLoadReloaded && stats[0].TableState === 'Table completed') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      stats = await tableStatistics(stack.dms, arn);
    }
    expect(stats[0]).toMatchObject({ TableName: 'items', FullLoadReloaded: true, TableState: 'Table completed', FullLoadRows: 3 });
    await stack.dms.send(new StopReplicationTaskCommand({ ReplicationTaskArn: arn }));
    expect((await waitForStatus(stack.dms, arn, ['stopped'])).StopReason).toBe('Stop Reason NORMAL');
  });
});
