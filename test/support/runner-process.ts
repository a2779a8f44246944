// A dmslite runner in its own Node process (`node --import tsx handlers/runner.ts`), on the run's
// shared DynamoDB Local and a Kinesis endpoint of the test's choice. Lets tests measure the
// runner's memory (VmHWM), kill it (SIGKILL = a crashed runner) and run several side by side.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { killOnExit } from './children.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RunnerProcessOptions {
  /** The state table (the test stack's `tableName`). */
  table: string;
  /** Runner id (DMSLITE_RUNNER_ID); default `runner-<pid>`-like id chosen by the runner. */
  owner?: string;
  /** Kinesis endpoint the runner writes to (default: the shared kinesalite). */
  kinesisEndpoint?: string;
  /** Lease length (default 3000 ms, so a killed runner's tasks move quickly). */
  leaseMs?: number;
  heartbeatMs?: number;
  /** Extra environment. */
  env?: Record<string, string>;
}

export interface RunnerProcess {
  pid: number;
  /** The runner's id as it announced it. */
  owner: string;
  kill(signal?: NodeJS.Signals): void;
  /** Resolves when the process has exited. */
  waitExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Peak resident set size in MiB (VmHWM), sampled while the process runs and just before it is killed. */
  peakRssMb(): number;
  /** Everything the process wrote (stdout + stderr). */
  output(): string;
  /** The JSON log lines of the runner (Powertools logger). */
  logs(): Array<Record<string, unknown>>;
  /** Whether this runner logged that it claimed the task. */
  claimed(taskArn: string): boolean;
  /** SIGTERM (graceful: leases released) and wait for the exit; SIGKILL after 10 s. */
  stop(): Promise<void>;
}

function vmHwmKb(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export async function startRunnerProcess(opts: RunnerProcessOptions): Promise<RunnerProcess> {
  const secret = process.env.DMSLITE_SECRET_KEY;
  if (!secret) throw new Error('set process.env.DMSLITE_SECRET_KEY before starting the test stack, so the runner process can read endpoint passwords');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL_DYNAMODB: inject('dynamodbEndpoint'),
    AWS_ENDPOINT_URL_KINESIS: opts.kinesisEndpoint ?? inject('kinesisEndpoint'),
    DMSLITE_TABLE: opts.table,
    DMSLITE_SECRET_KEY: secret,
    DMSLITE_LEASE_MS: String(opts.leaseMs ?? 3000),
    DMSLITE_LOG_LEVEL: 'INFO',
    POWERTOOLS_DEV: 'false',
    ...(opts.heartbeatMs ? { DMSLITE_HEARTBEAT_MS: String(opts.heartbeatMs) } : {}),
    ...(opts.owner ? { DMSLITE_RUNNER_ID: opts.owner } : {}),
    ...opts.env,
  };
  delete env.AWS_ENDPOINT_URL;
  delete env.NODE_OPTIONS; // vitest's own loader hooks must not leak into the runner
  // The heap cap of `npm run runner` and the container image.
  const child = spawn(process.execPath, ['--max-old-space-size=192', '--import', 'tsx', join(ROOT, 'handlers', 'runner.ts')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killOnExit(child);
  const pid = child.pid!;
  let out = '';
  let peakKb = 0;
  const sample = () => {
    const kb = vmHwmKb(pid);
    if (kb !== null && kb > peakKb) peakKb = kb;
  };
  const sampler = setInterval(sample, 100);
  sampler.unref();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      clearInterval(sampler);
      resolve({ code, signal });
    });
  });
  const owner = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /dmslite runner (\S+) ready/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    const timer = setTimeout(() => reject(new Error(`runner process did not start within 120 s:\n${out}`)), 120_000);
    void exited.then(({ code, signal }) => reject(new Error(`runner process exited during start (code ${code}, signal ${signal}):\n${out}`)));
    void exited.finally(() => clearTimeout(timer));
    child.once('error', reject);
  }).catch(async (e) => {
    child.kill('SIGKILL');
    throw e;
  });

  const proc: RunnerProcess = {
    pid,
    owner,
    kill(signal = 'SIGTERM') {
      sample();
      child.kill(signal);
    },
    waitExit: () => exited,
    peakRssMb() {
      if (child.exitCode === null && child.signalCode === null) sample();
      return peakKb / 1024;
    },
    output: () => out,
    logs() {
      const lines: Array<Record<string, unknown>> = [];
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        try { lines.push(JSON.parse(line) as Record<string, unknown>); } catch { /* partial line */ }
      }
      return lines;
    },
    claimed: (taskArn) => proc.logs().some((l) => l.message === 'task claimed' && l.taskArn === taskArn),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
  return proc;
}
