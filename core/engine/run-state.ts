import {
  newTableStats,
  type ReplicationTaskStats,
  type TableStatsDoc,
  type TaskProgress,
} from '../model/task.js';
import { rowsLoadPercent } from '../model/load-progress.js';
import { TaskMetrics } from '../observe/metrics.js';

// In-memory progress of one task run: table statistics and the resume position. The runner
// persists it on each heartbeat (grouped writes, never one per row).

export const tableKey = (schema: string, table: string): string => `${schema}\u0000${table}`;

export class RunState {
  readonly tables = new Map<string, TableStatsDoc>();
  private readonly dirty = new Set<string>();
  progress: TaskProgress;
  fullLoadStartDate?: number;
  fullLoadFinishDate?: number;
  readonly startedAt: number;
  /** ReloadTables requests handed over by the runner, not yet started. */
  readonly reloadRequests: { schema: string; table: string; option: string }[] = [];
  /** Saves progress now rather than at the next heartbeat (set by the runner). */
  persist?: () => Promise<void>;
  /** CDC latency and throughput (the runner samples it on its heartbeat). */
  metrics = new TaskMetrics();
  /** RecoveryCheckpoint of the last acknowledged CDC position. */
  checkpoint?: string;
  /** Rows read per table during the current full load, for progress reporting. */
  private tablesTotal = 0;

  constructor(progress: TaskProgress, existing: TableStatsDoc[], now: number) {
    this.progress = progress;
    this.startedAt = now;
    for (const s of existing) this.tables.set(tableKey(s.SchemaName, s.TableName), s);
  }

  table(schema: string, table: string, now: number): TableStatsDoc {
    return this.tableAt(tableKey(schema, table), schema, table, now);
  }

  /** The table's statistics under its key (created, and marked for the next persist, when new). */
  private tableAt(key: string, schema: string, table: string, now: number): TableStatsDoc {
    let s = this.tables.get(key);
    if (!s) {
      s = newTableStats(schema, table, now);
      this.tables.set(key, s);
      this.dirty.add(key);
    }
    return s;
  }

  /** Applies a change to one table's statistics and marks it for the next persist. */
  update(schema: string, table: string, now: number, fn: (s: TableStatsDoc) => void): void {
    const key = tableKey(schema, table);
    const s = this.tableAt(key, schema, table, now);
    fn(s);
    s.LastUpdateTime = now;
    this.dirty.add(key);
  }

  setFullLoadTables(count: number): void {
    this.tablesTotal = count;
  }

  /** Table statistics changed since the last call. */
  takeDirty(): TableStatsDoc[] {
    const out = [...this.dirty].map((k) => ({ ...this.tables.get(k)! }));
    this.dirty.clear();
    return out;
  }

  /** ReplicationTaskStats as DescribeReplicationTasks shows them. */
  taskStats(base: ReplicationTaskStats, now: number): ReplicationTaskStats {
    let loaded = 0;
    let loading = 0;
    let queued = 0;
    let errored = 0;
    for (const s of this.tables.values()) {
      if (s.TableState === 'Table completed') loaded++;
      else if (s.TableState === 'Full load' || s.TableState === 'Table is being reloaded') loading++;
      else if (s.TableState === 'Before load') queued++;
      else if (s.TableState === 'Table error') errored++;
    }
    const total = this.tablesTotal || this.tables.size;
    // Rows against the catalog's estimates when every table to load has one; else tables done.
    const byRows = this.fullLoadFinishDate === undefined && this.fullLoadStartDate !== undefined
      ? rowsLoadPercent([...this.tables.values()].map((s) => ({ TableState: s.TableState, FullLoadRows: s.FullLoadRows, estimatedRows: s._estimatedRows })))
      : null;
    const percent =
      this.fullLoadFinishDate !== undefined ? 100 : byRows !== null ? byRows : total === 0 ? 0 : Math.floor((100 * (loaded + errored)) / total);
    return {
      ...base,
      FullLoadProgressPercent: Math.min(100, percent),
      ElapsedTimeMillis: Math.max(0, Math.round((now - this.startedAt) * 1000)),
      TablesLoaded: loaded,
      TablesLoading: loading,
      TablesQueued: queued,
      TablesErrored: errored,
      ...(this.fullLoadStartDate !== undefined ? { FullLoadStartDate: this.fullLoadStartDate } : {}),
      ...(this.fullLoadFinishDate !== undefined ? { FullLoadFinishDate: this.fullLoadFinishDate } : {}),
    };
  }
}
