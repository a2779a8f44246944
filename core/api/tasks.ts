import { logger } from '../logger.js';
import { resolveEndpointConnection } from '../source/credentials.js';
import { randomUUID } from 'node:crypto';
import { parseTableMappings } from '../mapping/parse.js';
import { buildArn, requireArn, resourceIdFrom } from '../model/arn.js';
import {
  InvalidParameterCombinationException,
  InvalidParameterValueException,
  InvalidResourceStateFault,
  ResourceAlreadyExistsFault,
  ResourceNotFoundFault,
} from '../model/errors.js';
import { parseCdcStopPosition } from '../model/positions.js';
import { sourceRegistry } from '../source/registry.js';
import { transition } from '../model/task-states.js';
import { defaultTaskSettings, mergeTaskSettings, type TaskSettingsDocument } from '../settings/index.js';
import {
  ConditionFailed,
  identKey,
  mutate,
  resourceKey,
  workKey,
  type Stored,
  type WriteOp,
} from '../state/resources.js';
import type { ApiContext } from './context.js';
import { lookupResources } from '../state/lookup.js';
import { compileFilters, maxRecords, notFoundIfEmpty, page, publicView } from './describe.js';
import { ENGINE_DISPLAY_NAMES, endpointRecord, getEndpoint, mapStored, type EndpointDoc } from './endpoints.js';
import { claimIdentifier, IDENTIFIERS, renameIdentifier, rethrowTaken, storedIdentifier } from './identifiers.js';
import { getInstance, type InstanceDoc } from './instances.js';
import type { Input, Output } from './operations.js';
import { checkTablesToReload, deleteTableStatistics, markReloading, queueReloads, tableStatisticsPage } from './table-statistics.js';
import { settleTask, type TaskDoc } from '../model/task.js';
import { deleteTaskLogTail } from '../observe/log-store.js';
import { withLogDestination } from '../observe/task-log.js';

type ReplicationTaskView = NonNullable<Output<'CreateReplicationTask'>['ReplicationTask']>;

/** The CDC members of Create/Modify/StartReplicationTask. */
interface CdcOptions {
  CdcStartTime?: number;
  CdcStartPosition?: string;
  CdcStopPosition?: string;
}

export type { TaskDoc };

const taskFilters = {
  'replication-task-arn': (t: TaskDoc) => t.ReplicationTaskArn,
  'replication-task-id': (t: TaskDoc) => t.ReplicationTaskIdentifier,
  'migration-type': (t: TaskDoc) => t.MigrationType,
  'endpoint-arn': (t: TaskDoc) => [t.SourceEndpointArn, t.TargetEndpointArn],
  'replication-instance-arn': (t: TaskDoc) => t.ReplicationInstanceArn,
};

export function taskView(doc: TaskDoc, withoutSettings = false): ReplicationTaskView {
  const view = publicView(doc);
  if (!withoutSettings) return view;
  const { ReplicationTaskSettings: _omitted, ...rest } = view;
  return rest;
}

export async function getTask(ctx: ApiContext, arn: string): Promise<Stored<TaskDoc>> {
  requireArn('ReplicationTaskArn', arn, 'task');
  const found = await ctx.table.get<TaskDoc>(resourceKey('task', ctx.scope, arn));
  if (!found) throw new ResourceNotFoundFault(`Replication Task ${arn} not found`);
  return { ...found, doc: settleTask(found.doc, ctx.now()) };
}

export function engineTypeDescription(e: EndpointDoc): string {
  return `ReplicationEngineType [id=0, name=${e.EngineName}, cdcSupported=Y, endpointType=${e.EndpointType}, serviceType=AWS, externalName=${ENGINE_DISPLAY_NAMES[e.EngineName] ?? e.EngineName}, rvn=1]`;
}

function validateCdcOptions(input: CdcOptions) {
  if (input.CdcStartTime !== undefined && input.CdcStartPosition !== undefined) {
    throw new InvalidParameterCombinationException('CdcStartTime and CdcStartPosition cannot be specified together');
  }
  if (input.CdcStopPosition !== undefined) parseCdcStopPosition(input.CdcStopPosition);
}

/** A CdcStartPosition is a position of the source's engine (engines without a source are not checked). */
function validateCdcStartPosition(input: CdcOptions, source: EndpointDoc) {
  if (input.CdcStartPosition === undefined) return;
  sourceRegistry.forEngine(source.EngineName)?.positions.parseStart(input.CdcStartPosition);
}

async function validateCdcStartPositionOfTask(ctx: ApiContext, input: CdcOptions, arn: string) {
  if (input.CdcStartPosition === undefined) return;
  const task = await getTask(ctx, arn);
  validateCdcStartPosition(input, (await getEndpoint(ctx, task.doc.SourceEndpointArn)).doc);
}

/** CdcStartPosition and CdcStartTime replace each other; CdcStopPosition stands alone. */
function applyCdcOptions(doc: TaskDoc, input: CdcOptions): void {
  if (input.CdcStartPosition !== undefined) {
    doc.CdcStartPosition = input.CdcStartPosition;
    delete doc._cdcStartTime;
  }
  if (input.CdcStartTime !== undefined) {
    doc._cdcStartTime = input.CdcStartTime;
    delete doc.CdcStartPosition;
  }
  if (input.CdcStopPosition !== undefined) doc.CdcStopPosition = input.CdcStopPosition;
}

export async function createReplicationTask(
  ctx: ApiContext,
  input: Input<'CreateReplicationTask'>,
): Promise<Output<'CreateReplicationTask'>> {
  const identifier = storedIdentifier(IDENTIFIERS.task, input.ReplicationTaskIdentifier);
  const mappings = input.TableMappings;
  parseTableMappings(mappings);
  const settings = mergeTaskSettings(input.ReplicationTaskSettings, defaultTaskSettings(), { create: true });
  validateCdcOptions(input);
  const [source, target] = await Promise.all([
    getEndpoint(ctx, input.SourceEndpointArn),
    getEndpoint(ctx, input.TargetEndpointArn),
  ]);
  const instance = await getInstance(ctx, input.ReplicationInstanceArn);
  if (source.doc.EndpointType !== 'SOURCE') {
    throw new InvalidParameterValueException(`${engineTypeDescription(source.doc)} endpoint must be of type SOURCE`);
  }
  if (target.doc.EndpointType !== 'TARGET') {
    throw new InvalidParameterValueException(`${engineTypeDescription(target.doc)} endpoint must be of type TARGET`);
  }
  validateCdcStartPosition(input, source.doc);
  const arn = buildArn(ctx.scope, 'task', resourceIdFrom(input.ResourceIdentifier));
  const now = ctx.now();
  const doc: TaskDoc = {
    ReplicationTaskIdentifier: identifier,
    SourceEndpointArn: source.doc.EndpointArn,
    TargetEndpointArn: target.doc.EndpointArn,
    ReplicationInstanceArn: instance.doc.ReplicationInstanceArn,
    MigrationType: input.MigrationType,
    TableMappings: mappings,
    ReplicationTaskSettings: withLogDestination(settings.json, instance.doc.ReplicationInstanceIdentifier, arn),
    Status: 'creating',
    ReplicationTaskCreationDate: now,
    ...(input.CdcStartPosition !== undefined ? { CdcStartPosition: input.CdcStartPosition } : {}),
    ...(input.CdcStopPosition !== undefined ? { CdcStopPosition: input.CdcStopPosition } : {}),
    ReplicationTaskArn: arn,
    ...(input.TaskData !== undefined ? { TaskData: input.TaskData } : {}),
    ...(input.CdcStartTime !== undefined ? { _cdcStartTime: input.CdcStartTime } : {}),
    _readyAt: now + ctx.config.createDelayMs / 1000,
    _tags: input.Tags ?? [],
    _hasRun: false,
  };
  try {
    await ctx.table.write([
      { kind: 'put', key: resourceKey('task', ctx.scope, arn), doc, ifAbsent: true },
      claimIdentifier(ctx.scope, IDENTIFIERS.task, identifier, arn),
      { kind: 'add', key: source.key, attr: 'refs', delta: 1, mustExist: true },
      { kind: 'add', key: target.key, attr: 'refs', delta: 1, mustExist: true },
      { kind: 'add', key: instance.key, attr: 'refs', delta: 1, mustExist: true },
    ]);
  } catch (e) {
    if (e instanceof ConditionFailed && e.index === 0) throw new ResourceAlreadyExistsFault(IDENTIFIERS.task.taken, arn);
    if (e instanceof ConditionFailed && (e.index === null || e.index > 1)) {
      throw new ResourceNotFoundFault('An endpoint or replication instance of this task was deleted concurrently');
    }
    await rethrowTaken(ctx, IDENTIFIERS.task, e, identifier, true);
  }
  await ctx.events.record(ctx.scope, { kind: 'task.created', sourceType: 'replication-task', sourceId: identifier, instanceId: instance.doc.ReplicationInstanceIdentifier });
  return { ReplicationTask: taskView(doc) };
}

export async function describeReplicationTasks(
  ctx: ApiContext,
  input: Input<'DescribeReplicationTasks'>,
): Promise<Output<'DescribeReplicationTasks'>> {
  const match = compileFilters(input.Filters, taskFilters);
  const now = ctx.now();
  const limit = maxRecords(input.MaxRecords);
  const lookup = { kind: 'task', scope: ctx.scope, filters: input.Filters, arnFilter: 'replication-task-arn', idFilter: 'replication-task-id', pageSize: limit + 1 } as const;
  const result = await page<TaskDoc>(
    (after) => mapStored(lookupResources<TaskDoc>(ctx.table, lookup, after), (d) => settleTask(d, now)),
    match,
    input.Marker,
    limit,
  );
  notFoundIfEmpty(result.items, input.Filters, 'No Tasks found matching provided filters');
  return {
    ReplicationTasks: result.items.map((t) => taskView(t, Boolean(input.WithoutSettings))),
    ...(result.marker ? { Marker: result.marker } : {}),
  };
}

/** Applies `fn` to the settled task under optimistic locking; returns the written document. */
async function updateTask(
  ctx: ApiContext,
  arn: string,
  fn: (t: Stored<TaskDoc>) => { doc: TaskDoc; extra?: WriteOp[] },
): Promise<TaskDoc> {
  requireArn('ReplicationTaskArn', arn, 'task');
  let out: TaskDoc | undefined;
  await mutate<TaskDoc>(ctx.table, resourceKey('task', ctx.scope, arn), (current) => {
    if (!current) throw new ResourceNotFoundFault(`Replication Task ${arn} not found`);
    const settled = { ...current, doc: settleTask(current.doc, ctx.now()) };
    const { doc, extra = [] } = fn(settled);
    out = doc;
    return [{ kind: 'put', key: current.key, doc, ifVersion: current.version }, ...extra];
  });
  return out!;
}

export async function modifyReplicationTask(
  ctx: ApiContext,
  input: Input<'ModifyReplicationTask'>,
): Promise<Output<'ModifyReplicationTask'>> {
  const arn = input.ReplicationTaskArn;
  if (input.TableMappings !== undefined) parseTableMappings(input.TableMappings);
  let claimed: string | undefined;
  validateCdcOptions(input);
  await validateCdcStartPositionOfTask(ctx, input, arn);
  // Logging.CloudWatchLogGroup names the task's replication instance.
  const logInstanceId = input.ReplicationTaskSettings !== undefined ? await instanceIdOf(ctx, (await getTask(ctx, arn)).doc) : undefined;
  const doc = await updateTask(ctx, arn, ({ doc: current }) => {
    const next = transition(current.Status, 'modify');
    if (!next) {
      throw new InvalidResourceStateFault(
        current.Status === 'running' || current.Status === 'starting' || current.Status === 'stopping'
          ? 'Replication Task cannot be modified while it is running state'
          : `Replication Task cannot be modified in its current state: ${current.Status}`,
      );
    }
    const doc: TaskDoc = { ...current };
    if (input.MigrationType !== undefined) doc.MigrationType = input.MigrationType;
    if (input.TableMappings !== undefined) doc.TableMappings = input.TableMappings;
    if (input.ReplicationTaskSettings !== undefined) {
      const stored: TaskSettingsDocument = JSON.parse(current.ReplicationTaskSettings);
      doc.ReplicationTaskSettings = mergeTaskSettings(input.ReplicationTaskSettings, stored).json;
      if (logInstanceId) doc.ReplicationTaskSettings = withLogDestination(doc.ReplicationTaskSettings, logInstanceId, arn);
    }
    applyCdcOptions(doc, input);
    if (input.TaskData !== undefined) doc.TaskData = input.TaskData;
    const rename = renameIdentifier(ctx.scope, IDENTIFIERS.task, arn, current.ReplicationTaskIdentifier, input.ReplicationTaskIdentifier);
    claimed = rename.claimed;
    doc.ReplicationTaskIdentifier = rename.identifier;
    doc.Status = next;
    return { doc, extra: rename.ops };
  }).catch((e) => rethrowTaken(ctx, IDENTIFIERS.task, e, claimed));
  await ctx.events.record(ctx.scope, { kind: 'task.modified', sourceType: 'replication-task', sourceId: doc.ReplicationTaskIdentifier, instanceId: await instanceIdOf(ctx, doc) });
  // AWS answers `modifying`; the change is already applied, so the next Describe shows the settled status.
  return { ReplicationTask: taskView({ ...doc, Status: 'modifying' }) };
}

export async function startReplicationTask(
  ctx: ApiContext,
  input: Input<'StartReplicationTask'>,
): Promise<Output<'StartReplicationTask'>> {
  const arn = input.ReplicationTaskArn;
  const type = input.StartReplicationTaskType;
  validateCdcOptions(input);
  await validateCdcStartPositionOfTask(ctx, input, arn);
  const doc = await updateTask(ctx, arn, ({ doc: current }) => {
    const next = transition(current.Status, 'start');
    if (!next) throw new InvalidResourceStateFault('Replication Task cannot be started, invalid state');
    if (type === 'start-replication' && current._hasRun) {
      throw new InvalidResourceStateFault(
        'Replication Task cannot be started with StartReplicationTaskType start-replication: the task has already run. Use resume-processing or reload-target',
      );
    }
    if (type === 'reload-target' && current.MigrationType === 'cdc') {
      throw new InvalidParameterValueException('StartReplicationTaskType reload-target is not valid for a cdc task');
    }
    const now = ctx.now();
    const doc: TaskDoc = {
      ...current,
      Status: next,
      ReplicationTaskStartDate: now,
      ReplicationTaskStats: {
        ...(current.ReplicationTaskStats ?? {}),
        ...(type === 'start-replication' || type === 'reload-target' || !current._hasRun ? { FreshStartDate: now } : {}),
        StartDate: now,
      },
      _hasRun: true,
      _run: { id: randomUUID(), type: current._hasRun ? type : 'start-replication', requestedAt: now },
    };
    delete doc.StopReason;
    delete doc.LastFailureMessage;
    if (doc.ReplicationTaskStats) delete doc.ReplicationTaskStats.StopDate;
    applyCdcOptions(doc, input);
    return {
      doc,
      extra: [{ kind: 'put', key: workKey(arn), doc: { arn, account: ctx.scope.account, region: ctx.scope.region } }],
    };
  });
  return { ReplicationTask: taskView(doc) };
}

export async function stopReplicationTask(
  ctx: ApiContext,
  input: Input<'StopReplicationTask'>,
): Promise<Output<'StopReplicationTask'>> {
  const arn = input.ReplicationTaskArn;
  const doc = await updateTask(ctx, arn, ({ doc: current }) => {
    const next = transition(current.Status, 'stop');
    if (!next) throw new InvalidResourceStateFault(`Replication Task cannot be stopped, task is not running (status: ${current.Status})`);
    const now = ctx.now();
    const doc: TaskDoc = { ...current, Status: next, _stopRequestedAt: now };
    return { doc };
  });
  return { ReplicationTask: taskView(doc) };
}

export async function deleteReplicationTask(
  ctx: ApiContext,
  input: Input<'DeleteReplicationTask'>,
): Promise<Output<'DeleteReplicationTask'>> {
  const arn = input.ReplicationTaskArn;
  requireArn('ReplicationTaskArn', arn, 'task');
  let doc: TaskDoc | undefined;
  await mutate<TaskDoc>(ctx.table, resourceKey('task', ctx.scope, arn), (current) => {
    if (!current) throw new ResourceNotFoundFault(`Replication Task ${arn} not found`);
    const settled = settleTask(current.doc, ctx.now());
    const next = transition(settled.Status, 'delete');
    if (!next) throw new InvalidResourceStateFault(`Replication Task cannot be deleted while it is in ${settled.Status} state`);
    doc = { ...settled, Status: next };
    return [
      { kind: 'delete', key: current.key, ifVersion: current.version },
      { kind: 'delete', key: identKey('task', ctx.scope, settled.ReplicationTaskIdentifier) },
      { kind: 'add', key: resourceKey('endpoint', ctx.scope, settled.SourceEndpointArn), attr: 'refs', delta: -1, mustExist: true },
      { kind: 'add', key: resourceKey('endpoint', ctx.scope, settled.TargetEndpointArn), attr: 'refs', delta: -1, mustExist: true },
      { kind: 'add', key: resourceKey('instance', ctx.scope, settled.ReplicationInstanceArn), attr: 'refs', delta: -1, mustExist: true },
    ];
  });
  // What the task created on its source goes with it (PostgreSQL: the replication slot it created).
  // Best effort, after the answer: a source that cannot be reached keeps the slot (logged).
  void releaseSource(ctx, doc!).catch((e) => logger.warn('could not release the source resources of a deleted task', { taskArn: arn, reason: (e as Error).message }));
  // Table statistics go with the task.
  await deleteTableStatistics(ctx, arn);
  await deleteTaskLogTail(ctx.table, arn).catch(() => undefined);
  await ctx.events.record(ctx.scope, { kind: 'task.deleted', sourceType: 'replication-task', sourceId: doc!.ReplicationTaskIdentifier, instanceId: await instanceIdOf(ctx, doc!) });
  return { ReplicationTask: taskView(doc!) };
}

/** The identifier of a task's replication instance, for events' `replication-instance-id` filter. */
async function instanceIdOf(ctx: ApiContext, task: TaskDoc): Promise<string | undefined> {
  const found = await ctx.table.get<InstanceDoc>(resourceKey('instance', ctx.scope, task.ReplicationInstanceArn)).catch(() => null);
  return found?.doc.ReplicationInstanceIdentifier;
}

async function releaseSource(ctx: ApiContext, task: TaskDoc): Promise<void> {
  if (!ctx.tester.releaseTask) return;
  const source = await ctx.table.get<EndpointDoc>(resourceKey('endpoint', ctx.scope, task.SourceEndpointArn));
  if (!source || !sourceRegistry.forEngine(source.doc.EngineName)) return;
  await ctx.tester.releaseTask(await resolveEndpointConnection(endpointRecord(source.doc), ctx), task.ReplicationTaskArn);
}

export async function describeTableStatistics(
  ctx: ApiContext,
  input: Input<'DescribeTableStatistics'>,
): Promise<Output<'DescribeTableStatistics'>> {
  const arn = input.ReplicationTaskArn;
  await getTask(ctx, arn);
  return { ReplicationTaskArn: arn, ...(await tableStatisticsPage(ctx, arn, input)) };
}

export async function reloadTables(ctx: ApiContext, input: Input<'ReloadTables'>): Promise<Output<'ReloadTables'>> {
  const arn = input.ReplicationTaskArn;
  const tables = input.TablesToReload;
  const option = input.ReloadOption ?? 'data-reload';
  checkTablesToReload(tables);
  const reloaded = await updateTask(ctx, arn, ({ doc: current }) => {
    if (current.Status !== 'running') throw new InvalidResourceStateFault('Replication Task must be running to reload tables');
    if (current.MigrationType === 'cdc') {
      throw new InvalidParameterValueException('Tables can be reloaded only for full-load and full-load-and-cdc tasks');
    }
    return {
      doc: { ...current, _reloads: queueReloads(current._reloads, tables, option) },
      extra: [],
    };
  });
  await markReloading(ctx, arn, tables);
  await ctx.events.record(ctx.scope, { kind: 'task.reload', sourceType: 'replication-task', sourceId: reloaded.ReplicationTaskIdentifier, instanceId: await instanceIdOf(ctx, reloaded) });
  return { ReplicationTaskArn: arn };
}
