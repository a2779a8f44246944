import { randomUUID } from 'node:crypto';
import { requireArn } from '../model/arn.js';
import {
  InvalidParameterCombinationException,
  InvalidParameterValueException,
  InvalidResourceStateFault,
} from '../model/errors.js';
import { parseCdcStopPosition } from '../model/positions.js';
import { sourceRegistry } from '../source/registry.js';
import { replicationPhase, replicationView, settleReplication, type ReplicationDoc } from '../model/replication.js';
import { provisionedAfter } from '../model/replication-states.js';
import type { StartType } from '../model/task.js';
import { transition } from '../model/task-states.js';
import { withReplicationLogDestination } from '../observe/task-log.js';
import { mutate, workKey, type WriteOp } from '../state/resources.js';
import type { ApiContext } from './context.js';
import { checkTablesToReload, deleteTableStatistics, markReloading, queueReloads, tableStatisticsPage } from './table-statistics.js';
import { compileFilters, maxRecords, notFoundIfEmpty, page } from './describe.js';
import { mapStored } from './endpoints.js';
import { configFilters, configKey, getReplicationDoc, notFound } from './replication-configs.js';
import type { Input, Output } from './operations.js';

// StartReplication, StopReplication, DescribeReplications, DescribeReplicationTableStatistics,
// ReloadReplicationTables (DMS Serverless). The replication runs on the same runner and engine as a
// task: StartReplication queues it as work, exactly like StartReplicationTask.

const START_TYPES: readonly StartType[] = ['start-replication', 'resume-processing', 'reload-target'];

const settle = settleReplication;

/** `Replication for Replication Config: <id> is in MODIFYING state and cannot start` (TF#35650). */
function stateFault(doc: ReplicationDoc, now: number, action: string): InvalidResourceStateFault {
  const status = replicationPhase(doc, now).status.toUpperCase();
  return new InvalidResourceStateFault(`Replication for Replication Config: ${doc.ReplicationTaskIdentifier} is in ${status} state and cannot ${action}`);
}

async function updateReplication(
  ctx: ApiContext,
  arn: string,
  fn: (doc: ReplicationDoc, now: number) => { doc: ReplicationDoc; extra?: WriteOp[] },
): Promise<ReplicationDoc> {
  requireArn('ReplicationConfigArn', arn, 'replication-config');
  let out: ReplicationDoc | undefined;
  await mutate<ReplicationDoc>(ctx.table, configKey(ctx, arn), (current) => {
    if (!current) throw notFound(arn);
    const now = ctx.now();
    const { doc, extra = [] } = fn(settle(current.doc, now), now);
    out = doc;
    return [{ kind: 'put', key: current.key, doc, ifVersion: current.version }, ...extra];
  });
  return out!;
}

function isStartType(type: string): type is StartType {
  return (START_TYPES as readonly string[]).includes(type);
}

function validateStart(doc: ReplicationDoc, type: string, input: Input<'StartReplication'>): asserts type is StartType {
  if (!isStartType(type)) {
    throw new InvalidParameterValueException(`Invalid StartReplicationType ${type}. Valid values: ${START_TYPES.join(', ')}`);
  }
  const kind = doc.MigrationType;
  // botocore StartReplication: "When the replication type is full-load or full-load-and-cdc, the only
  // valid value for the first run of the replication is start-replication"; resume-processing "isn't
  // applicable for a full-load replication". A first resume of a cdc replication starts it (Terraform's
  // aws_dms_replication_config sends resume-processing for any status but `ready`).
  if (!doc._hasRun && type !== 'start-replication' && kind !== 'cdc') {
    throw new InvalidParameterValueException(
      `StartReplicationType ${type} is not valid for the first run of a ${kind} replication: the only valid value is start-replication`,
    );
  }
  if (type === 'resume-processing' && kind === 'full-load') {
    throw new InvalidParameterValueException('StartReplicationType resume-processing is not applicable for a full-load replication');
  }
  if (type === 'reload-target' && kind === 'cdc') {
    throw new InvalidParameterValueException('StartReplicationType reload-target is not valid for a cdc replication');
  }
  if (input.CdcStartTime !== undefined && input.CdcStartPosition !== undefined) {
    throw new InvalidParameterCombinationException('CdcStartTime and CdcStartPosition cannot be specified together');
  }
  if ((input.CdcStartTime !== undefined || input.CdcStartPosition !== undefined) && kind !== 'cdc') {
    throw new InvalidParameterCombinationException('CdcStartTime and CdcStartPosition are valid only for a cdc replication');
  }
  if (input.CdcStopPosition !== undefined && kind === 'full-load') {
    throw new InvalidParameterCombinationException('CdcStopPosition is not valid for a full-load replication');
  }
  if (input.PremigrationAssessmentSettings !== undefined) {
    // Accepted as botocore documents it (a JSON object); dmslite runs no premigration assessments.
    let parsed: unknown;
    try {
      parsed = JSON.parse(input.PremigrationAssessmentSettings);
    } catch {
      parsed = null;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InvalidParameterValueException('PremigrationAssessmentSettings must be a JSON object');
    }
  }
  // As before the source contract: checked as a MySQL position here (the engine checks it against the
  // replication's own source when it starts).
  if (input.CdcStartPosition !== undefined) sourceRegistry.forEngine('mysql')!.positions.parseStart(input.CdcStartPosition);
  if (input.CdcStopPosition !== undefined) parseCdcStopPosition(input.CdcStopPosition);
}

export async function startReplication(ctx: ApiContext, input: Input<'StartReplication'>): Promise<Output<'StartReplication'>> {
  const arn = input.ReplicationConfigArn;
  const type = input.StartReplicationType;
  let deprovisioned = false;
  const doc = await updateReplication(ctx, arn, (current, now) => {
    const next = transition(current.Status, 'start');
    if (!next) throw stateFault(current, now, 'start');
    validateStart(current, type, input);
    if (type === 'start-replication' && current._hasRun) {
      throw new InvalidParameterValueException(
        `StartReplicationType start-replication is valid only for the first run of Replication Config ${current.ReplicationTaskIdentifier}. Use resume-processing or reload-target`,
      );
    }
    deprovisioned = replicationPhase(current, now).provision?.state === 'deprovisioned';
    const step = ctx.config.serverlessStatusStepMs / 1000;
    const fresh = type !== 'resume-processing' || !current._hasRun;
    const run = { id: randomUUID(), type: current._hasRun ? type : ('start-replication' as const), requestedAt: now };
    const doc: ReplicationDoc = {
      ...current,
      Status: next,
      ReplicationTaskStartDate: now,
      ReplicationTaskStats: {
        ...(current.ReplicationTaskStats ?? {}),
        ...(fresh ? { FreshStartDate: now } : {}),
        StartDate: now,
      },
      _hasRun: true,
      _run: run,
      ReplicationTaskSettings: withReplicationLogDestination(current.ReplicationTaskSettings, arn, run),
      // The runner claims the replication once its capacity is provisioned (status replication_starting).
      _notBefore: now + provisionedAfter(step),
      _stepSeconds: step,
      _deprovisionDelaySeconds: ctx.config.serverlessDeprovisionDelayMs / 1000,
      _startType: type,
      _capacity: current.ComputeConfig.MinCapacityUnits ?? 1,
      _replicationUpdateTime: now,
    };
    delete doc.StopReason;
    delete doc.LastFailureMessage;
    if (doc.ReplicationTaskStats) delete doc.ReplicationTaskStats.StopDate;
    if (input.CdcStartPosition !== undefined) {
      doc.CdcStartPosition = input.CdcStartPosition;
      delete doc._cdcStartTime;
    }
    if (input.CdcStartTime !== undefined) {
      doc._cdcStartTime = input.CdcStartTime;
      delete doc.CdcStartPosition;
    }
    if (input.CdcStopPosition !== undefined) doc.CdcStopPosition = input.CdcStopPosition;
    return {
      doc,
      extra: [{ kind: 'put', key: workKey(arn), doc: { arn, account: ctx.scope.account, region: ctx.scope.region, kind: 'repconfig' } }],
    };
  });
  // Deprovisioning reset the statistics: a resumed run counts from zero.
  if (deprovisioned) await deleteTableStatistics(ctx, arn);
  return { Replication: replicationView(doc, ctx.now()) };
}

export async function stopReplication(ctx: ApiContext, input: Input<'StopReplication'>): Promise<Output<'StopReplication'>> {
  const arn = input.ReplicationConfigArn;
  const doc = await updateReplication(ctx, arn, (current, now) => {
    const next = transition(current.Status, 'stop');
    if (!next) throw stateFault(current, now, 'stop');
    return { doc: { ...current, Status: next, _stopRequestedAt: now, _replicationUpdateTime: now } };
  });
  return { Replication: replicationView(doc, ctx.now()) };
}

export async function describeReplications(ctx: ApiContext, input: Input<'DescribeReplications'>): Promise<Output<'DescribeReplications'>> {
  const match = compileFilters(input.Filters, configFilters);
  const now = ctx.now();
  const result = await page<ReplicationDoc>(
    (after) => mapStored(ctx.table.query<ReplicationDoc>(configKey(ctx, '').pk, after), (d) => settle(d, now)),
    match,
    input.Marker,
    maxRecords(input.MaxRecords),
  );
  notFoundIfEmpty(result.items, input.Filters, 'No replications found matching provided filters');
  return {
    Replications: result.items.map((d) => replicationView(d, now)),
    ...(result.marker ? { Marker: result.marker } : {}),
  };
}

export async function describeReplicationTableStatistics(ctx: ApiContext, input: Input<'DescribeReplicationTableStatistics'>): Promise<Output<'DescribeReplicationTableStatistics'>> {
  const arn = input.ReplicationConfigArn;
  const { doc } = await getReplicationDoc(ctx, arn);
  // Deprovisioning deletes the table statistics (LocalStack docs, DMS_SERVERLESS_DEPROVISIONING_DELAY).
  if (replicationPhase(doc, ctx.now()).provision?.state === 'deprovisioned') {
    return { ReplicationConfigArn: arn, ReplicationTableStatistics: [] };
  }
  const { TableStatistics, Marker } = await tableStatisticsPage(ctx, arn, input);
  return { ReplicationConfigArn: arn, ReplicationTableStatistics: TableStatistics, ...(Marker ? { Marker } : {}) };
}

export async function reloadReplicationTables(ctx: ApiContext, input: Input<'ReloadReplicationTables'>): Promise<Output<'ReloadReplicationTables'>> {
  const arn = input.ReplicationConfigArn;
  const tables = input.TablesToReload;
  const option = input.ReloadOption ?? 'data-reload';
  checkTablesToReload(tables);
  await updateReplication(ctx, arn, (current, now) => {
    // botocore: "You can only use this operation with a task in the RUNNING state, otherwise the
    // service will throw an InvalidResourceStateFault exception."
    if (current.Status !== 'running') throw stateFault(current, now, 'reload tables');
    if (current.MigrationType === 'cdc') {
      throw new InvalidParameterValueException('Tables can be reloaded only for full-load and full-load-and-cdc replications');
    }
    return { doc: { ...current, _reloads: queueReloads(current._reloads, tables, option) } };
  });
  await markReloading(ctx, arn, tables);
  return { ReplicationConfigArn: arn };
}

