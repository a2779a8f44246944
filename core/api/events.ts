import {
  EVENT_CATEGORIES,
  eventTime,
  validCategories,
  validSourceType,
  type EventDoc,
  type EventSourceType,
  type SubscriptionDoc,
} from '../observe/events.js';
import { SNS_TOPIC_ARN } from '../observe/sns.js';
import { DmsFault, InvalidParameterValueException, ResourceAlreadyExistsFault, ResourceNotFoundFault, ResourceQuotaExceededFault } from '../model/errors.js';
import { ConditionFailed, eventPk, identKey, mutate, subscriptionKey, subscriptionPk } from '../state/resources.js';
import type { ApiContext } from './context.js';
import { compileFilters, maxRecords, notFoundIfEmpty, page, publicView } from './describe.js';
import { mapStored } from './endpoints.js';
import type { Input, Output } from './operations.js';

// DescribeEvents, DescribeEventCategories and the event subscription operations (shapes: botocore
// dms/2016-01-01). Events are recorded by core/observe/events.ts where the changes happen.

class SNSInvalidTopicFault extends DmsFault {
  constructor(message: string) { super('SNSInvalidTopicFault', message); }
}

/** AWS's default account quota for event subscriptions (DescribeAccountAttributes). */
const MAX_SUBSCRIPTIONS = 20;

export async function describeEvents(ctx: ApiContext, input: Input<'DescribeEvents'>): Promise<Output<'DescribeEvents'>> {
  const sourceType = validSourceType(input.SourceType);
  if (input.SourceIdentifier !== undefined && !sourceType) {
    throw new InvalidParameterValueException('SourceType must be provided when SourceIdentifier is provided');
  }
  const categories = validCategories(input.EventCategories, sourceType);
  // Window as RDS/DMS describe it: StartTime/EndTime, or the last Duration minutes (default 60).
  const now = ctx.now();
  const duration = input.Duration;
  if (duration !== undefined && duration < 0) throw new InvalidParameterValueException('Duration must not be negative');
  const end = input.EndTime ?? (input.StartTime !== undefined && duration !== undefined ? input.StartTime + duration * 60 : now);
  const start = input.StartTime ?? end - (duration ?? 60) * 60;
  if (start > end) throw new InvalidParameterValueException('StartTime must be before EndTime');
  const filterMatch = compileFilters<EventDoc>(input.Filters, { 'replication-instance-id': (e) => e._instanceId });
  const match = (e: EventDoc) =>
    e.Date >= start && e.Date <= end &&
    (!sourceType || e.SourceType === sourceType) &&
    (input.SourceIdentifier === undefined || e.SourceIdentifier === input.SourceIdentifier) &&
    (!categories || e.EventCategories.some((c) => categories.includes(c))) &&
    filterMatch(e);
  const startKey = new Date(start * 1000 - 1).toISOString();
  const result = await page<EventDoc>(
    (after) => mapStored(ctx.table.query<EventDoc>(eventPk(ctx.scope), after ?? startKey)),
    match,
    input.Marker,
    maxRecords(input.MaxRecords),
  );
  return { Events: result.items.map((e) => publicView(e)), ...(result.marker ? { Marker: result.marker } : {}) };
}

export async function describeEventCategories(
  _ctx: ApiContext,
  input: Input<'DescribeEventCategories'>,
): Promise<Output<'DescribeEventCategories'>> {
  const sourceType = validSourceType(input.SourceType);
  if (input.Filters && input.Filters.length > 0) {
    throw new InvalidParameterValueException('DescribeEventCategories supports no filters');
  }
  const types = sourceType ? [sourceType] : (Object.keys(EVENT_CATEGORIES) as EventSourceType[]);
  return { EventCategoryGroupList: types.map((t) => ({ SourceType: t, EventCategories: EVENT_CATEGORIES[t] })) };
}

function subscriptionView(doc: SubscriptionDoc) {
  return publicView(doc);
}

async function checkTopic(ctx: ApiContext, topicArn: string): Promise<void> {
  if (!SNS_TOPIC_ARN.test(topicArn)) throw new SNSInvalidTopicFault(`Invalid SNS topic ARN: ${topicArn}`);
  if (!ctx.notifier) return; // No SNS configured: nothing to check the topic against.
  const exists = await ctx.notifier.topicExists(topicArn).catch((e: Error) => {
    throw new SNSInvalidTopicFault(`Cannot verify SNS topic ${topicArn}: ${e.message}`);
  });
  if (!exists) throw new SNSInvalidTopicFault(`SNS topic ${topicArn} does not exist`);
}

/** SourceIds must name existing resources of the SourceType. */
async function checkSourceIds(ctx: ApiContext, sourceType: EventSourceType | undefined, list: string[] | undefined): Promise<string[] | undefined> {
  if (list === undefined) return undefined;
  if (list.length > 0 && !sourceType) throw new InvalidParameterValueException('SourceType must be provided when SourceIds are provided');
  for (const id of list) {
    const kind = sourceType === 'replication-task' ? 'task' : 'instance';
    if (!(await ctx.table.get(identKey(kind, ctx.scope, id)))) {
      throw new ResourceNotFoundFault(`${sourceType === 'replication-task' ? 'Replication task' : 'Replication instance'} ${id} not found`);
    }
  }
  return list;
}

function validName(name: string): void {
  if (name.length === 0 || name.length >= 255 || !/^[A-Za-z0-9-]+$/.test(name)) {
    throw new InvalidParameterValueException(
      'The parameter SubscriptionName must be less than 255 characters and contain only ASCII letters, digits and hyphens',
    );
  }
}

export async function createEventSubscription(
  ctx: ApiContext,
  input: Input<'CreateEventSubscription'>,
): Promise<Output<'CreateEventSubscription'>> {
  const name = input.SubscriptionName;
  validName(name);
  const sourceType = validSourceType(input.SourceType);
  const categories = validCategories(input.EventCategories, sourceType);
  const sourceIds = await checkSourceIds(ctx, sourceType, input.SourceIds);
  await checkTopic(ctx, input.SnsTopicArn);
  const existing = await ctx.table.all<SubscriptionDoc>(subscriptionPk(ctx.scope));
  if (existing.length >= MAX_SUBSCRIPTIONS) throw new ResourceQuotaExceededFault(`The quota of ${MAX_SUBSCRIPTIONS} event subscriptions is reached`);
  const doc: SubscriptionDoc = {
    CustomerAwsId: ctx.scope.account,
    CustSubscriptionId: name,
    SnsTopicArn: input.SnsTopicArn,
    Status: 'active',
    SubscriptionCreationTime: eventTime(ctx.now()),
    ...(sourceType ? { SourceType: sourceType } : {}),
    SourceIdsList: sourceIds ?? [],
    EventCategoriesList: categories ?? [],
    Enabled: input.Enabled ?? true,
    _arn: `arn:aws:dms:${ctx.scope.region}:${ctx.scope.account}:es:${name}`,
    _tags: input.Tags ?? [],
  };
  try {
    await ctx.table.write([{ kind: 'put', key: subscriptionKey(ctx.scope, name), doc, ifAbsent: true }]);
  } catch (e) {
    if (e instanceof ConditionFailed) {
      throw new ResourceAlreadyExistsFault(`Event subscription ${name} already exists`);
    }
    throw e;
  }
  return { EventSubscription: subscriptionView(doc) };
}

export async function describeEventSubscriptions(
  ctx: ApiContext,
  input: Input<'DescribeEventSubscriptions'>,
): Promise<Output<'DescribeEventSubscriptions'>> {
  const match = compileFilters<SubscriptionDoc>(input.Filters, {
    'event-subscription-arn': (s) => s._arn,
    'event-subscription-id': (s) => s.CustSubscriptionId,
  });
  const name = input.SubscriptionName;
  const result = await page<SubscriptionDoc>(
    (after) => mapStored(ctx.table.query<SubscriptionDoc>(subscriptionPk(ctx.scope), after)),
    (s) => (name === undefined || s.CustSubscriptionId.toLowerCase() === name.toLowerCase()) && match(s),
    input.Marker,
    maxRecords(input.MaxRecords),
  );
  if (name !== undefined && result.items.length === 0) throw new ResourceNotFoundFault(`Event subscription ${name} not found`);
  notFoundIfEmpty(result.items, input.Filters, 'No event subscriptions found matching provided filters');
  return { EventSubscriptionsList: result.items.map(subscriptionView), ...(result.marker ? { Marker: result.marker } : {}) };
}

export async function modifyEventSubscription(
  ctx: ApiContext,
  input: Input<'ModifyEventSubscription'>,
): Promise<Output<'ModifyEventSubscription'>> {
  const name = input.SubscriptionName;
  if (input.SnsTopicArn !== undefined) await checkTopic(ctx, input.SnsTopicArn);
  let out: SubscriptionDoc | undefined;
  await mutate<SubscriptionDoc>(ctx.table, subscriptionKey(ctx.scope, name), (current) => {
    if (!current) throw new ResourceNotFoundFault(`Event subscription ${name} not found`);
    const doc: SubscriptionDoc = { ...current.doc };
    if (input.SourceType !== undefined) {
      doc.SourceType = validSourceType(input.SourceType);
      // Source ids of another type no longer apply.
      if (doc.SourceType !== current.doc.SourceType) doc.SourceIdsList = [];
    }
    if (input.EventCategories !== undefined) doc.EventCategoriesList = validCategories(input.EventCategories, doc.SourceType);
    else if (input.SourceType !== undefined) validCategories(doc.EventCategoriesList, doc.SourceType);
    if (input.SnsTopicArn !== undefined) doc.SnsTopicArn = input.SnsTopicArn;
    if (input.Enabled !== undefined) doc.Enabled = input.Enabled;
    out = doc;
    return [{ kind: 'put', key: current.key, doc, ifVersion: current.version }];
  });
  return { EventSubscription: subscriptionView(out!) };
}

export async function deleteEventSubscription(
  ctx: ApiContext,
  input: Input<'DeleteEventSubscription'>,
): Promise<Output<'DeleteEventSubscription'>> {
  const name = input.SubscriptionName;
  let out: SubscriptionDoc | undefined;
  await mutate<SubscriptionDoc>(ctx.table, subscriptionKey(ctx.scope, name), (current) => {
    if (!current) throw new ResourceNotFoundFault(`Event subscription ${name} not found`);
    out = current.doc;
    return [{ kind: 'delete', key: current.key, ifVersion: current.version }];
  });
  return { EventSubscription: subscriptionView({ ...out!, Status: 'deleting' }) };
}
