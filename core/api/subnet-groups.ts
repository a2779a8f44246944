import { buildArn, validateIdentifier } from '../model/arn.js';
import { InvalidParameterValueException, InvalidResourceStateFault, ResourceAlreadyExistsFault, ResourceNotFoundFault } from '../model/errors.js';
import { ConditionFailed, mutate, resourceKey, type Stored } from '../state/resources.js';
import type { ApiContext } from './context.js';
import { compileFilters, maxRecords, page, publicView } from './describe.js';
import { mapStored } from './endpoints.js';
import type { SubnetGroup, SubnetGroupDoc } from '../model/resources.js';
import type { Input, Output } from './operations.js';

// Replication subnet groups: kept for API compatibility (dmslite needs no VPC). The group's name
// is its key; its ARN ends with the name, as AWS's `subgrp` ARNs do.

export type { SubnetGroupDoc };

const subnetGroupFilters = {
  'replication-subnet-group-id': (g: SubnetGroupDoc) => g.ReplicationSubnetGroupIdentifier,
};

function subnets(ids: string[], region: string) {
  return ids.map((id, i) => ({ SubnetIdentifier: id, SubnetAvailabilityZone: { Name: `${region}${'abcdef'[i % 6]}` }, SubnetStatus: 'Active' }));
}

export function groupKey(ctx: ApiContext, name: string) {
  // DynamoDB refuses an empty sort key: an empty name is simply not found.
  if (!name) throw new ResourceNotFoundFault('Replication Subnet Group  not found');
  return resourceKey('subgrp', ctx.scope, name.toLowerCase());
}

export function subnetGroupArn(ctx: ApiContext, name: string): string {
  return buildArn(ctx.scope, 'subgrp', name.toLowerCase());
}

/** The group an instance names, or AWS's implicit `default` group. */
export async function subnetGroupForInstance(ctx: ApiContext, name: string | undefined, az: string): Promise<SubnetGroup> {
  if (name === undefined || name.toLowerCase() === 'default') {
    return {
      ReplicationSubnetGroupIdentifier: 'default',
      ReplicationSubnetGroupDescription: 'default',
      VpcId: 'vpc-00000000',
      SubnetGroupStatus: 'Complete',
      Subnets: [{ SubnetIdentifier: 'subnet-00000000', SubnetAvailabilityZone: { Name: az }, SubnetStatus: 'Active' }],
      SupportedNetworkTypes: ['IPV4'],
    };
  }
  const found = await ctx.table.get<SubnetGroupDoc>(groupKey(ctx, name));
  if (!found) throw new ResourceNotFoundFault(`Replication Subnet Group ${name} not found`);
  return publicView(found.doc);
}

function validateSubnetIds(ids: readonly string[]) {
  if (ids.length === 0) throw new InvalidParameterValueException('SubnetIds must contain at least one subnet');
}

export async function createReplicationSubnetGroup(
  ctx: ApiContext,
  input: Input<'CreateReplicationSubnetGroup'>,
): Promise<Output<'CreateReplicationSubnetGroup'>> {
  const name = input.ReplicationSubnetGroupIdentifier.toLowerCase();
  validateIdentifier('ReplicationSubnetGroupIdentifier', name);
  if (name === 'default') throw new InvalidParameterValueException('The Replication Subnet Group name "default" is reserved');
  validateSubnetIds(input.SubnetIds);
  const doc: SubnetGroupDoc = {
    ReplicationSubnetGroupIdentifier: name,
    ReplicationSubnetGroupDescription: input.ReplicationSubnetGroupDescription,
    VpcId: 'vpc-00000000',
    SubnetGroupStatus: 'Complete',
    Subnets: subnets(input.SubnetIds, ctx.scope.region),
    SupportedNetworkTypes: ['IPV4'],
    _arn: subnetGroupArn(ctx, name),
    _tags: input.Tags ?? [],
  };
  try {
    await ctx.table.write([{ kind: 'put', key: groupKey(ctx, name), doc, ifAbsent: true, attrs: { refs: 0 } }]);
  } catch (e) {
    if (e instanceof ConditionFailed) throw new ResourceAlreadyExistsFault(`Replication Subnet Group ${name} already exists`, doc._arn);
    throw e;
  }
  return { ReplicationSubnetGroup: publicView(doc) };
}

export async function describeReplicationSubnetGroups(
  ctx: ApiContext,
  input: Input<'DescribeReplicationSubnetGroups'>,
): Promise<Output<'DescribeReplicationSubnetGroups'>> {
  const match = compileFilters(input.Filters, subnetGroupFilters);
  const result = await page<SubnetGroupDoc>(
    (after) => mapStored(ctx.table.query<SubnetGroupDoc>(resourceKey('subgrp', ctx.scope, '').pk, after)),
    match,
    input.Marker,
    maxRecords(input.MaxRecords),
  );
  // AWS answers an unmatched filter here with an empty list (not ResourceNotFoundFault).
  return { ReplicationSubnetGroups: result.items.map((g) => publicView(g)), ...(result.marker ? { Marker: result.marker } : {}) };
}

export async function modifyReplicationSubnetGroup(
  ctx: ApiContext,
  input: Input<'ModifyReplicationSubnetGroup'>,
): Promise<Output<'ModifyReplicationSubnetGroup'>> {
  const name = input.ReplicationSubnetGroupIdentifier;
  let out: SubnetGroupDoc | undefined;
  await mutate<SubnetGroupDoc>(ctx.table, groupKey(ctx, name), (current: Stored<SubnetGroupDoc> | null) => {
    if (!current) throw new ResourceNotFoundFault(`Replication Subnet Group ${name} not found`);
    const doc = { ...current.doc };
    if (input.ReplicationSubnetGroupDescription !== undefined) doc.ReplicationSubnetGroupDescription = input.ReplicationSubnetGroupDescription;
    validateSubnetIds(input.SubnetIds);
    doc.Subnets = subnets(input.SubnetIds, ctx.scope.region);
    out = doc;
    return [{ kind: 'put', key: current.key, doc, ifVersion: current.version }];
  });
  return { ReplicationSubnetGroup: publicView(out!) };
}

export async function deleteReplicationSubnetGroup(
  ctx: ApiContext,
  input: Input<'DeleteReplicationSubnetGroup'>,
): Promise<Output<'DeleteReplicationSubnetGroup'>> {
  const name = input.ReplicationSubnetGroupIdentifier;
  await mutate<SubnetGroupDoc>(ctx.table, groupKey(ctx, name), (current) => {
    if (!current) throw new ResourceNotFoundFault(`Replication Subnet Group ${name} not found`);
    if (current.refs > 0) throw new InvalidResourceStateFault(`Replication Subnet Group ${name} is in use by a replication instance`);
    return [{ kind: 'delete', key: current.key, ifVersion: current.version, ifAttrZero: 'refs' }];
  });
  return {};
}
