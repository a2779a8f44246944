// `npm start` with DMSLITE_DATA_DIR: everything created survives Ctrl-C and a restart on the
// same directory, and the stored (encrypted) endpoint password still opens.
import {
  AddTagsToResourceCommand,
  CreateEndpointCommand,
  DatabaseMigrationServiceClient,
  DeleteEndpointCommand,
  DescribeConnectionsCommand,
  DescribeEndpointsCommand,
  DescribeReplicationInstancesCommand,
  DescribeReplicationTasksCommand,
  ListTagsForResourceCommand,
  ModifyReplicationTaskCommand,
  TestConnectionCommand,
  waitUntilReplicationInstanceAvailable,
  waitUntilReplicationTaskReady,
  waitUntilTestConnectionSucceeds,
} from '@aws-sdk/client-database-migration-service';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_WAITER, awsError, createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from '../../support/dms.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { processAlive, startNpmStart, type NpmStart } from '../../support/npm-start.js';
import { TEST_CREDENTIALS } from '../../support/stack.js';

let db: MariaDb;
let dataDir: string;
const running: NpmStart[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'dmslite-persist-'));
  db = await startMariaDb();
});
afterAll(async () => {
  await Promise.all(running.map((a) => a.stop().catch(() => undefined)));
  await db?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<{ app: NpmStart; dms: DatabaseMigrationServiceClient }> {
  const app = await startNpmStart({ dataDir });
  running.push(app);
  return { app, dms: new DatabaseMigrationServiceClient({ endpoint: app.url, region: 'us-east-1', credentials: TEST_CREDENTIALS }) };
}

async function snapshot(dms: DatabaseMigrationServiceClient) {
  const [endpoints, instances, tasks, connections] = await Promise.all([
    dms.send(new DescribeEndpointsCommand({})),
    dms.send(new DescribeReplicationInstancesCommand({})),
    dms.send(new DescribeReplicationTasksCommand({})),
    dms.send(new DescribeConnectionsCommand({})),
  ]);
  return {
    Endpoints: endpoints.Endpoints,
    ReplicationInstances: instances.ReplicationInstances,
    ReplicationTasks: tasks.ReplicationTasks,
    Connections: connections.Connections,
  };
}

describe('persistence across restarts', () => {
  let before: Awaited<ReturnType<typeof snapshot>>;
  let arns: { source: string; target: string; instance: string; task: string; modified: string };

  it('creates endpoints, an instance and tasks, then stops on SIGINT', async () => {
    const { app, dms } = await start();
    const source = await createMySqlSource(dms, 'persist-source', { port: db.port, ...db.dmsUser }, 'mariadb');
    const target = await createKinesisTarget(dms, 'persist-target', 'persist-stream');
    const instance = await createInstance(dms, 'persist-instance');
    await waitUntilReplicationInstanceAvailable({ client: dms, ...FAST_WAITER }, { Filters: [{ Name: 'replication-instance-arn', Values: [instance.ReplicationInstanceArn!] }] });
    const common = { source: source.EndpointArn!, target: target.EndpointArn!, instance: instance.ReplicationInstanceArn! };
    const task = await createTask(dms, { id: 'persist-task', ...common, type: 'cdc', mappings: selectionMappings('persistdb') });
    const modified = await createTask(dms, { id: 'persist-modified', ...common, mappings: selectionMappings('other'), settings: { Logging: { EnableLogging: true } } });
    arns = { ...common, task: task.ReplicationTaskArn!, modified: modified.ReplicationTaskArn! };
    for (const t of [arns.task, arns.modified]) {
      await waitUntilReplicationTaskReady({ client: dms, ...FAST_WAITER }, { Filters: [{ Name: 'replication-task-arn', Values: [t] }] });
    }
    await dms.send(new ModifyReplicationTaskCommand({ ReplicationTaskArn: arns.modified, TaskData: 'kept across restarts' }));
    await dms.send(new AddTagsToResourceCommand({ ResourceArn: arns.source, Tags: [{ Key: 'owner', Value: 'persistence-test' }] }));
    await dms.send(new TestConnectionCommand({ ReplicationInstanceArn: arns.instance, EndpointArn: arns.source }));
    await waitUntilTestConnectionSucceeds({ client: dms, ...FAST_WAITER }, { Filters: [{ Name: 'endpoint-arn', Values: [arns.source] }] });

    before = await snapshot(dms);
    expect(before.Endpoints!.map((e) => e.EndpointIdentifier).sort()).toEqual(['persist-source', 'persist-target']);
    expect(before.ReplicationInstances!.map((i) => [i.ReplicationInstanceIdentifier, i.ReplicationInstanceStatus])).toEqual([['persist-instance', 'available']]);
    expect(before.ReplicationTasks!.map((t) => [t.ReplicationTaskIdentifier, t.Status]).sort()).toEqual([['persist-modified', 'ready'], ['persist-task', 'ready']]);
    expect(before.Connections!.map((c) => [c.EndpointArn, c.Status])).toEqual([[arns.source, 'successful']]);
    dms.destroy();

    const kids = app.descendants();
    expect(await app.stop()).toEqual({ code: 0, signal: null });
    expect(kids.filter(processAlive)).toEqual([]);
  });

  it('the data directory holds the DynamoDB files and a private secret key', () => {
    expect(existsSync(join(dataDir, 'dynamodb'))).toBe(true);
    const keyFile = join(dataDir, 'secret.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('after a restart on the same directory every resource is there, unchanged', async () => {
    expect(before).toBeDefined();
    const { app, dms } = await start();
    const after = await snapshot(dms);
    expect(after).toEqual(before);
    expect(after.ReplicationTasks!.find((t) => t.ReplicationTaskArn === arns.modified)!.TaskData).toBe('kept across restarts');
    expect((await dms.send(new ListTagsForResourceCommand({ ResourceArn: arns.source }))).TagList).toEqual([{ Key: 'owner', Value: 'persistence-test' }]);
    // Identifiers stay taken; references stay counted.
    expect((await awsError(dms.send(new CreateEndpointCommand({ EndpointIdentifier: 'persist-source', EndpointType: 'target', EngineName: 'kinesis', KinesisSettings: { StreamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/x', ServiceAccessRoleArn: 'arn:aws:iam::000000000000:role/r', MessageFormat: 'json' } })))).name).toBe('ResourceAlreadyExistsFault');
    expect((await awsError(dms.send(new DeleteEndpointCommand({ EndpointArn: arns.source })))).name).toBe('InvalidResourceStateFault');

    // The password sealed before the restart still opens: the connection test logs in again.
    await dms.send(new TestConnectionCommand({ ReplicationInstanceArn: arns.instance, EndpointArn: arns.source }));
    const waited = await waitUntilTestConnectionSucceeds({ client: dms, ...FAST_WAITER }, { Filters: [{ Name: 'endpoint-arn', Values: [arns.source] }] });
    expect(waited.state).toBe('SUCCESS');
    const conn = (await dms.send(new DescribeConnectionsCommand({ Filters: [{ Name: 'endpoint-arn', Values: [arns.source] }] }))).Connections![0];
    expect(conn).toMatchObject({ Status: 'successful', EndpointIdentifier: 'persist-source', ReplicationInstanceIdentifier: 'persist-instance' });
    expect(conn.LastFailureMessage).toBeUndefined();
    dms.destroy();
    expect(await app.stop()).toEqual({ code: 0, signal: null });
  });
});
