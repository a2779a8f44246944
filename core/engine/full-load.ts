import { logger } from '../logger.js';
import type { TaskLog } from '../observe/task-log.js';
import { buildTablePlan, type TablePlan } from '../mapping/plan.js';
import type { TableMappings } from '../mapping/types.js';
import { describeTable } from '../source/mysql/metadata.js';
import type { RecordFormatter } from '../record/formatter.js';
import type { EffectiveSettings } from '../settings/index.js';
import { InvalidPartitionKeyError, RecordTooLargeError } from '../sink/kinesis/errors.js';
import type { KinesisRecord, RecordSink } from '../sink/kinesis/sink.js';
import type { SourceConnection } from '../source/mysql/connection.js';
import { closeConsistentSnapshot, openConsistentSnapshot, readTableSnapshot } from '../source/mysql/snapshot.js';
import type { BinlogPosition } from '../model/positions.js';
import { tableKey, type RunState } from './run-state.js';

// Full load: per table, the control records of TargetTablePrepMode, then one `load` record per
// row, streamed from a consistent snapshot with bounded memory. MaxFullLoadSubTasks tables at once.

export interface FullLoadParams {
  /** Tables to load, in load order. */
  plans: TablePlan[];
  openSource: () => Promise<SourceConnection>;
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
  /** Called with each table's snapshot position (the binlog position its rows correspond to). */
  onSnapshot?: (plan: TablePlan, position: BinlogPosition) => void;
  log?: TaskLog;
}

/** Sink writes of one table that may be unacknowledged at once. */
const WRITES_IN_FLIGHT = 4;

export class TaskStoppedError extends Error {
  constructor() {
    super('task stopped');
  }
}

export async function runFullLoad(p: FullLoadParams): Promise<void> {
  const queue = [...p.plans];
  const workers = Math.max(1, Math.min(p.settings.maxFullLoadSubTasks, queue.length));
  let firstError: unknown;
  const abortAll = new AbortController();
  const signal = AbortSignal.any([p.signal, abortAll.signal]);
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (queue.length > 0 && !signal.aborted) {
        const plan = queue.shift()!;
        try {
          await loadTable(p, plan, signal);
        } catch (e) {
          firstError ??= e;
          abortAll.abort();
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

async function loadTable(p: FullLoadParams, discovered: TablePlan, signal: AbortSignal): Promise<void> {
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
  const conn = await p.openSource();
  let tableError: string | undefined;
  let rowsSent = 0;
  try {
    const position = await openConsistentSnapshot(conn);
    // The table may have changed since the task started: load it as the snapshot sees it.
    const current = await describeTable(conn, schema, table);
    if (current) plan = buildTablePlan(p.mappings, current);
    p.onSnapshot?.(plan, position);
    await p.sink.write(controlRecords(p, plan));
    // A few writes overlap so every sink lane stays busy; statistics count acknowledged rows.
    const inflight: Promise<void>[] = [];
    let writeError: unknown;
    const deliver = (records: KinesisRecord[]) =>
      p.sink.write(records).then(
        () => {
          rowsSent += records.length;
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
          stats((s) => {
            s.FullLoadRows += records.length - e.records.length;
            s.FullLoadErrorRows += e.records.length;
          });
        },
      );
    await readTableSnapshot(
      conn,
      plan.source,
      plan.where,
      async (rows) => {
        if (writeError) throw writeError;
        const records = new Array<KinesisRecord>(rows.length);
        for (let i = 0; i < rows.length; i++) records[i] = p.formatter.load(plan.target, plan.toTargetRow(rows[i]));
        inflight.push(deliver(records));
        while (inflight.length >= WRITES_IN_FLIGHT) await inflight.shift();
      },
      // CommitRate bounds the rows of one read batch (and so between statistics updates).
      { batchSize: Math.min(p.settings.commitRate, 1000), signal },
    );
    await Promise.all(inflight);
    if (writeError) throw writeError;
    await closeConsistentSnapshot(conn).catch(() => undefined);
  } catch (e) {
    conn.destroy();
    if (signal.aborted) {
      stats((s) => {
        s.TableState = 'Before load';
      });
      throw new TaskStoppedError();
    }
    throw e;
  }
  await conn.close().catch(() => undefined);
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
