import {
  DescribeReplicationTasksCommand,
  DescribeTableStatisticsCommand,
  StartReplicationTaskCommand,
  StopReplicationTaskCommand,
  type DatabaseMigrationServiceClient,
  type ReplicationTask,
  type TableStatistics,
} from '@aws-sdk/client-database-migration-service';

// Helpers to drive a replication task through the API and observe it.

import { readAllRecords } from './kinesis.js';

/**
 * Polls `fn` until it returns a truthy value, and returns that; `tolerant`: a throwing `fn` counts as
 * not yet (e.g. a stack between lives).
 */
export async function waitForValue<T>(
  fn: () => T | Promise<T>,
  what: string,
  timeoutMs = 60_000,
  opts: { intervalMs?: number; tolerant?: boolean } = {},
): Promise<Exclude<T, null | undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as Exclude<T, null | undefined | false>;
    } catch (e) {
      if (!opts.tolerant) throw e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

/** Polls `check` until it holds (see waitForValue). */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000, opts: { intervalMs?: number; tolerant?: boolean } = {}): Promise<void> {
  await waitForValue(check, what, timeoutMs, opts);
}

export async function describeTask(dms: DatabaseMigrationServiceClient, arn: string): Promise<ReplicationTask> {
  const out = await dms.send(new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-arn', Values: [arn] }] }));
  return out.ReplicationTasks![0];
}

/** Polls until the task reaches one of `statuses` (bounded: fails after `timeoutMs`). */
export async function waitForStatus(dms: DatabaseMigrationServiceClient, arn: string, statuses: string[], timeoutMs = 60_000): Promise<ReplicationTask> {
  const deadline = Date.now() + timeoutMs;
  let last: ReplicationTask | undefined;
  while (Date.now() < deadline) {
    last = await describeTask(dms, arn);
    if (statuses.includes(last.Status!)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`task ${arn} did not reach ${statuses.join('/')} (last: ${last?.Status} ${last?.LastFailureMessage ?? ''})`);
}

export async function startTask(dms: DatabaseMigrationServiceClient, arn: string, type: 'start-replication' | 'resume-processing' | 'reload-target' = 'start-replication') {
  return (await dms.send(new StartReplicationTaskCommand({ ReplicationTaskArn: arn, StartReplicationTaskType: type }))).ReplicationTask!;
}

export async function tableStatistics(dms: DatabaseMigrationServiceClient, arn: string): Promise<TableStatistics[]> {
  const out = await dms.send(new DescribeTableStatisticsCommand({ ReplicationTaskArn: arn, MaxRecords: 500 }));
  return out.TableStatistics!;
}

export interface ParsedRecord {
  partitionKey: string;
  text: string;
  json: { data?: Record<string, unknown>; control?: unknown; metadata: Record<string, unknown>; [k: string]: unknown };
}

export function parseRecords(records: { partitionKey: string; data: string }[]): ParsedRecord[] {
  return records.map((r) => ({ partitionKey: r.partitionKey, text: r.data, json: JSON.parse(r.data) }));
}

/** `operation schema.table` per record, in stream order: compact expectations. */
export function summary(records: ParsedRecord[]): string[] {
  return records.map((r) => `${r.json.metadata.operation} ${r.json.metadata['schema-name']}.${r.json.metadata['table-name']}`);
}

/** StopReplicationTask, then waits until the task is `stopped` (or `failed`). */
export async function stopTaskAndWait(dms: DatabaseMigrationServiceClient, arn: string): Promise<ReplicationTask> {
  await dms.send(new StopReplicationTaskCommand({ ReplicationTaskArn: arn }));
  return waitForStatus(dms, arn, ['stopped', 'failed']);
}

/** Waits (bounded) until the stream holds `count` records, then reads once more after a pause to catch extras. */
export async function readStream(endpoint: string, stream: string, count: number, timeoutMs = 30_000): Promise<ParsedRecord[]> {
  const deadline = Date.now() + timeoutMs;
  let records = parseRecords(await readAllRecords(endpoint, stream));
  while (records.length < count && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    records = parseRecords(await readAllRecords(endpoint, stream));
  }
  await new Promise((r) => setTimeout(r, 500));
  return parseRecords(await readAllRecords(endpoint, stream));
}

/** id → copies among the load (full-load) records of `table`. */
export function loadCounts(records: ParsedRecord[], table: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const r of records) {
    if (r.json.metadata.operation !== 'load' || r.json.metadata['table-name'] !== table) continue;
    const id = r.json.data!.id as number;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}
