import type { ComputeConfig } from '@aws-sdk/client-database-migration-service';
import { parseTableMappings } from '../mapping/parse.js';
import { buildArn, requireArn, resourceIdFrom } from '../model/arn.js';
import {
  InvalidParameterValueException,
  InvalidResourceStateFault,
  ResourceAlreadyExistsFault,
  ResourceNotFoundFault,
} from '../model/errors.js';
import { configView, holdsCapacity, replicationPhase, settleReplication, validateComputeConfig, type ReplicationDoc } from '../model/replication.js';
import { transition } from '../model/task-states.js';
import type { TaskSettingsDocument } from '../settings/index.js';
import { withReplicationLogDestination } from '../observe/task-log.js';
import { mergeReplicationSettings } from '../settings/replication.js';
import { ConditionFailed, mutate, resourceKey, tableStatsPk, type Stored, type WriteOp } from '../state/resources.js';
import type { ApiContext } from './context.js';
import { claimIdentifier, IDENTIFIERS, releaseIdentifier, renameIdentifier, rethrowTaken, storedIdentifier } from './identifiers.js';
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

function validateSupplementalSettings(value: string | undefined): void {
  if (value === undefined) return;
  try {
    const parsed: unknown = JSON.parse(value);
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

async function checkComputeConfig(ctx: ApiContext, cc: Input<'CreateReplicationConfig'>['ComputeConfig']): Promise<ComputeConfig> {
  validateComputeConfig(cc);
  // The subnet group must exist (the same lookup CreateReplicationInstance does).
  if (cc.ReplicationSubnetGroupId !== undefined) await subnetGroupForInstance(ctx, cc.ReplicationSubnetGroupId, `${ctx.scope.region}a`);
  return { MultiAZ: false, ...cc };
}

export async function createReplicationConfig(ctx: ApiContext, input: Input<'CreateReplicationConfig'>): Promise<Output<'CreateReplicationConfig'>> {
  const rule = IDENTIFIERS.replicationConfig;
  const identifier = storedIdentifier(rule, input.ReplicationConfigIdentifier);
  const compute = await checkComputeConfig(ctx, input.ComputeConfig);
  const mappings = input.TableMappings;
  parseTableMappings(mappings);
  const settings = mergeReplicationSettings(input.ReplicationSettings);
  validateSupplementalSettings(input.SupplementalSettings);
  const [source, target] = await checkEndpoints(ctx, input.SourceEndpointArn, input.TargetEndpointArn);
  // ARN: arn:aws:dms:<region>:<account>:replication-config:<ResourceIdentifier or generated id> (TF#35650, TF-T).
  const arn = buildArn(ctx.scope, 'replication-config', resourceIdFrom(input.ResourceIdentifier));
  const now = ctx.now();
  const doc: ReplicationDoc = {
    ReplicationTaskIdentifier: identifier,
    ReplicationTaskArn: arn,
    SourceEndpointArn: source.doc.EndpointArn,
    TargetEndpointArn: target.doc.EndpointArn,
    ReplicationInstanceArn: '',
    MigrationType: input.ReplicationType,
    TableMappings: mappings,
    ReplicationTaskSettings: settings.json,
    ComputeConfig: compute,
    ...(input.SupplementalSettings !== undefined ? { SupplementalSettings: input.SupplementalSettings } : {}),
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
      claimIdentifier(ctx.scope, rule, identifier, arn),
      { kind: 'add', key: source.key, attr: 'refs', delta: 1, mustExist: true },
      { kind: 'add', key: target.key, attr: 'refs', delta: 1, mustExist: true },
    ]);
  } catch (e) {
    if (e instanceof ConditionFailed && e.index === 0) throw new ResourceAlreadyExistsFault(rule.taken, arn);
    if (e instanceof ConditionFailed && e.index !== null && e.index > 1) {
      throw new ResourceNotFoundFault('An endpoint of this replication config was deleted concurrently');
    }
    await rethrowTaken(ctx, rule, e, identifier, true);
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
  const arn = input.ReplicationConfigArn;
  requireArn('ReplicationConfigArn', arn, 'replication-config');
  if (input.TableMappings !== undefined) parseTableMappings(input.TableMappings);
  validateSupplementalSettings(input.SupplementalSettings);
  const current0 = await getReplicationDoc(ctx, arn);
  const compute = input.ComputeConfig !== undefined
    ? await checkComputeConfig(ctx, { ...current0.doc.ComputeConfig, ...input.ComputeConfig })
    : undefined;
  const endpoints = input.SourceEndpointArn !== undefined || input.TargetEndpointArn !== undefined
    ? await checkEndpoints(ctx, input.SourceEndpointArn ?? current0.doc.SourceEndpointArn, input.TargetEndpointArn ?? current0.doc.TargetEndpointArn)
    : undefined;
  const rule = IDENTIFIERS.replicationConfig;
  let out: ReplicationDoc | undefined;
  let claimed: string | undefined;
  await mutate<ReplicationDoc>(ctx.table, configKey(ctx, arn), (current) => {
    if (!current) throw notFound(arn);
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
    // The identifier's claim and release come right after the document (rethrowTaken reads index 1).
    const rename = renameIdentifier(ctx.scope, rule, arn, doc.ReplicationTaskIdentifier, input.ReplicationConfigIdentifier);
    claimed = rename.claimed;
    next.ReplicationTaskIdentifier = rename.identifier;
    const extra: WriteOp[] = [...rename.ops];
    if (input.ReplicationType !== undefined) next.MigrationType = input.ReplicationType;
    if (input.TableMappings !== undefined) next.TableMappings = input.TableMappings;
    if (input.ReplicationSettings !== undefined) {
      const stored: TaskSettingsDocument = JSON.parse(doc.ReplicationTaskSettings);
      const merged = mergeReplicationSettings(input.ReplicationSettings, stored).json;
      // The log names follow EnableLogging (filled once a run has logged, cleared when logging is off).
      next.ReplicationTaskSettings = doc._run ? withReplicationLogDestination(merged, arn, doc._run) : merged;
    }
    if (input.SupplementalSettings !== undefined) next.SupplementalSettings = input.SupplementalSettings;
    if (compute) next.ComputeConfig = compute;
    if (endpoints) {
      for (const [field, ep] of [['SourceEndpointArn', endpoints[0]], ['TargetEndpointArn', endpoints[1]]] as const) {
        if (ep.doc.EndpointArn === doc[field]) continue;
        extra.push({ kind: 'add', key: ep.key, attr: 'refs', delta: 1, mustExist: true });
        extra.push({ kind: 'add', key: resourceKey('endpoint', ctx.scope, doc[field]), attr: 'refs', delta: -1, mustExist: true });
        next[field] = ep.doc.EndpointArn;
      }
    }
    out = next;
    return [{ kind: 'put', key: current.key, doc: next, ifVersion: current.version }, ...extra];
  }).catch((e) => {
    // Past the identifier's writes: an endpoint's reference count (the endpoint was deleted).
    if (e instanceof ConditionFailed && e.index !== null && e.index > (claimed !== undefined ? 2 : 0)) {
      throw new ResourceNotFoundFault('An endpoint of this replication config was deleted concurrently');
    }
    return rethrowTaken(ctx, rule, e, claimed);
  });
  return { ReplicationConfig: configView(out!) };
}

export async function deleteReplicationConfig(ctx: ApiContext, input: Input<'DeleteReplicationConfig'>): Promise<Output<'DeleteReplicationConfig'>> {
  const arn = input.ReplicationConfigArn;
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
      releaseIdentifier(ctx.scope, IDENTIFIERS.replicationConfig, doc.ReplicationTaskIdentifier),
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
