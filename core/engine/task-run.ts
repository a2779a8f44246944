import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { logger } from '../logger.js';
import { NO_TASK_LOG } from '../observe/task-log.js';
import { buildTablePlan, type TablePlan } from '../mapping/plan.js';
import { parseTableMappings } from '../mapping/parse.js';
import { NO_TABLES_FOUND_MESSAGE, explicitTables, selectTables } from '../mapping/select.js';
import { STOP_REASON } from '../model/task.js';
import { createRecordFormatter } from '../record/formatter.js';
import { effectiveSettings } from '../settings/index.js';
import { createKinesisClient, parseStreamArn } from '../sink/kinesis/client.js';
import { createKinesisSink, type KinesisSink, type RecordSink } from '../sink/kinesis/sink.js';
import { parallelLoadSinkOptions } from '../sink/kinesis/parallel-load.js';
import { leanPutRecords, type LeanPutRecordsClient } from '../sink/kinesis/put-records.js';
import type { Source } from '../source/contract.js';
import { runCdc } from './cdc.js';
import { TaskFailure, retain, type RunContext, type RunOutcome, type TaskRunEnv } from './context.js';
import { TaskStoppedError, runFullLoad } from './full-load.js';
import { tableKey, type RunState } from './run-state.js';

// One run of a replication task, from its start request to an outcome: discovers the selected
// tables, then full load and/or CDC. The runner owns persistence; this only reports into RunState.

export { TaskFailure, type RunContext, type RunOutcome, type TaskRunEnv } from './context.js';

export async function executeTask(env: TaskRunEnv, state: RunState, signal: AbortSignal): Promise<RunOutcome> {
  let client: KinesisClient | undefined;
  let puts: LeanPutRecordsClient | undefined;
  let sink: KinesisSink | undefined;
  let changeSink: KinesisSink | undefined;
  let reloader: { stop(): Promise<void> } | undefined;
  let source: Source | undefined;
  let ctx: RunContext | undefined;
  try {
    const settings = effectiveSettings(JSON.parse(env.task.ReplicationTaskSettings));
    const mappings = parseTableMappings(env.task.TableMappings);
    const stream = parseStreamArn(env.kinesis.StreamArn);
    if (!stream) throw new TaskFailure(`Invalid Kinesis StreamArn ${env.kinesis.StreamArn}`);
    client = createKinesisClient({ endpoint: env.kinesisEndpoint, region: stream.region });
    await checkStream(client, stream.streamName, env.kinesis.StreamArn);
    puts = leanPutRecords(client);
    sink = createKinesisSink({ client: puts, streamName: stream.streamName });
    changeSink = createKinesisSink({ client: puts, streamName: stream.streamName, maxInFlight: Math.max(1, settings.parallelApplyThreads) });
    const formatter = createRecordFormatter({
      kinesis: env.kinesis,
      taskResourceId: env.task.ReplicationTaskArn.split(':').pop()!,
      parallelApply: settings.parallelApplyThreads > 0,
      beforeImage: settings.beforeImage ? { fieldName: settings.beforeImage.fieldName, columnFilter: settings.beforeImage.columnFilter } : null,
    });
    source = env.sourceEngine.open(env.source);
    try {
      await source.version();
    } catch (e) {
      throw new TaskFailure(`Cannot connect to the ${env.source.engineName} source endpoint ${env.source.host}:${env.source.port}: ${(e as Error).message}`);
    }
    const tableSinkOptions = parallelLoadSinkOptions(settings);
    const kinesis = puts;
    const tableSink = tableSinkOptions ? (): RecordSink => createKinesisSink({ client: kinesis, streamName: stream.streamName, ...tableSinkOptions }) : undefined;
    ctx = { env, state, settings, mappings, formatter, sink, changeSink, source, signal, now: env.now, log: env.log ?? NO_TASK_LOG, ...(tableSink ? { tableSink } : {}) };
    let plans = await discoverTables(ctx);
    reloader = startReloader(ctx, plans);
    const type = env.task.MigrationType;
    const startType = env.task._run?.type ?? 'start-replication';
    if (type === 'full-load' || type === 'full-load-and-cdc') {
      const fresh = startType !== 'resume-processing';
      if (fresh) state.progress = {};
      // A fresh full-load-and-cdc keeps the change log from before its first snapshot (PostgreSQL: the
      // task's replication slot), so the CDC that follows the load misses nothing.
      if (type === 'full-load-and-cdc' && state.progress.retainedFrom === undefined && source.retainChanges) {
        const { failures } = await source.checkPrerequisites({ cdc: true });
        if (failures.length > 0) throw new TaskFailure(failures.map((f) => f.message).join('; '));
        state.progress.retainedFrom = await retain(source, env.task.ReplicationTaskArn, startType);
        await state.persist?.();
      }
      if (!state.progress.fullLoadDone) {
        const done = new Set(state.progress.completedTables ?? []);
        const todo = plans.filter((p) => !done.has(tableKey(p.source.schema, p.source.table)));
        for (const p of todo) state.update(p.source.schema, p.source.table, env.now(), (s) => { s.TableState = 'Before load'; });
        state.setFullLoadTables(plans.length);
        state.fullLoadStartDate ??= env.now();
        const replanned = new Map<string, TablePlan>();
        await runFullLoad({
          plans: todo,
          source,
          formatter,
          sink,
          state,
          settings,
          signal,
          now: env.now,
          reload: startType === 'reload-target',
          log: ctx.log,
          ...(tableSink ? { tableSink } : {}),
          // Kept in the persisted progress as each table starts: a resumed load must not forget the
          // positions of the tables an earlier run completed (CDC starts from the oldest).
          mappings,
          onSnapshot: (plan, pos) => {
            replanned.set(tableKey(plan.source.schema, plan.source.table), plan);
            (state.progress.tableSnapshots ??= {})[tableKey(plan.source.schema, plan.source.table)] = pos;
          },
        });
        await sink.flush();
        state.fullLoadFinishDate = env.now();
        state.progress.fullLoadDone = true;
        ctx.log.info('TASK_MANAGER', `All tables are loaded: full load finished for ${plans.length} table${plans.length === 1 ? '' : 's'}`);
        // CDC follows the definitions the snapshots saw.
        plans = plans.map((p) => replanned.get(tableKey(p.source.schema, p.source.table)) ?? p);
        if (settings.stopTaskCachedChangesNotApplied && type === 'full-load-and-cdc') return { status: 'stopped', stopReason: STOP_REASON.afterFullLoad };
      }
      // Also when a finished full load is resumed: there is nothing left to do.
      if (type === 'full-load') return { status: 'stopped', stopReason: STOP_REASON.fullLoadOnlyFinished };
    }
    return await runCdc(ctx, plans);
  } catch (e) {
    if (e instanceof TaskStoppedError || signal.aborted) {
      await Promise.all([sink?.flush(), changeSink?.flush()]).catch(() => undefined);
      return { status: 'stopped', stopReason: STOP_REASON.normal };
    }
    return { status: 'failed', message: (e as Error).message };
  } finally {
    await reloader?.stop().catch(() => undefined);
    await sink?.close().catch(() => undefined);
    await changeSink?.close().catch(() => undefined);
    puts?.destroy();
    client?.destroy();
    await (ctx?.source ?? source)?.close().catch(() => undefined);
  }
}

async function checkStream(client: KinesisClient, streamName: string, arn: string): Promise<void> {
  try {
    await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
  } catch (e) {
    const err = e as Error;
    if (err.name === 'ResourceNotFoundException') throw new TaskFailure(`Kinesis stream ${streamName} does not exist (${arn})`);
    throw new TaskFailure(`Cannot reach Kinesis stream ${arn}: ${err.message}`);
  }
}

/** The selected tables and their plans; fails like AWS when a named table is missing or nothing matches. */
export async function discoverTables(ctx: RunContext): Promise<TablePlan[]> {
  const candidates = await ctx.source.listTables();
  const selected = selectTables(ctx.mappings, candidates);
  const present = new Set(candidates.map((c) => tableKey(c.schema, c.table)));
  const missing = explicitTables(ctx.mappings).filter((t) => !present.has(tableKey(t.schema, t.table)));
  if (missing.length > 0) {
    const names = missing.map((t) => `'${t.schema}'.'${t.table}' (rule ${t.ruleId})`).join(', ');
    throw new TaskFailure(
      `Table ${names} selected by the table mappings does not exist in the source ${ctx.env.source.host}:${ctx.env.source.port}`,
    );
  }
  if (selected.length === 0 && ctx.settings.failOnNoTablesCaptured !== false) throw new TaskFailure(NO_TABLES_FOUND_MESSAGE);
  const names = selected.slice(0, 20).map((t) => `'${t.schema}'.'${t.table}'`).join(', ');
  ctx.log.info('TABLES_MANAGER', `${selected.length} table${selected.length === 1 ? '' : 's'} selected by the table mappings${selected.length ? `: ${names}${selected.length > 20 ? ', ...' : ''}` : ''}`);
  const plans: TablePlan[] = [];
  for (const t of selected) {
    const def = await ctx.source.describeTable(t.schema, t.table);
    if (!def) throw new TaskFailure(`Table '${t.schema}'.'${t.table}' disappeared from the source while the task started`);
    plans.push(buildTablePlan(ctx.mappings, def));
  }
  return plans;
}

/**
 * ReloadTables while the task runs: each requested table is loaded again (its control records, then
 * its rows) beside the ongoing full load or CDC.
 */
function startReloader(ctx: RunContext, plans: TablePlan[]): { stop(): Promise<void> } {
  let stopped = false;
  let current: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    if (stopped || ctx.state.reloadRequests.length === 0) return;
    const requests = ctx.state.reloadRequests.splice(0);
    const todo = plans.filter((p) => requests.some((r) => r.schema === p.source.schema && r.table === p.source.table));
    current = current.then(() =>
      runFullLoad({ plans: todo, mappings: ctx.mappings, source: ctx.source, formatter: ctx.formatter, sink: ctx.sink, state: ctx.state, settings: ctx.settings, signal: ctx.signal, now: ctx.now, reload: true, log: ctx.log, ...(ctx.tableSink ? { tableSink: ctx.tableSink } : {}) }).catch(
        (e) => {
          logger.warn('table reload failed', { taskArn: ctx.env.task.ReplicationTaskArn, reason: (e as Error).message });
          ctx.log.error('TASK_MANAGER', `Table reload failed: ${(e as Error).message}`);
        },
      ),
    );
  }, 200);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await current;
    },
  };
}
