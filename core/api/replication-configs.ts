import type { ComputeConfig } from '@aws-sdk/client-database-migration-service';
import { parseTableMappings } from '../mapping/parse.js';
import { buildArn, requireArn, resourceIdFrom, validateIdentifier } from '../model/arn.js';
import {
  InvalidParameterValueException,
  InvalidResourceStateFault,
  ResourceAlreadyExistsFault,
  ResourceNotFoundFault,
} from '../model/errors.js';
import { configView, holdsCapacity, replicationPhase, settleReplication, validateComputeConfig, type ReplicationDoc } from '../model/replication.js';
import { transition } from '../model/task-states.js';
import type { MigrationType } from '../model/task.js';
import type { TaskSettingsDocument } from '../settings/index.js';
import { withReplicationLogDestination } from '../observe/task-log.js';
import { mergeReplicationSettings } from '../settings/replication.js';
import { ConditionFailed, identKey, mutate, resourceKey, tableStatsPk, type Stored, type WriteOp } from '../state/resources.js';
import type { ApiContext } from './context.js';
import { compileFilters, maxRecords, notFoundIfEmpty, page } from './describe.js';
import { getEndpoint, mapStored, type EndpointDoc } from './endpoints.js';
import { subnetGroupForInstance } from './subnet-groups.js';
import { engineTypeDescription } from './tasks.js';
import type { Input, Output } from './operations.js';

// CreateReplicationConfig, ModifyReplicationConfig, DeleteReplicationConfig, DescribeReplicationConfigs
// (DMS Serverless). Shapes: botocore dms/2016-01-01; behaviour: shared/reference §A.

export const configFilters = {
  'replication-config-arn': (d: ReplicationDoc) => d.ReplicationTaskArn,
  'replication-config-id': (d: ReplicationDoc) => d.ReplicationTaskIdentifier,
};

export function configKey(ctx: ApiContext, arn: string) {
  return resourceKey('repconfig', ctx.scope, arn);
}

export function notFound(arn: string): ResourceNotFoundFault {
  return new ResourceNotFoundFault(`Replication Config ${arn} not found`);
}

export async function getReplicationDoc(ctx: ApiContext, arn: string): Promise<Stored<ReplicationDoc>> {
  requireArn('ReplicationConfigArn', arn, 'replication-config');
  const found = await ctx.table.get<ReplicationDoc>(configKey(ctx, arn));
  if (!found) throw notFound(arn);
  return { ...found, doc: settleReplication(found.doc, ctx.now()) };
}

function validateSupplementalSettings(value: unknown): void {
  if (value === undefined) return;
  try {
    const parsed: unknown = JSON.parse(value as string);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
  } catch {
    throw new InvalidParameterValueException('SupplementalSettings must be a JSON object');
  }
}

async function checkEndpoints(ctx: ApiContext, sourceArn: string, targetArn: string): Promise<[Stored<EndpointDoc>, Stored<EndpointDoc>]> {
  const [source, target] = await Promise.all([getEndpoint(ctx, sourceArn), getEndpoint(ctx, targetArn)]);
  // Swapped endpoints get the task's message (AWS-validated, docs/aws-observed.md §1.10).
  if (source.doc.EndpointType !== 'SOURCE') throw new InvalidParameterValueException(`${engineTypeDescription(source.doc)} endpoint must be of type SOURCE`);
  if (target.doc.EndpointType !== 'TARGET') throw new InvalidParameterValueException(`${engineTypeDescription(target.doc)} endpoint must be of type TARGET`);
  return [source, target];
}

async function checkComputeConfig(ctx: ApiContext, cc: ComputeConfig): Promise<ComputeConfig> {
  validateComputeConfig(cc);
  // The subnet group must exist (the same lookup CreateReplicationInstance does).
  if (cc.ReplicationSubnetGroupId !== undefined) await subnetGroupForInstance(ctx, cc.ReplicationSubnetGroupId, `${ctx.scope.region}a`);
  return { MultiAZ: false, ...cc };
}

export async function createReplicationConfig(ctx: ApiContext, input: Input<'CreateReplicationConfig'>): Promise<Output<'CreateReplicationConfig'>> {
  const identifier = input.ReplicationConfigIdentifier as string;
  validateIdentifier('ReplicationConfigIdentifier', identifier);
  const compute = await checkComputeConfig(ctx, input.ComputeConfig as ComputeConfig);
  const mappings = input.TableMappings as string;
  parseTableMappings(mappings);
  const settings = mergeReplicationSettings(input.ReplicationSettings as string | undefined);
  validateSupplementalSettings(input.SupplementalSettings);
  const [source, target] = await checkEndpoints(ctx, input.SourceEndpointArn as string, input.TargetEndpointArn as string);
  // ARN: arn:aws:dms:<region>:<account>:replication-config:<ResourceIdentifier or generated id> (TF#35650, TF-T).
  const arn = buildArn(ctx.scope, 'replication-config', resourceIdFrom(input.ResourceIdentifier as string | undefined));
  const now = ctx.now();
  const doc: ReplicationDoc = {
    ReplicationTaskIdentifier: identifier,
    ReplicationTaskArn: arn,
    SourceEndpointArn: source.doc.EndpointArn,
    TargetEndpointArn: target.doc.EndpointArn,
    ReplicationInstanceArn: '',
    MigrationType: input.ReplicationType as MigrationType,
    TableMappings: mappings,
    ReplicationTaskSettings: settings.json,
    ComputeConfig: compute,
    ...(input.SupplementalSettings !== undefined ? { SupplementalSettings: input.SupplementalSettings as string } : {}),
    Status: 'ready',
    ReplicationTaskCreationDate: now,
    ReplicationConfigCreateTime: now,
    ReplicationConfigUpdateTime: now,
    _serverless: true,
    _readyAt: now,
    _tags: input.Tags ?? [],
    _hasRun: false,
  };
  try {
    await ctx.table.write([
      { kind: 'put', key: configKey(ctx, arn), doc, ifAbsent: true },
      { kind: 'put', key: identKey('repconfig', ctx.scope, identifier), doc: { arn }, ifAbsent: true },
      { kind: 'add', key: source.key, attr: 'refs', delta: 1, mustExist: true },
      { kind: 'add', key: target.key, attr: 'refs', delta: 1, mustExist: true },
    ]);
  } catch (e) {
    if (e instanceof ConditionFailed) {
      if (e.index === 0 || e.index === 1) {
        throw new ResourceAlreadyExistsFault('The specified replication config already exists', e.index === 0 ? arn : undefined);
      }
      throw new ResourceNotFoundFault('An endpoint of this replication config was deleted concurrently');
    }
    throw e;
  }
  return { ReplicationConfig: configView(doc) };
}

export async function describeReplicationConfigs(ctx: ApiContext, input: Input<'DescribeReplicationConfigs'>): Promise<Output<'DescribeReplicationConfigs'>> {
  const match = compileFilters(input.Filters, configFilters);
  const result = await page<ReplicationDoc>(
    (after) => mapStored(ctx.table.query<ReplicationDoc>(configKey(ctx, '').pk, after)),
    match,
    input.Marker,
    maxRecords(input.MaxRecords),
  );
  // An ARN filter matching nothing raises ResourceNotFoundFault (Terraform and Airflow rely on it).
  notFoundIfEmpty(result.items, input.Filters, 'No replication configs found matching provided filters');
  return {
    ReplicationConfigs: result.items.map((d) => configView(d, false)),
    ...(result.marker ? { Marker: result.marker } : {}),
  };
}

/** Fields that can change only before the first run (CHAP_Serverless.Components, "Modifying"). */
const CREATED_ONLY_FIELDS = ['SourceEndpointArn', 'TargetEndpointArn', 'ReplicationType'] as const;
const CREATED_ONLY_COMPUTE = ['AvailabilityZone', 'DnsNameServers', 'KmsKeyId', 'ReplicationSubnetGroupId'] as const;

export async function modifyReplicationConfig(ctx: ApiContext, input: Input<'ModifyReplicationConfig'>): Promise<Output<'ModifyReplicationConfig'>> {
  const arn = input.ReplicationConfigArn as string;
  requireArn('ReplicationConfigArn', arn, 'replication-config');
  if (input.TableMappings !== undefined) parseTableMappings(input.TableMappings as string);
  validateSupplementalSettings(input.SupplementalSettings);
  const current0 = await getReplicationDoc(ctx, arn);
  const compute = input.ComputeConfig !== undefined
    ? await checkComputeConfig(ctx, { ...current0.doc.ComputeConfig, ...(input.ComputeConfig as ComputeConfig) })
    : undefined;
  const endpoints = input.SourceEndpointArn !== undefined || input.TargetEndpointArn !== undefined
    ? await checkEndpoints(ctx, (input.SourceEndpointArn as string) ?? current0.doc.SourceEndpointArn, (input.TargetEndpointArn as string) ?? current0.doc.TargetEndpointArn)
    : undefined;
  let out: ReplicationDoc | undefined;
  /** Position of the new identifier's uniqueness write, to tell its failure from a vanished endpoint's. */
  let identIndex = -1;
  await mutate<ReplicationDoc>(ctx.table, configKey(ctx, arn), (current) => {
    if (!current) throw notFound(arn);
    identIndex = -1;
    const now = ctx.now();
    const doc = settleReplication(current.doc, now);
    const status = replicationPhase(doc, now).status;
    if (!transition(doc.Status, 'modify')) {
      throw new InvalidResourceStateFault(`Replication Config ${doc.ReplicationTaskIdentifier} cannot be modified while its replication is in ${status.toUpperCase()} state`);
    }
    // "Before first start" means CREATED, or FAILED without provisioned capacity.
    const pristine = !doc._hasRun || (doc.Status === 'failed' && replicationPhase(doc, now).provision === undefined);
    if (!pristine) {
      const changed = [
        ...CREATED_ONLY_FIELDS.filter((f) => input[f] !== undefined && input[f] !== (f === 'ReplicationType' ? doc.MigrationType : doc[f])),
        ...CREATED_ONLY_COMPUTE.filter((f) => compute && compute[f] !== doc.ComputeConfig[f]).map((f) => `ComputeConfig.${f}`),
      ];
      if (changed.length > 0) {
        throw new InvalidResourceStateFault(`${changed.join(', ')} can be modified only before the replication of Replication Config ${doc.ReplicationTaskIdentifier} is first started`);
      }
    }
    const next: ReplicationDoc = { ...doc, ReplicationConfigUpdateTime: now };
    const extra: WriteOp[] = [];
    if (input.ReplicationType !== undefined) next.MigrationType = input.ReplicationType as MigrationType;
    if (input.TableMappings !== undefined) next.TableMappings = input.TableMappings as string;
    if (input.ReplicationSettings !== undefined) {
      const merged = mergeReplicationSettings(input.ReplicationSettings as string, JSON.parse(doc.ReplicationTaskSettings) as TaskSettingsDocument).json;
      // The log names follow EnableLogging (filled once a run has logged, cleared when logging is off).
      next.ReplicationTaskSettings = doc._run ? withReplicationLogDestination(merged, arn, doc._run) : merged;
    }
    if (input.SupplementalSettings !== undefined) next.SupplementalSettings = input.SupplementalSettings as string;
    if (compute) next.ComputeConfig = compute;
    if (endpoints) {
      for (const [field, ep] of [['SourceEndpointArn', endpoints[0]], ['TargetEndpointArn', endpoints[1]]] as const) {
        if (ep.doc.EndpointArn === doc[field]) continue;
        extra.push({ kind: 'add', key: ep.key, attr: 'refs', delta: 1, mustExist: true });
        extra.push({ kind: 'add', key: resourceKey('endpoint', ctx.scope, doc[field]), attr: 'refs', delta: -1, mustExist: true });
        next[field] = ep.doc.EndpointArn;
      }
    }
    const newId = input.ReplicationConfigIdentifier as string | undefined;
    if (newId !== undefined && newId.toLowerCase() !== doc.ReplicationTaskIdentifier.toLowerCase()) {
      validateIdentifier('ReplicationConfigIdentifier', newId);
      identIndex = 1 + extra.length;
      extra.push({ kind: 'put', key: identKey('repconfig', ctx.scope, newId), doc: { arn }, ifAbsent: true });
      extra.push({ kind: 'delete', key: identKey('repconfig', ctx.scope, doc.ReplicationTaskIdentifier) });
    }
    if (newId !== undefined) next.ReplicationTaskIdentifier = newId;
    out = next;
    return [{ kind: 'put', key: current.key, doc: next, ifVersion: current.version }, ...extra];
  }).catch((e) => {
    if (e instanceof ConditionFailed && e.index !== null && e.index > 0) {
      if (e.index === identIndex) throw new ResourceAlreadyExistsFault('The specified replication config already exists');
      throw new ResourceNotFoundFault('An endpoint of this replication config was deleted concurrently');
    }
    throw e;
  });
  return { ReplicationConfig: configView(out!) };
}

export async function deleteReplicationConfig(ctx: ApiContext, input: Input<'DeleteReplicationConfig'>): Promise<Output<'DeleteReplicationConfig'>> {
  const arn = input.ReplicationConfigArn as string;
  requireArn('ReplicationConfigArn', arn, 'replication-config');
  let deleted: ReplicationDoc | undefined;
  await mutate<ReplicationDoc>(ctx.table, configKey(ctx, arn), (current) => {
    if (!current) throw notFound(arn);
    const now = ctx.now();
    const doc = settleReplication(current.doc, now);
    const status = replicationPhase(doc, now).status;
    // Only a stopped, failed or never-started replication, and only once its capacity is gone
    // (CHAP_Serverless.Limitations; apache/airflow#43988 found the deprovisioning rule in system tests).
    if (!transition(doc.Status, 'delete')) {
      throw new InvalidResourceStateFault(`Replication Config ${doc.ReplicationTaskIdentifier} cannot be deleted while its replication is in ${status.toUpperCase()} state`);
    }
    if (holdsCapacity(doc, now)) {
      throw new InvalidResourceStateFault(
        `Replication Config ${doc.ReplicationTaskIdentifier} cannot be deleted until its replication is deprovisioned (ProvisionState: ${replicationPhase(doc, now).provision?.state})`,
      );
    }
    deleted = doc;
    return [
      { kind: 'delete', key: current.key, ifVersion: current.version },
      { kind: 'delete', key: identKey('repconfig', ctx.scope, doc.ReplicationTaskIdentifier) },
      { kind: 'add', key: resourceKey('endpoint', ctx.scope, doc.SourceEndpointArn), attr: 'refs', delta: -1, mustExist: true },
      { kind: 'add', key: resourceKey('endpoint', ctx.scope, doc.TargetEndpointArn), attr: 'refs', delta: -1, mustExist: true },
    ];
  });
  const stats = await ctx.table.all(tableStatsPk(arn));
  for (let i = 0; i < stats.length; i += 25) {
    await Promise.all(stats.slice(i, i + 25).map((s) => ctx.table.write([{ kind: 'delete', key: s.key }]).catch(() => undefined)));
  }
  return { ReplicationConfig: configView(deleted!) };
}
