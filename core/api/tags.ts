import { parseArn } from '../model/arn.js';
import { InvalidParameterValueException, ResourceNotFoundFault } from '../model/errors.js';
import { mutate, resourceKey, type ResourceKind } from '../state/resources.js';
import type { ApiContext } from './context.js';

interface Tag {
  Key: string;
  Value?: string;
}

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
  await mutate<Record<string, unknown>>(ctx.table, keyFor(ctx, arn), (current) => {
    if (!current) throw new ResourceNotFoundFault(`Resource ${arn} not found`);
    result = fn(((current.doc._tags as Tag[]) ?? []).slice());
    return [{ kind: 'put', key: current.key, doc: { ...current.doc, _tags: result }, ifVersion: current.version }];
  });
  return result;
}

export async function addTagsToResource(ctx: ApiContext, input: Record<string, unknown>) {
  const add = input.Tags as Tag[];
  await updateTags(ctx, input.ResourceArn as string, (tags) => {
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

export async function removeTagsFromResource(ctx: ApiContext, input: Record<string, unknown>) {
  const keys = new Set(input.TagKeys as string[]);
  await updateTags(ctx, input.ResourceArn as string, (tags) => tags.filter((t) => !keys.has(t.Key)));
  return {};
}

export async function listTagsForResource(ctx: ApiContext, input: Record<string, unknown>) {
  const arns = (input.ResourceArnList as string[] | undefined) ?? (input.ResourceArn ? [input.ResourceArn as string] : []);
  if (arns.length === 0) throw new InvalidParameterValueException('ResourceArn or ResourceArnList must be provided');
  const TagList: Record<string, unknown>[] = [];
  for (const arn of arns) {
    const found = await ctx.table.get<Record<string, unknown>>(keyFor(ctx, arn));
    if (!found) throw new ResourceNotFoundFault(`Resource ${arn} not found`);
    for (const t of (found.doc._tags as Tag[]) ?? []) {
      TagList.push({ Key: t.Key, Value: t.Value, ...(input.ResourceArnList ? { ResourceArn: arn } : {}) });
    }
  }
  return { TagList };
}
