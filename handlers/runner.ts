import { pathToFileURL } from 'node:url';
import { Runner } from '../core/engine/runner.js';
import { logger } from '../core/logger.js';
import { apiDepsFromEnv } from '../core/runtime.js';
import { createTaskObserver } from '../core/observe/run-observer.js';
import { sourceRegistry } from '../core/source/registry.js';

// The long-running runner (a container in AWS): claims started tasks from DynamoDB and runs them.
// Env: the API's (DMSLITE_TABLE, AWS_ENDPOINT_URL_*...), plus DMSLITE_RUNNER_ID, DMSLITE_LEASE_MS,
// DMSLITE_HEARTBEAT_MS, DMSLITE_HEALTH_FILE (touched after every successful poll).

export interface RunningRunner {
  runner: Runner;
  stop(): Promise<void>;
}

export interface RunnerStartOptions {
  owner?: string;
  leaseMs?: number;
  heartbeatMs?: number;
}

export async function startRunner(opts: RunnerStartOptions = {}): Promise<RunningRunner> {
  const deps = apiDepsFromEnv();
  await deps.table.ensureTable();
  const runner = new Runner({
    table: deps.table,
    secrets: deps.secrets,
    secretReader: deps.secretReader,
    sources: sourceRegistry,
    kinesisEndpoint: deps.config.kinesisEndpoint,
    owner: opts.owner ?? process.env.DMSLITE_RUNNER_ID,
    leaseMs: opts.leaseMs ?? (process.env.DMSLITE_LEASE_MS ? Number(process.env.DMSLITE_LEASE_MS) : undefined),
    heartbeatMs: opts.heartbeatMs ?? (process.env.DMSLITE_HEARTBEAT_MS ? Number(process.env.DMSLITE_HEARTBEAT_MS) : undefined),
    healthFile: process.env.DMSLITE_HEALTH_FILE || undefined,
    observer: createTaskObserver({ table: deps.table, events: deps.events, cloudWatchLogsEndpoint: deps.config.cloudWatchLogsEndpoint }),
  });
  runner.start();
  return { runner, stop: () => runner.stop() };
}

export async function main(): Promise<void> {
  const running = await startRunner();
  console.log(`dmslite runner ${running.runner.owner} ready`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await running.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e) => {
    logger.error('runner failed to start', { error: e as Error });
    console.error(`dmslite runner failed to start: ${(e as Error).message}`);
    process.exit(1);
  });
}
