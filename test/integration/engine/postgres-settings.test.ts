// PostgreSQL source behaviours against a private cluster, through the API and a runner: unchanged
// TOASTed values, MapBooleanAsBoolean, CdcStopPosition (server_time / commit_time) and a restart (reload-target)
// recreating the task's slot where resume-processing reuses it.
import { CreateReplicationTaskCommand } from '@aws-sdk/client-database-migration-service';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createInstance, createKinesisTarget, createPostgresSource, selectionMappings } from '../../support/dms.js';
import { createStream, readAllRecords } from '../../support/kinesis.js';
import { startPostgres, type Postgres } from '../../support/postgres.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { describeTask, parseRecords, readStream, startTask, stopTaskAndWait, waitForStatus, type ParsedRecord, waitForValue } from '../../support/task-flow.js';

let stack: TestStack;
let db: Postgres;
let source: string;
let instance: string;
const DB = 'settings';
const kinesis = () => inject('kinesisEndpoint');
const sql = (text: string, params: unknown[] = []) => db.query(text, params, DB);
const waitFor = <T>(fn: () => Promise<T | null | false | undefined>, what: string, ms = 60_000) => waitForValue(fn, what, ms, { intervalMs: 300 });

beforeAll(async () => {
  [stack, db] = await Promise.all([startTestStack({ runner: true }), startPostgres()]);
  await db.query(`CREATE DATABASE ${DB}`);
  source = (await createPostgresSource(stack.dms, 'pgset', { port: db.port, ...db.dmsUser, database: DB })).EndpointArn!;
  instance = (await createInstance(stack.dms, 'inst')).ReplicationInstanceArn!;
}, 180_000);
afterAll(async () => {
  await Promise.all([stack?.stop(), db?.stop()]);
});

interface TaskOptions {
  type?: 'cdc' | 'full-load-and-cdc' | 'full-load';
  source?: string;
  settings?: unknown;
  kinesis?: Record<string, unknown>;
  cdcStopPosition?: string;
}

/** A started task on a new stream: its ARN and stream, once the task runs. */
async function runTask(table: string, o: TaskOptions = {}): Promise<{ arn: string; stream: string }> {
  const stream = uniqueName('pgs');
  await createStream(kinesis(), stream, 1);
  const target = (await createKinesisTarget(stack.dms, uniqueName('tgt'), stream, o.kinesis ?? {})).EndpointArn!;
  const out = await stack.dms.send(new CreateReplicationTaskCommand({
    ReplicationTaskIdentifier: uniqueName('task'),
    SourceEndpointArn: o.source ?? source,
    TargetEndpointArn: target,
    ReplicationInstanceArn: instance,
    MigrationType: o.type ?? 'cdc',
    TableMappings: selectionMappings('public', table),
    ...(o.cdcStopPosition ? { CdcStopPosition: o.cdcStopPosition } : {}),
    ...(o.settings ? { ReplicationTaskSettings: JSON.stringify(o.settings) } : {}),
  }));
  const arn = out.ReplicationTask!.ReplicationTaskArn!;
  await waitForStatus(stack.dms, arn, ['ready']);
  await startTask(stack.dms, arn);
  const status = (await waitForStatus(stack.dms, arn, ['running', 'stopped', 'failed'], 120_000)).Status;
  if (o.type !== 'full-load') expect(status).toBe('running');
  return { arn, stream };
}

const data = (records: ParsedRecord[]) => records.filter((r) => r.json.metadata['record-type'] === 'data');
const isoSeconds = (epoch: number) => new Date(epoch * 1000).toISOString().slice(0, 19);

/** 10 kB of random (incompressible) text: stored out of line with STORAGE EXTERNAL. */
const bigText = () => randomBytes(7500).toString('base64');

describe('PostgreSQL source settings and behaviours', { timeout: 300_000 }, () => {
  it('an UPDATE leaving a TOASTed value unchanged: NULL (as AWS) by default, the value with REPLICA IDENTITY FULL', async () => {
    for (const t of ['toast_d', 'toast_f']) {
      await sql(`CREATE TABLE public.${t} (id int PRIMARY KEY, n int, body text)`);
      await sql(`ALTER TABLE public.${t} ALTER COLUMN body SET STORAGE EXTERNAL`);
    }
    await sql(`ALTER TABLE public.toast_f REPLICA IDENTITY FULL`);
    const body = bigText();
    const { arn, stream } = await runTask('toast%', { kinesis: { IncludeNullAndEmpty: true } });
    await readStream(kinesis(), stream, 3, 60_000); // apply_exceptions + 2 create-table
    for (const t of ['toast_d', 'toast_f']) {
      await sql(`INSERT INTO public.${t} VALUES (1, 0, $1)`, [body]);
      await sql(`UPDATE public.${t} SET n = 1 WHERE id = 1`);
    }
    // The value really was stored out of line (test_decoding would print it otherwise).
    const [toasted] = await sql(`SELECT pg_column_size(body) AS size FROM public.toast_d`);
    expect(Number(toasted.size)).toBeGreaterThan(2000);
    const records = data(await readStream(kinesis(), stream, 7, 60_000));
    expect(records.map((r) => `${r.json.metadata.operation} ${r.json.metadata['table-name']}`)).toEqual(['insert toast_d', 'update toast_d', 'insert toast_f', 'update toast_f']);
    expect(records[0]!.json.data).toEqual({ id: 1, n: 0, body });
    expect(records[1]!.json.data).toEqual({ id: 1, n: 1, body: null });
    expect(records[3]!.json.data).toEqual({ id: 1, n: 1, body });
    await stopTaskAndWait(stack.dms, arn);
  });

  it('MapBooleanAsBoolean: full load true/false either way; changes "true"/"false" by default, true/false with it', async () => {
    await sql(`CREATE TABLE public.flags (id int PRIMARY KEY, ok boolean)`);
    await sql(`INSERT INTO public.flags VALUES (1, true), (2, false)`);
    const mapped = (await createPostgresSource(stack.dms, uniqueName('pgbool'), { port: db.port, ...db.dmsUser, database: DB }, { MapBooleanAsBoolean: true })).EndpointArn!;
    const values = async (src?: string) => {
      const { arn, stream } = await runTask('flags', { type: 'full-load-and-cdc', ...(src ? { source: src } : {}) });
      await waitFor(async () => data(parseRecords(await readAllRecords(kinesis(), stream))).length === 2, 'the full load');
      await sql(`UPDATE public.flags SET ok = NOT ok`);
      const records = await waitFor(async () => {
        const d = data(parseRecords(await readAllRecords(kinesis(), stream)));
        return d.length === 4 ? d : null;
      }, 'the updates');
      await stopTaskAndWait(stack.dms, arn);
      return records.map((r) => `${r.json.metadata.operation} ${r.json.data!.id} ${JSON.stringify(r.json.data!.ok)}`).sort();
    };
    expect(await values()).toEqual(['load 1 true', 'load 2 false', 'update 1 "false"', 'update 2 "true"']);
    expect(await values(mapped)).toEqual(['load 1 false', 'load 2 true', 'update 1 true', 'update 2 false']);
  });

  it('FailTasksOnLobTruncation: a LOB over LobMaxSize fails the task, in the full load and in CDC; without it the value goes whole', async () => {
    await sql(`CREATE TABLE public.lobs (id int PRIMARY KEY, body text, note varchar(4000))`);
    await sql(`INSERT INTO public.lobs VALUES (1, 'small', NULL)`);
    const strict = (await createPostgresSource(stack.dms, uniqueName('pglob'), { port: db.port, ...db.dmsUser, database: DB }, { FailTasksOnLobTruncation: true })).EndpointArn!;
    const settings = { TargetMetadata: { LobMaxSize: 1 } };
    const big = 'y'.repeat(1500);
    // A long varchar is not a LOB: never checked.
    await sql(`INSERT INTO public.lobs VALUES (2, 'small', $1)`, [big]);
    const cdc = await runTask('lobs', { type: 'full-load-and-cdc', source: strict, settings });
    await waitFor(async () => data(parseRecords(await readAllRecords(kinesis(), cdc.stream))).length === 2, 'the full load');
    await sql(`INSERT INTO public.lobs VALUES (3, $1, NULL)`, [big]);
    const failed = await waitForStatus(stack.dms, cdc.arn, ['failed', 'stopped'], 60_000);
    expect(failed.Status).toBe('failed');
    expect(failed.LastFailureMessage).toContain(`LOB column 'body' of table 'public'.'lobs' is 1500 bytes, over LobMaxSize 1 KB`);
    expect(data(parseRecords(await readAllRecords(kinesis(), cdc.stream))).map((r) => r.json.data!.id)).toEqual([1, 2]);

    const load = await runTask('lobs', { type: 'full-load', source: strict, settings });
    const loadDone = await waitForStatus(stack.dms, load.arn, ['failed', 'stopped'], 60_000);
    expect(loadDone.Status).toBe('failed');
    expect(loadDone.LastFailureMessage).toContain(`LOB column 'body' of table 'public'.'lobs'`);

    const plain = await runTask('lobs', { type: 'full-load', settings });
    expect((await waitForStatus(stack.dms, plain.arn, ['failed', 'stopped'], 60_000)).Status).toBe('stopped');
    const rows = data(parseRecords(await readAllRecords(kinesis(), plain.stream)));
    expect(rows.find((r) => r.json.data!.id === 3)!.json.data!.body).toBe(big);
  });

  it('CdcStopPosition server_time: the task stops by itself with STOPPED_AT_SERVER_TIME', async () => {
    await sql(`CREATE TABLE public.stop_s (id int PRIMARY KEY)`);
    const { arn, stream } = await runTask('stop_s', { cdcStopPosition: `server_time:${isoSeconds(Math.floor(Date.now() / 1000) + 10)}` });
    await readStream(kinesis(), stream, 2, 60_000); // CDC started (its slot exists)
    await sql(`INSERT INTO public.stop_s VALUES (1)`);
    const done = await waitForStatus(stack.dms, arn, ['stopped', 'failed'], 60_000);
    expect(done).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason STOPPED_AT_SERVER_TIME' });
    expect(done.RecoveryCheckpoint).toMatch(/^checkpoint:V1#\d+#[0-9A-F]{8}\/[0-9A-F]{8}#/);
    await sql(`INSERT INTO public.stop_s VALUES (2)`);
    expect(data(parseRecords(await readAllRecords(kinesis(), stream))).map((r) => r.json.data!.id)).toEqual([1]);
  });

  it('CdcStopPosition commit_time: changes committed up to that time, then STOPPED_AT_COMMIT_TIME', async () => {
    await sql(`CREATE TABLE public.stop_c (id int PRIMARY KEY)`);
    const stopAt = Math.floor(Date.now() / 1000) + 8;
    const { arn, stream } = await runTask('stop_c', { cdcStopPosition: `commit_time:${isoSeconds(stopAt)}` });
    await readStream(kinesis(), stream, 2, 60_000); // CDC started (its slot exists)
    await sql(`INSERT INTO public.stop_c VALUES (1)`);
    expect(data(await readStream(kinesis(), stream, 3, 60_000))).toHaveLength(1);
    // Still running: nothing committed after the stop time yet (server_time would have stopped it).
    await new Promise((r) => setTimeout(r, Math.max(0, (stopAt + 1) * 1000 - Date.now())));
    expect((await describeTask(stack.dms, arn)).Status).toBe('running');
    await sql(`INSERT INTO public.stop_c VALUES (2)`);
    const done = await waitForStatus(stack.dms, arn, ['stopped', 'failed'], 60_000);
    expect(done).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason STOPPED_AT_COMMIT_TIME' });
    expect(data(parseRecords(await readAllRecords(kinesis(), stream))).map((r) => r.json.data!.id)).toEqual([1]);
  });

  it('resume-processing replays changes made while stopped from the kept slot; reload-target (restart) recreates the slot', async () => {
    await sql(`CREATE TABLE public.rs (id int PRIMARY KEY)`);
    await sql(`INSERT INTO public.rs VALUES (1)`);
    const { arn, stream } = await runTask('rs', { type: 'full-load-and-cdc' });
    const ops = async () => data(parseRecords(await readAllRecords(kinesis(), stream))).map((r) => `${r.json.metadata.operation} ${r.json.data!.id}`);
    await waitFor(async () => (await ops()).includes('load 1'), 'the full load');
    await stopTaskAndWait(stack.dms, arn);
    await sql(`INSERT INTO public.rs VALUES (2)`);
    await startTask(stack.dms, arn, 'resume-processing');
    await waitFor(async () => (await ops()).includes('insert 2'), 'the change made while stopped');
    await stopTaskAndWait(stack.dms, arn);

    // The kept slot's WAL is removed while the task is stopped: the slot cannot be resumed from …
    await sql(`INSERT INTO public.rs VALUES (3)`);
    const taskId = arn.split(':').pop()!.toLowerCase().slice(0, 10);
    const [slot] = await db.query<{ slot_name: string }>(`SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE $1`, [`%task_${taskId}%`]);
    expect(slot).toBeDefined();
    await db.query(`ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'`);
    await db.query(`SELECT pg_reload_conf()`);
    try {
      await waitFor(async () => {
        await sql(`CREATE TABLE IF NOT EXISTS public.filler (x text); INSERT INTO public.filler SELECT repeat('x', 1000) FROM generate_series(1, 3000)`);
        await db.query(`SELECT pg_switch_wal()`);
        await db.query(`CHECKPOINT`);
        const [s] = await db.query<{ wal_status: string }>(`SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1`, [slot!.slot_name]);
        return s?.wal_status === 'lost';
      }, 'the slot to lose its WAL');
    } finally {
      await db.query(`ALTER SYSTEM RESET max_slot_wal_keep_size`);
      await db.query(`SELECT pg_reload_conf()`);
    }
    await startTask(stack.dms, arn, 'resume-processing');
    const failed = await waitForStatus(stack.dms, arn, ['failed'], 60_000);
    expect(failed.LastFailureMessage).toContain(`The WAL needed by replication slot '${slot!.slot_name}' was removed`);

    // … a restart drops and recreates it: the table is loaded again and CDC runs from the new slot.
    await startTask(stack.dms, arn, 'reload-target');
    await waitFor(async () => (await ops()).filter((o) => o === 'load 3').length === 1, 'the reload');
    await sql(`INSERT INTO public.rs VALUES (4)`);
    await waitFor(async () => (await ops()).includes('insert 4'), 'a change after the restart');
    const [fresh] = await db.query<{ wal_status: string }>(`SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1`, [slot!.slot_name]);
    expect(fresh?.wal_status).not.toBe('lost');
    // Row 3 (written while stopped) arrives with the reload only, never as a replayed change.
    expect((await ops()).filter((o) => o.endsWith(' 3'))).toEqual(['load 3']);
    expect((await describeTask(stack.dms, arn)).Status).toBe('running');
    await stopTaskAndWait(stack.dms, arn);
  });
});
