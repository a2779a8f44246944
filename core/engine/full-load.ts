import { logger } from '../logger.js';
import { lobTruncationCheck } from './lob.js';
import type { TaskLog } from '../observe/task-log.js';
import { buildTablePlan, type TablePlan } from '../mapping/plan.js';
import type { TableMappings } from '../mapping/types.js';
import { partitionSegments, rangeSegments, type Segment } from '../mapping/parallel-load.js';
import type { RecordFormatter } from '../record/formatter.js';
import type { EffectiveSettings } from '../settings/index.js';
import { InvalidPartitionKeyError, RecordTooLargeError } from '../sink/kinesis/errors.js';
import type { KinesisRecord, RecordSink } from '../sink/kinesis/sink.js';
import type { SnapshotWhere, Source, SourcePosition } from '../source/contract.js';
import { openSessionGroup, runSegments, Slots, type SegmentSession } from './segments.js';
import { tableKey, type RunState } from './run-state.js';

// Full load: per table, the control records of TargetTablePrepMode, then one `load` record per
// row, streamed from a consistent snapshot with bounded memory. MaxFullLoadSubTasks sub-tasks at
// once: a table is one sub-task, or one per segment under table-settings parallel-load (segments.ts).

export interface FullLoadParams {
  /** Tables to load, in load order. */
  plans: TablePlan[];
  source: Source;
  formatter: RecordFormatter;
  sink: RecordSink;
  state: RunState;
  settings: EffectiveSettings;
  signal: AbortSignal;
  now: () => number;
  /** Whether this load is a reload (FullLoadReloaded). */
  reload: boolean;
  /** The mappings the plans came from: each table is planned again for its definition inside its snapshot. */
  mappings: TableMappings;
  /** Called with each table's snapshot position (the change-log position its rows correspond to). */
  onSnapshot?: (plan: TablePlan, position: SourcePosition) => void;
  /**
   * TargetMetadata.ParallelLoadThreads > 0: a sink of its own for each table (its lanes are the
   * table's load threads); closed when the table is done. Otherwise rows go to `sink`.
   */
  tableSink?: () => RecordSink;
  log?: TaskLog;
}

/**
 * Sink writes (read batches of up to 1,000 rows) of one table that may be unacknowledged at once.
 * A write is acknowledged once every lane took its share, so with 4 a lane often ran dry and its next
 * PutRecords carried a few hundred records (35 % of bench:pg's calls were not full; 8: 1.5 %), which
 * costs a sink-bound load ~3 % of its rate.
 */
const WRITES_IN_FLIGHT = 8;

export class TaskStoppedError extends Error {
  constructor() {
    super('task stopped');
  }
}

export async function runFullLoad(p: FullLoadParams): Promise<void> {
  const queue = [...p.plans];
  const slots = new Slots(p.settings.maxFullLoadSubTasks);
  const workers = Math.max(1, Math.min(p.settings.maxFullLoadSubTasks, queue.length));
  let firstError: unknown;
  const abortAll = new AbortController();
  const signal = AbortSignal.any([p.signal, abortAll.signal]);
  // The catalog's row estimates, for progress (one query per table before any row is read; a table
  // without one is shown by rows alone).
  for (const plan of queue) {
    if (signal.aborted) break;
    const { schema, table } = plan.source;
    const estimate = await p.source.estimateRows(schema, table).catch(() => null);
    p.state.update(schema, table, p.now(), (s) => {
      s._estimatedRows = estimate;
    });
  }
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (queue.length > 0 && !signal.aborted) {
        try {
          await slots.acquire(signal);
        } catch {
          break;
        }
        const plan = queue.shift();
        try {
          if (plan) await loadTable(p, plan, signal, slots);
        } catch (e) {
          firstError ??= e;
          abortAll.abort();
        } finally {
          slots.release();
        }
      }
    }),
  );
  if (p.signal.aborted) throw new TaskStoppedError();
  if (firstError) throw firstError;
}

function controlRecords(p: FullLoadParams, plan: TablePlan): KinesisRecord[] {
  switch (p.settings.targetTablePrepMode) {
    case 'DROP_AND_CREATE':
      return [p.formatter.control('drop-table', plan.target), p.formatter.control('create-table', plan.target)];
    case 'TRUNCATE_BEFORE_LOAD':
      return [p.formatter.control('create-table', plan.target)];
    default:
      return [];
  }
}

type Session = SegmentSession<SourcePosition>;

function and(a: SnapshotWhere | null, b: SnapshotWhere | null): SnapshotWhere | null {
  if (!a) return b;
  if (!b) return a;
  return { sql: `(${a.sql}) AND (${b.sql})`, params: [...a.params, ...b.params] };
}

/** The segments of a table as its snapshot sees it; null = read the whole table with one query. */
async function segmentsOf(plan: TablePlan, session: Session): Promise<Segment[] | null> {
  const pl = plan.parallelLoad;
  if (!pl) return null;
  if (pl.ranges) return rangeSegments(pl);
  if (!session.partitions) return null;
  return partitionSegments(pl, plan.source, await session.partitions(plan.source));
}

async function loadTable(p: FullLoadParams, discovered: TablePlan, outer: AbortSignal, slots: Slots): Promise<void> {
  let plan = discovered;
  const { schema, table } = plan.source;
  const stats = (fn: Parameters<RunState['update']>[3]) => p.state.update(schema, table, p.now(), fn);
  stats((s) => {
    s.TableState = 'Full load';
    s.FullLoadStartTime = p.now();
    s.FullLoadRows = 0;
    s.FullLoadErrorRows = 0;
    s.FullLoadCondtnlChkFailedRows = 0;
    delete s.FullLoadEndTime;
    if (p.reload) s.FullLoadReloaded = true;
  });
  p.log?.info('TASK_MANAGER', `Start loading table '${schema}'.'${table}'${p.reload ? ' (reload)' : ''}`);
  // A failing segment stops the table's other segments.
  const tableAbort = new AbortController();
  const signal = AbortSignal.any([outer, tableAbort.signal]);
  let sessions: Session[] = [];
  const ownSink = p.tableSink?.();
  const sink = ownSink ?? p.sink;
  let tableError: string | undefined;
  let rowsSent = 0;
  try {
    const first = await p.source.openSnapshot();
    sessions = [first];
    // The table may have changed since the task started: load it as the snapshot sees it.
    const current = await first.describeTable(schema, table);
    if (current) plan = buildTablePlan(p.mappings, current);
    const segments = await segmentsOf(plan, first);
    const group = await openSessionGroup(first, (segments?.length ?? 1) - 1, () => p.source.openSnapshot(), (a, b) => p.source.positions.compare(a, b));
    sessions = group.sessions;
    if (segments && !group.consistent) {
      logger.info('segment snapshots at different positions; CDC starts at the oldest', { schema, table, segments: segments.length });
    }
    p.onSnapshot?.(plan, group.position);
    await p.sink.write(controlRecords(p, plan));
    let writeError: unknown;
    const deliver = (records: KinesisRecord[]) =>
      sink.write(records).then(
        () => {
          rowsSent += records.length;
          p.state.metrics.loadedRows(records.length);
          stats((s) => {
            s.FullLoadRows += records.length;
          });
        },
        (e) => {
          if (!(e instanceof RecordTooLargeError || e instanceof InvalidPartitionKeyError)) {
            writeError ??= e;
            return;
          }
          tableError ??= `Table ${schema}.${table}: ${e.message}`;
          rowsSent += records.length - e.records.length;
          p.state.metrics.loadedRows(records.length - e.records.length);
          stats((s) => {
            s.FullLoadRows += records.length - e.records.length;
            s.FullLoadErrorRows += e.records.length;
          });
        },
      );
    const lobCheck = lobTruncationCheck(p.settings, p.source);
    const readSegment = async (i: number) => {
      const session = sessions[i]!;
      const seg = segments?.[i];
      // A few writes overlap so every sink lane stays busy; statistics count acknowledged rows.
      const inflight: Promise<void>[] = [];
      await session.readTable(
        plan.source,
        seg?.kind === 'where' ? and(plan.where, seg.where) : plan.where,
        async (rows) => {
          if (writeError) throw writeError;
          if (lobCheck) for (const r of rows) lobCheck(plan.source, r);
          const records = new Array<KinesisRecord>(rows.length);
          for (let j = 0; j < rows.length; j++) records[j] = p.formatter.load(plan.target, plan.toTargetRow(rows[j]));
          inflight.push(deliver(records));
          while (inflight.length >= WRITES_IN_FLIGHT) await inflight.shift();
        },
        // CommitRate bounds the rows of one read batch (and so between statistics updates).
        { batchSize: Math.min(p.settings.commitRate, 1000), signal, ...(seg?.kind === 'partition' ? { partition: seg.partition } : {}) },
      );
      await Promise.all(inflight);
      if (writeError) throw writeError;
      await session.close();
    };
    try {
      await runSegments(sessions.length, slots, readSegment, signal);
    } catch (e) {
      tableAbort.abort();
      throw e;
    }
    if (ownSink) await ownSink.close();
  } catch (e) {
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
    if (ownSink) await ownSink.close().catch(() => undefined);
    if (outer.aborted) {
      stats((s) => {
        s.TableState = 'Before load';
      });
      throw new TaskStoppedError();
    }
    throw e;
  }
  stats((s) => {
    s.TableState = tableError ? 'Table error' : 'Table completed';
    s.FullLoadEndTime = p.now();
  });
  const completed = new Set(p.state.progress.completedTables ?? []);
  completed.add(tableKey(schema, table));
  p.state.progress.completedTables = [...completed];
  if (tableError) logger.warn('table error', { error: tableError });
  p.log?.info('SOURCE_UNLOAD', `Unload finished for table '${schema}'.'${table}'. ${rowsSent} rows sent.`);
  if (tableError) p.log?.error('TARGET_LOAD', `Table '${schema}'.'${table}' error: ${tableError}`);
  p.log?.info('TASK_MANAGER', `Table '${schema}'.'${table}' loading finished. ${rowsSent} records transferred.`);
}
