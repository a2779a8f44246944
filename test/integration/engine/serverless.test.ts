import {
  DeleteReplicationConfigCommand,
  DescribeReplicationConfigsCommand,
  DescribeReplicationsCommand,
  DescribeReplicationTableStatisticsCommand,
  ListTagsForResourceCommand,
  ModifyReplicationConfigCommand,
  ReloadReplicationTablesCommand,
  StartReplicationCommand,
  StopReplicationCommand,
  AddTagsToResourceCommand,
} from '@aws-sdk/client-database-migration-service';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { awsError, createKinesisTarget, createMySqlSource, selectionMappings } from '../../support/dms.js';
import { createStream } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startMoto, type MotoServer } from '../../support/moto.js';
import {
  createConfig,
  describeReplication,
  pollReplication,
  replicationTableStatistics,
  waitForReplicationStatus,
  waitForTableStatistics,
} from '../../support/serverless.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { readStream, summary } from '../../support/task-flow.js';

// DMS Serverless replications run for real: the runner that runs tasks claims them and runs them
// through the same engine, from a private MariaDB into kinesalite.

let stack: TestStack;
let db: MariaDb;
let moto: MotoServer;
let source: string;
const kinesis = () => inject('kinesisEndpoint');

beforeAll(async () => {
  // Long enough steps to see each provisioning status; a deprovisioning delay that leaves time to
  // observe (and be refused) a delete of a stopped but still provisioned replication.
  process.env.DMSLITE_SERVERLESS_STATUS_STEP_MS = '600';
  process.env.DMSLITE_SERVERLESS_DEPROVISION_DELAY_MS = '8000';
  // CloudWatch Logs for the task logs (a private moto_server).
  [moto, db] = await Promise.all([startMoto(), startMariaDb()]);
  process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS = moto.endpoint;
  stack = await startTestStack({ runner: true });
  await db.query('CREATE DATABASE sl');
  await db.query('CREATE TABLE sl.items (id INT PRIMARY KEY, v VARCHAR(10))');
  await db.query("INSERT INTO sl.items VALUES (1, 'a'), (2, 'b')");
  await db.query('CREATE TABLE sl.other (id INT PRIMARY KEY, n INT)');
  await db.query('INSERT INTO sl.other VALUES (1, 10)');
  await db.query('CREATE DATABASE fl');
  await db.query('CREATE TABLE fl.t1 (id INT PRIMARY KEY)');
  await db.query('INSERT INTO fl.t1 VALUES (1), (2), (3)');
  await db.query('CREATE DATABASE bt');
  await db.query('CREATE TABLE bt.a (id INT PRIMARY KEY)');
  await db.query('INSERT INTO bt.a VALUES (1), (2)');
  source = (await createMySqlSource(stack.dms, 'sl-src', { port: db.port, ...db.dmsUser })).EndpointArn!;
});
afterAll(async () => {
  delete process.env.DMSLITE_SERVERLESS_STATUS_STEP_MS;
  delete process.env.DMSLITE_SERVERLESS_DEPROVISION_DELAY_MS;
  delete process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS;
  await Promise.all([stack?.stop(), db?.stop()]);
  await moto?.stop();
});

const sorted = (xs: string[]) => [...xs].sort();

/** `seen` follows `order`, ends with its last status and caught at least one status in between. */
function expectInOrder(seen: string[], order: string[]): void {
  const positions = seen.map((s) => order.indexOf(s));
  expect(positions.every((p) => p >= 0), `unexpected status in ${seen.join(' > ')}`).toBe(true);
  expect(positions.every((p, i) => i === 0 || p > positions[i - 1]), `out of order: ${seen.join(' > ')}`).toBe(true);
  expect(seen.at(-1)).toBe(order.at(-1));
  expect(seen.length, `no intermediate status seen: ${seen.join(' > ')}`).toBeGreaterThan(1);
}

describe('a full-load-and-cdc replication', () => {
  it('provisions, runs, counts, reloads, stops, deprovisions, resumes gap-free and is deleted by the rules', async () => {
    const stream = uniqueName('sl');
    await createStream(kinesis(), stream, 1);
    const target = (await createKinesisTarget(stack.dms, 'sl-tgt', stream)).EndpointArn!;
    const config = await createConfig(stack.dms, { id: 'sl-cdc', source, target, type: 'full-load-and-cdc', mappings: selectionMappings('sl'), min: 2, max: 8 });
    const arn = config.ReplicationConfigArn!;
    expect(arn).toMatch(/^arn:aws:dms:us-east-1:000000000000:replication-config:[A-Z2-7]{26}$/);
    expect(config).toMatchObject({ ReplicationConfigIdentifier: 'sl-cdc', ReplicationType: 'full-load-and-cdc', ComputeConfig: { MaxCapacityUnits: 8, MinCapacityUnits: 2, MultiAZ: false } });
    // The full default settings document, as for a task.
    const settings = JSON.parse(config.ReplicationSettings!);
    expect(settings.Logging).toMatchObject({ EnableLogging: false, CloudWatchLogGroup: null, CloudWatchLogStream: null });
    expect(settings.FullLoadSettings.CommitRate).toBe(10000);
    expect(settings.StreamBufferSettings).toEqual({ StreamBufferCount: 3, CtrlStreamBufferSizeInMB: 5, StreamBufferSizeInMB: 8 });

    await stack.dms.send(new AddTagsToResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'team', Value: 'data' }] }));
    expect((await stack.dms.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).TagList).toEqual([{ Key: 'team', Value: 'data' }]);

    const created = await describeReplication(stack.dms, arn);
    expect(created).toMatchObject({ Status: 'created', ReplicationConfigArn: arn, ReplicationType: 'full-load-and-cdc' });
    expect(created.ProvisionData).toBeUndefined();

    // resume-processing is not a first start of a full-load-and-cdc replication.
    expect(await awsError(stack.dms.send(new StartReplicationCommand({ ReplicationConfigArn: arn, StartReplicationType: 'resume-processing' })))).toMatchObject({
      name: 'InvalidParameterValueException',
    });

    const started = (await stack.dms.send(new StartReplicationCommand({ ReplicationConfigArn: arn, StartReplicationType: 'start-replication' }))).Replication!;
    expect(started.Status).toBe('initializing');
    const { replication: running, statuses } = await pollReplication(stack.dms, arn, (r) => r.Status === 'running');
    // Polling sees the provisioning statuses in AWS's order (a loaded machine may skip some between two polls;
    // the unit test checks every step).
    expectInOrder(statuses, ['initializing', 'preparing_metadata_resources', 'testing_connection', 'calculating_capacity', 'provisioning_capacity', 'replication_starting', 'running']);
    expect(running.ProvisionData).toMatchObject({ ProvisionState: 'provisioned', ProvisionedCapacityUnits: 2, IsNewProvisioningAvailable: false });
    expect(running.ProvisionData!.DateProvisioned).toBeInstanceOf(Date);
    expect(running.StartReplicationType).toBe('start-replication');
    expect(running.ReplicationStats!.FreshStartDate).toBeInstanceOf(Date);

    // Rules while running.
    expect(await awsError(stack.dms.send(new StartReplicationCommand({ ReplicationConfigArn: arn, StartReplicationType: 'start-replication' })))).toEqual({
      name: 'InvalidResourceStateFault',
      message: 'Replication for Replication Config: sl-cdc is in RUNNING state and cannot start',
    });
    expect(await awsError(stack.dms.send(new ModifyReplicationConfigCommand({ ReplicationConfigArn: arn, TableMappings: selectionMappings('sl', 'items') })))).toMatchObject({
      name: 'InvalidResourceStateFault',
    });
    expect(await awsError(stack.dms.send(new DeleteReplicationConfigCommand({ ReplicationConfigArn: arn })))).toMatchObject({ name: 'InvalidResourceStateFault' });

    // Full load, then CDC.
    const loaded = await readStream(kinesis(), stream, 8);
    expect(sorted(summary(loaded.slice(0, 7)))).toEqual(sorted([
      'drop-table sl.items', 'create-table sl.items', 'load sl.items', 'load sl.items',
      'drop-table sl.other', 'create-table sl.other', 'load sl.other',
    ]));
    expect(summary(loaded.slice(7))).toEqual(['create-table .awsdms_apply_exceptions']);
    await db.query("INSERT INTO sl.items VALUES (3, 'c')");
    await db.query('UPDATE sl.other SET n = 11 WHERE id = 1');
    const cdc = await readStream(kinesis(), stream, 10);
    expect(summary(cdc.slice(8))).toEqual(['insert sl.items', 'update sl.other']);
    expect(cdc[8].json.metadata['record-type']).toBe('data');
    const stats = await waitForTableStatistics(stack.dms, arn, (s) => s.get('items')?.Inserts === 1 && s.get('other')?.Updates === 1);
    expect(stats.get('items')).toMatchObject({ SchemaName: 'sl', FullLoadRows: 2, Inserts: 1, TableState: 'Table completed' });
    expect(stats.get('other')).toMatchObject({ FullLoadRows: 1, Updates: 1, TableState: 'Table completed' });
    const filtered = await stack.dms.send(new DescribeReplicationTableStatisticsCommand({ ReplicationConfigArn: arn, Filters: [{ Name: 'table-name', Values: ['other'] }] }));
    expect(filtered.ReplicationTableStatistics!.map((s) => s.TableName)).toEqual(['other']);

    // Reload one table: its load again, beside CDC; the other table untouched.
    await stack.dms.send(new ReloadReplicationTablesCommand({ ReplicationConfigArn: arn, TablesToReload: [{ SchemaName: 'sl', TableName: 'items' }] }));
    const reloaded = await readStream(kinesis(), stream, 15);
    expect(summary(reloaded.slice(10))).toEqual(['drop-table sl.items', 'create-table sl.items', 'load sl.items', 'load sl.items', 'load sl.items']);
    await waitForTableStatistics(stack.dms, arn, (s) => s.get('items')?.FullLoadReloaded === true && s.get('items')?.TableState === 'Table completed');

    // Stop: stopping -> stopped, capacity kept for the deprovisioning delay, then deprovisioned.
    const stopping = (await stack.dms.send(new StopReplicationCommand({ ReplicationConfigArn: arn }))).Replication!;
    expect(stopping.Status).toBe('stopping');
    const { replication: stopped } = await waitForReplicationStatus(stack.dms, arn, ['stopped']);
    expect(stopped).toMatchObject({ StopReason: 'Stop Reason NORMAL', ProvisionData: { ProvisionState: 'provisioned' } });
    expect(stopped.RecoveryCheckpoint).toMatch(/^checkpoint:V1#/);
    expect(stopped.ReplicationLastStopTime).toBeInstanceOf(Date);
    expect(stopped.ReplicationDeprovisionTime!.getTime()).toBeGreaterThan(stopped.ReplicationLastStopTime!.getTime());
    expect(await awsError(stack.dms.send(new DeleteReplicationConfigCommand({ ReplicationConfigArn: arn })))).toMatchObject({
      name: 'InvalidResourceStateFault',
      message: expect.stringContaining('deprovisioned'),
    });
    expect((await replicationTableStatistics(stack.dms, arn)).length).toBe(2);
    const { replication: gone } = await pollReplication(stack.dms, arn, (r) => r.ProvisionData?.ProvisionState === 'deprovisioned', 30_000);
    expect(gone.Status).toBe('stopped');
    expect(gone.ReplicationStats).toMatchObject({ TablesLoaded: 0, TablesErrored: 0 });
    expect(await replicationTableStatistics(stack.dms, arn)).toEqual([]);

    // Modify a stopped replication: table mappings may change, the type may not (it has run).
    expect(await awsError(stack.dms.send(new ModifyReplicationConfigCommand({ ReplicationConfigArn: arn, ReplicationType: 'cdc' })))).toMatchObject({
      name: 'InvalidResourceStateFault',
    });
    expect(await awsError(stack.dms.send(new StartReplicationCommand({ ReplicationConfigArn: arn, StartReplicationType: 'start-replication' })))).toMatchObject({
      name: 'InvalidParameterValueException',
    });

    // Resume: CDC continues from the checkpoint, nothing is loaded again, changes made while stopped arrive.
    await db.query("INSERT INTO sl.items VALUES (4, 'd')");
    await stack.dms.send(new StartReplicationCommand({ ReplicationConfigArn: arn, StartReplicationType: 'resume-processing' }));
    await waitForReplicationStatus(stack.dms, arn, ['running']);
    await db.query('DELETE FROM sl.other WHERE id = 1');
    const resumed = await readStream(kinesis(), stream, 17);
    expect(summary(resumed.slice(15))).toEqual(['insert sl.items', 'delete sl.other']);
    expect(resumed.slice(15)[0].json.data).toEqual({ id: 4, v: 'd' });
    await waitForTableStatistics(stack.dms, arn, (s) => s.get('items')?.Inserts === 1 && s.get('other')?.Deletes === 1);

    await stack.dms.send(new StopReplicationCommand({ ReplicationConfigArn: arn }));
    await pollReplication(stack.dms, arn, (r) => r.Status === 'stopped' && r.ProvisionData?.ProvisionState === 'deprovisioned', 60_000);
    const deleted = (await stack.dms.send(new DeleteReplicationConfigCommand({ ReplicationConfigArn: arn }))).ReplicationConfig!;
    expect(deleted.ReplicationConfigArn).toBe(arn);
    for (const call of [
      () => stack.dms.send(new DescribeReplicationConfigsCommand({ Filters: [{ Name: 'replication-config-arn', Values: [arn] }] })),
      () => stack.dms.send(new DescribeReplicationsCommand({ Filters: [{ Name: 'replication-config-arn', Values: [arn] }] })),
      () => stack.dms.send(new DescribeReplicationTableStatisticsCommand({ ReplicationConfigArn: arn })),
      () => stack.dms.send(new DeleteReplicationConfigCommand({ ReplicationConfigArn: arn })),
    ]) {
      expect(await awsError(call())).toMatchObject({ name: 'ResourceNotFoundFault' });
    }
  });
});

describe('a full-load replication', () => {
  it('stops by itself with FULL_LOAD_ONLY_FINISHED, logs to its serverless log group, and can be reloaded with reload-target', async () => {
    const stream = uniqueName('fl');
    await createStream(kinesis(), stream, 1);
    const target = (await createKinesisTarget(stack.dms, 'fl-tgt', stream)).EndpointArn!;
    const config = await createConfig(stack.dms, { id: 'fl-only', source, target, type: 'full-load', mappings: selectionMappings('fl'), settings: { Logging: { EnableLogging: true } } });
    const arn = config.ReplicationConfigArn!;
    expect(JSON.parse(config.ReplicationSettings!).Logging).toMatchObject({ EnableLogging: true, CloudWatchLogGroup: null, CloudWatchLogStream: null });
    await stack.dms.send(new StartReplicationCommand({ ReplicationConfigArn: arn, StartReplicationType: 'start-replication' }));
    const { replication, statuses } = await pollReplication(stack.dms, arn, (r) => r.Status === 'stopped');
    expect(statuses.at(-1)).toBe('stopped');
    expect(statuses).not.toContain('stopping');
    expect(replication).toMatchObject({
      StopReason: 'Stop Reason FULL_LOAD_ONLY_FINISHED',
      ProvisionData: { ProvisionState: 'provisioned', ProvisionedCapacityUnits: 1 },
      ReplicationStats: { FullLoadProgressPercent: 100, TablesLoaded: 1, TablesErrored: 0 },
    });
    expect(replication.ReplicationStats!.FullLoadFinishDate).toBeInstanceOf(Date);
    expect(summary(await readStream(kinesis(), stream, 5))).toEqual(['drop-table fl.t1', 'create-table fl.t1', 'load fl.t1', 'load fl.t1', 'load fl.t1']);
    expect((await replicationTableStatistics(stack.dms, arn))[0]).toMatchObject({ TableName: 't1', FullLoadRows: 3, TableState: 'Table completed' });

    // Task logs: group dms-serverless-replication-<resource id>, stream dms-serverless-serv-res-id-<unique id>,
    // both named in the config's settings after the run.
    const described = (await stack.dms.send(new DescribeReplicationConfigsCommand({ Filters: [{ Name: 'replication-config-arn', Values: [arn] }] }))).ReplicationConfigs![0];
    const logging = JSON.parse(described.ReplicationSettings!).Logging;
    expect(logging.CloudWatchLogGroup).toBe(`dms-serverless-replication-${arn.split(':').pop()}`);
    expect(logging.CloudWatchLogStream).toMatch(/^dms-serverless-serv-res-id-\d{13}-[a-z]{4}$/);
    const logs = new CloudWatchLogsClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const deadline = Date.now() + 30_000;
    let lines: string[] = [];
    while (!lines.some((l) => l.includes('Stop Reason FULL_LOAD_ONLY_FINISHED')) && Date.now() < deadline) {
      const out = await logs
        .send(new GetLogEventsCommand({ logGroupName: logging.CloudWatchLogGroup, logStreamName: logging.CloudWatchLogStream, startFromHead: true }))
        .catch(() => ({ events: [] }));
      lines = (out.events ?? []).map((e) => e.message!);
      if (!lines.some((l) => l.includes('Stop Reason FULL_LOAD_ONLY_FINISHED'))) await new Promise((r) => setTimeout(r, 250));
    }
    logs.destroy();
    expect(lines.some((l) => /\[TASK_MANAGER {4}\]I: {2}Task 'fl-only' running full load in fresh start mode/.test(l))).toBe(true);
    expect(lines.at(-1)).toContain("Task 'fl-only' stopped. Stop Reason FULL_LOAD_ONLY_FINISHED");

    expect(await awsError(stack.dms.send(new StartReplicationCommand({ ReplicationConfigArn: arn, StartReplicationType: 'resume-processing' })))).toMatchObject({
      name: 'InvalidParameterValueException',
      message: 'StartReplicationType resume-processing is not applicable for a full-load replication',
    });
    expect(await awsError(stack.dms.send(new ReloadReplicationTablesCommand({ ReplicationConfigArn: arn, TablesToReload: [{ SchemaName: 'fl', TableName: 't1' }] })))).toMatchObject({
      name: 'InvalidResourceStateFault',
    });
    await stack.dms.send(new StartReplicationCommand({ ReplicationConfigArn: arn, StartReplicationType: 'reload-target' }));
    const again = await pollReplication(stack.dms, arn, (r) => r.Status === 'stopped');
    expect(again.statuses[0]).not.toBe('stopped');
    expect(again.replication.StartReplicationType).toBe('reload-target');
    expect(summary((await readStream(kinesis(), stream, 10)).slice(5))).toEqual(['drop-table fl.t1', 'create-table fl.t1', 'load fl.t1', 'load fl.t1', 'load fl.t1']);
  });
});

describe('a failing replication', () => {
  it('fails with FATAL_ERROR and its FailureMessages, and can then be modified', async () => {
    const stream = uniqueName('bad');
    await createStream(kinesis(), stream, 1);
    const target = (await createKinesisTarget(stack.dms, 'bad-tgt', stream)).EndpointArn!;
    const config = await createConfig(stack.dms, { id: 'bad-tables', source, target, type: 'full-load', mappings: selectionMappings('fl', 'missing') });
    const arn = config.ReplicationConfigArn!;
    await stack.dms.send(new StartReplicationCommand({ ReplicationConfigArn: arn, StartReplicationType: 'start-replication' }));
    const { replication } = await waitForReplicationStatus(stack.dms, arn, ['failed', 'stopped']);
    expect(replication).toMatchObject({ Status: 'failed', StopReason: 'Stop Reason FATAL_ERROR' });
    expect(replication.FailureMessages).toEqual([expect.stringContaining("'fl'.'missing'")]);
    // A failed replication may be modified (CHAP_Serverless.Limitations) and started again.
    await stack.dms.send(new ModifyReplicationConfigCommand({ ReplicationConfigArn: arn, TableMappings: selectionMappings('fl', 't1') }));
    await stack.dms.send(new StartReplicationCommand({ ReplicationConfigArn: arn, StartReplicationType: 'reload-target' }));
    // StartReplication has left `failed` already: the next stopped or failed is this run's outcome.
    const { replication: again } = await waitForReplicationStatus(stack.dms, arn, ['stopped', 'failed']);
    expect(again).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason FULL_LOAD_ONLY_FINISHED' });
    expect(again.FailureMessages).toBeUndefined();
  });
});

describe('boto3', () => {
  it('drives a full-load replication to its own stop and reads its statistics', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('AWS_')) delete env[k];
    const script = join(import.meta.dirname, '../../support/python/serverless_flow.py');
    const { stdout } = await promisify(execFile)('python3', [script, stack.url, String(db.port), db.dmsUser.user, db.dmsUser.password, 'bt'], {
      env: { ...env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
      timeout: 120_000,
    });
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(out.config).toMatchObject({ type: 'full-load', compute: { MaxCapacityUnits: 2, MinCapacityUnits: 1 }, create_time_type: 'datetime', settings_logging: false });
    expect(out.config.arn).toMatch(/^arn:aws:dms:us-east-1:000000000000:replication-config:[A-Z2-7]{26}$/);
    expect(out.tags).toEqual([{ Key: 'tool', Value: 'boto3' }]);
    expect(out.created_status).toBe('created');
    expect(out.started_status).toBe('initializing');
    expectInOrder(out.statuses, ['initializing', 'preparing_metadata_resources', 'testing_connection', 'calculating_capacity', 'provisioning_capacity', 'replication_starting', 'running', 'stopped']);
    expect(out.statuses.at(-1)).toBe('stopped');
    expect(out.final).toEqual({
      status: 'stopped',
      stop_reason: 'Stop Reason FULL_LOAD_ONLY_FINISHED',
      failure_messages: null,
      provision_state: 'provisioned',
      capacity: 1,
      progress: 100,
      tables_loaded: 1,
      stop_time_type: 'datetime',
    });
    expect(out.table_statistics).toEqual([{ SchemaName: 'bt', TableName: 'a', FullLoadRows: 2, TableState: 'Table completed' }]);
    expect(out.errors.resume_full_load.code).toBe('InvalidParameterValueException');
    expect(out.errors.bad_capacity).toEqual({
      code: 'InvalidParameterValueException',
      message: 'Invalid ComputeConfig.MaxCapacityUnits value 3. Valid values are: 1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384.',
    });
    expect(out.errors.unknown_config.code).toBe('ResourceNotFoundFault');
  });
});
