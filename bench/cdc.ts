// CDC benchmark: changes captured by a running CDC task into a 1-shard kinesalite stream, against,
// in the same run, a bare zongji decode of the same binlog ranges, bare PutRecords of records of
// the same size and partition key, and a bare zongji → PutRecords pipeline for latency.
// `npm run bench:cdc`.
//
//   (a) 100,000 single-row autocommit UPDATEs (BENCH_CDC_WRITERS connections, default 4), live;
//       then the same binlog range replayed by a second task started at its position (catch-up
//       rate, which no writer limits)
//   (b) 200,000 rows inserted as 200 transactions of one 1,000-row INSERT, live
//   (c) commit → Kinesis latency at a steady 1,000 commits/s for 10 s (single-row INSERTs)
//   (d) a full load of the table (a) updated, for the runner's CPU per full-load row against its CPU
//       per CDC event of the replay (target: CDC ≤ 1.5× full load); replay and full load alternate
//       BENCH_CPU_PAIRS times (3) and the median of the pairs' ratios is compared
//
// Timing: a commit's time is taken by the writer when the server acknowledges it; a record's
// time is kinesalite's ApproximateArrivalTimestamp (Date.now() while it processes the PutRecords
// that carries it, just before it acknowledges), read back afterwards. Both clocks are this machine's.
//
// Env: BENCH_UPDATES (100,000), BENCH_INSERT_TXNS (200), BENCH_LATENCY_SECONDS (10),
// BENCH_LATENCY_RATE (1,000), BENCH_CDC_WRITERS (4), BENCH_RAW_PUT (60,000), BENCH_CPU_PAIRS (3), BENCH_NO_WRITE=1,
// BENCH_LATENCY_DUMP=<file> (per-commit latencies of (c) as CSV).
import './lib/quiet.js';
import { writeFileSync } from 'node:fs';
import ZongJi from '@vlasky/zongji';
import mysql from 'mysql2';
import mysqlp from 'mysql2/promise';
import { StopReplicationTaskCommand } from '@aws-sdk/client-database-migration-service';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { connectionOptions, openConnection } from '../core/source/mysql/connection.js';
import { describeTable } from '../core/source/mysql/metadata.js';
import type { BinlogPosition } from '../core/source/mysql/positions.js';
import type { TableDef } from '../core/model/table.js';
import { createRecordFormatter, mysqlTransactionId } from '../core/record/formatter.js';
import { createInstance, createMySqlSource, selectionMappings } from '../test/support/dms.js';
import { startTask, tableStatistics, waitForStatus } from '../test/support/task-flow.js';
import { createBenchTask, log, READY_TIMEOUT_MS, startBenchEnv, startRunnerProcess, waitApplied, type BenchEnv, type RunnerProcess } from './lib/env.js';
import { collect, createStream, deleteStream, kinesisClient, oneLane, rawPutRecords, shardIds, ShardReader, type Collected } from './lib/kinesis.js';
import { mariadbPid, meterCpu } from './lib/proc.js';
import { fmtInt, fmtMs, fmtRate, fmtRatio, machine, machineLine, markdownTable, percentile, textTable, writeSection, type Row } from './lib/report.js';

const UPDATES = Number(process.env.BENCH_UPDATES ?? 100_000);
const INSERT_TXNS = Number(process.env.BENCH_INSERT_TXNS ?? 200);
const ROWS_PER_TXN = 1000;
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);
const LATENCY_RATE = Number(process.env.BENCH_LATENCY_RATE ?? 1000);
const WRITERS = Number(process.env.BENCH_CDC_WRITERS ?? 4);
const RAW_PUT = Number(process.env.BENCH_RAW_PUT ?? 60_000);
const SCHEMA = 'cdcb';
const MEMORY_TARGET_MB = 256;
const P50_TARGET_MS = 10;
const P99_TARGET_MS = 30;
const DECODE_RATIO_TARGET = 0.8;
/** Replay against bare one-lane PutRecords of the same records. */
const PUT_RATIO_TARGET = 0.8;
/** Runner CPU per CDC event against per full-load row of the same table. */
const CPU_RATIO_TARGET = 1.5;
/** Replay / full-load pairs whose median ratio is compared with the target (BENCH_CPU_PAIRS). */
const CPU_PAIRS = Math.max(1, Number(process.env.BENCH_CPU_PAIRS ?? 3));

const nowMs = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const COLUMNS = `(
    id BIGINT NOT NULL PRIMARY KEY,
    qty INT NOT NULL,
    name VARCHAR(64) NOT NULL,
    created DATETIME NOT NULL,
    amount DECIMAL(12,2),
    ratio DOUBLE,
    flag TINYINT,
    code VARCHAR(16)
  ) ENGINE=InnoDB`;

/** Column values of row `id` (same shapes as the full-load benchmark). */
function rowValues(id: number): unknown[] {
  const d = new Date(Date.UTC(2024, 0, 1) + id * 1000).toISOString().slice(0, 19).replace('T', ' ');
  return [id, ((id * 7919) % 2000000011) - 1000000000, `name-${id}-${'x'.repeat(id % 24)}`, d, ((id * 37) % 10000000) / 100, id / 7, (id % 256) - 128, id % 10 === 0 ? null : `c${id.toString(16).toUpperCase()}`];
}

async function setup(env: BenchEnv): Promise<void> {
  await env.db.query(`CREATE DATABASE ${SCHEMA}`);
  for (const t of ['items', 'bulk', 'lat', 'rawlat']) await env.db.query(`CREATE TABLE ${SCHEMA}.${t} ${COLUMNS}`);
  for (let from = 1; from <= UPDATES; from += 50_000) {
    const to = Math.min(UPDATES, from + 49_999);
    await env.db.query(`INSERT INTO ${SCHEMA}.items
      SELECT s, (s * 7919) % 2000000011 - 1000000000, CONCAT('name-', s, '-', REPEAT('x', s % 24)),
             '2024-01-01 00:00:00' + INTERVAL s SECOND, ((s * 37) % 10000000) / 100, s / 7,
             s % 256 - 128, IF(s % 10 = 0, NULL, CONCAT('c', HEX(s)))
      FROM (SELECT CAST(seq AS SIGNED) AS s FROM ${SCHEMA}.seq_${from}_to_${to}) q`);
  }
}

async function binlogPos(env: BenchEnv): Promise<BinlogPosition> {
  const rows = await env.db.query<{ File: string; Position: number }[]>('SHOW MASTER STATUS');
  return { file: rows[0]!.File, position: Number(rows[0]!.Position) };
}

/** Server counters: connections accepted (each binlog reader start opens two) and bytes sent. */
async function serverCounters(env: BenchEnv): Promise<{ connections: number; bytesSent: number }> {
  const rows = await env.db.query<{ Variable_name: string; Value: string }[]>("SHOW GLOBAL STATUS WHERE Variable_name IN ('Connections', 'Bytes_sent')");
  const v = Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]));
  return { connections: v.Connections ?? NaN, bytesSent: v.Bytes_sent ?? NaN };
}

function counterDelta(a: { connections: number; bytesSent: number }, b: { connections: number; bytesSent: number }) {
  return { connections: b.connections - a.connections, bytesSent: b.bytesSent - a.bytesSent };
}

function writerConnection(env: BenchEnv) {
  return mysqlp.createConnection({ host: '127.0.0.1', port: env.db.port, user: 'root', password: '' });
}

/** Single-row INSERTs into `table`, commit i due at t0 + i/rate (catching up without waiting when late). */
async function pacedInserts(writer: mysqlp.Connection, table: string, n: number, rate: number) {
  const sentAt = new Float64Array(n + 1);
  const okAt = new Float64Array(n + 1);
  const interval = 1000 / rate;
  const t0 = nowMs();
  for (let id = 1; id <= n; id++) {
    const wait = t0 + (id - 1) * interval - nowMs();
    if (wait >= 1) await sleep(Math.floor(wait));
    sentAt[id] = nowMs();
    await writer.query(`INSERT INTO ${SCHEMA}.${table} VALUES (?)`, [rowValues(id)]);
    okAt[id] = nowMs();
  }
  return { sentAt, okAt, achievedRate: n / ((okAt[n]! - t0) / 1000) };
}

function newZongji(env: BenchEnv): ZongJi {
  return new ZongJi(connectionOptions({ host: '127.0.0.1', port: env.db.port, ...env.db.dmsUser }) as never);
}
const serverId = () => 0x62000000 + Math.floor(Math.random() * 0xffff);

/** Bare zongji from `from` to `to`, same connection options as dmslite; rows/s from the first event. */
async function rawDecode(env: BenchEnv, from: BinlogPosition, to: BinlogPosition) {
  const zj = newZongji(env);
  let rows = 0;
  let rowEvents = 0;
  let file = from.file;
  let t0 = 0;
  const seconds = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('raw zongji decode timed out')), 120_000);
    zj.on('error', (e: Error) => { clearTimeout(timer); reject(e); });
    zj.on('binlog', (e: any) => {
      if (!t0) t0 = performance.now();
      const name = e.getEventName();
      if (name === 'rotate') file = String(e.binlogName);
      else if (name === 'writerows' || name === 'updaterows' || name === 'deleterows') {
        rows += e.rows.length;
        rowEvents++;
      }
      if (file === to.file && Number(e.nextPosition) >= to.position) {
        clearTimeout(timer);
        resolve((performance.now() - t0) / 1000);
      }
    });
    zj.start({ serverId: serverId(), filename: from.file, position: from.position });
  });
  zj.stop();
  return { rows, rowEvents, rate: rows / seconds, eventRate: rowEvents / seconds, seconds };
}

/**
 * The latency floor: a bare zongji → PutRecords pipeline (one call in flight, whatever queued
 * meanwhile goes in the next call; records are JSON.stringify of the row) fed by the same paced
 * writer. Returns commit → arrival latencies.
 */
async function rawLatency(env: BenchEnv, writer: mysqlp.Connection, n: number, rate: number, def: TableDef, live: { stream: string; reader: ShardReader }) {
  // Into the live phases' own stream, read on from where (c) ended: the same stream and store state.
  const stream = live.stream;
  // The same bytes on the wire as dmslite's records (its formatter, zongji's row as it comes).
  const formatter = createRecordFormatter({ kinesis: { MessageFormat: 'json' }, taskResourceId: 'BENCHRAWLAT', parallelApply: false, beforeImage: null });
  const rawlat: TableDef = { ...def, table: 'rawlat' };
  let seq = 0;
  const client = kinesisClient(env.kinesisEndpoint);
  const zj = newZongji(env);
  const lane = oneLane((records) => client.send(new PutRecordsCommand({ StreamName: stream, Records: records })));
  const from = await binlogPos(env);
  await new Promise<void>((resolve, reject) => {
    zj.on('ready', () => resolve());
    zj.on('error', reject);
    zj.on('binlog', (e: any) => {
      if (e.getEventName() !== 'writerows') return;
      for (const row of e.rows) {
        const r = formatter.change('insert', rawlat, row, null, { transactionId: mysqlTransactionId(from.file, ++seq) });
        lane.push({ PartitionKey: r.partitionKey, Data: r.data });
      }
    });
    zj.start({ serverId: serverId(), filename: from.file, position: from.position });
  });
  const w = await pacedInserts(writer, 'rawlat', n, rate);
  await lane.acknowledged(n, 60_000);
  zj.stop();
  const arrival = new Float64Array(n + 1);
  await collect(live.reader, `${SCHEMA}.rawlat`, n, { first: 1, count: n }, (r, id) => { if (id >= 1 && id <= n && !arrival[id]) arrival[id] = r.arrivalMs; });
  client.destroy();
  return { latencies: latencies(w.okAt, arrival, n), achievedRate: w.achievedRate };
}

function latencies(okAt: Float64Array, arrival: Float64Array, n: number): number[] {
  const out: number[] = [];
  for (let id = 1; id <= n; id++) out.push(arrival[id]! - okAt[id]!);
  return out.sort((a, b) => a - b);
}

interface Phase {
  label: string;
  events: number;
  /** Writer's first statement sent (live) or first record's arrival (replay). */
  startMs: number;
  lastCommitMs: number | null;
  c: Collected;
  cpu: Record<string, number>;
  range: [BinlogPosition, BinlogPosition];
  /** Server connections opened and bytes sent during the phase, beyond the benchmark's own. */
  server: { connections: number; bytesSent: number };
  /** Runner VmHWM at the end of the phase, MiB. */
  hwm: number;
}

const binlogBytes = (r: [BinlogPosition, BinlogPosition]) => (r[0].file === r[1].file ? r[1].position - r[0].position : NaN);
const rate = (ph: Phase) => ph.events / ((ph.c.lastArrival - ph.startMs) / 1000);

async function main(): Promise<void> {
  const started = performance.now();
  log('starting MariaDB, DynamoDB Local, kinesalite and the API');
  const env = await startBenchEnv();
  let runner: RunnerProcess | undefined;
  try {
    const version = String((await env.db.query<{ v: string }[]>('SELECT VERSION() AS v'))[0]!.v);
    const m = machine(version);
    await setup(env);
    const conn = await openConnection({ host: '127.0.0.1', port: env.db.port, ...env.db.dmsUser });
    const itemsDef = (await describeTable(conn, SCHEMA, 'items'))!;
    await conn.close();

    runner = await startRunnerProcess(env);
    const pids = { runner: runner.pid, kinesalite: env.kin.process.pid, mariadbd: mariadbPid(env.db.datadir) };
    const source = (await createMySqlSource(env.dms, 'bench-src', { port: env.db.port, ...env.db.dmsUser })).EndpointArn!;
    const instance = (await createInstance(env.dms, 'bench-inst')).ReplicationInstanceArn!;
    const kc = kinesisClient(env.kinesisEndpoint);
    /** A cdc task into a fresh 1-shard stream, started and running; returns its ARN and a reader of its stream. */
    const cdcTask = async (name: string, cdcStart?: BinlogPosition) => {
      const arn = await createBenchTask(env, {
        name,
        migrationType: 'cdc',
        source,
        instance,
        // The replay captures only (a)'s table: it is the per-event cost of (a) that is compared with the
        // full load of the same table, and the backlog after (a)'s range ((b), (c)) is then skipped undecoded.
        tableMappings: cdcStart ? selectionMappings(SCHEMA, 'items') : selectionMappings(SCHEMA),
        ...(cdcStart ? { cdcStartPosition: `${cdcStart.file}:${cdcStart.position}` } : {}),
      });
      await startTask(env.dms, arn);
      // Claimed and running once the runner gets to it (slow on a loaded machine): waited on, not timed.
      const started = await waitForStatus(env.dms, arn, ['running', 'failed', 'stopped'], READY_TIMEOUT_MS);
      if (started.Status !== 'running') throw new Error(`task ${name} ended ${started.Status}: ${started.LastFailureMessage ?? ''}`);
      return { arn, reader: new ShardReader(kc, name, (await shardIds(kc, name))[0]!) };
    };
    const stopTask = async (arn: string) => {
      await env.dms.send(new StopReplicationTaskCommand({ ReplicationTaskArn: arn }));
      const stopped = await waitForStatus(env.dms, arn, ['stopped', 'failed'], READY_TIMEOUT_MS);
      if (stopped.Status !== 'stopped') throw new Error(`task ended ${stopped.Status}: ${stopped.LastFailureMessage ?? ''}`);
    };

    const { arn, reader } = await cdcTask('cdc-live');
    // Control records (awsdms_apply_exceptions + 4 tables), then a canary row proves the binlog reader streams.
    if (!(await reader.readUntil(5, () => undefined, READY_TIMEOUT_MS))) throw new Error('the CDC task wrote no control records');
    const writer = await writerConnection(env);
    await writer.query(`INSERT INTO ${SCHEMA}.lat VALUES (?)`, [rowValues(0)]);
    let canary = false;
    for (const deadline = Date.now() + READY_TIMEOUT_MS; !canary && Date.now() < deadline; await sleep(50)) {
      await reader.drain((r) => { if (r.partitionKey === `${SCHEMA}.lat`) canary = true; });
    }
    if (!canary) throw new Error('the CDC task did not capture the canary insert');
    log(`CDC task running (runner RSS ${runner.rssMb().toFixed(0)} MiB)`);

    const phases: Phase[] = [];
    // (a) single-row autocommit updates, WRITERS connections in parallel.
    {
      const conns = await Promise.all(Array.from({ length: WRITERS }, () => writerConnection(env)));
      const p0 = await binlogPos(env);
      const conn0 = await serverCounters(env);
      log(`(a) ${fmtInt(UPDATES)} single-row UPDATEs on ${WRITERS} connections`);
      const cpu = meterCpu(pids);
      const first = nowMs();
      let last = 0;
      await Promise.all(conns.map(async (c, w) => {
        for (let id = w + 1; id <= UPDATES; id += WRITERS) {
          await c.query(`UPDATE ${SCHEMA}.items SET qty = qty + 1, code = 'u${id % 1000}' WHERE id = ${id}`);
        }
        last = Math.max(last, nowMs());
      }));
      log(`(a) writers done: ${fmtRate(UPDATES / ((last - first) / 1000))} commits`);
      await waitApplied(env, arn, 'items', 'AppliedUpdates', UPDATES);
      const cpuUsed = cpu.stop();
      const p1 = await binlogPos(env);
      const opened = counterDelta(conn0, await serverCounters(env));
      const c = await collect(reader, `${SCHEMA}.items`, UPDATES, { first: 1, count: UPDATES });
      await Promise.all(conns.map((x) => x.end()));
      phases.push({ label: '(a) 1-row UPDATEs, live', events: UPDATES, startMs: first, lastCommitMs: last, c, cpu: cpuUsed, range: [p0, p1], server: opened, hwm: runner.peakRssMb() });
    }

    // (b) 200 transactions of one 1,000-row INSERT.
    {
      const statements: string[] = [];
      for (let t = 0; t < INSERT_TXNS; t++) {
        const values = Array.from({ length: ROWS_PER_TXN }, (_, i) => rowValues(t * ROWS_PER_TXN + i + 1));
        statements.push(mysql.format(`INSERT INTO ${SCHEMA}.bulk VALUES ?`, [values as never]));
      }
      const total = INSERT_TXNS * ROWS_PER_TXN;
      const p0 = await binlogPos(env);
      const conn0 = await serverCounters(env);
      log(`(b) ${fmtInt(total)} rows as ${INSERT_TXNS} × ${ROWS_PER_TXN}-row INSERTs`);
      const cpu = meterCpu(pids);
      const first = nowMs();
      for (const sql of statements) await writer.query(sql);
      const last = nowMs();
      log(`(b) writer done: ${fmtRate(total / ((last - first) / 1000))} rows`);
      await waitApplied(env, arn, 'bulk', 'AppliedInserts', total);
      const cpuUsed = cpu.stop();
      const p1 = await binlogPos(env);
      const opened = counterDelta(conn0, await serverCounters(env));
      const c = await collect(reader, `${SCHEMA}.bulk`, total, { first: 1, count: total });
      phases.push({ label: '(b) 1,000-row INSERTs, live', events: total, startMs: first, lastCommitMs: last, c, cpu: cpuUsed, range: [p0, p1], server: opened, hwm: runner.peakRssMb() });
    }

    // (c) latency at a steady rate.
    const n = LATENCY_SECONDS * LATENCY_RATE;
    log(`(c) ${fmtInt(n)} single-row INSERTs at ${fmtInt(LATENCY_RATE)}/s`);
    const latCpu = meterCpu(pids);
    const w = await pacedInserts(writer, 'lat', n, LATENCY_RATE);
    const arrival = new Float64Array(n + 1);
    const latC = await collect(reader, `${SCHEMA}.lat`, n, { first: 1, count: n }, (r, id) => {
      if (id >= 1 && id <= n && !arrival[id]) arrival[id] = r.arrivalMs;
    });
    const latCpuUsed = latCpu.stop();
    if (latC.missing) throw new Error(`(c) ${latC.missing} records missing`);
    const lat = latencies(w.okAt, arrival, n);
    if (process.env.BENCH_LATENCY_DUMP) {
      // id, commit OK (ms since the first), commit → arrival (ms): to look at the shape of the tail.
      const lines = ['id,commit_ms,latency_ms'];
      for (let id = 1; id <= n; id++) lines.push(`${id},${(w.okAt[id]! - w.okAt[1]!).toFixed(2)},${(arrival[id]! - w.okAt[id]!).toFixed(2)}`);
      writeFileSync(process.env.BENCH_LATENCY_DUMP, lines.join('\n') + '\n');
    }
    const commitCost: number[] = [];
    for (let id = 1; id <= n; id++) commitCost.push(w.okAt[id]! - w.sentAt[id]!);
    commitCost.sort((a, b) => a - b);
    await stopTask(arn);
    // The bare latency pipeline right after (c), into the same stream (c) wrote to, so kinesalite is in
    // the state (c) met (a fuller store answers more slowly); the runner idle.
    log(`raw zongji → PutRecords latency pipeline, ${fmtInt(n)} INSERTs at ${fmtInt(LATENCY_RATE)}/s`);
    const raw = await rawLatency(env, writer, n, LATENCY_RATE, itemsDef, { stream: 'cdc-live', reader });
    await writer.end();

    // (a) again, as a backlog: a second task started at (a)'s first position. The live stream is
    // read and dropped first, so the replay meets kinesalite in the state the bare PutRecords run
    // below meets it (empty): a store holding the live phases' records is slower per call.
    // Then (d), a full load of the same table by the same runner: its CPU per row. The two alternate
    // CPU_PAIRS times: on a shared 2-core machine one pair's ratio moves by ±15 % between runs, the
    // median of interleaved pairs much less.
    await deleteStream(env.kinesisEndpoint, 'cdc-live');
    // Bare PutRecords, 500/call, 1 in flight: CDC records share one partition key (`schema.table`
    // by default), hence one sink lane. Run in each pair right after its replay: kinesalite's speed
    // moves with its garbage (a deleted stream of 100,000 records slows it for seconds), so each
    // replay is compared with a bare run that met kinesalite in nearly the same state.
    const formatter = createRecordFormatter({ kinesis: { MessageFormat: 'json' }, taskResourceId: 'BENCHRAWPUT', parallelApply: false, beforeImage: null });
    const c2 = await openConnection({ host: '127.0.0.1', port: env.db.port, ...env.db.dmsUser });
    const rows = await c2.query<Record<string, unknown>[]>(`SELECT * FROM ${SCHEMA}.items ORDER BY id LIMIT ${RAW_PUT}`);
    await c2.close();
    const p = phases[0]!.range[1];
    const records = rows.map((r, i) => formatter.change('update', itemsDef, r as never, null, { transactionId: mysqlTransactionId(p.file, p.position + i * 400) }));
    const avgBytes = records.reduce((a, r) => a + r.data.length, 0) / records.length;
    const pairs: { cdcUs: number; flUs: number; replayRate: number; flRate: number; putRate: number; putCalls: number }[] = [];
    for (let k = 0; k < CPU_PAIRS; k++) {
      const suffix = k === 0 ? '' : `-${k + 1}`;
      let replayPhase: Phase;
      {
        log(`(a) replayed from ${phases[0]!.range[0].file}:${phases[0]!.range[0].position} by a second task (pair ${k + 1} of ${CPU_PAIRS})`);
        const cpu = meterCpu(pids);
        const conn0 = await serverCounters(env);
        const replay = await cdcTask(`cdc-replay${suffix}`, phases[0]!.range[0]);
        await waitApplied(env, replay.arn, 'items', 'AppliedUpdates', UPDATES);
        const cpuUsed = cpu.stop();
        const opened = counterDelta(conn0, await serverCounters(env));
        const hwm = runner.peakRssMb();
        await stopTask(replay.arn);
        const c = await collect(replay.reader, `${SCHEMA}.items`, UPDATES, { first: 1, count: UPDATES });
        replayPhase = { label: '(a) same binlog, replayed', events: UPDATES, startMs: c.firstArrival, lastCommitMs: null, c, cpu: cpuUsed, range: phases[0]!.range, server: opened, hwm };
        // The phase table shows the first replay; every pair's CPU goes into the ratio.
        if (k === 0) phases.splice(1, 0, replayPhase);
        else if (c.missing > 0) throw new Error(`replay ${k + 1}: ${c.missing} changes missing from the stream`);
        await deleteStream(env.kinesisEndpoint, `cdc-replay${suffix}`);
      }
      log(`raw PutRecords: ${fmtInt(records.length)} records of ~${Math.round(avgBytes)} B, key ${records[0]!.partitionKey}, 500/call, 1 in flight (pair ${k + 1} of ${CPU_PAIRS})`);
      await createStream(env.kinesisEndpoint, `raw-put${suffix}`, 1);
      const put = await rawPutRecords(env.kinesisEndpoint, `raw-put${suffix}`, records, { perCall: 500, inFlight: 1 });
      await deleteStream(env.kinesisEndpoint, `raw-put${suffix}`);
      {
        log(`(d) full load of ${SCHEMA}.items (${fmtInt(UPDATES)} rows, pair ${k + 1} of ${CPU_PAIRS})`);
        const name = `fl-items${suffix}`;
        const flArn = await createBenchTask(env, { name, migrationType: 'full-load', source, instance, tableMappings: selectionMappings(SCHEMA, 'items') });
        const cpu = meterCpu(pids);
        const t0 = performance.now();
        await startTask(env.dms, flArn);
        const done = await waitForStatus(env.dms, flArn, ['stopped', 'failed'], 600_000);
        const cpuUsed = cpu.stop();
        if (done.Status !== 'stopped') throw new Error(`full load ${done.Status}: ${done.LastFailureMessage ?? ''}`);
        const rows = (await tableStatistics(env.dms, flArn)).find((t) => t.TableName === 'items')?.FullLoadRows ?? 0;
        const seconds = (performance.now() - t0) / 1000;
        await deleteStream(env.kinesisEndpoint, name);
        pairs.push({ cdcUs: (replayPhase.cpu.runner! * 1e6) / replayPhase.events, flUs: (cpuUsed.runner! * 1e6) / rows, replayRate: rate(replayPhase), flRate: rows / seconds, putRate: put.rate, putCalls: put.calls });
      }
    }
    const peak = runner.peakRssMb();
    await runner.stop();
    runner = undefined;

    // Raw ceilings, with the runner gone.
    log('raw zongji decode of (a) and (b)');
    const decodeA = await rawDecode(env, phases[0]!.range[0], phases[0]!.range[1]);
    const decodeB = await rawDecode(env, phases[2]!.range[0], phases[2]!.range[1]);
    const decode = [decodeA, decodeA, decodeB];
    kc.destroy();
    const median = (xs: number[]) => {
      const v = [...xs].sort((a, b) => a - b);
      return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
    };
    /** The bare one-lane PutRecords runs of the pairs (the phase table shows their median). */
    const put = { rate: median(pairs.map((q) => q.putRate)), calls: pairs[0]!.putCalls };

    // Report.
    const ceiling = (i: number) => Math.min(decode[i]!.rate, put.rate);
    const header = ['', ...phases.map((ph) => ph.label)];
    const rowsOut: Row[] = [
      ['changes', ...phases.map((ph) => fmtInt(ph.events))],
      ['events/s (live: first commit → last record; replay: first → last record)', ...phases.map((ph) => fmtRate(rate(ph)))],
      ['  writer commit rate (rows/s)', ...phases.map((ph) => (ph.lastCommitMs ? fmtRate(ph.events / ((ph.lastCommitMs - ph.startMs) / 1000)) : '–'))],
      ['  last commit → last record', ...phases.map((ph) => (ph.lastCommitMs ? fmtMs(ph.c.lastArrival - ph.lastCommitMs) : '–'))],
      ['raw zongji decode, rows/s (row events/s)', ...decode.map((d) => `${fmtRate(d.rate)} (${fmtInt(d.eventRate)})`)],
      [`  ratio dmslite / raw decode (target ≥ ${DECODE_RATIO_TARGET} unless sink-bound)`, ...phases.map((ph, i) => fmtRatio(rate(ph), decode[i]!.rate))],
      [`raw PutRecords, 1 key, 500/call, 1 in flight${pairs.length > 1 ? ' (median of the pairs)' : ''}`, ...phases.map(() => fmtRate(put.rate))],
      ['  ratio dmslite / raw PutRecords', ...phases.map((ph) => fmtRatio(rate(ph), put.rate))],
      ['ceiling = min(raw decode, raw PutRecords)', ...phases.map((_, i) => `${fmtRate(ceiling(i))} (${decode[i]!.rate < put.rate ? 'decode' : 'sink'})`)],
      ['  ratio dmslite / ceiling', ...phases.map((ph, i) => fmtRatio(rate(ph), ceiling(i)))],
      ['stream: records / missing / duplicated', ...phases.map((ph) => `${fmtInt(ph.c.n)} / ${ph.c.missing} / ${ph.c.duplicates}`)],
      ['CPU s: runner / kinesalite / mariadbd', ...phases.map((ph) => [ph.cpu.runner, ph.cpu.kinesalite, ph.cpu.mariadbd].map((x) => (x ?? NaN).toFixed(1)).join(' / '))],
      ['source connections opened (by the runner)', ...phases.map((ph) => fmtInt(ph.server.connections))],
      ['source bytes sent ÷ binlog bytes of the phase', ...phases.map((ph) => fmtRatio(ph.server.bytesSent, binlogBytes(ph.range)))],
      ['runner VmHWM at the end of the phase', ...phases.map((ph) => `${ph.hwm.toFixed(0)} MiB`)],
    ];
    const ratios = pairs.map((q) => q.cdcUs / q.flUs);
    const ratio = median(ratios);
    const cdcUs = median(pairs.map((q) => q.cdcUs));
    const flUs = median(pairs.map((q) => q.flUs));
    // Each replay against the bare run of its own pair.
    const replayPut = median(pairs.map((q) => q.replayRate / q.putRate));
    const each = (f: (q: (typeof pairs)[number]) => string) => (pairs.length > 1 ? ` (${pairs.map(f).join(', ')})` : '');
    const rawLat = raw.latencies;
    const leanHeader = ['Lean CDC path (issue 8)', 'value', 'target'];
    const leanRows: Row[] = [
      [`runner CPU µs per CDC event ((a) replayed; median of ${pairs.length}${each((q) => q.cdcUs.toFixed(1))})`, cdcUs.toFixed(1), ''],
      [`runner CPU µs per full-load row (same table, ${fmtInt(UPDATES)} rows${each((q) => q.flUs.toFixed(1))}; ${fmtRate(median(pairs.map((q) => q.flRate)))} rows/s)`, flUs.toFixed(1), ''],
      [`  ratio CDC event / full-load row (median of the pairs'${each((q) => (q.cdcUs / q.flUs).toFixed(2))})`, `${ratio.toFixed(2)}×`, `≤ ${CPU_RATIO_TARGET}`],
      [`(a) replayed / bare one-lane PutRecords (median of the pairs'${each((q) => `${fmtRate(q.replayRate)} / ${fmtRate(q.putRate)}`)})`, `${replayPut.toFixed(2)}×`, `≥ ${PUT_RATIO_TARGET}`],
      ['(c) commit → arrival p50 / p99, dmslite', `${fmtMs(percentile(lat, 50))} / ${fmtMs(percentile(lat, 99))}`, 'no worse than bare'],
      ['(c) commit → arrival p50 / p99, bare zongji → PutRecords', `${fmtMs(percentile(rawLat, 50))} / ${fmtMs(percentile(rawLat, 99))}`, ''],
      ['runner peak RSS (VmHWM)', `${peak.toFixed(0)} MiB`, `< ${MEMORY_TARGET_MB} MB`],
    ];
    const latHeader = [`(c) ${fmtInt(n)} single-row INSERTs at ${fmtInt(LATENCY_RATE)}/s`, 'dmslite', 'bare zongji → PutRecords'];
    const latRows: Row[] = [
      ['achieved commit rate', fmtRate(w.achievedRate), fmtRate(raw.achievedRate)],
      [`commit → arrival p50 (target ≤ ${P50_TARGET_MS} ms)`, fmtMs(percentile(lat, 50)), fmtMs(percentile(rawLat, 50))],
      ['commit → arrival p90', fmtMs(percentile(lat, 90)), fmtMs(percentile(rawLat, 90))],
      [`commit → arrival p99 (target ≤ ${P99_TARGET_MS} ms)`, fmtMs(percentile(lat, 99)), fmtMs(percentile(rawLat, 99))],
      ['commit → arrival max', fmtMs(lat[lat.length - 1]!), fmtMs(rawLat[rawLat.length - 1]!)],
      ['writer: statement sent → commit OK, p50 / p99', `${fmtMs(percentile(commitCost, 50))} / ${fmtMs(percentile(commitCost, 99))}`, ''],
      ['CPU s: runner / kinesalite / mariadbd', [latCpuUsed.runner, latCpuUsed.kinesalite, latCpuUsed.mariadbd].map((x) => (x ?? NaN).toFixed(1)).join(' / '), ''],
      [`runner peak RSS over the benchmark (VmHWM; target < ${MEMORY_TARGET_MB} MB)`, `${peak.toFixed(0)} MiB`, ''],
    ];
    const totalSeconds = (performance.now() - started) / 1000;
    console.log(`\nCDC → kinesalite (1 shard), tasks with default settings\n${machineLine(m)}\n`);
    console.log(textTable(header, rowsOut));
    console.log('');
    console.log(textTable(latHeader, latRows));
    console.log('');
    console.log(textTable(leanHeader, leanRows));
    console.log(`\nraw PutRecords: ${fmtInt(records.length)} × ~${Math.round(avgBytes)} B in ${put.calls} calls; benchmark total ${totalSeconds.toFixed(0)} s`);
    const broken = phases.filter((ph) => ph.c.missing > 0).map((ph) => `${ph.label}: ${ph.c.missing} changes missing from the stream`);
    const missed = [
      ...(peak >= MEMORY_TARGET_MB ? [`runner peak RSS ${peak.toFixed(0)} MiB ≥ ${MEMORY_TARGET_MB} MB`] : []),
      ...(percentile(lat, 50) > P50_TARGET_MS ? [`latency p50 ${fmtMs(percentile(lat, 50))} > ${P50_TARGET_MS} ms`] : []),
      ...(ratio > CPU_RATIO_TARGET ? [`runner CPU per CDC event ${ratio.toFixed(2)}× of a full-load row > ${CPU_RATIO_TARGET}×`] : []),
      ...(replayPut < PUT_RATIO_TARGET ? [`replay ${replayPut.toFixed(2)}× bare one-lane PutRecords < ${PUT_RATIO_TARGET}×`] : []),
      ...(percentile(lat, 50) > percentile(rawLat, 50) || percentile(lat, 99) > percentile(rawLat, 99) ? ['commit → arrival latency worse than the bare zongji → PutRecords pipeline'] : []),
      ...(percentile(lat, 99) > P99_TARGET_MS ? [`latency p99 ${fmtMs(percentile(lat, 99))} > ${P99_TARGET_MS} ms`] : []),
      ...phases.filter((_, i) => decode[i]!.rate <= put.rate && rate(phases[i]!) < DECODE_RATIO_TARGET * decode[i]!.rate).map((ph) => `${ph.label}: below ${DECODE_RATIO_TARGET}× raw decode`),
    ];
    const verdict = [...broken.map((b) => `**Broken**: ${b}.`), ...missed.map((m) => `**Target missed**: ${m}.`)].join(' ');
    if (verdict) console.log(verdict.replace(/\*\*/g, ''));
    if (!process.env.BENCH_NO_WRITE) {
      const md = [
        '## CDC (`npm run bench:cdc`)',
        '',
        machineLine(m),
        '',
        `A running \`cdc\` task (default settings, MessageFormat json) captures the changes into a 1-shard kinesalite stream. `
          + `(a) ${fmtInt(UPDATES)} single-row autocommit UPDATEs from ${WRITERS} connections; the same binlog range is then replayed by a `
          + `second task started at its position (CdcStartPosition) and selecting only (a)'s table, which measures the pipeline with no writer in front of it; `
          + `(d) a full-load task of (a)'s table by the same runner gives its CPU per loaded row; replay and full load alternate ${CPU_PAIRS} times and the CPU ratio is the median of the pairs' ratios (the phase table shows the first replay); `
          + `the live phases' stream is read and deleted before it, so the replay meets kinesalite empty, as the bare PutRecords run does. `
          + `(b) ${fmtInt(INSERT_TXNS * ROWS_PER_TXN)} rows as ${INSERT_TXNS} autocommit ${fmtInt(ROWS_PER_TXN)}-row INSERTs. `
          + `(c) single-row INSERTs paced at ${fmtInt(LATENCY_RATE)}/s for ${LATENCY_SECONDS} s. `
          + `A commit's time is when the writer gets the server's OK; a record's time is kinesalite's ApproximateArrivalTimestamp `
          + `(stamped while it processes the PutRecords call, just before acknowledging it; 1 ms resolution), read back afterwards `
          + `with GetRecords, so nothing polls the stream during the measurement. `
          + `The raw figures come from the same benchmark: a bare zongji (dmslite's connection options) over `
          + `each phase's binlog range, after the tasks stopped; bare PutRecords of ${fmtInt(records.length)} records of the same size (~${Math.round(avgBytes)} B) and `
          + `partition key, in each pair right after its replay (kinesalite slows down for seconds after a large stream is deleted, so each replay is compared with a bare run that met it in the same state) — CDC records are keyed \`schema.table\` by default, so the sink sends them through one lane, one call in flight; `
          + `and, for latency, a bare zongji → PutRecords pipeline (one call in flight, the row formatted by dmslite's record formatter, so the same bytes go over the wire) fed by the same paced writer, `
          + `run right after (c) into the same stream (the runner idle).`,
        '',
        markdownTable(header, rowsOut),
        '',
        `"Source bytes sent ÷ binlog bytes" ≈ 1 means the binlog was read once (MariaDB does not send Annotate_rows `
          + `events to a reader that did not ask for them, so it is below 1 where statements are long, as in (b)); `
          + `"source connections opened" counts binlog reader (re)starts (two connections each) and the task's own queries.`,
        '',
        markdownTable(latHeader, latRows),
        '',
        markdownTable(leanHeader, leanRows),
        '',
        `Total benchmark time ${totalSeconds.toFixed(0)} s.${verdict ? ' ' + verdict : ''}`,
      ].join('\n');
      log(`wrote ${writeSection('cdc', md)}`);
    }
    if (broken.length) process.exitCode = 1;
  } finally {
    await runner?.stop().catch(() => undefined);
    await env.stop();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
