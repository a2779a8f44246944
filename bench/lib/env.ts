// The benchmarks' private environment: MariaDB, DynamoDB Local, kinesalite, the DMS API in this
// process, and the runner in a process of its own (so its peak RSS is its alone).
import { createWriteStream } from 'node:fs';
import { CreateReplicationTaskCommand, DatabaseMigrationServiceClient, type MigrationTypeValue } from '@aws-sdk/client-database-migration-service';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDynamoDbLocal, startKinesalite, type EmbeddedService } from '../../handlers/embedded.js';
import { startLocalStack, type LocalStack } from '../../handlers/local.js';
import { startMariaDb, type MariaDb } from '../../test/support/mariadb.js';
import { createKinesisTarget } from '../../test/support/dms.js';
import { tableStatistics, waitForStatus } from '../../test/support/task-flow.js';
import type { KinesisRecord } from '../../core/sink/kinesis/sink.js';
import { createStream, deleteStream, rawPutRecords } from './kinesis.js';
import { meterCpu } from './proc.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What every benchmark runs against: DynamoDB Local, kinesalite and the DMS API (no source database). */
export interface BenchServices {
  ddb: EmbeddedService;
  kin: EmbeddedService;
  stack: LocalStack;
  dms: DatabaseMigrationServiceClient;
  kinesisEndpoint: string;
  tableName: string;
  stop(): Promise<void>;
}

export interface BenchEnv extends BenchServices {
  db: MariaDb;
}

const live: ChildProcess[] = [];
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const c of live) {
      try { c.kill('SIGKILL'); } catch { /* gone */ }
    }
  });
}

/**
 * How long start-up steps (runner ready, task running, first records) may take: they are waited on
 * until ready, this only bounds a hang. Loaded machines need minutes (BENCH_READY_TIMEOUT_MS).
 */
export const READY_TIMEOUT_MS = Number(process.env.BENCH_READY_TIMEOUT_MS ?? 900_000);

export const elapsed = (() => {
  const t0 = Date.now();
  return () => ((Date.now() - t0) / 1000).toFixed(1).padStart(6) + 's';
})();

export function log(msg: string): void {
  process.stderr.write(`[${elapsed()}] ${msg}\n`);
}

/**
 * Replaces kinesalite with a fresh, empty one on the same port (same endpoint). kinesalite keeps its
 * records in one in-memory tree on one thread: its cost per record grows with what it holds and has
 * held (a deleted stream's records are garbage it still collects), so a ceiling and the run compared
 * with it are each measured on a fresh one. Only while no task is running (a runner's idle
 * connections are closed with it and reopened on its next call).
 */
export async function restartKinesalite(env: BenchServices): Promise<void> {
  const port = env.kin.port;
  await env.kin.stop();
  const i = live.indexOf(env.kin.process);
  env.kin = await startKinesalite({ port });
  if (i >= 0) live[i] = env.kin.process;
  else live.push(env.kin.process);
}

export interface BareSinkRun {
  rate: number;
  /** kinesalite's CPU µs per record: against a task's, whether it worked harder per record. */
  kinesaliteUs: number;
  calls: number;
  failedEntries: number;
}

/**
 * A full load's sink ceiling: bare PutRecords (500 per call, `inFlight` calls at once) of `total`
 * records (the pre-built `records` sent over again) into a `shards`-shard stream of a fresh
 * kinesalite, as the load compared with it starts on one (the caller restarts it before the load).
 */
export async function bareSinkRun(env: BenchServices, o: { stream: string; records: KinesisRecord[]; total: number; inFlight: number; shards: number }): Promise<BareSinkRun> {
  await restartKinesalite(env);
  await createStream(env.kinesisEndpoint, o.stream, o.shards);
  const kcpu = meterCpu({ kinesalite: env.kin.process.pid });
  const r = await rawPutRecords(env.kinesisEndpoint, o.stream, o.records, { perCall: 500, inFlight: o.inFlight, total: o.total });
  const kinesaliteUs = (kcpu.stop().kinesalite! * 1e6) / o.total;
  await deleteStream(env.kinesisEndpoint, o.stream);
  return { rate: r.rate, kinesaliteUs, calls: r.calls, failedEntries: r.failedEntries };
}

export async function startBenchEnv(opts: { mariadbArgs?: string[] } = {}): Promise<BenchEnv> {
  const [db, services] = await Promise.all([startMariaDb({ extraArgs: opts.mariadbArgs ?? [] }), startBenchServices()]);
  return {
    ...services,
    db,
    async stop() {
      await services.stop();
      await db.stop().catch(() => undefined);
    },
  };
}

export async function startBenchServices(): Promise<BenchServices> {
  hookExit();
  const [ddb, kin] = await Promise.all([startDynamoDbLocal(), startKinesalite()]);
  live.push(ddb.process, kin.process);
  const tableName = `dmslite-bench-${randomBytes(3).toString('hex')}`;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = ddb.endpoint;
  process.env.AWS_ENDPOINT_URL_KINESIS = kin.endpoint;
  process.env.DMSLITE_TABLE = tableName;
  process.env.DMSLITE_SECRET_KEY ||= randomBytes(32).toString('hex');
  delete process.env.AWS_ENDPOINT_URL;
  const stack = await startLocalStack({ port: 0, runner: false });
  const dms = new DatabaseMigrationServiceClient({
    endpoint: stack.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'secret' },
  });
  return {
    ddb,
    kin,
    stack,
    dms,
    kinesisEndpoint: kin.endpoint,
    tableName,
    async stop() {
      dms.destroy();
      await stack.stop().catch(() => undefined);
      await Promise.all([ddb.stop(), kin.stop()].map((p) => p.catch(() => undefined)));
    },
  };
}

export interface RunnerProcess {
  pid: number;
  /** Peak RSS (VmHWM) in MiB, read from /proc now (or the last sample once exited). */
  peakRssMb(): number;
  /** Current RSS (VmRSS) in MiB. */
  rssMb(): number;
  output(): string;
  stop(): Promise<void>;
}

function procStatusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** `node --import tsx handlers/runner.ts` with the API's environment. */
export async function startRunnerProcess(env: BenchServices): Promise<RunnerProcess> {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL_DYNAMODB: env.ddb.endpoint,
    AWS_ENDPOINT_URL_KINESIS: env.kinesisEndpoint,
    DMSLITE_TABLE: env.tableName,
    DMSLITE_SECRET_KEY: process.env.DMSLITE_SECRET_KEY,
    DMSLITE_LOG_LEVEL: 'WARN',
    POWERTOOLS_DEV: 'false',
  };
  delete childEnv.NODE_OPTIONS;
  // BENCH_RUNNER_NODE_ARGS: extra node flags for the runner, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const extra = (process.env.BENCH_RUNNER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  // The heap cap of `npm run runner` and the container image.
  const child = spawn(process.execPath, ['--max-old-space-size=192', ...extra, '--import', 'tsx', join(ROOT, 'handlers', 'runner.ts')], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.push(child);
  const pid = child.pid!;
  let out = '';
  // BENCH_RUNNER_LOG=<file>: the runner's whole output, for a run that needs explaining.
  if (process.env.BENCH_RUNNER_LOG) {
    const file = createWriteStream(process.env.BENCH_RUNNER_LOG);
    child.stdout!.pipe(file);
    child.stderr!.pipe(file);
  }
  let peakKb = 0;
  const sample = () => {
    const kb = procStatusKb(pid, 'VmHWM');
    if (kb !== null && kb > peakKb) peakKb = kb;
  };
  const sampler = setInterval(sample, 250);
  sampler.unref();
  const exited = new Promise<void>((resolve) => child.once('exit', () => { clearInterval(sampler); resolve(); }));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`runner did not start within ${READY_TIMEOUT_MS / 1000} s:\n${out}`)), READY_TIMEOUT_MS);
    child.stdout!.on('data', (c: Buffer) => {
      out = (out + c.toString()).slice(-20_000);
      if (/dmslite runner \S+ ready/.test(out)) { clearTimeout(timer); resolve(); }
    });
    child.stderr!.on('data', (c: Buffer) => { out = (out + c.toString()).slice(-20_000); });
    void exited.then(() => { clearTimeout(timer); reject(new Error(`runner exited during start:\n${out}`)); });
  });
  return {
    pid,
    peakRssMb() {
      sample();
      return peakKb / 1024;
    },
    rssMb: () => (procStatusKb(pid, 'VmRSS') ?? 0) / 1024,
    output: () => out,
    async stop() {
      sample();
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Waits (polling table statistics, not the stream) until the task acknowledged `count` changes of `table`. */
export async function waitApplied(env: BenchServices, arn: string, table: string, field: 'AppliedUpdates' | 'AppliedInserts', count: number, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const s = (await tableStatistics(env.dms, arn)).find((t) => t.TableName === table);
    if ((s?.[field] ?? 0) >= count) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${table}: ${field} did not reach ${count}`);
}

export interface BenchTaskOptions {
  /** Task identifier, and the name of its stream. */
  name: string;
  migrationType: MigrationTypeValue;
  source: string;
  instance: string;
  tableMappings: string;
  shards?: number;
  cdcStartPosition?: string;
  /** How long the task may take to become `ready` (default READY_TIMEOUT_MS). */
  readyTimeoutMs?: number;
}

/** A task into a fresh stream of its own name (its target endpoint made too), once `ready`; returns its ARN. */
export async function createBenchTask(env: BenchServices, o: BenchTaskOptions): Promise<string> {
  await createStream(env.kinesisEndpoint, o.name, o.shards ?? 1);
  const target = (await createKinesisTarget(env.dms, `${o.name}-tgt`, o.name)).EndpointArn!;
  const out = await env.dms.send(new CreateReplicationTaskCommand({
    ReplicationTaskIdentifier: o.name,
    SourceEndpointArn: o.source,
    TargetEndpointArn: target,
    ReplicationInstanceArn: o.instance,
    MigrationType: o.migrationType,
    TableMappings: o.tableMappings,
    ...(o.cdcStartPosition ? { CdcStartPosition: o.cdcStartPosition } : {}),
  }));
  const arn = out.ReplicationTask!.ReplicationTaskArn!;
  await waitForStatus(env.dms, arn, ['ready'], o.readyTimeoutMs ?? READY_TIMEOUT_MS);
  return arn;
}
