import { buildArn, requireArn, resourceIdFrom } from '../model/arn.js';
import {
  InvalidParameterValueException,
  InvalidResourceStateFault,
  ResourceAlreadyExistsFault,
  ResourceNotFoundFault,
} from '../model/errors.js';
import type { InstanceDoc, SubnetGroup } from '../model/resources.js';
import { ConditionFailed, identKey, mutate, resourceKey, type Stored, type WriteOp } from '../state/resources.js';
import type { ApiContext } from './context.js';
import { lookupResources } from '../state/lookup.js';
import { compileFilters, maxRecords, notFoundIfEmpty, page, publicView } from './describe.js';
import { deleteConnectionsOf, mapStored } from './endpoints.js';
import { claimIdentifier, IDENTIFIERS, renameIdentifier, rethrowTaken, storedIdentifier } from './identifiers.js';
import type { Input, Output } from './operations.js';
import { groupKey, subnetGroupForInstance } from './subnet-groups.js';
import { instanceChangeEvents } from '../observe/instance-events.js';
import { pickDefined } from '../model/wire.js';

export const INSTANCE_CLASSES = [
  'dms.t2.micro', 'dms.t2.small', 'dms.t2.medium', 'dms.t2.large',
  'dms.t3.micro', 'dms.t3.small', 'dms.t3.medium', 'dms.t3.large',
  'dms.c4.large', 'dms.c4.xlarge', 'dms.c4.2xlarge', 'dms.c4.4xlarge',
  'dms.c5.large', 'dms.c5.xlarge', 'dms.c5.2xlarge', 'dms.c5.4xlarge', 'dms.c5.9xlarge', 'dms.c5.12xlarge', 'dms.c5.18xlarge', 'dms.c5.24xlarge',
  'dms.r4.large', 'dms.r4.xlarge', 'dms.r4.2xlarge', 'dms.r4.4xlarge', 'dms.r4.8xlarge',
  'dms.r5.large', 'dms.r5.xlarge', 'dms.r5.2xlarge', 'dms.r5.4xlarge', 'dms.r5.8xlarge', 'dms.r5.12xlarge', 'dms.r5.16xlarge', 'dms.r5.24xlarge',
];
export const ENGINE_VERSIONS = ['3.5.1', '3.5.2', '3.5.3', '3.5.4'];
export const DEFAULT_ENGINE_VERSION = '3.5.3';

/** Members ModifyReplicationInstance copies as given. */
const MODIFIABLE_MEMBERS = [
  'ReplicationInstanceClass', 'AllocatedStorage', 'PreferredMaintenanceWindow', 'MultiAZ', 'EngineVersion', 'AutoMinorVersionUpgrade', 'NetworkType',
] as const;

export type { InstanceDoc };

const instanceFilters = {
  'replication-instance-arn': (i: InstanceDoc) => i.ReplicationInstanceArn,
  'replication-instance-id': (i: InstanceDoc) => i.ReplicationInstanceIdentifier,
  'replication-instance-class': (i: InstanceDoc) => i.ReplicationInstanceClass,
  'engine-version': (i: InstanceDoc) => i.EngineVersion,
};

/** `creating` → `available` once its time has come: derived on read, no background worker needed. */
export function settleInstance(doc: InstanceDoc, now: number): InstanceDoc {
  if ((doc.ReplicationInstanceStatus === 'creating' || doc.ReplicationInstanceStatus === 'modifying') && now >= doc._readyAt) {
    return { ...doc, ReplicationInstanceStatus: 'available' };
  }
  return doc;
}

export async function getInstance(ctx: ApiContext, arn: string): Promise<Stored<InstanceDoc>> {
  requireArn('ReplicationInstanceArn', arn, 'rep');
  const found = await ctx.table.get<InstanceDoc>(resourceKey('instance', ctx.scope, arn));
  if (!found) throw new ResourceNotFoundFault(`Replication instance ${arn} not found`);
  return { ...found, doc: settleInstance(found.doc, ctx.now()) };
}

function validateClass(cls: string) {
  if (!INSTANCE_CLASSES.includes(cls)) {
    throw new InvalidParameterValueException(`Invalid ReplicationInstanceClass: ${cls}`);
  }
}

export async function createReplicationInstance(
  ctx: ApiContext,
  input: Input<'CreateReplicationInstance'>,
): Promise<Output<'CreateReplicationInstance'>> {
  const identifier = storedIdentifier(IDENTIFIERS.instance, input.ReplicationInstanceIdentifier);
  validateClass(input.ReplicationInstanceClass);
  const engineVersion = input.EngineVersion ?? DEFAULT_ENGINE_VERSION;
  if (!ENGINE_VERSIONS.includes(engineVersion)) {
    throw new InvalidParameterValueException(`No replication engine found with version: ${engineVersion}`);
  }
  const storage = input.AllocatedStorage ?? 50;
  if (storage < 5 || storage > 6144) throw new InvalidParameterValueException('AllocatedStorage must be between 5 and 6144');
  const arn = buildArn(ctx.scope, 'rep', resourceIdFrom(input.ResourceIdentifier));
  const now = ctx.now();
  const az = input.AvailabilityZone ?? `${ctx.scope.region}a`;
  const subnetGroup = await subnetGroupForInstance(ctx, input.ReplicationSubnetGroupIdentifier, az);
  const doc: InstanceDoc = {
    ReplicationInstanceIdentifier: identifier,
    ReplicationInstanceClass: input.ReplicationInstanceClass,
    ReplicationInstanceStatus: 'creating',
    AllocatedStorage: storage,
    InstanceCreateTime: now,
    VpcSecurityGroups: securityGroups(input.VpcSecurityGroupIds ?? ['sg-00000000']),
    AvailabilityZone: az,
    ReplicationSubnetGroup: subnetGroup,
    PreferredMaintenanceWindow: input.PreferredMaintenanceWindow ?? 'sun:06:00-sun:06:30',
    PendingModifiedValues: {},
    MultiAZ: input.MultiAZ ?? false,
    EngineVersion: engineVersion,
    AutoMinorVersionUpgrade: input.AutoMinorVersionUpgrade ?? true,
    KmsKeyId: input.KmsKeyId ?? `arn:aws:kms:${ctx.scope.region}:${ctx.scope.account}:key/00000000-0000-0000-0000-000000000000`,
    ReplicationInstanceArn: arn,
    ReplicationInstancePublicIpAddress: '127.0.0.1',
    ReplicationInstancePrivateIpAddress: '127.0.0.1',
    ReplicationInstancePublicIpAddresses: ['127.0.0.1'],
    ReplicationInstancePrivateIpAddresses: ['127.0.0.1'],
    ReplicationInstanceIpv6Addresses: [],
    PubliclyAccessible: input.PubliclyAccessible ?? true,
    ...(input.DnsNameServers ? { DnsNameServers: input.DnsNameServers } : {}),
    NetworkType: input.NetworkType ?? 'IPV4',
    _readyAt: now + ctx.config.createDelayMs / 1000,
    _tags: input.Tags ?? [],
  };
  try {
    await ctx.table.write([
      { kind: 'put', key: resourceKey('instance', ctx.scope, arn), doc, ifAbsent: true, attrs: { refs: 0 } },
      claimIdentifier(ctx.scope, IDENTIFIERS.instance, identifier, arn),
      ...usesGroup(ctx, subnetGroup, 1),
    ]);
  } catch (e) {
    if (e instanceof ConditionFailed) {
      if (e.index === 2) throw new ResourceNotFoundFault('The replication subnet group of this instance was deleted concurrently');
      if (e.index === 0) throw new ResourceAlreadyExistsFault('The specified replication instance already exists', arn);
    }
    await rethrowTaken(ctx, IDENTIFIERS.instance, e, identifier, true);
  }
  // Readiness is derived on read: `created` is dated when the instance becomes available.
  await ctx.events.record(
    ctx.scope,
    { kind: 'instance.creating', sourceType: 'replication-instance', sourceId: identifier, instanceId: identifier, date: now },
    { kind: 'instance.created', sourceType: 'replication-instance', sourceId: identifier, instanceId: identifier, date: doc._readyAt },
  );
  return { ReplicationInstance: publicView(doc) };
}

function securityGroups(ids: string[]) {
  return ids.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' }));
}

export async function describeReplicationInstances(
  ctx: ApiContext,
  input: Input<'DescribeReplicationInstances'>,
): Promise<Output<'DescribeReplicationInstances'>> {
  const match = compileFilters(input.Filters, instanceFilters);
  const now = ctx.now();
  const limit = maxRecords(input.MaxRecords);
  const lookup = { kind: 'instance', scope: ctx.scope, filters: input.Filters, arnFilter: 'replication-instance-arn', idFilter: 'replication-instance-id', pageSize: limit + 1 } as const;
  const result = await page<InstanceDoc>(
    (after) => mapStored(lookupResources<InstanceDoc>(ctx.table, lookup, after), (d) => settleInstance(d, now)),
    match,
    input.Marker,
    limit,
  );
  notFoundIfEmpty(result.items, input.Filters, 'No replication instances found matching provided filters');
  return {
    ReplicationInstances: result.items.map((d) => publicView(d)),
    ...(result.marker ? { Marker: result.marker } : {}),
  };
}

export async function modifyReplicationInstance(
  ctx: ApiContext,
  input: Input<'ModifyReplicationInstance'>,
): Promise<Output<'ModifyReplicationInstance'>> {
  const arn = input.ReplicationInstanceArn;
  requireArn('ReplicationInstanceArn', arn, 'rep');
  let out: InstanceDoc | undefined;
  let before: InstanceDoc | undefined;
  let claimed: string | undefined;
  await mutate<InstanceDoc>(ctx.table, resourceKey('instance', ctx.scope, arn), (current) => {
    if (!current) throw new ResourceNotFoundFault(`Replication instance ${arn} not found`);
    before = current.doc;
    const settled = settleInstance(current.doc, ctx.now());
    if (settled.ReplicationInstanceStatus !== 'available') {
      throw new InvalidResourceStateFault(`Replication instance ${arn} is not in available state`);
    }
    if (input.ReplicationInstanceClass) validateClass(input.ReplicationInstanceClass);
    const doc: InstanceDoc = {
      ...settled,
      ...pickDefined(input, MODIFIABLE_MEMBERS),
      ...(input.VpcSecurityGroupIds ? { VpcSecurityGroups: securityGroups(input.VpcSecurityGroupIds) } : {}),
    };
    const rename = renameIdentifier(ctx.scope, IDENTIFIERS.instance, arn, doc.ReplicationInstanceIdentifier, input.ReplicationInstanceIdentifier);
    claimed = rename.claimed;
    doc.ReplicationInstanceIdentifier = rename.identifier;
    out = doc;
    return [{ kind: 'put', key: current.key, doc, ifVersion: current.version }, ...rename.ops];
  }).catch((e) => rethrowTaken(ctx, IDENTIFIERS.instance, e, claimed));
  await ctx.events.record(ctx.scope, ...instanceChangeEvents(before!, out!));
  return { ReplicationInstance: publicView(out!) };
}

export async function deleteReplicationInstance(
  ctx: ApiContext,
  input: Input<'DeleteReplicationInstance'>,
): Promise<Output<'DeleteReplicationInstance'>> {
  const arn = input.ReplicationInstanceArn;
  requireArn('ReplicationInstanceArn', arn, 'rep');
  let out: InstanceDoc | undefined;
  await mutate<InstanceDoc>(ctx.table, resourceKey('instance', ctx.scope, arn), (current) => {
    if (!current) throw new ResourceNotFoundFault(`Replication instance ${arn} not found`);
    if (current.refs > 0) {
      throw new InvalidResourceStateFault(`Replication instance ${arn} cannot be deleted: it has replication tasks`);
    }
    out = settleInstance(current.doc, ctx.now());
    return [
      { kind: 'delete', key: current.key, ifVersion: current.version, ifAttrZero: 'refs' },
      { kind: 'delete', key: identKey('instance', ctx.scope, current.doc.ReplicationInstanceIdentifier) },
      ...usesGroup(ctx, current.doc.ReplicationSubnetGroup, -1),
    ];
  });
  await deleteConnectionsOf(ctx, (c) => c.ReplicationInstanceArn === arn);
  const id = out!.ReplicationInstanceIdentifier;
  await ctx.events.record(
    ctx.scope,
    { kind: 'instance.deleting', sourceType: 'replication-instance', sourceId: id, instanceId: id },
    { kind: 'instance.deleted', sourceType: 'replication-instance', sourceId: id, instanceId: id },
  );
  return { ReplicationInstance: publicView({ ...out!, ReplicationInstanceStatus: 'deleting' }) };
}

/** A named subnet group counts the instances in it, so it cannot be deleted under them. */
function usesGroup(ctx: ApiContext, group: SubnetGroup | undefined, delta: number): WriteOp[] {
  const name = group?.ReplicationSubnetGroupIdentifier;
  if (!name || name === 'default') return [];
  return [{ kind: 'add', key: groupKey(ctx, name), attr: 'refs', delta, mustExist: true }];
}
