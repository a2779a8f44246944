// PostgreSQL benchmark (`npm run bench:pg`): the PostgreSQL source end to end against the raw
// limits of its parts, measured in the same run on the same machine.
//
//   (1) full load of a BENCH_ROWS-row table (default 1,000,000) by a full-load task into a 4-shard
//       kinesalite stream, against a bare `pg` cursor read of the same table (dmslite's connection
//       options, FETCH of CommitRate rows) and bare PutRecords of as many records built from the same
//       rows, 4 calls in flight (the task's sink lanes), before and after; the load and each bare run
//       start on a fresh kinesalite;
//   (2) CDC replay: BENCH_UPDATES (default 100,000) single-row autocommit UPDATEs written while no
//       task runs, kept by a slot created before them; a cdc task then reads that slot from the
//       recorded LSN (SlotName + CdcStartPosition), against a bare test_decoding decode of the same
//       WAL range (pg_logical_slot_peek_changes with dmslite's plugin options, every row fetched) and
//       bare PutRecords of records of the same size and partition key through one lane (CDC applies
//       through one ordered lane unless ParallelApplyThreads);
//   (3) commit → Kinesis latency of single-row INSERTs paced at BENCH_LATENCY_RATE/s (1,000) for
//       BENCH_LATENCY_SECONDS (10) through a running cdc task, and the same number of records of the
//       same size sent straight to the same stream at the same pace (the emulator's own share);
//   and the runner's peak RSS (VmHWM) over all of it.
//
// Targets (those of the MySQL benchmarks): full load ≥ 0.9× the sink when sink-bound, CDC replay ≥
// 0.8× min(bare decode, bare one-lane PutRecords), runner peak RSS < 256 MB.
//
// Env: BENCH_ROWS, BENCH_UPDATES, BENCH_CDC_WRITERS (4), BENCH_LATENCY_RATE, BENCH_LATENCY_SECONDS,
// BENCH_RAW_PUT (distinct records the bare PutRecords runs are built from, default 200,000), BENCH_LATENCY_DUMP=<csv> (each
// change's latency), BENCH_NO_WRITE=1 (leave
// BENCHMARKS.md alone).
import './lib/quiet.js';
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { clientConfig, type PgEndpointConfig } from '../core/source/postgres/connection.js';
import { pgStreamPosition } from '../core/source/postgres/lsn.js';
import { PostgresSource } from '../core/source/postgres/source.js';
import { buildSnapshotQuery } from '../core/source/postgres/snapshot.js';
import { createRecordFormatter } from '../core/record/formatter.js';
import type { KinesisRecord } from '../core/sink/kinesis/sink.js';
import type { SourceRow, TableDef } from '../core/model/table.js';
import { createInstance, createPostgresSource, selectionMappings } from '../test/support/dms.js';
import { startPostgres, type Postgres } from '../test/support/postgres.js';
import { startTask, stopTaskAndWait, tableStatistics, waitForStatus } from '../test/support/task-flow.js';
import { bareSinkRun, createBenchTask, log, restartKinesalite, startBenchServices, startRunnerProcess, waitApplied, type RunnerProcess } from './lib/env.js';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { leanPutRecords } from '../core/sink/kinesis/put-records.js';
import { collect, createStream, deleteStream, kinesisClient, oneLane, rawPutRecords, readWholeStream, shardIds, ShardReader } from './lib/kinesis.js';
import { meterCpu } from './lib/proc.js';
import { fmtInt, fmtMs, fmtRate, fmtRatio, machine, machineLine, markdownTable, median, percentile, textTable, writeSection, type Row } from './lib/report.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const UPDATES = Math.min(ROWS, Number(process.env.BENCH_UPDATES ?? 100_000));
const WRITERS = Number(process.env.BENCH_CDC_WRITERS ?? 4);
const LATENCY_RATE = Number(process.env.BENCH_LATENCY_RATE ?? 1000);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);
const RAW_PUT = Math.min(ROWS, Number(process.env.BENCH_RAW_PUT ?? 200_000));
const DB = 'bench';
const TABLE = 'items';
const SHARDS = 4;
const LANES = 4;
const FETCH = 10_000; // CommitRate's default: the rows dmslite fetches per cursor call
const REPLAY_SLOT = 'bench_replay';
const MEMORY_TARGET_MB = 256;
const FULL_LOAD_TARGET = 0.9;
const CDC_TARGET = 0.8;
const P50_TARGET_MS = 10;
const P99_TARGET_MS = 30;
/** dmslite's test_decoding options (core/source/postgres/source.ts). */
const PLUGIN_OPTIONS = ['include-xids', 'on', 'include-timestamp', 'on', 'skip-empty-xacts', 'on'];

const nowMs = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const COLUMNS = `(
    id bigint NOT NULL PRIMARY KEY,
    qty integer NOT NULL,
    name varchar(64) NOT NULL,
    created timestamp NOT NULL,
    amount numeric(12,2),
    ratio double precision,
    flag smallint,
    code varchar(16)
  )`;

/** Row `s` of the benchmark tables (the shapes of the MySQL benchmarks), as a SELECT list over `s`. */
const ROW_SQL = `s, ((s * 7919) % 2000000011 - 1000000000)::int, 'name-' || s || '-' || repeat('x', (s % 24)::int),
  timestamp '2024-01-01' + s * interval '1 second', ((s * 37) % 10000000) / 100.0, s / 7.0,
  (s % 256 - 128)::smallint, CASE WHEN s % 10 = 0 THEN NULL ELSE 'c' || upper(to_hex(s)) END`;

function pgConfig(db: Postgres): PgEndpointConfig {
  return { host: db.host, port: db.port, ...db.dmsUser, database: DB };
}

async function client(db: Postgres): Promise<pg.Client> {
  const c = new pg.Client(clientConfig(pgConfig(db)));
  await c.connect();
  return c;
}

async function populate(db: Postgres): Promise<void> {
  await db.query(`CREATE DATABASE ${DB}`);
  for (const t of [TABLE, 'lat']) await db.query(`CREATE TABLE ${t} ${COLUMNS}`, [], DB);
  const chunk = 250_000;
  for (let from = 1; from <= ROWS; from += chunk) {
    await db.query(`INSERT INTO ${TABLE} SELECT ${ROW_SQL} FROM generate_series(${from}::bigint, ${Math.min(ROWS, from + chunk - 1)}::bigint) s`, [], DB);
  }
  await db.query(`VACUUM ANALYZE ${TABLE}`, [], DB);
}

/** Bare cursor read of the snapshot SELECT: dmslite's connection options, FETCH of CommitRate rows. */
async function rawRead(db: Postgres, def: TableDef): Promise<number> {
  const c = await client(db);
  try {
    const { sql } = buildSnapshotQuery(def, null);
    const t0 = performance.now();
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await c.query(`DECLARE raw NO SCROLL CURSOR FOR ${sql}`);
    let n = 0;
    for (;;) {
      const got = (await c.query(`FETCH ${FETCH} FROM raw`)).rowCount ?? 0;
      n += got;
      if (got < FETCH) break;
    }
    await c.query('COMMIT');
    if (n !== ROWS) throw new Error(`raw read returned ${n} rows, expected ${ROWS}`);
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await c.end();
  }
}

/** The first `count` rows as dmslite's snapshot reads them. */
async function sourceRows(src: PostgresSource, def: TableDef, count: number): Promise<SourceRow[]> {
  const snap = await src.openSnapshot();
  const out: SourceRow[] = [];
  const stop = new AbortController();
  try {
    await snap.readTable(def, { sql: `${src.quoteIdentifier('id')} <= ?`, params: [count] }, async (rows) => {
      out.push(...rows);
    }, { batchSize: FETCH, signal: stop.signal });
  } finally {
    await snap.close();
  }
  return out;
}

/** A bare decode of the WAL range [slot's position, `upto`]: test_decoding through peek, every row fetched. */
async function rawDecode(db: Postgres, upto: string): Promise<{ rate: number; changes: number; seconds: number }> {
  const c = await client(db);
  try {
    const t0 = performance.now();
    const r = await c.query({
      text: `SELECT data FROM pg_logical_slot_peek_changes($1, $2::pg_lsn, NULL, ${PLUGIN_OPTIONS.map((_, i) => `$${i + 3}`).join(', ')})`,
      values: [REPLAY_SLOT, upto, ...PLUGIN_OPTIONS],
      rowMode: 'array',
    });
    const seconds = (performance.now() - t0) / 1000;
    let changes = 0;
    for (const row of r.rows as string[][]) if (row[0]!.startsWith('table ')) changes++;
    if (changes !== UPDATES) throw new Error(`raw decode saw ${changes} changes, expected ${UPDATES}`);
    return { rate: changes / seconds, changes, seconds };
  } finally {
    await c.end();
  }
}

/** Single-row autocommit UPDATEs of ids 1..n from `writers` connections. */
async function updates(db: Postgres, n: number, writers: number): Promise<void> {
  let next = 1;
  await Promise.all(Array.from({ length: writers }, async () => {
    const c = await client(db);
    try {
      while (next <= n) {
        const id = next++;
        await c.query(`UPDATE ${TABLE} SET qty = qty + 1 WHERE id = $1`, [id]);
      }
    } finally {
      await c.end();
    }
  }));
}

/** Single-row INSERTs into `lat`, commit i due at t0 + i/rate (catching up without waiting when late). */
async function pacedInserts(db: Postgres, n: number, rate: number) {
  const c = await client(db);
  const okAt = new Float64Array(n + 1);
  const interval = 1000 / rate;
  const t0 = nowMs();
  try {
    for (let id = 1; id <= n; id++) {
      const wait = t0 + (id - 1) * interval - nowMs();
      if (wait >= 1) await sleep(Math.floor(wait));
      await c.query(`INSERT INTO lat SELECT ${ROW_SQL} FROM (SELECT $1::bigint AS s) q`, [id]);
      okAt[id] = nowMs();
    }
  } finally {
    await c.end();
  }
  return { okAt, achievedRate: n / ((okAt[n]! - t0) / 1000) };
}

/**
 * Kinesis's own share of the latency: records of `size` bytes made at the same pace as (3)'s commits
 * and sent as dmslite's sink sends them (PutRecords signed directly, one call in flight, what queued
 * meanwhile in the next), into (3)'s stream right after it. No database, no decoding: what is left
 * is the emulator's answer time, its pauses (kinesalite's garbage collection) included.
 */
async function kinesisFloor(kc: KinesisClient, stream: string, reader: ShardReader, n: number, rate: number, size: number): Promise<number[]> {
  const puts = leanPutRecords(kc);
  await puts.putRecords({ StreamName: stream, Records: [{ PartitionKey: 'floor-warmup', Data: Buffer.from('{}') }] });
  const madeAt = new Float64Array(n + 1);
  const lane = oneLane((records) => puts.putRecords({ StreamName: stream, Records: records }));
  const pad = 'x'.repeat(Math.max(0, size - 40));
  const t0 = nowMs();
  for (let id = 1; id <= n; id++) {
    const wait = t0 + (id - 1) * (1000 / rate) - nowMs();
    if (wait >= 1) await sleep(Math.floor(wait));
    madeAt[id] = nowMs();
    lane.push({ PartitionKey: 'floor', Data: Buffer.from(`{"data":{"id":${id},"pad":"${pad}"}}`) });
  }
  await lane.acknowledged(n, 60_000);
  puts.destroy();
  const arrival = new Float64Array(n + 1);
  const c = await collect(reader, 'floor', n, { first: 1, count: n }, (r, id) => { if (id >= 1 && id <= n && !arrival[id]) arrival[id] = r.arrivalMs; });
  if (c.missing) throw new Error(`Kinesis floor: ${c.missing} records missing`);
  const out: number[] = [];
  for (let id = 1; id <= n; id++) out.push(arrival[id]! - madeAt[id]!);
  return out.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const started = performance.now();
  log('starting PostgreSQL, DynamoDB Local, kinesalite and the API');
  const [env, db] = await Promise.all([startBenchServices(), startPostgres({ settings: { shared_buffers: '256MB', max_wal_size: '4GB', synchronous_commit: 'on' } })]);
  let runner: RunnerProcess | undefined;
  const src = new PostgresSource(pgConfig(db));
  try {
    const version = String((await db.query<{ v: string }>("SELECT current_setting('server_version') AS v"))[0]!.v);
    const m = machine(version, 'PostgreSQL');
    log(`populating ${fmtInt(ROWS)} rows`);
    await populate(db);
    const def = (await src.describeTable('public', TABLE))!;

    log('bare pg cursor read ×3');
    const reads: number[] = [];
    for (let i = 0; i < 3; i++) reads.push(await rawRead(db, def));
    const rawReadRate = median(reads);
    log(`bare read: ${reads.map((r) => fmtInt(r)).join(', ')} rows/s`);

    const formatter = createRecordFormatter({ kinesis: { MessageFormat: 'json' }, taskResourceId: 'BENCHRAWPUT', parallelApply: false, beforeImage: null });
    const rows = await sourceRows(src, def, RAW_PUT);
    const loadRecords = rows.map((r) => formatter.load(def, r));
    const putRates: number[] = [];
    const putKinesaliteUs: number[] = [];
    // The load's ceiling: bare PutRecords of as many records as the load, each run on a fresh
    // kinesalite as the load is (its cost per record grows with what it holds and has held).
    const bareLoad = async (when: 'before' | 'after') => {
      const r = await bareSinkRun(env, { stream: `raw-load-${when}`, records: loadRecords, total: ROWS, inFlight: LANES, shards: SHARDS });
      putRates.push(r.rate);
      putKinesaliteUs.push(r.kinesaliteUs);
      log(`bare PutRecords of ${fmtInt(ROWS)} records (${LANES} in flight, ${when}, fresh kinesalite): ${fmtRate(r.rate)}, kinesalite ${r.kinesaliteUs.toFixed(0)} µs CPU per record`);
    };
    await bareLoad('before');
    await restartKinesalite(env);

    runner = await startRunnerProcess(env);
    const pids = () => ({ runner: runner?.pid, kinesalite: env.kin.process.pid });
    const source = (await createPostgresSource(env.dms, 'bench-src', { port: db.port, ...db.dmsUser, database: DB })).EndpointArn!;
    const replaySource = (await createPostgresSource(env.dms, 'bench-replay-src', { port: db.port, ...db.dmsUser, database: DB }, { SlotName: REPLAY_SLOT })).EndpointArn!;
    const instance = (await createInstance(env.dms, 'bench-inst')).ReplicationInstanceArn!;
    const newTask = (name: string, type: 'full-load' | 'cdc', shards: number, o: { source?: string; cdcStart?: string; table?: string } = {}) =>
      createBenchTask(env, {
        name,
        migrationType: type,
        source: o.source ?? source,
        instance,
        shards,
        tableMappings: selectionMappings('public', o.table ?? '%'),
        ...(o.cdcStart ? { cdcStartPosition: o.cdcStart } : {}),
        readyTimeoutMs: 60_000,
      });

    // (1) Full load.
    log(`(1) full load of ${fmtInt(ROWS)} rows`);
    const flArn = await newTask('pg-full-load', 'full-load', SHARDS, { table: TABLE });
    const flCpu = meterCpu(pids());
    const t0 = performance.now();
    const startedAt = performance.timeOrigin + t0;
    await startTask(env.dms, flArn);
    const done = await waitForStatus(env.dms, flArn, ['stopped', 'failed'], 3_600_000);
    const flSeconds = (performance.now() - t0) / 1000;
    const stoppedAt = performance.timeOrigin + performance.now();
    const flCpuUsed = flCpu.stop();
    if (done.Status !== 'stopped') throw new Error(`full load ended ${done.Status}: ${done.LastFailureMessage ?? ''}`);
    const flRows = (await tableStatistics(env.dms, flArn))[0]?.FullLoadRows ?? 0;
    const seen = new Uint8Array(ROWS + 1);
    let flData = 0;
    let flBytes = 0;
    // The rows' first and last arrival: the transfer alone, apart from the task's start and stop.
    let firstArrival = Infinity;
    let lastArrival = 0;
    const flTotal = await readWholeStream(env.kinesisEndpoint, 'pg-full-load', (r) => {
      flBytes += r.data.length;
      if (r.arrivalMs < firstArrival) firstArrival = r.arrivalMs;
      if (r.arrivalMs > lastArrival) lastArrival = r.arrivalMs;
      const id = Number(/^\d+$/.test(r.partitionKey) ? r.partitionKey : NaN);
      if (id >= 1 && id <= ROWS) {
        flData++;
        if (seen[id]! < 255) seen[id]!++;
      }
    });
    let flMissing = 0;
    let flDup = 0;
    for (let id = 1; id <= ROWS; id++) {
      if (seen[id] === 0) flMissing++;
      else if (seen[id]! > 1) flDup += seen[id]! - 1;
    }
    await deleteStream(env.kinesisEndpoint, 'pg-full-load');
    const flRate = ROWS / flSeconds;
    const flTransfer = ROWS / Math.max(0.001, (lastArrival - firstArrival) / 1000);
    log(`(1) ${fmtRate(flRate)} in ${flSeconds.toFixed(1)} s; ${fmtInt(flTotal)} records, ${flMissing} keys missing; first → last record ${fmtRate(flTransfer)}, start → first ${((firstArrival - startedAt) / 1000).toFixed(2)} s, last → stopped seen ${((stoppedAt - lastArrival) / 1000).toFixed(2)} s`);

    // (2) CDC replay: a slot kept from before the UPDATEs, read by a task from the recorded LSN.
    const [slot] = await db.query<{ lsn: string }>(`SELECT lsn::text AS lsn FROM pg_create_logical_replication_slot($1, 'test_decoding')`, [REPLAY_SLOT], DB);
    const from = slot!.lsn;
    log(`(2) ${fmtInt(UPDATES)} single-row UPDATEs from ${WRITERS} connections (slot ${REPLAY_SLOT} at ${from})`);
    const w0 = performance.now();
    await updates(db, UPDATES, WRITERS);
    const writerRate = UPDATES / ((performance.now() - w0) / 1000);
    const [end] = await db.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    // Decoding reads flushed WAL only: make sure the whole range is.
    while (!(await db.query<{ ok: boolean }>('SELECT pg_current_wal_flush_lsn() >= $1::pg_lsn AS ok', [end!.lsn]))[0]!.ok) await sleep(50);
    log(`(2) bare test_decoding decode of ${from}..${end!.lsn} ×3`);
    const decodes: number[] = [];
    for (let i = 0; i < 3; i++) decodes.push((await rawDecode(db, end!.lsn)).rate);
    const decodeRate = median(decodes);
    log(`(2) bare decode: ${decodes.map((r) => fmtInt(r)).join(', ')} changes/s`);
    // Bare one-lane PutRecords of records like the replay's, right before it and again at the end
    // (the mean is the ceiling), as the full load's bare run: kinesalite's speed depends on what its
    // store went through (the full load's million records were just deleted).
    const updRows = await sourceRows(src, def, Math.min(RAW_PUT, UPDATES));
    const updRecords = updRows.map((r, i) => formatter.change('update', def, r, null, {
      transactionId: String(1000 + i),
      transactionRecordId: 1,
      commitTimestamp: Date.now() / 1000,
      streamPosition: pgStreamPosition(0x1000000n + BigInt(i) * 200n, 2, 0x1000000n + BigInt(i) * 200n + 40n),
    }));
    const bareOneLane = async (): Promise<number> => {
      await createStream(env.kinesisEndpoint, 'raw-cdc', 1);
      const r = await rawPutRecords(env.kinesisEndpoint, 'raw-cdc', updRecords, { perCall: 500, inFlight: 1 });
      await deleteStream(env.kinesisEndpoint, 'raw-cdc');
      return r.rate;
    };
    const cdcPutRates = [await bareOneLane()];
    const replayCpu = meterCpu(pids());
    const replayArn = await newTask('pg-replay', 'cdc', 1, { source: replaySource, cdcStart: from, table: TABLE });
    await startTask(env.dms, replayArn);
    await waitApplied(env, replayArn, TABLE, 'AppliedUpdates', UPDATES, 600_000);
    const replayCpuUsed = replayCpu.stop();
    const kc = kinesisClient(env.kinesisEndpoint);
    const replayReader = new ShardReader(kc, 'pg-replay', (await shardIds(kc, 'pg-replay'))[0]!);
    const replay = await collect(replayReader, `public.${TABLE}`, UPDATES, { first: 1, count: UPDATES }, undefined, 600_000);
    await stopTaskAndWait(env.dms, replayArn);
    await deleteStream(env.kinesisEndpoint, 'pg-replay');
    const replayRate = UPDATES / ((replay.lastArrival - replay.firstArrival) / 1000);
    log(`(2) replay: ${fmtRate(replayRate)} (first → last record)`);

    // (3) Latency through a running cdc task.
    const n = LATENCY_SECONDS * LATENCY_RATE;
    const latArn = await newTask('pg-latency', 'cdc', 1, { table: 'lat' });
    await startTask(env.dms, latArn);
    const latReader = new ShardReader(kc, 'pg-latency', (await shardIds(kc, 'pg-latency'))[0]!);
    await latReader.readUntil(2, () => undefined, 120_000); // apply_exceptions + lat announced: the slot exists
    log(`(3) ${fmtInt(n)} single-row INSERTs at ${fmtInt(LATENCY_RATE)}/s`);
    const latCpu = meterCpu(pids());
    const w = await pacedInserts(db, n, LATENCY_RATE);
    const arrival = new Float64Array(n + 1);
    let latBytes = 0;
    const latC = await collect(latReader, 'public.lat', n, { first: 1, count: n }, (r, id) => { latBytes += r.data.length; if (id >= 1 && id <= n && !arrival[id]) arrival[id] = r.arrivalMs; }, 600_000);
    const latCpuUsed = latCpu.stop();
    await stopTaskAndWait(env.dms, latArn);
    log(`(3) Kinesis floor: ${fmtInt(n)} records at ${fmtInt(LATENCY_RATE)}/s straight into the same stream`);
    const floor = await kinesisFloor(kc, 'pg-latency', latReader, n, LATENCY_RATE, Math.round(latBytes / Math.max(1, latC.n)));
    await deleteStream(env.kinesisEndpoint, 'pg-latency');
    if (latC.missing) throw new Error(`(3) ${latC.missing} records missing`);
    if (process.env.BENCH_LATENCY_DUMP) {
      // id, commit OK (ms since the first), commit → arrival (ms): to look at the shape of the tail.
      const lines = ['id,commit_ms,latency_ms'];
      for (let id = 1; id <= n; id++) lines.push(`${id},${(w.okAt[id]! - w.okAt[1]!).toFixed(2)},${(arrival[id]! - w.okAt[id]!).toFixed(2)}`);
      writeFileSync(process.env.BENCH_LATENCY_DUMP, lines.join('\n') + '\n');
    }
    const lat: number[] = [];
    for (let id = 1; id <= n; id++) lat.push(arrival[id]! - w.okAt[id]!);
    lat.sort((a, b) => a - b);

    const peak = runner.peakRssMb();
    await runner.stop();
    runner = undefined;

    // Bare sinks with the runner gone: one-lane CDC records (kinesalite as the replay left it), then
    // the load's volume on a fresh kinesalite.
    cdcPutRates.push(await bareOneLane());
    const cdcPut = { rate: cdcPutRates.reduce((a, b) => a + b, 0) / cdcPutRates.length };
    await bareLoad('after');
    const putRate = putRates.reduce((a, b) => a + b, 0) / putRates.length;
    kc.destroy();
    log(`bare one-lane PutRecords: ${fmtRate(cdcPut.rate)} (before / after: ${cdcPutRates.map(fmtRate).join(' / ')}; key ${updRecords[0]!.partitionKey})`);

    // Report.
    const flCeiling = Math.min(rawReadRate, putRate);
    const flSinkBound = putRate <= rawReadRate;
    const cdcCeiling = Math.min(decodeRate, cdcPut.rate);
    const cpu = (c: Record<string, number>) => [c.runner, c.kinesalite].map((x) => (x ?? NaN).toFixed(1)).join(' / ');
    const header = ['', 'value', 'target'];
    const rowsOut: Row[] = [
      [`(1) full load, ${fmtInt(ROWS)} rows, task start → stopped`, `${fmtRate(flRate)} (${flSeconds.toFixed(1)} s)`, ''],
      ['  first → last record (the transfer alone)', fmtRate(flTransfer), ''],
      ['  kinesalite CPU µs per record: the load / the bare runs', `${((flCpuUsed.kinesalite! * 1e6) / flTotal).toFixed(0)} / ${putKinesaliteUs.map((x) => x.toFixed(0)).join(', ')}`, ''],
      ['  bare pg cursor read (median of 3)', fmtRate(rawReadRate), ''],
      [`  bare PutRecords of ${fmtInt(ROWS)} records, 500/call, ${LANES} in flight (mean before/after)`, `${fmtRate(putRate)} (${putRates.map((x) => fmtInt(x)).join(' / ')})`, ''],
      [`  ratio dmslite / min(read, PutRecords) (${flSinkBound ? 'sink' : 'read'}-bound)`, fmtRatio(flRate, flCeiling), flSinkBound ? `≥ ${FULL_LOAD_TARGET}` : ''],
      ['  stream: load records / keys missing / duplicated', `${fmtInt(flData)} / ${flMissing} / ${flDup}`, '0 missing'],
      ['  FullLoadRows; avg record size', `${fmtInt(flRows)}; ${Math.round(flBytes / Math.max(1, flTotal))} B`, ''],
      ['  CPU s: runner / kinesalite', cpu(flCpuUsed), ''],
      [`(2) CDC replay, ${fmtInt(UPDATES)} single-row UPDATEs (first → last record)`, fmtRate(replayRate), ''],
      ['  writer rate when written (no task running)', fmtRate(writerRate), ''],
      ['  bare test_decoding decode, peek (median of 3)', fmtRate(decodeRate), ''],
      ['  bare PutRecords, 1 key, 500/call, 1 in flight (mean before/after)', `${fmtRate(cdcPut.rate)} (${cdcPutRates.map(fmtRate).join(' / ')})`, ''],
      [`  ratio dmslite / min(decode, PutRecords) (${decodeRate < cdcPut.rate ? 'decode' : 'sink'}-bound)`, fmtRatio(replayRate, cdcCeiling), `≥ ${CDC_TARGET}`],
      ['  ratio dmslite / bare one-lane PutRecords', fmtRatio(replayRate, cdcPut.rate), ''],
      ['  stream: records / missing / duplicated', `${fmtInt(replay.n)} / ${replay.missing} / ${replay.duplicates}`, '0 missing'],
      ['  CPU s: runner / kinesalite', cpu(replayCpuUsed), ''],
      [`(3) commit → Kinesis at ${fmtInt(LATENCY_RATE)} commits/s, p50 / p99`, `${fmtMs(percentile(lat, 50))} / ${fmtMs(percentile(lat, 99))}`, `≤ ${P50_TARGET_MS} / ${P99_TARGET_MS} ms`],
      ['  achieved commit rate; max', `${fmtRate(w.achievedRate)}; ${fmtMs(lat[lat.length - 1]!)}`, ''],
      ['  CPU s: runner / kinesalite', cpu(latCpuUsed), ''],
      ['  Kinesis floor: same pace, records sent straight, p50 / p99; max', `${fmtMs(percentile(floor, 50))} / ${fmtMs(percentile(floor, 99))}; ${fmtMs(floor[floor.length - 1]!)}`, ''],
      ['runner peak RSS (VmHWM)', `${peak.toFixed(0)} MiB`, `< ${MEMORY_TARGET_MB} MB`],
    ];
    const totalSeconds = (performance.now() - started) / 1000;
    console.log(`\nPostgreSQL → kinesalite\n${machineLine(m)}\n`);
    console.log(textTable(header, rowsOut));
    console.log(`\nbenchmark total ${totalSeconds.toFixed(0)} s`);
    const broken = [
      ...(flMissing > 0 ? [`full load: ${flMissing} keys missing`] : []),
      ...(replay.missing > 0 ? [`replay: ${replay.missing} changes missing`] : []),
    ];
    const missed = [
      ...(flSinkBound && flRate < FULL_LOAD_TARGET * flCeiling ? [`full load ${fmtRatio(flRate, flCeiling)} of the sink < ${FULL_LOAD_TARGET}×`] : []),
      ...(replayRate < CDC_TARGET * cdcCeiling ? [`CDC replay ${fmtRatio(replayRate, cdcCeiling)} of its ceiling < ${CDC_TARGET}×`] : []),
      ...(peak >= MEMORY_TARGET_MB ? [`runner peak RSS ${peak.toFixed(0)} MiB ≥ ${MEMORY_TARGET_MB} MB`] : []),
      ...(percentile(lat, 50) > P50_TARGET_MS ? [`latency p50 ${fmtMs(percentile(lat, 50))} > ${P50_TARGET_MS} ms`] : []),
      ...(percentile(lat, 99) > P99_TARGET_MS ? [`latency p99 ${fmtMs(percentile(lat, 99))} > ${P99_TARGET_MS} ms`] : []),
    ];
    const verdict = [...broken.map((b) => `**Broken**: ${b}.`), ...missed.map((x) => `**Target missed**: ${x}.`)].join(' ');
    if (verdict) console.log(verdict.replace(/\*\*/g, ''));
    if (!process.env.BENCH_NO_WRITE) {
      const md = [
        '## PostgreSQL (`npm run bench:pg`)',
        '',
        machineLine(m),
        '',
        `A private PostgreSQL cluster (fsync off, synchronous_commit on: a WAL sender sends only flushed WAL, so with it off a commit waits for the WAL writer), tasks with default settings, MessageFormat json. `
          + `(1) a ${fmtInt(ROWS)}-row table (bigint PK + integer, varchar(64), timestamp, numeric(12,2), double precision, smallint, varchar(16)) `
          + `loaded by a full-load task into a ${SHARDS}-shard stream; rate = rows / (StartReplicationTask → \`stopped\`); every key is checked in the stream. `
          + `Against a bare \`pg\` cursor read of the same SELECT (dmslite's connection options, FETCH ${fmtInt(FETCH)}) and bare PutRecords of `
          + `as many records as the load (${fmtInt(loadRecords.length)} records built by the same formatter from the same rows, sent over again), ${LANES} calls in flight, once before and once after the task; `
          + `the two bare runs and the load each start on a fresh kinesalite (its cost per record grows with what it holds and has held). `
          + `(2) ${fmtInt(UPDATES)} single-row autocommit UPDATEs written while no task runs, kept by a slot created just before them; a cdc task `
          + `then reads that slot (SlotName) from the recorded LSN (CdcStartPosition): rate = changes / (first → last record's arrival). Against a bare `
          + `decode of the same WAL range (\`pg_logical_slot_peek_changes\`, dmslite's test_decoding options, every row fetched) and bare PutRecords `
          + `of records of the same size and partition key, one call in flight (CDC applies through one ordered lane), right before the replay and again at the end (the mean; kinesalite slows down after large deletions). `
          + `(3) single-row INSERTs paced at ${fmtInt(LATENCY_RATE)}/s for ${LATENCY_SECONDS} s through a running cdc task: commit OK at the writer → `
          + `kinesalite's ApproximateArrivalTimestamp; then, into the same stream, as many records of the same size made at the same pace `
          + `and sent the way dmslite's sink sends them, without a database or a decoder: the Kinesis floor (kinesalite's answer time and its garbage-collection pauses). CPU seconds are per process over each phase.`,
        '',
        markdownTable(header, rowsOut),
        '',
        `Total benchmark time ${totalSeconds.toFixed(0)} s.${verdict ? ' ' + verdict : ''}`,
      ].join('\n');
      log(`wrote ${writeSection('pg', md)}`);
    }
    if (broken.length) process.exitCode = 1;
  } finally {
    await runner?.stop().catch(() => undefined);
    await src.close().catch(() => undefined);
    await env.stop();
    await db.stop().catch(() => undefined);
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
