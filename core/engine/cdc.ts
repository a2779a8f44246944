import { buildTablePlan, type TablePlan } from '../mapping/plan.js';
import { logger } from '../logger.js';
import { parseCdcStopPosition, type CdcStop } from '../model/positions.js';
import { STOP_REASON } from '../model/task.js';
import { AWSDMS_APPLY_EXCEPTIONS } from '../record/dms-types.js';
import { PUT_RECORDS_MAX_RECORDS, type KinesisRecord } from '../sink/kinesis/sink.js';
import { PositionUnavailableError, type ChangeEvent, type ChangeStream, type SourcePosition } from '../source/contract.js';
import { ChangeEventHandler, type TrackedTable } from './change-handler.js';
import { TaskFailure, retain, type RunContext, type RunOutcome } from './context.js';
import { CheckpointLedger } from './ledger.js';
import { lobTruncationCheck } from './lob.js';
import { tableKey } from './run-state.js';

// CDC orchestration: where to start, the announcement of the tables, one change stream at a time
// (reconnecting from the checkpoint when the source goes away), and the stop conditions. What a
// change becomes is the handler's business; what is safe to resume from is the ledger's.

/**
 * Records sent but not yet acknowledged before reading more of the change log waits: per lane, one
 * full PutRecords call in flight and the next one gathered keep the lane busy. More only keeps
 * records alive across young-generation collections, each of which copies them (20,000 cost ~8 µs
 * of runner CPU per change in bench:cdc; 4,000 cost ~15 % more than 1,000, BENCHMARKS.md).
 */
function maxUnackedRecords(lanes: number): number {
  return PUT_RECORDS_MAX_RECORDS * (lanes + 1);
}
/** Reconnect back-off after the source went away (e.g. a server restart). */
const RECONNECT_DELAYS_MS = [200, 500, 1000, 2000, 5000];

export async function runCdc(ctx: RunContext, plans: TablePlan[]): Promise<RunOutcome> {
  const { state, env, settings } = ctx;
  const source = ctx.source;
  const taskArn = env.task.ReplicationTaskArn;
  const fresh = state.progress.cdcResumePosition === undefined;
  const { failures } = await source.checkPrerequisites({ cdc: true });
  if (failures.length > 0) throw new TaskFailure(failures.map((f) => f.message).join('; '));
  const start = await startPosition(ctx, fresh);
  // A purged or unknown position fails the task before anything is announced (MySQL error 1236).
  try {
    await source.assertReadable(start);
  } catch (e) {
    throw new TaskFailure((e as Error).message);
  }
  const stopAt: CdcStop | null = env.task.CdcStopPosition ? parseCdcStopPosition(env.task.CdcStopPosition) : null;
  const cachedUntil =
    settings.stopTaskCachedChangesApplied && env.task.MigrationType === 'full-load-and-cdc' ? await source.currentPosition() : null;

  let activeStream: ChangeStream | null = null;
  const ledger = new CheckpointLedger({
    sink: ctx.changeSink,
    positions: source.positions,
    seq: state.progress.checkpointSeq ?? 0,
    // One sink call, entry and checkpoint per turn of the event loop, not per (single-row) transaction.
    gather: true,
    onCheckpoint: (c) => {
      state.progress.cdcResumePosition = c.position;
      // Kinesis holds everything before it: the source may release it (PostgreSQL: the slot's confirmed_flush_lsn).
      activeStream?.acknowledge(c.position);
      state.progress.checkpointSeq = c.seq;
      state.checkpoint = c.recovery;
    },
    onApplied: (applied) => {
      for (const [key, c] of applied) {
        state.metrics.appliedChanges(c.inserts + c.updates + c.deletes);
        const [schema, table] = key.split('\u0000');
        state.update(schema!, table!, ctx.now(), (s) => {
          s.AppliedInserts += c.inserts;
          s.AppliedUpdates += c.updates;
          s.AppliedDeletes += c.deletes;
          s.AppliedDdls += c.ddls;
        });
      }
    },
    onRefused: (e) => {
      logger.warn('record refused', { taskArn, reason: e.message });
      ctx.log.warn('TARGET_APPLY', `Record refused by the target: ${e.message}`);
    },
  });

  ctx.log.info('SOURCE_CAPTURE', `${fresh ? 'Starting' : 'Resuming'} change capture from ${source.engine === 'mysql' ? 'binlog position' : 'LSN'} '${start}'`);
  const tables: TrackedTable[] = plans.map((plan) => {
    const snapshot = state.progress.tableSnapshots?.[tableKey(plan.source.schema, plan.source.table)];
    return { plan, ...(snapshot ? { snapshot } : {}) };
  });
  if (env.task.MigrationType === 'cdc') {
    for (const t of tables) state.update(t.plan.source.schema, t.plan.source.table, ctx.now(), (s) => { s.TableState = 'Table completed'; });
  }
  const handler = new ChangeEventHandler(
    {
      positions: source.positions,
      formatter: ctx.formatter,
      ledger,
      mappings: ctx.mappings,
      planFor: async (schema, table) => {
        const def = await ctx.source.describeTable(schema, table);
        return def ? buildTablePlan(ctx.mappings, def) : null;
      },
      stats: (schema, table, fn) => state.update(schema, table, ctx.now(), fn),
      ddlDialect: source.engine === 'postgres' ? 'postgres' : 'mysql',
      includeAlterOperations: Boolean(env.kinesis.IncludeTableAlterOperations),
      stopAt,
      cachedUntil,
      onDdlCaptured: (text) => ctx.log.info('SOURCE_CAPTURE', text),
      onCaptured: (records, timestamp) => state.metrics.capturedChanges(records, timestamp),
      lobCheck: lobTruncationCheck(settings, source),
      beforeImages: Boolean(settings.beforeImage),
    },
    tables,
  );

  // At a fresh CDC start AWS announces the exceptions table and every selected table.
  if (fresh) {
    const control: KinesisRecord[] = [ctx.formatter.control('create-table', AWSDMS_APPLY_EXCEPTIONS)];
    if (env.task.MigrationType === 'cdc') for (const t of tables) control.push(ctx.formatter.control('create-table', t.plan.target));
    // Control records use their own partition keys: acknowledge them before any row goes out,
    // so a consumer always sees a table's definition before its changes.
    await ledger.write(control);
  }
  await ledger.boundary(start);
  // The start position is saved before anything is read: a runner killed now must not leave
  // its successor to start again from a later "current" position.
  if (fresh) await state.persist?.();
  if (ledger.failure !== undefined) throw ledger.failure;

  const maxUnacked = maxUnackedRecords(ctx.changeSink.lanes);
  const stopNow = new AbortController();
  let delivered = 0;
  const afterEvent = (): Promise<void> | void => {
    if (ledger.unacked > maxUnacked) return ledger.waitBelow(maxUnacked).then(checkStop);
    checkStop();
  };
  const checkStop = () => {
    if (handler.stopReason || handler.failure || ledger.failure !== undefined) stopNow.abort();
  };
  // Synchronous unless the handler or the back-pressure has to wait: no promise per event; the two
  // signals read once each through a flag (AbortSignal.aborted is a checked getter).
  let stopped = ctx.signal.aborted;
  const onStop = () => { stopped = true; };
  ctx.signal.addEventListener('abort', onStop, { once: true });
  stopNow.signal.addEventListener('abort', onStop, { once: true });
  const onEvent = (e: ChangeEvent): Promise<void> | void => {
    if (stopped) return;
    delivered++;
    const handled = handler.handle(e);
    if (handled) return handled.then(afterEvent);
    return afterEvent();
  };

  // Read, reconnecting with back-off when the source goes away; resume from the checkpoint.
  let position = start;
  let attempt = 0;
  // No change was cached during the full load: nothing to apply.
  handler.reached(start);
  if (handler.stopReason) stopNow.abort();
  let stopReason: string | null = null;
  while (!ctx.signal.aborted && !stopNow.signal.aborted) {
    const failed = await readUntilError(ctx, position, handler, onEvent, [ctx.signal, stopNow.signal], stopAt, (s) => { activeStream = s; });
    activeStream = null;
    if (stopAt?.kind === 'server_time' && Date.now() / 1000 >= stopAt.epochSeconds) {
      stopReason = STOP_REASON.atServerTime;
      break;
    }
    if (!failed) break;
    if (failed instanceof PositionUnavailableError) {
      logger.error('change stream start position unavailable', { taskArn, reason: failed.message, position });
      throw new TaskFailure(failed.message);
    }
    if (ledger.failure !== undefined) break;
    // Everything unacknowledged is replayed from the last checkpoint: at-least-once.
    await ledger.settle();
    position = ledger.checkpoint?.position ?? start;
    handler.restart();
    state.metrics.forgetUnacknowledged();
    // The back-off grows only while reconnecting fails; a reader that delivered events resets it.
    if (delivered > 0) attempt = 0;
    delivered = 0;
    const delay = RECONNECT_DELAYS_MS[Math.min(attempt++, RECONNECT_DELAYS_MS.length - 1)];
    logger.warn('change stream lost the source; reconnecting', { taskArn, reason: failed.message, attempt, delayMs: delay, position });
    ctx.log.warn('SOURCE_CAPTURE', `Lost the source connection (${failed.message}); reconnecting in ${delay} ms from '${position}' (attempt ${attempt})`);
    await sleep(delay, ctx.signal);
    // Credentials are read again at every reconnect (a rotated secret takes effect here).
    if (env.refreshSource) {
      try {
        env.source = await env.refreshSource();
        const old = ctx.source;
        ctx.source = env.sourceEngine.open(env.source);
        await old.close().catch(() => undefined);
      } catch (e) {
        logger.warn('cannot read the source credentials again', { taskArn, reason: (e as Error).message });
        ctx.log.error('SOURCE_CAPTURE', `Cannot read the source credentials again: ${(e as Error).message}`);
      }
    }
    if (attempt > 1000) throw new TaskFailure(`Lost the source and could not reconnect: ${failed.message}`);
  }
  await ledger.settle();
  if (ledger.failure !== undefined) throw ledger.failure;
  if (handler.failure) throw handler.failure;
  return { status: 'stopped', stopReason: stopReason ?? handler.stopReason ?? STOP_REASON.normal };
}

/** Runs one change stream until it fails (returns the error) or a signal aborts (returns null). */
async function readUntilError(
  ctx: RunContext,
  from: SourcePosition,
  handler: ChangeEventHandler,
  onEvent: (e: ChangeEvent) => Promise<void> | void,
  signals: AbortSignal[],
  stopAt: CdcStop | null,
  onStream: (s: ChangeStream) => void,
): Promise<Error | null> {
  let stream: ChangeStream | undefined;
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
    stream = ctx.source.changes({
      from,
      readerId: ctx.env.task.ReplicationTaskArn,
      includeTable: handler.includeTable,
      tableDef: handler.tableDef,
      updateBeforeImage: handler.updateBeforeImage,
      onEvent,
      onError: (err) => finish(err),
    });
    onStream(stream);
    stream.start().catch((err: unknown) => finish(err instanceof Error ? err : new Error(String(err))));
    if (stop.aborted) finish(null);
  });
  await stream?.stop().catch(() => undefined);
  return result;
}

async function startPosition(ctx: RunContext, fresh: boolean): Promise<SourcePosition> {
  const p = ctx.state.progress;
  const { source } = ctx;
  if (!fresh) return p.cdcResumePosition!;
  // Sources that keep the log per reader (PostgreSQL's slot) start keeping it now, if the full load did not.
  if (source.retainChanges && p.retainedFrom === undefined) p.retainedFrom = await retain(source, ctx.env.task.ReplicationTaskArn, ctx.env.task._run?.type);
  const snapshots = Object.values(p.tableSnapshots ?? {});
  if (snapshots.length > 0) return snapshots.reduce((a, b) => (source.positions.compare(a, b) <= 0 ? a : b));
  const task = ctx.env.task;
  if (task.CdcStartPosition) {
    const parsed = source.positions.parseStart(task.CdcStartPosition);
    if (parsed.kind === 'position') return parsed.position;
    return source.positionAt(parsed.epochSeconds);
  }
  if (task._cdcStartTime !== undefined) return source.positionAt(task._cdcStartTime);
  // From where the retained log begins (a new slot: now; a slot kept from an earlier run: its confirmed position).
  return p.retainedFrom ?? source.currentPosition();
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
