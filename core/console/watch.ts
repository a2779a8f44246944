import type { MetricPoint } from '../observe/metrics.js';
import type { ApiError, DmsliteClient } from './client.js';
import { estimatesByTable, fmtCount, fmtRate, fmtSeconds, latestMetrics, tableLoadPercent, textBar, type MetricsNow, type TableEstimate, type TableStat } from './view.js';

// `dmslite watch <task>`: polls a task through the DMS API and the console reads, and renders one
// frame per poll: a bar per table during the full load, then CDC latency and throughput, and the
// stop reason once the task stops (which ends the watch).

export interface WatchFrame {
  task: { id: string; arn: string; status: string; migrationType: string; fullLoadPercent: number; stopReason?: string; failure?: string };
  tables: { schema: string; table: string; state: string; percent: number | null; fullLoadRows: number; inserts: number; updates: number; deletes: number }[];
  metrics: MetricsNow | null;
  /** True once the task is stopped or failed: the last frame. */
  final: boolean;
}

const TERMINAL = new Set(['stopped', 'failed']);

type Doc = Record<string, any>;

/** The ARN of a task given its identifier or ARN; a clear error when there is none. */
export async function resolveTaskArn(client: DmsliteClient, idOrArn: string): Promise<string> {
  const filter = idOrArn.startsWith('arn:') ? 'replication-task-arn' : 'replication-task-id';
  try {
    const out = await client.dms<{ ReplicationTasks?: Doc[] }>('DescribeReplicationTasks', { Filters: [{ Name: filter, Values: [idOrArn] }], WithoutSettings: true });
    const arn = out.ReplicationTasks?.[0]?.ReplicationTaskArn;
    if (arn) return arn;
  } catch (e) {
    if ((e as ApiError).code !== 'ResourceNotFoundFault') throw e;
  }
  throw new Error(`No replication task ${idOrArn} at ${client.endpoint}`);
}

export async function pollFrame(client: DmsliteClient, arn: string): Promise<WatchFrame> {
  const out = await client.dms<{ ReplicationTasks?: Doc[] }>('DescribeReplicationTasks', { Filters: [{ Name: 'replication-task-arn', Values: [arn] }], WithoutSettings: true });
  const t = out.ReplicationTasks?.[0];
  if (!t) throw new Error(`Replication task ${arn} no longer exists`);
  const [stats, metrics, estimates] = await Promise.all([
    client
      .dms<{ TableStatistics?: TableStat[] }>('DescribeTableStatistics', { ReplicationTaskArn: arn, MaxRecords: 500 })
      .catch((e: ApiError) => (e.code === 'InvalidResourceStateFault' ? { TableStatistics: [] } : Promise.reject(e))),
    client.console<{ Points: MetricPoint[] }>('GetTaskMetrics', { ReplicationTaskArn: arn }),
    client.console<{ Tables: TableEstimate[] }>('GetTableEstimates', { ReplicationTaskArn: arn }),
  ]);
  const estimated = estimatesByTable(estimates.Tables);
  return {
    task: {
      id: t.ReplicationTaskIdentifier,
      arn,
      status: t.Status,
      migrationType: t.MigrationType,
      fullLoadPercent: t.ReplicationTaskStats?.FullLoadProgressPercent ?? 0,
      ...(t.StopReason ? { stopReason: t.StopReason } : {}),
      ...(t.LastFailureMessage ? { failure: t.LastFailureMessage } : {}),
    },
    tables: (stats.TableStatistics ?? []).map((s) => ({
      schema: s.SchemaName ?? '',
      table: s.TableName ?? '',
      state: s.TableState ?? '',
      percent: tableLoadPercent(s, estimated),
      fullLoadRows: s.FullLoadRows ?? 0,
      inserts: s.Inserts ?? 0,
      updates: s.Updates ?? 0,
      deletes: s.Deletes ?? 0,
    })),
    metrics: latestMetrics(metrics.Points),
    final: TERMINAL.has(t.Status),
  };
}

/** Polls until the task stops (or `signal` aborts); calls `onFrame` with each frame. Returns the last. */
export async function watchTask(client: DmsliteClient, arn: string, onFrame: (f: WatchFrame) => void, opts: { intervalMs?: number; signal?: AbortSignal } = {}): Promise<WatchFrame | undefined> {
  let last: WatchFrame | undefined;
  while (!opts.signal?.aborted) {
    last = await pollFrame(client, arn);
    onFrame(last);
    if (last.final) return last;
    await new Promise<void>((r) => {
      const timer = setTimeout(r, opts.intervalMs ?? 1000);
      opts.signal?.addEventListener('abort', () => (clearTimeout(timer), r()), { once: true });
    });
  }
  return last;
}

/** One frame as terminal lines; `tick` moves the indeterminate bars. */
export function renderFrame(f: WatchFrame, tick = 0): string[] {
  const lines = [`${f.task.id}  ${f.task.migrationType}  ${f.task.status}  full load ${f.task.fullLoadPercent} %`];
  const loading = f.task.migrationType !== 'cdc' && f.tables.some((t) => t.percent !== 100);
  const nameWidth = Math.max(5, ...f.tables.map((t) => `${t.schema}.${t.table}`.length));
  for (const t of f.tables) {
    const name = `${t.schema}.${t.table}`.padEnd(nameWidth);
    const pct = t.percent === null ? ' ..%' : `${String(t.percent).padStart(3)}%`;
    const cdc = loading ? '' : `  I ${fmtCount(t.inserts)}  U ${fmtCount(t.updates)}  D ${fmtCount(t.deletes)}`;
    lines.push(`  ${name} ${textBar(t.percent, 24, tick)} ${pct}  ${fmtCount(t.fullLoadRows)} rows  ${t.state}${cdc}`);
  }
  const m = f.metrics;
  if (m) {
    lines.push(
      m.FullLoadThroughputRowsTarget > 0 && loading
        ? `  full load ${fmtRate(m.FullLoadThroughputRowsTarget)}`
        : `  CDC latency source ${fmtSeconds(m.CDCLatencySource)}  target ${fmtSeconds(m.CDCLatencyTarget)}  incoming ${fmtCount(m.CDCIncomingChanges)}  throughput ${fmtRate(m.CDCThroughputRowsSource)} in, ${fmtRate(m.CDCThroughputRowsTarget)} out`,
    );
  }
  if (f.final) {
    lines.push(`  ${f.task.status}: ${f.task.stopReason ?? ''}${f.task.failure ? ` — ${f.task.failure}` : ''}`);
  }
  return lines;
}
