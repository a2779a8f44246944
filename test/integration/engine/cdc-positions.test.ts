import { CreateReplicationTaskCommand } from '@aws-sdk/client-database-migration-service';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { awsError, createInstance, createKinesisTarget, createMySqlSource, selectionMappings } from '../../support/dms.js';
import { createStream, readAllRecords } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb, binlogEnd as binlogEndOf } from '../../support/mariadb.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { describeTask, parseRecords, startTask, summary, waitForStatus, type ParsedRecord, stopTaskAndWait, readStream } from '../../support/task-flow.js';

// CDC start and stop positions (reference §12): RecoveryCheckpoint, native file:pos, CdcStartTime,
// CdcStopPosition server_time / commit_time, and a binlog that is not there.

let stack: TestStack;
let db: MariaDb;
let source: string;
let instance: string;
const kinesis = () => inject('kinesisEndpoint');
const stopTask = (arn: string) => stopTaskAndWait(stack.dms, arn);
const readRecords = (stream: string, count: number, timeoutMs?: number) => readStream(kinesis(), stream, count, timeoutMs);
const binlogEnd = () => binlogEndOf(db);
const MAPPINGS = selectionMappings('pos', 't');
const CONTROL = ['create-table .awsdms_apply_exceptions', 'create-table pos.t'];

beforeAll(async () => {
  [stack, db] = await Promise.all([startTestStack({ runner: true }), startMariaDb()]);
  await db.query('CREATE DATABASE pos');
  await db.query('CREATE TABLE pos.t (id INT PRIMARY KEY, v VARCHAR(20))');
  source = (await createMySqlSource(stack.dms, 'src', { port: db.port, ...db.dmsUser })).EndpointArn!;
  instance = (await createInstance(stack.dms, 'inst')).ReplicationInstanceArn!;
});
afterAll(async () => {
  await Promise.all([stack?.stop(), db?.stop()]);
});

/** Creates a cdc task on its own stream; `start` options go to CreateReplicationTask. */
async function createCdcTask(options: { CdcStartPosition?: string; CdcStartTime?: Date; CdcStopPosition?: string } = {}) {
  const stream = uniqueName('pos');
  await createStream(kinesis(), stream, 1);
  const target = (await createKinesisTarget(stack.dms, uniqueName('tgt'), stream)).EndpointArn!;
  const out = await stack.dms.send(
    new CreateReplicationTaskCommand({
      ReplicationTaskIdentifier: uniqueName('task'),
      SourceEndpointArn: source,
      TargetEndpointArn: target,
      ReplicationInstanceArn: instance,
      MigrationType: 'cdc',
      TableMappings: MAPPINGS,
      ...options,
    }),
  );
  const arn = out.ReplicationTask!.ReplicationTaskArn!;
  await waitForStatus(stack.dms, arn, ['ready']);
  return { arn, stream };
}

async function startAndRun(arn: string) {
  await startTask(stack.dms, arn);
  return waitForStatus(stack.dms, arn, ['running', 'failed']);
}

const ids = (records: ParsedRecord[]) => records.filter((r) => r.json.metadata['record-type'] === 'data').map((r) => r.json.data!.id);

async function insert(...rows: number[]) {
  for (const id of rows) await db.query('INSERT INTO pos.t VALUES (?, ?)', [id, `v${id}`]);
}

/** `YYYY-MM-DDTHH:MM:SS` (UTC) of epoch seconds. */
const isoSeconds = (epoch: number) => new Date(epoch * 1000).toISOString().slice(0, 19);

describe('CDC positions', () => {
  it('a stop sets RecoveryCheckpoint; a new task starting there gets exactly the later changes', async () => {
    const a = await createCdcTask();
    expect((await startAndRun(a.arn)).Status).toBe('running');
    expect(summary(await readRecords(a.stream, 2))).toEqual(CONTROL);
    await insert(1, 2, 3);
    expect(ids(await readRecords(a.stream, 5))).toEqual([1, 2, 3]);
    const end = await binlogEnd();
    const stopped = await stopTask(a.arn);
    expect(stopped).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason NORMAL' });
    // The checkpoint is the end of the last delivered transaction: where the binlog stood.
    expect(stopped.RecoveryCheckpoint).toMatch(/^checkpoint:V1#\d+#/);
    expect(stopped.RecoveryCheckpoint).toContain(`#${end.file}:${end.position}:-1:${end.position}:`);

    await insert(4, 5, 6);
    const b = await createCdcTask({ CdcStartPosition: stopped.RecoveryCheckpoint });
    expect((await describeTask(stack.dms, b.arn)).CdcStartPosition).toBe(stopped.RecoveryCheckpoint);
    expect((await startAndRun(b.arn)).Status).toBe('running');
    await insert(7);
    const records = await readRecords(b.stream, 6);
    expect(summary(records.slice(0, 2))).toEqual(CONTROL);
    expect(ids(records)).toEqual([4, 5, 6, 7]);
    expect(records).toHaveLength(6);
    // The first task saw none of it.
    expect(ids(parseRecords(await readAllRecords(kinesis(), a.stream)))).toEqual([1, 2, 3]);
    await stopTask(b.arn);
  });

  it('RecoveryCheckpoint while the task runs: it follows the acknowledged changes and is accepted back as CdcStartPosition', async () => {
    const a = await createCdcTask();
    expect((await startAndRun(a.arn)).Status).toBe('running');
    expect(summary(await readRecords(a.stream, 2))).toEqual(CONTROL);
    await insert(80, 81);
    expect(ids(await readRecords(a.stream, 4))).toEqual([80, 81]);
    const end = await binlogEnd();
    // Written on the runner's heartbeat (500 ms): poll for it, the task still running.
    let running = await describeTask(stack.dms, a.arn);
    for (const deadline = Date.now() + 60_000; !running.RecoveryCheckpoint?.includes(`#${end.file}:${end.position}:`); ) {
      if (Date.now() > deadline) throw new Error(`RecoveryCheckpoint ${running.RecoveryCheckpoint} never reached ${end.file}:${end.position}`);
      await new Promise((r) => setTimeout(r, 200));
      running = await describeTask(stack.dms, a.arn);
    }
    expect(running.Status).toBe('running');
    expect(running.RecoveryCheckpoint).toMatch(/^checkpoint:V1#\d+#.+:\d+:-1:\d+:\d+:.+:\d+#0#0#\*#0#0$/);

    await insert(82);
    const b = await createCdcTask({ CdcStartPosition: running.RecoveryCheckpoint });
    expect((await startAndRun(b.arn)).Status).toBe('running');
    const records = await readRecords(b.stream, 3);
    expect(summary(records.slice(0, 2))).toEqual(CONTROL);
    expect(ids(records)).toEqual([82]);
    await stopTask(b.arn);
    await stopTask(a.arn);
  });

  it('CdcStartPosition as a native file:pos from SHOW MASTER STATUS', async () => {
    await insert(10);
    const at = await binlogEnd();
    await insert(11, 12);
    const t = await createCdcTask({ CdcStartPosition: `${at.file}:${at.position}` });
    expect((await startAndRun(t.arn)).Status).toBe('running');
    await insert(13);
    const records = await readRecords(t.stream, 5);
    expect(summary(records.slice(0, 2))).toEqual(CONTROL);
    expect(ids(records)).toEqual([11, 12, 13]);
    expect(records).toHaveLength(5);
    await stopTask(t.arn);
  });

  it('CdcStartTime: the first transaction at or after that time', async () => {
    // Binlog event times are the session's TIMESTAMP: fixed, future times make the test exact.
    const base = Math.floor(Date.now() / 1000) + 3600;
    try {
      await db.query(`SET TIMESTAMP = ${base}`);
      await insert(20);
      await db.query(`SET TIMESTAMP = ${base + 10}`);
      await insert(21, 22);
      await db.query(`SET TIMESTAMP = ${base + 20}`);
      await insert(23);
    } finally {
      await db.query('SET TIMESTAMP = DEFAULT');
    }
    const t = await createCdcTask({ CdcStartTime: new Date((base + 10) * 1000) });
    expect((await startAndRun(t.arn)).Status).toBe('running');
    await insert(24);
    const records = await readRecords(t.stream, 6);
    expect(summary(records.slice(0, 2))).toEqual(CONTROL);
    expect(ids(records)).toEqual([21, 22, 23, 24]);
    expect(records).toHaveLength(6);
    await stopTask(t.arn);
  });

  it('CdcStopPosition server_time: stops by itself with STOPPED_AT_SERVER_TIME', async () => {
    // The change precedes the start position's reading, so it arrives whatever the timing.
    const at = await binlogEnd();
    await insert(30);
    const t = await createCdcTask({ CdcStartPosition: `${at.file}:${at.position}`, CdcStopPosition: `server_time:${isoSeconds(Math.floor(Date.now() / 1000) + 8)}` });
    expect((await startAndRun(t.arn)).Status).toBe('running');
    const done = await waitForStatus(stack.dms, t.arn, ['stopped', 'failed']);
    expect(done).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason STOPPED_AT_SERVER_TIME' });
    expect(done.RecoveryCheckpoint).toMatch(/^checkpoint:V1#/);
    await insert(31);
    const records = await readRecords(t.stream, 3);
    expect(summary(records.slice(0, 2))).toEqual(CONTROL);
    expect(ids(records)).toEqual([30]);
    expect(records).toHaveLength(3);
  });

  it('CdcStopPosition commit_time: changes committed up to that time, then STOPPED_AT_COMMIT_TIME', async () => {
    const stopAt = Math.floor(Date.now() / 1000) + 7200;
    const t = await createCdcTask({ CdcStopPosition: `commit_time:${isoSeconds(stopAt)}` });
    expect((await startAndRun(t.arn)).Status).toBe('running');
    expect(summary(await readRecords(t.stream, 2))).toEqual(CONTROL);
    await insert(40);
    try {
      await db.query(`SET TIMESTAMP = ${stopAt - 1}`);
      await insert(41);
      await db.query(`SET TIMESTAMP = ${stopAt + 1}`);
      await insert(42);
    } finally {
      await db.query('SET TIMESTAMP = DEFAULT');
    }
    const done = await waitForStatus(stack.dms, t.arn, ['stopped', 'failed']);
    expect(done).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason STOPPED_AT_COMMIT_TIME' });
    const records = await readRecords(t.stream, 4);
    expect(ids(records)).toEqual([40, 41]);
    expect(records).toHaveLength(4);
  });

  it('start-replication is refused on a task that already ran', async () => {
    const t = await createCdcTask();
    await startAndRun(t.arn);
    await stopTask(t.arn);
    const err = await awsError(startTask(stack.dms, t.arn, 'start-replication'));
    expect(err.name).toBe('InvalidResourceStateFault');
    expect((await describeTask(stack.dms, t.arn)).Status).toBe('stopped');
  });

  it('a binlog file that is not on the server fails the task with error 1236 naming the file', async () => {
    const missing = await createCdcTask({ CdcStartPosition: 'mysql-bin.000999:4' });
    await startTask(stack.dms, missing.arn);
    const failed = await waitForStatus(stack.dms, missing.arn, ['failed', 'stopped']);
    expect(failed.Status).toBe('failed');
    expect(failed.LastFailureMessage).toContain('1236');
    expect(failed.LastFailureMessage).toContain('mysql-bin.000999');
    expect(failed.LastFailureMessage).toContain('Could not find first log file name in binary log index file');

    // Purged: rotate twice, purge everything before the current file.
    const first = await binlogEnd();
    await db.query('FLUSH BINARY LOGS');
    await db.query('FLUSH BINARY LOGS');
    const current = await binlogEnd();
    // A file is purged once no dump thread reads it and the server checkpointed it: retry (bounded).
    const deadline = Date.now() + 30_000;
    let logs: string[] = [];
    for (;;) {
      await db.query(`PURGE BINARY LOGS TO '${current.file}'`);
      logs = (await db.query<{ Log_name: string }[]>('SHOW BINARY LOGS')).map((l) => l.Log_name);
      if (logs.length === 1 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(logs).toEqual([current.file]);
    const purged = await createCdcTask({ CdcStartPosition: `${first.file}:${first.position}` });
    await startTask(stack.dms, purged.arn);
    const failed2 = await waitForStatus(stack.dms, purged.arn, ['failed', 'stopped']);
    expect(failed2.Status).toBe('failed');
    expect(failed2.LastFailureMessage).toContain('1236');
    expect(failed2.LastFailureMessage).toContain(first.file);
    expect(parseRecords(await readAllRecords(kinesis(), purged.stream))).toEqual([]);
  });
});
