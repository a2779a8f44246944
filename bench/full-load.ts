// Full-load benchmark: a 1,000,000-row table migrated by a full-load task into a 4-shard
// kinesalite stream, against, in the same run, a bare mysql2 streaming read of the table and
// bare PutRecords of the same records. `npm run bench:full-load`.
//
// Env: BENCH_ROWS (default 1,000,000), BENCH_FORMATS (default `json`; e.g. `json,json-unformatted`:
// one task per format, each stream deleted once counted, ~2 more minutes per format),
// BENCH_RAW_PUT (distinct records the bare PutRecords runs are built from, default 200,000), BENCH_NO_WRITE=1 (do not
// touch BENCHMARKS.md), BENCH_PARALLEL=0 (skip the parallel-load run).
//
// Parallel load (issue 11): the same table loaded again with a table-settings `ranges` rule (4
// segments) and TargetMetadata.ParallelLoadThreads 8, against bare PutRecords with 8 calls in flight;
// the default load is compared with bare PutRecords at its own concurrency (4 lanes). Own section
// `full-load-parallel` of BENCHMARKS.md.
import './lib/quiet.js';
import mysql from 'mysql2';
import { connectionOptions, openConnection } from '../core/source/mysql/connection.js';
import { describeTable } from '../core/source/mysql/metadata.js';
import { buildSnapshotQuery } from '../core/source/mysql/snapshot.js';
import { createRecordFormatter } from '../core/record/formatter.js';
import type { KinesisRecord } from '../core/sink/kinesis/sink.js';
import type { TableDef } from '../core/model/table.js';
import { createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from '../test/support/dms.js';
import { startTask, tableStatistics, waitForStatus } from '../test/support/task-flow.js';
import { bareSinkRun, log, restartKinesalite, startBenchEnv, startRunnerProcess, type BenchEnv } from './lib/env.js';
import { createStream, deleteStream, readWholeStream } from './lib/kinesis.js';
import { mariadbPid, meterCpu } from './lib/proc.js';
import { fmtInt, fmtRate, fmtRatio, machine, machineLine, markdownTable, median, textTable, writeSection, type Row } from './lib/report.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const FORMATS = (process.env.BENCH_FORMATS ?? 'json').split(',').map((s) => s.trim()).filter(Boolean);
const RAW_PUT = Math.min(ROWS, Number(process.env.BENCH_RAW_PUT ?? 200_000));
const SHARDS = 4;
const SCHEMA = 'bench';
const TABLE = 'items';
const MEMORY_TARGET_MB = 256;
const PARALLEL = process.env.BENCH_PARALLEL !== '0';
/** The parallel-load run: segments, threads, and the concurrency of its raw PutRecords yardstick. */
const PARALLEL_SEGMENTS = 4;
const PARALLEL_THREADS = 8;
const DEFAULT_LANES = 4;

interface Variant {
  name: string;
  mappings: string;
  settings?: unknown;
  /** PutRecords calls in flight of the raw yardstick (the sink lanes the variant writes with). */
  inFlight: number;
}

function variants(): Variant[] {
  const out: Variant[] = [{ name: 'default', mappings: selectionMappings(SCHEMA, TABLE), inFlight: DEFAULT_LANES }];
  if (PARALLEL) {
    const boundaries = Array.from({ length: PARALLEL_SEGMENTS - 1 }, (_, i) => [String(Math.floor((ROWS * (i + 1)) / PARALLEL_SEGMENTS) + 1)]);
    out.push({
      name: 'parallel',
      mappings: selectionMappings(SCHEMA, TABLE, [{
        'rule-type': 'table-settings', 'rule-id': '2', 'rule-name': '2', 'object-locator': { 'schema-name': SCHEMA, 'table-name': TABLE },
        'parallel-load': { type: 'ranges', columns: ['id'], boundaries },
      }]),
      settings: { TargetMetadata: { ParallelLoadThreads: PARALLEL_THREADS, ParallelLoadBufferSize: 500, ParallelLoadQueuesPerThread: 1 } },
      inFlight: PARALLEL_THREADS,
    });
  }
  return out;
}

async function populate(env: BenchEnv): Promise<void> {
  await env.db.query(`CREATE DATABASE ${SCHEMA}`);
  await env.db.query(`CREATE TABLE ${SCHEMA}.${TABLE} (
    id BIGINT NOT NULL PRIMARY KEY,
    qty INT NOT NULL,
    name VARCHAR(64) NOT NULL,
    created DATETIME NOT NULL,
    amount DECIMAL(12,2),
    ratio DOUBLE,
    flag TINYINT,
    code VARCHAR(16)
  ) ENGINE=InnoDB`);
  const chunk = 100_000;
  for (let from = 1; from <= ROWS; from += chunk) {
    const to = Math.min(ROWS, from + chunk - 1);
    await env.db.query(`INSERT INTO ${SCHEMA}.${TABLE}
      SELECT s, (s * 7919) % 2000000011 - 1000000000, CONCAT('name-', s, '-', REPEAT('x', s % 24)),
             '2024-01-01 00:00:00' + INTERVAL s SECOND, ((s * 37) % 10000000) / 100, s / 7,
             s % 256 - 128, IF(s % 10 = 0, NULL, CONCAT('c', HEX(s)))
      FROM (SELECT CAST(seq AS SIGNED) AS s FROM ${SCHEMA}.seq_${from}_to_${to}) q`);
  }
}

/** Bare mysql2 `query().stream()` of the snapshot SELECT, same connection options as dmslite. */
async function rawRead(env: BenchEnv, def: TableDef): Promise<number> {
  const conn = mysql.createConnection(connectionOptions({ host: '127.0.0.1', port: env.db.port, ...env.db.dmsUser }));
  await conn.promise().query("SET time_zone = '+00:00'");
  const { sql } = buildSnapshotQuery(def, null);
  const t0 = performance.now();
  let n = 0;
  await new Promise<void>((resolve, reject) => {
    const s = conn.query(sql).stream({ highWaterMark: 1000 });
    s.on('data', () => { n++; });
    s.on('end', () => resolve());
    s.on('error', reject);
  });
  const rate = n / ((performance.now() - t0) / 1000);
  conn.destroy();
  if (n !== ROWS) throw new Error(`raw read returned ${n} rows, expected ${ROWS}`);
  return rate;
}

/** The records dmslite would write for the first `count` rows (same formatter, same sizes). */
async function buildRecords(env: BenchEnv, def: TableDef, format: string, count: number): Promise<KinesisRecord[]> {
  const formatter = createRecordFormatter({ kinesis: { MessageFormat: format }, taskResourceId: 'BENCHRAWPUT', parallelApply: false, beforeImage: null });
  const conn = await openConnection({ host: '127.0.0.1', port: env.db.port, ...env.db.dmsUser });
  try {
    const { sql } = buildSnapshotQuery(def, null);
    const rows = await conn.query<Record<string, unknown>[]>(`${sql} ORDER BY id LIMIT ${count}`);
    return rows.map((r) => formatter.load(def, r as never));
  } finally {
    await conn.close();
  }
}

interface LoadResult {
  format: string;
  variant: string;
  seconds: number;
  rate: number;
  engineSeconds: number;
  stopReason: string;
  fullLoadRows: number;
  streamRecords: number;
  dataRecords: number;
  controlRecords: number;
  missing: number;
  duplicates: number;
  avgRecordBytes: number;
  arrivalSeconds: number;
  cpu: Record<string, number>;
}

async function runFullLoad(env: BenchEnv, format: string, ids: { source: string; instance: string }, pids: () => Record<string, number | undefined>, variant: Variant = variants()[0]!): Promise<LoadResult> {
  const stream = `fl-${format}-${variant.name}-${Date.now() % 100000}`;
  await restartKinesalite(env); // as the bare runs compared with it: a fresh kinesalite (no task is running)
  await createStream(env.kinesisEndpoint, stream, SHARDS);
  const target = (await createKinesisTarget(env.dms, `tgt-${format}-${variant.name}`, stream, { MessageFormat: format })).EndpointArn!;
  const task = await createTask(env.dms, { id: `fl-${format}-${variant.name}`, source: ids.source, target, instance: ids.instance, type: 'full-load', mappings: variant.mappings, settings: variant.settings });
  const arn = task.ReplicationTaskArn!;
  await waitForStatus(env.dms, arn, ['ready']);
  log(`full load (${format}, ${variant.name}) started`);
  const cpu = meterCpu(pids());
  const t0 = performance.now();
  await startTask(env.dms, arn);
  const done = await waitForStatus(env.dms, arn, ['stopped', 'failed'], 600_000);
  const seconds = (performance.now() - t0) / 1000;
  const cpuUsed = cpu.stop();
  if (done.Status !== 'stopped') throw new Error(`full load ${format} ended ${done.Status}: ${done.LastFailureMessage ?? ''}`);
  const stats = (await tableStatistics(env.dms, arn))[0]!;
  const engineSeconds = stats.FullLoadStartTime && stats.FullLoadEndTime ? (stats.FullLoadEndTime.getTime() - stats.FullLoadStartTime.getTime()) / 1000 : NaN;
  log(`full load (${format}) stopped after ${seconds.toFixed(1)} s; counting the stream`);

  // Count what is in the stream: every primary key exactly once, plus the control records.
  const seen = new Uint8Array(ROWS + 1);
  let control = 0;
  let data = 0;
  let bytes = 0;
  let other = 0;
  let firstArrival = Infinity;
  let lastArrival = 0;
  const total = await readWholeStream(env.kinesisEndpoint, stream, (r) => {
    bytes += r.data.length;
    if (/^\d+$/.test(r.partitionKey)) {
      const id = Number(r.partitionKey);
      if (id >= 1 && id <= ROWS) {
        if (seen[id]! < 255) seen[id]!++;
        data++;
        if (r.arrivalMs < firstArrival) firstArrival = r.arrivalMs;
        if (r.arrivalMs > lastArrival) lastArrival = r.arrivalMs;
        return;
      }
    }
    if (r.partitionKey.includes('.')) control++;
    else other++;
  });
  let missing = 0;
  let duplicates = 0;
  for (let id = 1; id <= ROWS; id++) {
    if (seen[id] === 0) missing++;
    else if (seen[id]! > 1) duplicates += seen[id]! - 1;
  }
  if (other) log(`warning: ${other} records with unexpected partition keys`);
  log(`stream read back: ${fmtInt(total)} records`);
  await deleteStream(env.kinesisEndpoint, stream);
  return {
    format,
    variant: variant.name,
    seconds,
    rate: ROWS / seconds,
    engineSeconds,
    stopReason: done.StopReason ?? '',
    fullLoadRows: stats.FullLoadRows ?? 0,
    streamRecords: total,
    dataRecords: data,
    controlRecords: control,
    missing,
    duplicates,
    avgRecordBytes: bytes / Math.max(1, total),
    arrivalSeconds: (lastArrival - firstArrival) / 1000,
    cpu: cpuUsed,
  };
}

async function main(): Promise<void> {
  const started = performance.now();
  log(`starting MariaDB, DynamoDB Local, kinesalite and the API`);
  const env = await startBenchEnv({ mariadbArgs: ['--innodb-buffer-pool-size=512M'] });
  let runner: Awaited<ReturnType<typeof startRunnerProcess>> | undefined;
  try {
    const version = String((await env.db.query<{ v: string }[]>('SELECT VERSION() AS v'))[0]!.v);
    const m = machine(version);
    log(`populating ${fmtInt(ROWS)} rows`);
    await populate(env);
    const conn = await openConnection({ host: '127.0.0.1', port: env.db.port, ...env.db.dmsUser });
    const def = (await describeTable(conn, SCHEMA, TABLE))!;
    await conn.close();

    log('raw mysql2 stream read ×3');
    const reads: number[] = [];
    for (let i = 0; i < 3; i++) reads.push(await rawRead(env, def));
    const rawReadRate = median(reads);
    log(`raw read: ${reads.map((r) => fmtInt(r)).join(', ')} rows/s`);

    // The loads' sink ceiling: bare PutRecords of as many records as a load, once before and once
    // after the dmslite runs (the machine is shared: this brackets them in time). Each bare run and
    // each load starts on a fresh kinesalite: its cost per record grows with what it holds and has held.
    const rawPut: Record<string, { rates: number[]; avgBytes: number; records: KinesisRecord[]; parallelRates: number[]; kinesaliteUs: number[] }> = {};
    const putBare = async (format: string, when: 'before' | 'after', inFlight = DEFAULT_LANES) => {
      const p = rawPut[format]!;
      const r = await bareSinkRun(env, { stream: `raw-${format}-${when}-${inFlight}`, records: p.records, total: ROWS, inFlight, shards: SHARDS });
      (inFlight === DEFAULT_LANES ? p.rates : p.parallelRates).push(r.rate);
      if (inFlight === DEFAULT_LANES) p.kinesaliteUs.push(r.kinesaliteUs);
      log(`raw PutRecords (${format}, ${inFlight} in flight, ${when}, fresh kinesalite): ${fmtInt(ROWS)} records of ~${Math.round(p.avgBytes)} B: ${fmtRate(r.rate)} (${r.calls} calls, ${r.failedEntries} failed entries), kinesalite ${r.kinesaliteUs.toFixed(0)} µs CPU per record`);
    };
    for (const format of FORMATS) {
      const records = await buildRecords(env, def, format, RAW_PUT);
      rawPut[format] = { rates: [], parallelRates: [], kinesaliteUs: [], avgBytes: records.reduce((a, r) => a + r.data.length, 0) / records.length, records };
      await putBare(format, 'before');
      if (PARALLEL) await putBare(format, 'before', PARALLEL_THREADS);
    }

    runner = await startRunnerProcess(env);
    const source = (await createMySqlSource(env.dms, 'bench-src', { port: env.db.port, ...env.db.dmsUser })).EndpointArn!;
    const instance = (await createInstance(env.dms, 'bench-inst')).ReplicationInstanceArn!;
    const pids = () => ({ runner: runner?.pid, kinesalite: env.kin.process.pid, mariadbd: mariadbPid(env.db.datadir), 'dynamodb-local': env.ddb.process.pid });
    const results: LoadResult[] = [];
    for (const format of FORMATS) results.push(await runFullLoad(env, format, { source, instance }, pids));
    const parallelResults: LoadResult[] = [];
    if (PARALLEL) for (const format of FORMATS) parallelResults.push(await runFullLoad(env, format, { source, instance }, pids, variants()[1]!));
    const peak = runner.peakRssMb();
    await runner.stop();
    runner = undefined;
    for (const format of FORMATS) {
      await putBare(format, 'after');
      if (PARALLEL) await putBare(format, 'after', PARALLEL_THREADS);
    }
    const putRate = (format: string) => rawPut[format]!.rates.reduce((a, b) => a + b, 0) / rawPut[format]!.rates.length;

    // Report.
    const header = ['', ...results.map((r) => `dmslite (${r.format})`)];
    const rows: Row[] = [
      ['rows/s, task start → stopped', ...results.map((r) => fmtRate(r.rate))],
      ['  wall time', ...results.map((r) => `${r.seconds.toFixed(1)} s`)],
      ['  table load time (FullLoadStart→EndTime)', ...results.map((r) => `${r.engineSeconds.toFixed(1)} s`)],
      ['raw mysql2 stream read (median of 3)', ...results.map(() => fmtRate(rawReadRate))],
      ['  ratio dmslite / raw read', ...results.map((r) => fmtRatio(r.rate, rawReadRate))],
      [`raw PutRecords of ${fmtInt(ROWS)} records, 500/call, 4 in flight (mean)`, ...results.map((r) => fmtRate(putRate(r.format)))],
      ['  before / after the task', ...results.map((r) => rawPut[r.format]!.rates.map((x) => fmtInt(x)).join(' / '))],
      ['  ratio dmslite / raw PutRecords', ...results.map((r) => fmtRatio(r.rate, putRate(r.format)))],
      ['kinesalite CPU µs per record: the load / the raw runs', ...results.map((r) => `${((r.cpu.kinesalite! * 1e6) / r.streamRecords).toFixed(0)} / ${rawPut[r.format]!.kinesaliteUs.map((x) => x.toFixed(0)).join(', ')}`)],
      ['stream: records (load + control)', ...results.map((r) => `${fmtInt(r.streamRecords)} (${fmtInt(r.dataRecords)} + ${r.controlRecords})`)],
      ['stream: keys missing / duplicated', ...results.map((r) => `${r.missing} / ${r.duplicates}`)],
      ['stream: first→last arrival rate', ...results.map((r) => fmtRate(r.dataRecords / r.arrivalSeconds))],
      ['avg record size', ...results.map((r) => `${Math.round(r.avgRecordBytes)} B`)],
      ['FullLoadRows / StopReason', ...results.map((r) => `${fmtInt(r.fullLoadRows)} / ${r.stopReason.replace('Stop Reason ', '')}`)],
      ['CPU s: runner / kinesalite / mariadbd / ddb', ...results.map((r) => [r.cpu.runner, r.cpu.kinesalite, r.cpu.mariadbd, r.cpu['dynamodb-local']].map((x) => (x ?? NaN).toFixed(1)).join(' / '))],
      [`runner peak RSS (VmHWM; target < ${MEMORY_TARGET_MB} MB)`, ...results.map(() => `${peak.toFixed(0)} MiB`)],
    ];
    const totalSeconds = (performance.now() - started) / 1000;
    console.log(`\nFull load of ${fmtInt(ROWS)} rows → kinesalite (${SHARDS} shards)\n${machineLine(m)}\n`);
    console.log(textTable(header, rows));
    console.log(`\nbenchmark total ${totalSeconds.toFixed(0)} s`);
    const broken = results
      .filter((r) => r.missing > 0 || r.streamRecords !== ROWS + r.controlRecords)
      .map((r) => `${r.format}: ${fmtInt(r.streamRecords)} records in the stream, ${r.missing} keys missing`);
    const missed = peak >= MEMORY_TARGET_MB ? [`runner peak RSS ${peak.toFixed(0)} MiB ≥ ${MEMORY_TARGET_MB} MB`] : [];
    const verdict = [...broken.map((b) => `**Broken**: ${b}.`), ...missed.map((m) => `**Target missed**: ${m}.`)].join(' ');
    if (verdict) console.log(verdict.replace(/\*\*/g, ''));
    if (!process.env.BENCH_NO_WRITE) {
      const md = [
        `## Full load (\`npm run bench:full-load\`)`,
        '',
        machineLine(m),
        '',
        `${fmtInt(ROWS)}-row table (BIGINT PK + INT, VARCHAR(64), DATETIME, DECIMAL(12,2), DOUBLE, TINYINT, VARCHAR(16)), one `
          + `full-load task with default settings into a ${SHARDS}-shard kinesalite stream. Rate = rows / (StartReplicationTask → `
          + `status \`stopped\`, polled every 100 ms), so it includes the runner's claim (≤ 500 ms heartbeat) and the stop. `
          + `The stream is then read back in full: every primary key must be there exactly once. The raw PutRecords runs `
          + `send as many records as the load (${fmtInt(RAW_PUT)} records of ~${Math.round(rawPut[FORMATS[0]!]!.avgBytes)} B built by the same formatter from the same rows, sent over again), `
          + `once before and once after the task(s); the rate is the mean of the two. Each raw run and each load starts on a fresh kinesalite (its cost per record grows with what it holds and has held). `
          + `CPU seconds are per process over the task run.`,
        '',
        markdownTable(header, rows),
        '',
        `Total benchmark time ${totalSeconds.toFixed(0)} s.${verdict ? ' ' + verdict : ''}`,
      ].join('\n');
      log(`wrote ${writeSection('full-load', md)}`);
    }
    if (PARALLEL) {
      const pput = (format: string) => rawPut[format]!.parallelRates.reduce((a, b) => a + b, 0) / rawPut[format]!.parallelRates.length;
      const pairs = FORMATS.map((f) => ({ base: results.find((r) => r.format === f)!, par: parallelResults.find((r) => r.format === f)! }));
      const pHeader = ['', ...pairs.flatMap((p) => [`default (${p.base.format})`, `parallel (${p.par.format})`])];
      const both = (fn: (r: LoadResult, inFlight: number) => string) => pairs.flatMap((p) => [fn(p.base, DEFAULT_LANES), fn(p.par, PARALLEL_THREADS)]);
      const putFor = (r: LoadResult, inFlight: number) => (inFlight === DEFAULT_LANES ? putRate(r.format) : pput(r.format));
      const pRows: Row[] = [
        ['segments / sink lanes (PutRecords in flight)', ...both((_, n) => `${n === DEFAULT_LANES ? 1 : PARALLEL_SEGMENTS} / ${n}`)],
        ['rows/s, task start → stopped', ...both((r) => fmtRate(r.rate))],
        ['  wall time', ...both((r) => `${r.seconds.toFixed(1)} s`)],
        ['  table load time (FullLoadStart→EndTime)', ...both((r) => `${r.engineSeconds.toFixed(1)} s`)],
        ['raw PutRecords, 500/call, same in flight (mean before/after)', ...both((r, n) => fmtRate(putFor(r, n)))],
        ['  ratio dmslite / raw PutRecords', ...both((r, n) => fmtRatio(r.rate, putFor(r, n)))],
        ['raw mysql2 stream read (one query)', ...both(() => fmtRate(rawReadRate))],
        ['stream: keys missing / duplicated', ...both((r) => `${r.missing} / ${r.duplicates}`)],
        ['FullLoadRows', ...both((r) => fmtInt(r.fullLoadRows))],
        ['CPU s: runner / kinesalite / mariadbd', ...both((r) => [r.cpu.runner, r.cpu.kinesalite, r.cpu.mariadbd].map((x) => (x ?? NaN).toFixed(1)).join(' / '))],
      ];
      console.log(`\nParallel load: ${PARALLEL_SEGMENTS} ranges segments + ParallelLoadThreads ${PARALLEL_THREADS} vs default\n`);
      console.log(textTable(pHeader, pRows));
      const pBroken = parallelResults.filter((r) => r.missing > 0 || r.duplicates > 0 || r.fullLoadRows !== ROWS);
      if (pBroken.length) process.exitCode = 1;
      if (!process.env.BENCH_NO_WRITE) {
        const md = [
          `## Parallel full load (\`npm run bench:full-load\`, issue 11)`,
          '',
          machineLine(m),
          '',
          `The same ${fmtInt(ROWS)}-row table and ${SHARDS}-shard kinesalite stream as above, loaded once with default settings `
            + `(one query, the task's shared sink: ${DEFAULT_LANES} lanes) and once with a table-settings \`ranges\` rule `
            + `(${PARALLEL_SEGMENTS} segments on \`id\`, read concurrently, each on its own snapshot) and TargetMetadata `
            + `ParallelLoadThreads ${PARALLEL_THREADS} / ParallelLoadBufferSize 500 / ParallelLoadQueuesPerThread 1 (a table sink of `
            + `${PARALLEL_THREADS} lanes, 500-record calls). Each is compared with bare PutRecords of the same records (500 per call) `
            + `with as many calls in flight as it has lanes, as many records as the load, once before and once after the tasks, each run on a fresh kinesalite. `
            + `Every key is checked in the stream.`,
          '',
          markdownTable(pHeader, pRows),
          '',
          pBroken.length ? `**Broken**: ${pBroken.map((r) => `${r.format}: ${r.missing} missing, ${r.duplicates} duplicated, FullLoadRows ${r.fullLoadRows}`).join('; ')}.` : '',
        ].join('\n');
        log(`wrote ${writeSection('full-load-parallel', md)}`);
      }
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
