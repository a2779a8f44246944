import { parseArn } from '../model/arn.js';
import { InvalidParameterValueException, ResourceNotFoundFault } from '../model/errors.js';
import { mutate, resourceKey, type ResourceKind } from '../state/resources.js';
import type { EndpointDoc, InstanceDoc, SubnetGroupDoc, Tag } from '../model/resources.js';
import type { TaskDoc } from '../model/task.js';
import type { ApiContext } from './context.js';
import type { Input, Output } from './operations.js';

type TaggedDoc = EndpointDoc | InstanceDoc | TaskDoc | SubnetGroupDoc;

const KIND_BY_ARN_TYPE: Record<string, ResourceKind> = { endpoint: 'endpoint', rep: 'instance', task: 'task', subgrp: 'subgrp', 'replication-config': 'repconfig' };

function keyFor(ctx: ApiContext, arn: string) {
  const parsed = parseArn(arn);
  const kind = parsed && KIND_BY_ARN_TYPE[parsed.type];
  if (!parsed || !kind) throw new InvalidParameterValueException(`Invalid resource ARN: ${arn}`);
  // Subnet groups are keyed by name (the ARN's last segment).
  return resourceKey(kind, { account: parsed.account, region: parsed.region }, kind === 'subgrp' ? parsed.id : arn);
}

async function updateTags(ctx: ApiContext, arn: string, fn: (tags: Tag[]) => Tag[]): Promise<Tag[]> {
  let result: Tag[] = [];
  await mutate<TaggedDoc>(ctx.table, keyFor(ctx, arn), (current) => {
    if (!current) throw new ResourceNotFoundFault(`Resource ${arn} not found`);
    result = fn((current.doc._tags ?? []).slice());
    return [{ kind: 'put', key: current.key, doc: { ...current.doc, _tags: result }, ifVersion: current.version }];
  });
  return result;
}

export async function addTagsToResource(ctx: ApiContext, input: Input<'AddTagsToResource'>): Promise<Output<'AddTagsToResource'>> {
  const add = input.Tags;
  await updateTags(ctx, input.ResourceArn, (tags) => {
    for (const t of add) {
      if (!t.Key) throw new InvalidParameterValueException('Tag keys must not be empty');
      const i = tags.findIndex((x) => x.Key === t.Key);
      if (i >= 0) tags[i] = { Key: t.Key, Value: t.Value };
      else tags.push({ Key: t.Key, Value: t.Value });
    }
    if (tags.length > 50) throw new InvalidParameterValueException('A resource can have at most 50 tags');
    return tags;
  });
  return {};
}

export async function removeTagsFromResource(
  ctx: ApiContext,
  input: Input<'RemoveTagsFromResource'>,
): Promise<Output<'RemoveTagsFromResource'>> {
  const keys = new Set(input.TagKeys);
  await updateTags(ctx, input.ResourceArn, (tags) => tags.filter((t) => t.Key === undefined || !keys.has(t.Key)));
  return {};
}

export async function listTagsForResource(
  ctx: ApiContext,
  input: Input<'ListTagsForResource'>,
): Promise<Output<'ListTagsForResource'>> {
  const arns = input.ResourceArnList ?? (input.ResourceArn ? [input.ResourceArn] : []);
  if (arns.length === 0) throw new InvalidParameterValueException('ResourceArn or ResourceArnList must be provided');
  const TagList: Tag[] = [];
  for (const arn of arns) {
    const found = await ctx.table.get<TaggedDoc>(keyFor(ctx, arn));
    if (!found) throw new ResourceNotFoundFault(`Resource ${arn} not found`);
    for (const t of found.doc._tags ?? []) {
      TagList.push({ Key: t.Key, Value: t.Value, ...(input.ResourceArnList ? { ResourceArn: arn } : {}) });
    }
  }
  return { TagList };
}
