import { buildTablePlan, type TablePlan } from '../mapping/plan.js';
import { matchesSelection } from '../mapping/select.js';
import { logger } from '../logger.js';
import { formatCheckpoint, parseCdcStartPosition, parseCdcStopPosition, type BinlogPosition, type CdcStop } from '../model/positions.js';
import { STOP_REASON } from '../model/task.js';
import type { SourceRow, TableDef } from '../model/table.js';
import { AWSDMS_APPLY_EXCEPTIONS } from '../record/dms-types.js';
import { mysqlStreamPosition, mysqlTransactionId, type DataOperation, type TransactionInfo } from '../record/formatter.js';
import { InvalidPartitionKeyError, RecordTooLargeError } from '../sink/kinesis/errors.js';
import type { KinesisRecord } from '../sink/kinesis/sink.js';
import {
  BinlogNotFoundError,
  binlogFileNumber,
  binlogPositionAtTime,
  createBinlogReader,
  currentBinlogPosition,
  listBinlogs,
  type BinlogEvent,
  type BinlogReader,
} from '../source/mysql/binlog.js';
import type { SourceConnection } from '../source/mysql/connection.js';
import { describeTable } from '../source/mysql/metadata.js';
import { checkSourcePrerequisites } from '../source/mysql/prerequisites.js';
import { Fifo } from '../fifo.js';
import { parseDdl } from './ddl.js';
import { tableKey } from './run-state.js';
import { TaskFailure, type RunContext, type RunOutcome } from './task-run.js';

// CDC from the binlog: one record per changed row, control records for DDL, checkpoints only at
// transaction boundaries and only once Kinesis acknowledged everything before them.

/** Records sent but not yet acknowledged before reading more of the binlog waits. */
const MAX_UNACKED_RECORDS = 20_000;
/** Reconnect back-off after the source went away (e.g. a server restart). */
const RECONNECT_DELAYS_MS = [200, 500, 1000, 2000, 5000];

export function comparePositions(a: BinlogPosition, b: BinlogPosition): number {
  const fa = binlogFileNumber(a.file);
  const fb = binlogFileNumber(b.file);
  return fa !== fb ? fa - fb : a.position - b.position;
}

interface Tracked {
  plan: TablePlan;
  /** Rows of transactions starting before this position are already in the full load. */
  snapshot?: BinlogPosition;
}

interface InFlight {
  promise: Promise<void>;
  settled: boolean;
  error?: unknown;
  records: number;
  /** Per table (schema\0table): operation counts to add to Applied* once acknowledged. */
  applied?: Map<string, { inserts: number; updates: number; deletes: number; ddls: number }>;
  checkpoint?: BinlogPosition & { transactionId: bigint };
}

export async function runCdc(ctx: RunContext, plans: TablePlan[]): Promise<RunOutcome> {
  const { state, env, settings } = ctx;
  const conn = await ctx.openSource();
  let start: BinlogPosition;
  let stopAt: CdcStop | null = null;
  let cachedUntil: BinlogPosition | null = null;
  const fresh = !(state.progress.cdcFile && state.progress.cdcPosition !== undefined);
  try {
    const { failures } = await checkSourcePrerequisites(conn, { cdc: true });
    if (failures.length > 0) throw new TaskFailure(failures.map((f) => f.message).join('; '));
    start = await startPosition(ctx, conn, fresh);
    // A purged or unknown binlog fails the task before anything is announced (error 1236).
    const files = await listBinlogs(conn).catch(() => null);
    if (files && !files.some((f) => f.file === start.file)) {
      throw new TaskFailure(new BinlogNotFoundError(start, 'Could not find first log file name in binary log index file').message);
    }
    if (env.task.CdcStopPosition) stopAt = parseCdcStopPosition(env.task.CdcStopPosition);
    if (settings.stopTaskCachedChangesApplied && env.task.MigrationType === 'full-load-and-cdc') {
      cachedUntil = await currentBinlogPosition(conn);
    }
  } finally {
    await conn.close().catch(() => undefined);
  }

  ctx.log.info('SOURCE_CAPTURE', `${fresh ? 'Starting' : 'Resuming'} change capture from binlog position '${start.file}:${start.position}'`);
  const tracked = new Map<string, Tracked>();
  for (const plan of plans) {
    const key = tableKey(plan.source.schema, plan.source.table);
    const snap = state.progress.tableSnapshots?.[key];
    tracked.set(key, { plan, ...(snap ? { snapshot: snap } : {}) });
    if (env.task.MigrationType === 'cdc') state.update(plan.source.schema, plan.source.table, ctx.now(), (s) => { s.TableState = 'Table completed'; });
  }

  const inflight = new Fifo<InFlight>();
  let unacked = 0;
  let fatal: unknown;
  let seq = state.progress.checkpointSeq ?? 0;
  const ackCounts = (entry: InFlight) => {
    for (const [key, c] of entry.applied ?? []) {
      state.metrics.appliedChanges(c.inserts + c.updates + c.deletes);
      const [schema, table] = key.split('\u0000');
      state.update(schema, table, ctx.now(), (s) => {
        s.AppliedInserts += c.inserts;
        s.AppliedUpdates += c.updates;
        s.AppliedDeletes += c.deletes;
        s.AppliedDdls += c.ddls;
      });
    }
  };
  /** Moves the checkpoint past every acknowledged head entry. */
  const drain = () => {
    while (inflight.size > 0 && inflight.peek()!.settled) {
      const head = inflight.shift()!;
      unacked -= head.records;
      if (head.error) {
        fatal ??= head.error;
        continue;
      }
      ackCounts(head);
      if (head.checkpoint) {
        state.progress.cdcFile = head.checkpoint.file;
        state.progress.cdcPosition = head.checkpoint.position;
        state.progress.checkpointSeq = ++seq;
        state.checkpoint = formatCheckpoint(head.checkpoint, seq, head.checkpoint.transactionId);
      }
    }
  };
  const send = (records: KinesisRecord[], extra: Omit<InFlight, 'promise' | 'settled' | 'records'> = {}) => {
    // A commit adds nothing to send: its checkpoint and counts ride on the rows still in flight.
    const tail = inflight.last();
    if (records.length === 0 && tail && !tail.settled && !tail.checkpoint && !tail.applied) {
      Object.assign(tail, extra);
      return tail.promise;
    }
    const entry: InFlight = { promise: Promise.resolve(), settled: false, records: records.length, ...extra };
    // Acknowledgements move the checkpoint as they arrive, not only when the binlog moves on.
    entry.promise = (records.length ? ctx.sink.write(records) : Promise.resolve()).then(
      () => {
        entry.settled = true;
        drain();
      },
      (e) => {
        entry.settled = true;
        if (e instanceof RecordTooLargeError || e instanceof InvalidPartitionKeyError) {
          logger.warn('record refused', { taskArn: env.task.ReplicationTaskArn, error: e.message });
          ctx.log.warn('TARGET_APPLY', `Record refused by the target: ${e.message}`);
        } else {
          entry.error = e;
        }
        drain();
      },
    );
    inflight.push(entry);
    unacked += records.length;
    return entry.promise;
  };
  const checkpoint = (position: BinlogPosition, transactionId: bigint) => send([], { checkpoint: { ...position, transactionId } });

  // At a fresh CDC start AWS announces the exceptions table and every selected table.
  if (fresh) {
    const control: KinesisRecord[] = [ctx.formatter.control('create-table', AWSDMS_APPLY_EXCEPTIONS)];
    if (env.task.MigrationType === 'cdc') for (const t of tracked.values()) control.push(ctx.formatter.control('create-table', t.plan.target));
    // Control records use their own partition keys: acknowledge them before any row goes out,
    // so a consumer always sees a table's definition before its changes.
    await send(control);
  }
  await checkpoint(start, mysqlTransactionId(start.file, start.position));
  // The start position is saved before anything is read: a runner killed now must not leave
  // its successor to start again from a later "current" position.
  if (fresh) await state.persist?.();

  let prev: { id: bigint; record: number } | null = null;
  let txn: { id: bigint; position: BinlogPosition; record: number; counts: InFlight['applied'] } | null = null;
  let stopReason: string | null = null;
  const stopNow = new AbortController();

  const counts = (key: string) => {
    txn!.counts ??= new Map();
    let c = txn!.counts.get(key);
    if (!c) txn!.counts.set(key, (c = { inserts: 0, updates: 0, deletes: 0, ddls: 0 }));
    return c;
  };

  const onRows = (e: Extract<BinlogEvent, { kind: 'rows' }>) => {
    if (stopAt?.kind === 'commit_time' && e.timestamp > stopAt.epochSeconds) {
      // Changes committed after the stop time are not applied: stop before them, at the last commit.
      stopReason = STOP_REASON.atCommitTime;
      stopNow.abort();
      return;
    }
    const key = tableKey(e.schema, e.table);
    const t = tracked.get(key);
    if (!t) return;
    if (t.snapshot && comparePositions(e.position, t.snapshot) < 0) return;
    if (!txn || comparePositions(txn.position, e.position) !== 0) {
      txn = { id: mysqlTransactionId(e.position.file, e.position.position), position: e.position, record: 0, counts: undefined };
    }
    const records: KinesisRecord[] = [];
    const c = counts(key);
    for (let i = 0; i < e.rows.length; i++) {
      const { before, after } = e.rows[i];
      const row = (e.op === 'delete' ? before : after) as SourceRow;
      if (!t.plan.matches(row)) {
        // An update that moves a row out of (or into) the filter is still one change of a row we track.
        if (!(e.op === 'update' && before && t.plan.matches(before))) continue;
      }
      txn.record++;
      const info: TransactionInfo = {
        transactionId: txn.id,
        transactionRecordId: txn.record,
        ...(prev ? { prevTransactionId: prev.id, prevTransactionRecordId: prev.record } : {}),
        commitTimestamp: e.timestamp,
        streamPosition: mysqlStreamPosition({
          binlogFile: e.position.file,
          eventPosition: e.position.position,
          rowIndex: i,
          nextPosition: e.position.position,
          transactionId: txn.id,
          tableMapPosition: e.position.position,
        }),
      };
      prev = { id: txn.id, record: txn.record };
      const op = e.op as DataOperation;
      records.push(
        ctx.formatter.change(op, t.plan.target, t.plan.toTargetRow(row), before && op === 'update' ? t.plan.toTargetRow(before) : null, info),
      );
      if (op === 'insert') c.inserts++;
      else if (op === 'update') c.updates++;
      else c.deletes++;
    }
    if (records.length === 0) return;
    state.metrics.capturedChanges(records.length, e.timestamp);
    state.update(e.schema, e.table, ctx.now(), (s) => {
      if (e.op === 'insert') s.Inserts += records.length;
      else if (e.op === 'update') s.Updates += records.length;
      else s.Deletes += records.length;
    });
    send(records);
  };

  const onCommit = (position: BinlogPosition, timestamp: number) => {
    const applied = txn?.counts;
    const id = txn?.id ?? mysqlTransactionId(position.file, position.position);
    txn = null;
    send([], { applied, checkpoint: { ...position, transactionId: id } });
    if (stopAt?.kind === 'commit_time' && timestamp >= stopAt.epochSeconds) {
      stopReason = STOP_REASON.atCommitTime;
      stopNow.abort();
    }
    stopIfCachedApplied(position);
  };

  /** StopTaskCachedChangesApplied: stops once the binlog read reaches where it stood when the full load ended. */
  const stopIfCachedApplied = (position: BinlogPosition) => {
    if (cachedUntil && comparePositions(position, cachedUntil) >= 0) {
      stopReason = STOP_REASON.afterCachedEvents;
      stopNow.abort();
    }
  };

  const onDdl = async (e: Extract<BinlogEvent, { kind: 'ddl' }>) => {
    const ddl = parseDdl(e.sql, e.schema);
    if (ddl.tables.some((t) => tracked.has(tableKey(t.schema, t.table)) || (ddl.kind === 'create' && matchesSelection(ctx.mappings, t.schema, t.table, 'table')))) {
      ctx.log.info('SOURCE_CAPTURE', `DDL captured: ${ddl.kind} of ${ddl.tables.map((t) => `'${t.schema}'.'${t.table}'`).join(', ')} at '${e.position.file}:${e.position.position}'`);
    }
    const records: KinesisRecord[] = [];
    const ddlCounts = new Map<string, { inserts: number; updates: number; deletes: number; ddls: number }>();
    for (let i = 0; i < ddl.tables.length; i++) {
      const { schema, table } = ddl.tables[i];
      const key = tableKey(schema, table);
      const t = tracked.get(key);
      if (t?.snapshot && comparePositions(e.position, t.snapshot) <= 0) {
        // Before the table's full-load snapshot: already in the loaded rows, so no record and no
        // count; the plan still follows the table's current definition.
        if (ddl.kind === 'alter') {
          const plan = await planFor(ctx, schema, table);
          if (plan) tracked.set(key, { plan, snapshot: t.snapshot });
        }
        continue;
      }
      if (ddl.kind === 'create') {
        if (t || !matchesSelection(ctx.mappings, schema, table, 'table')) continue;
        const plan = await planFor(ctx, schema, table);
        if (!plan) continue;
        tracked.set(key, { plan });
        records.push(ctx.formatter.control('create-table', plan.target));
        state.update(schema, table, ctx.now(), (s) => { s.TableState = 'Table completed'; s.Ddls += 1; });
        ddlCounts.set(key, { inserts: 0, updates: 0, deletes: 0, ddls: 1 });
        continue;
      }
      if (!t) {
        // A rename may bring a table into the selection.
        if (ddl.renamedTo?.[i]) await trackRenamed(ddl.renamedTo[i]);
        continue;
      }
      if (ddl.kind === 'drop') {
        tracked.delete(key);
        continue;
      }
      if (ddl.kind === 'rename' || ddl.renamedTo) {
        tracked.delete(key);
        if (ddl.renamedTo?.[i]) await trackRenamed(ddl.renamedTo[i]);
        if (ddl.kind === 'rename') continue;
      }
      state.update(schema, table, ctx.now(), (s) => { s.Ddls += 1; });
      ddlCounts.set(key, { inserts: 0, updates: 0, deletes: 0, ddls: 1 });
      if (ddl.kind === 'alter' && tracked.has(key)) {
        const plan = await planFor(ctx, schema, table);
        if (plan) tracked.set(key, { plan });
        if (ctx.env.kinesis.IncludeTableAlterOperations && plan) {
          for (const op of ddl.operations) records.push(ctx.formatter.control(op, plan.target));
        }
      }
    }
    // As at the start: the DDL's control records are acknowledged before later rows are sent.
    await send(records, { applied: ddlCounts, checkpoint: { ...e.position, transactionId: mysqlTransactionId(e.position.file, e.position.position) } });
  };

  const trackRenamed = async (to: { schema: string; table: string }) => {
    if (!matchesSelection(ctx.mappings, to.schema, to.table, 'table')) return;
    const plan = await planFor(ctx, to.schema, to.table);
    if (plan) tracked.set(tableKey(to.schema, to.table), { plan });
  };

  let delivered = 0;
  const onEvent = async (e: BinlogEvent) => {
    if (ctx.signal.aborted || stopNow.signal.aborted) return;
    delivered++;
    switch (e.kind) {
      case 'rows':
        onRows(e);
        break;
      case 'commit':
        onCommit(e.position, e.timestamp);
        break;
      case 'ddl':
        await onDdl(e);
        stopIfCachedApplied(e.position);
        break;
      case 'heartbeat':
        // Sent only while the reader is idle at the end of the binlog.
        stopIfCachedApplied(e.position);
        break;
      default:
        break;
    }
    drain();
    while (unacked > MAX_UNACKED_RECORDS && inflight.size > 0) {
      await inflight.peek()!.promise;
      drain();
    }
    if (fatal) stopNow.abort();
  };

  // Read, reconnecting with back-off when the source goes away; resume from the checkpoint.
  let position = start;
  let attempt = 0;
  // No change was cached during the full load: nothing to apply.
  stopIfCachedApplied(start);
  const serverId = 0x4d53_0000 + Math.floor(Math.random() * 0xffff);
  while (!ctx.signal.aborted && !stopNow.signal.aborted) {
    const failed = await readUntilError(ctx, serverId, position, tracked, onEvent, [ctx.signal, stopNow.signal], stopAt);
    if (stopAt?.kind === 'server_time' && Date.now() / 1000 >= stopAt.epochSeconds) {
      stopReason = STOP_REASON.atServerTime;
      break;
    }
    if (!failed) break;
    if (failed instanceof BinlogNotFoundError) throw new TaskFailure(failed.message);
    if (fatal) break;
    // Everything unacknowledged is replayed from the last checkpoint: at-least-once.
    await Promise.allSettled(inflight.toArray().map((f) => f.promise));
    drain();
    position = state.progress.cdcFile ? { file: state.progress.cdcFile, position: state.progress.cdcPosition! } : start;
    txn = null;
    state.metrics.forgetUnacknowledged();
    // The back-off grows only while reconnecting fails; a reader that delivered events resets it.
    if (delivered > 0) attempt = 0;
    delivered = 0;
    const delay = RECONNECT_DELAYS_MS[Math.min(attempt++, RECONNECT_DELAYS_MS.length - 1)];
    logger.warn('binlog reader lost the source; reconnecting', { taskArn: ctx.env.task.ReplicationTaskArn, error: failed, delayMs: delay, position });
    ctx.log.warn('SOURCE_CAPTURE', `Lost the source connection (${failed.message}); reconnecting in ${delay} ms from '${position.file}:${position.position}' (attempt ${attempt})`);
    await sleep(delay, ctx.signal);
    // Credentials are read again at every reconnect (a rotated secret takes effect here).
    if (ctx.env.refreshSource) {
      ctx.env.source = await ctx.env.refreshSource().catch((e: Error) => {
        ctx.log.error('SOURCE_CAPTURE', `Cannot read the source credentials again: ${e.message}`);
        return ctx.env.source;
      });
    }
    if (attempt > 1000) throw new TaskFailure(`Lost the source and could not reconnect: ${failed.message}`);
  }
  await Promise.allSettled(inflight.toArray().map((f) => f.promise));
  drain();
  if (fatal) throw fatal;
  if (stopReason) return { status: 'stopped', stopReason };
  return { status: 'stopped', stopReason: STOP_REASON.normal };
}

/** Runs one binlog reader until it fails (returns the error) or a signal aborts (returns null). */
async function readUntilError(
  ctx: RunContext,
  serverId: number,
  from: BinlogPosition,
  tracked: Map<string, Tracked>,
  onEvent: (e: BinlogEvent) => Promise<void>,
  signals: AbortSignal[],
  stopAt: CdcStop | null,
): Promise<Error | null> {
  const src = ctx.env.source;
  let reader: BinlogReader | undefined;
  const stop = AbortSignal.any(signals);
  const result = await new Promise<Error | null>((resolve) => {
    let serverTimer: NodeJS.Timeout | undefined;
    const finish = (err: Error | null) => {
      clearInterval(serverTimer);
      stop.removeEventListener('abort', onAbort);
      resolve(err);
    };
    const onAbort = () => finish(null);
    stop.addEventListener('abort', onAbort);
    if (stopAt?.kind === 'server_time') {
      serverTimer = setInterval(() => {
        if (Date.now() / 1000 >= stopAt.epochSeconds) finish(null);
      }, 200);
    }
    reader = createBinlogReader(
      { host: src.host, port: src.port, user: src.user, password: src.password },
      {
        serverId,
        includeSchema: (schema, table) => tracked.has(tableKey(schema, table)) || matchesSelection(ctx.mappings, schema, table, 'table'),
        tableDef: (schema, table) => tracked.get(tableKey(schema, table))?.plan.source ?? null,
        onEvent,
        onError: (err) => finish(err),
      },
    );
    reader.start(from).catch((err) => finish(err as Error));
    if (stop.aborted) finish(null);
  });
  await reader?.stop().catch(() => undefined);
  return result;
}

async function startPosition(ctx: RunContext, conn: SourceConnection, fresh: boolean): Promise<BinlogPosition> {
  const p = ctx.state.progress;
  if (!fresh) return { file: p.cdcFile!, position: p.cdcPosition! };
  const snapshots = Object.values(p.tableSnapshots ?? {});
  if (snapshots.length > 0) return snapshots.reduce((a, b) => (comparePositions(a, b) <= 0 ? a : b));
  const task = ctx.env.task;
  const src = ctx.env.source;
  const cfg = { host: src.host, port: src.port, user: src.user, password: src.password };
  if (task.CdcStartPosition) {
    const parsed = parseCdcStartPosition(task.CdcStartPosition);
    if (parsed.kind === 'binlog') return { file: parsed.file, position: parsed.position };
    return binlogPositionAtTime(conn, parsed.epochSeconds, { cfg });
  }
  if (task._cdcStartTime !== undefined) return binlogPositionAtTime(conn, task._cdcStartTime, { cfg });
  return currentBinlogPosition(conn);
}

async function planFor(ctx: RunContext, schema: string, table: string): Promise<TablePlan | null> {
  const conn = await ctx.openSource();
  try {
    const def: TableDef | null = await describeTable(conn, schema, table);
    return def ? buildTablePlan(ctx.mappings, def) : null;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}
