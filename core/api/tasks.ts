import { randomUUID } from 'node:crypto';
import { parseTableMappings } from '../mapping/parse.js';
import { buildArn, requireArn, resourceIdFrom, validateIdentifier } from '../model/arn.js';
import {
  InvalidParameterCombinationException,
  InvalidParameterValueException,
  InvalidResourceStateFault,
  ResourceAlreadyExistsFault,
  ResourceNotFoundFault,
} from '../model/errors.js';
import { parseCdcStartPosition, parseCdcStopPosition } from '../model/positions.js';
import { transition, type TaskStatus } from '../model/task-states.js';
import { defaultTaskSettings, mergeTaskSettings, type TaskSettingsDocument } from '../settings/index.js';
import {
  ConditionFailed,
  identKey,
  mutate,
  resourceKey,
  tableStatsKey,
  tableStatsPk,
  workKey,
  type Stored,
  type WriteOp,
} from '../state/resources.js';
import type { ApiContext } from './context.js';
import { compileFilters, maxRecords, notFoundIfEmpty, page, publicView } from './describe.js';
import { ENGINE_DISPLAY_NAMES, getEndpoint, mapStored, type EndpointDoc } from './endpoints.js';
import { getInstance } from './instances.js';
import { settleTask, type TaskDoc, type TableStatsDoc } from '../model/task.js';
import { deleteTaskLogTail } from '../observe/log-store.js';
import { withLogDestination } from '../observe/task-log.js';

export type { TaskDoc };

const taskFilters = {
  'replication-task-arn': (t: TaskDoc) => t.ReplicationTaskArn,
  'replication-task-id': (t: TaskDoc) => t.ReplicationTaskIdentifier,
  'migration-type': (t: TaskDoc) => t.MigrationType,
  'endpoint-arn': (t: TaskDoc) => [t.SourceEndpointArn, t.TargetEndpointArn],
  'replication-instance-arn': (t: TaskDoc) => t.ReplicationInstanceArn,
};

export function taskView(doc: TaskDoc, withoutSettings = false): Record<string, unknown> {
  const view = publicView(doc);
  if (withoutSettings) delete view.ReplicationTaskSettings;
  return view;
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

function validateCdcOptions(input: Record<string, unknown>) {
  if (input.CdcStartTime !== undefined && input.CdcStartPosition !== undefined) {
    throw new InvalidParameterCombinationException('CdcStartTime and CdcStartPosition cannot be specified together');
  }
  if (input.CdcStartPosition !== undefined) parseCdcStartPosition(input.CdcStartPosition as string);
  if (input.CdcStopPosition !== undefined) parseCdcStopPosition(input.CdcStopPosition as string);
}

/** CdcStartPosition and CdcStartTime replace each other; CdcStopPosition stands alone. */
function applyCdcOptions(doc: TaskDoc, input: Record<string, unknown>): void {
  if (input.CdcStartPosition !== undefined) {
    doc.CdcStartPosition = input.CdcStartPosition as string;
    delete doc._cdcStartTime;
  }
  if (input.CdcStartTime !== undefined) {
    doc._cdcStartTime = input.CdcStartTime as number;
    delete doc.CdcStartPosition;
  }
  if (input.CdcStopPosition !== undefined) doc.CdcStopPosition = input.CdcStopPosition as string;
}

export async function createReplicationTask(ctx: ApiContext, input: Record<string, unknown>) {
  const identifier = input.ReplicationTaskIdentifier as string;
  validateIdentifier('ReplicationTaskIdentifier', identifier);
  const mappings = input.TableMappings as string;
  parseTableMappings(mappings);
  const settings = mergeTaskSettings(input.ReplicationTaskSettings as string | undefined, defaultTaskSettings(), { create: true });
  validateCdcOptions(input);
  const [source, target] = await Promise.all([
    getEndpoint(ctx, input.SourceEndpointArn as string),
    getEndpoint(ctx, input.TargetEndpointArn as string),
  ]);
  const instance = await getInstance(ctx, input.ReplicationInstanceArn as string);
  if (source.doc.EndpointType !== 'SOURCE') {
    throw new InvalidParameterValueException(`${engineTypeDescription(source.doc)} endpoint must be of type SOURCE`);
  }
  if (target.doc.EndpointType !== 'TARGET') {
    throw new InvalidParameterValueException(`${engineTypeDescription(target.doc)} endpoint must be of type TARGET`);
  }
  const arn = buildArn(ctx.scope, 'task', resourceIdFrom(input.ResourceIdentifier as string | undefined));
  const now = ctx.now();
  const doc: TaskDoc = {
    ReplicationTaskIdentifier: identifier,
    SourceEndpointArn: source.doc.EndpointArn,
    TargetEndpointArn: target.doc.EndpointArn,
    ReplicationInstanceArn: instance.doc.ReplicationInstanceArn,
    MigrationType: input.MigrationType as TaskDoc['MigrationType'],
    TableMappings: mappings,
    ReplicationTaskSettings: withLogDestination(settings.json, instance.doc.ReplicationInstanceIdentifier, arn),
    Status: 'creating',
    ReplicationTaskCreationDate: now,
    ...(input.CdcStartPosition !== undefined ? { CdcStartPosition: input.CdcStartPosition as string } : {}),
    ...(input.CdcStopPosition !== undefined ? { CdcStopPosition: input.CdcStopPosition as string } : {}),
    ReplicationTaskArn: arn,
    ...(input.TaskData !== undefined ? { TaskData: input.TaskData as string } : {}),
    ...(input.CdcStartTime !== undefined ? { _cdcStartTime: input.CdcStartTime as number } : {}),
    _readyAt: now + ctx.config.createDelayMs / 1000,
    _tags: (input.Tags as unknown[]) ?? [],
    _hasRun: false,
  };
  try {
    await ctx.table.write([
      { kind: 'put', key: resourceKey('task', ctx.scope, arn), doc, ifAbsent: true },
      { kind: 'put', key: identKey('task', ctx.scope, identifier), doc: { arn }, ifAbsent: true },
      { kind: 'add', key: source.key, attr: 'refs', delta: 1, mustExist: true },
      { kind: 'add', key: target.key, attr: 'refs', delta: 1, mustExist: true },
      { kind: 'add', key: instance.key, attr: 'refs', delta: 1, mustExist: true },
    ]);
  } catch (e) {
    if (e instanceof ConditionFailed) {
      if (e.index === 0 || e.index === 1) {
        throw new ResourceAlreadyExistsFault('The specified replication task already exists', e.index === 0 ? arn : undefined);
      }
      throw new ResourceNotFoundFault('An endpoint or replication instance of this task was deleted concurrently');
    }
    throw e;
  }
  await ctx.events.record(ctx.scope, { kind: 'task.created', sourceType: 'replication-task', sourceId: identifier, instanceId: instance.doc.ReplicationInstanceIdentifier });
  return { ReplicationTask: taskView(doc) };
}

export async function describeReplicationTasks(ctx: ApiContext, input: Record<string, unknown>) {
  const match = compileFilters(input.Filters, taskFilters);
  const now = ctx.now();
  const result = await page<TaskDoc>(
    (after) => mapStored(ctx.table.query<TaskDoc>(resourceKey('task', ctx.scope, '').pk, after), (d) => settleTask(d, now)),
    match,
    input.Marker,
    maxRecords(input.MaxRecords),
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

export async function modifyReplicationTask(ctx: ApiContext, input: Record<string, unknown>) {
  const arn = input.ReplicationTaskArn as string;
  if (input.TableMappings !== undefined) parseTableMappings(input.TableMappings as string);
  validateCdcOptions(input);
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
    if (input.MigrationType !== undefined) doc.MigrationType = input.MigrationType as TaskDoc['MigrationType'];
    if (input.TableMappings !== undefined) doc.TableMappings = input.TableMappings as string;
    if (input.ReplicationTaskSettings !== undefined) {
      doc.ReplicationTaskSettings = mergeTaskSettings(
        input.ReplicationTaskSettings as string,
        JSON.parse(current.ReplicationTaskSettings) as TaskSettingsDocument,
      ).json;
      if (logInstanceId) doc.ReplicationTaskSettings = withLogDestination(doc.ReplicationTaskSettings, logInstanceId, arn);
    }
    applyCdcOptions(doc, input);
    if (input.TaskData !== undefined) doc.TaskData = input.TaskData as string;
    const extra: WriteOp[] = [];
    const newId = input.ReplicationTaskIdentifier as string | undefined;
    if (newId !== undefined && newId.toLowerCase() !== current.ReplicationTaskIdentifier.toLowerCase()) {
      validateIdentifier('ReplicationTaskIdentifier', newId);
      extra.push({ kind: 'put', key: identKey('task', ctx.scope, newId), doc: { arn }, ifAbsent: true });
      extra.push({ kind: 'delete', key: identKey('task', ctx.scope, current.ReplicationTaskIdentifier) });
      doc.ReplicationTaskIdentifier = newId;
    } else if (newId !== undefined) {
      doc.ReplicationTaskIdentifier = newId;
    }
    doc.Status = next;
    return { doc, extra };
  }).catch((e) => {
    if (e instanceof ConditionFailed && e.index === 1) throw new ResourceAlreadyExistsFault('The specified replication task already exists');
    throw e;
  });
  await ctx.events.record(ctx.scope, { kind: 'task.modified', sourceType: 'replication-task', sourceId: doc.ReplicationTaskIdentifier, instanceId: await instanceIdOf(ctx, doc) });
  // AWS answers `modifying`; the change is already applied, so the next Describe shows the settled status.
  return { ReplicationTask: taskView({ ...doc, Status: 'modifying' }) };
}

export async function startReplicationTask(ctx: ApiContext, input: Record<string, unknown>) {
  const arn = input.ReplicationTaskArn as string;
  const type = input.StartReplicationTaskType as 'start-replication' | 'resume-processing' | 'reload-target';
  validateCdcOptions(input);
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

export async function stopReplicationTask(ctx: ApiContext, input: Record<string, unknown>) {
  const arn = input.ReplicationTaskArn as string;
  const doc = await updateTask(ctx, arn, ({ doc: current }) => {
    const next = transition(current.Status, 'stop');
    if (!next) throw new InvalidResourceStateFault(`Replication Task cannot be stopped, task is not running (status: ${current.Status})`);
    const now = ctx.now();
    const doc: TaskDoc = { ...current, Status: next, _stopRequestedAt: now };
    return { doc };
  });
  return { ReplicationTask: taskView(doc) };
}

export async function deleteReplicationTask(ctx: ApiContext, input: Record<string, unknown>) {
  const arn = input.ReplicationTaskArn as string;
  requireArn('ReplicationTaskArn', arn, 'task');
  let doc: TaskDoc | undefined;
  await mutate<TaskDoc>(ctx.table, resourceKey('task', ctx.scope, arn), (current) => {
    if (!current) throw new ResourceNotFoundFault(`Replication Task ${arn} not found`);
    const settled = settleTask(current.doc, ctx.now());
    const next = transition(settled.Status as TaskStatus, 'delete');
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
  // Table statistics go with the task.
  const stats = await ctx.table.all<TableStatsDoc>(tableStatsPk(arn));
  for (let i = 0; i < stats.length; i += 25) {
    await Promise.all(stats.slice(i, i + 25).map((s) => ctx.table.write([{ kind: 'delete', key: s.key }]).catch(() => undefined)));
  }
  await deleteTaskLogTail(ctx.table, arn).catch(() => undefined);
  await ctx.events.record(ctx.scope, { kind: 'task.deleted', sourceType: 'replication-task', sourceId: doc!.ReplicationTaskIdentifier, instanceId: await instanceIdOf(ctx, doc!) });
  return { ReplicationTask: taskView(doc!) };
}

/** The identifier of a task's replication instance, for events' `replication-instance-id` filter. */
async function instanceIdOf(ctx: ApiContext, task: TaskDoc): Promise<string | undefined> {
  const found = await ctx.table.get<{ ReplicationInstanceIdentifier: string }>(resourceKey('instance', ctx.scope, task.ReplicationInstanceArn)).catch(() => null);
  return found?.doc.ReplicationInstanceIdentifier;
}

const tableStatsFilters = {
  'schema-name': (s: TableStatsDoc) => s.SchemaName,
  'table-name': (s: TableStatsDoc) => s.TableName,
  'table-state': (s: TableStatsDoc) => s.TableState,
};

export async function describeTableStatistics(ctx: ApiContext, input: Record<string, unknown>) {
  const arn = input.ReplicationTaskArn as string;
  await getTask(ctx, arn);
  const match = compileFilters(input.Filters, tableStatsFilters);
  const result = await page<TableStatsDoc>(
    (after) => mapStored(ctx.table.query<TableStatsDoc>(tableStatsPk(arn), after)),
    match,
    input.Marker,
    maxRecords(input.MaxRecords, { min: 20, max: 500, def: 100 }),
  );
  return {
    ReplicationTaskArn: arn,
    TableStatistics: result.items.map((s) => publicView(s)),
    ...(result.marker ? { Marker: result.marker } : {}),
  };
}

export async function reloadTables(ctx: ApiContext, input: Record<string, unknown>) {
  const arn = input.ReplicationTaskArn as string;
  const tables = input.TablesToReload as { SchemaName: string; TableName: string }[];
  const option = (input.ReloadOption as string | undefined) ?? 'data-reload';
  if (tables.length === 0) throw new InvalidParameterValueException('TablesToReload must list at least one table');
  if (tables.length > 10) throw new InvalidParameterValueException('At most 10 tables can be reloaded at a time');
  await updateTask(ctx, arn, ({ doc: current }) => {
    if (current.Status !== 'running') throw new InvalidResourceStateFault('Replication Task must be running to reload tables');
    if (current.MigrationType === 'cdc') {
      throw new InvalidParameterValueException('Tables can be reloaded only for full-load and full-load-and-cdc tasks');
    }
    const pending = [...(current._reloads ?? [])];
    for (const t of tables) pending.push({ schema: t.SchemaName, table: t.TableName, option });
    return {
      doc: { ...current, _reloads: pending },
      extra: [],
    };
  });
  for (const t of tables) {
    await mutate<TableStatsDoc>(ctx.table, tableStatsKey(arn, t.SchemaName, t.TableName), (cur) =>
      cur ? [{ kind: 'put', key: cur.key, doc: { ...cur.doc, TableState: 'Table is being reloaded' }, ifVersion: cur.version }] : null,
    );
  }
  return { ReplicationTaskArn: arn };
}
