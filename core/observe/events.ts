import type * as Dms from '@aws-sdk/client-database-migration-service';
import type { Tagged } from '../model/resources.js';
import type { Wire } from '../model/wire.js';
import { randomBytes } from 'node:crypto';
import { logger } from '../logger.js';
import type { Scope } from '../model/arn.js';
import { InvalidParameterValueException } from '../model/errors.js';
import { eventPk, subscriptionPk, type DocumentTable } from '../state/resources.js';
import type { EventNotifier } from './sns.js';

// DMS events: what happened to replication instances and tasks, recorded on real changes, listed by
// DescribeEvents and delivered to matching event subscriptions' SNS topics.
// Categories and ids: https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Events.html (UG-EV).
// Wire category strings are lowercase: AWS accepts "creation", "failure", "configuration change",
// "deletion" in subscriptions (terraform-provider-aws event_subscription_test.go).

export type EventSourceType = 'replication-instance' | 'replication-task';

export const EVENT_CATEGORIES: Record<EventSourceType, string[]> = {
  'replication-instance': ['configuration change', 'creation', 'deletion', 'maintenance', 'low storage', 'failover', 'failure'],
  'replication-task': ['state change', 'failure', 'configuration change', 'deletion', 'creation'],
};

interface CatalogEntry {
  id: string;
  category: string;
  message: string;
  /** The wording SNS notifications carry where it differs (terraform-aws-notify-slack fixture). */
  delivered?: string;
}

export const EVENT_CATALOG = {
  'task.created': { id: 'DMS-EVENT-0074', category: 'creation', message: 'The replication task is created.' },
  'task.started': { id: 'DMS-EVENT-0069', category: 'state change', message: 'The replication task has started.' },
  'task.stopped': { id: 'DMS-EVENT-0079', category: 'state change', message: 'The replication task has stopped.', delivered: 'Replication task has stopped.' },
  'task.failed': { id: 'DMS-EVENT-0078', category: 'failure', message: 'The replication task has failed.' },
  'task.modified': { id: 'DMS-EVENT-0080', category: 'configuration change', message: 'The replication task is modified.' },
  'task.deleted': { id: 'DMS-EVENT-0073', category: 'deletion', message: 'The replication task is deleted.' },
  'task.reload': { id: 'DMS-EVENT-0081', category: 'state change', message: 'A reload of table details has been requested.' },
  'instance.creating': { id: 'DMS-EVENT-0067', category: 'creation', message: 'A replication instance is being created.' },
  'instance.created': { id: 'DMS-EVENT-0005', category: 'creation', message: 'A replication instance has been created.' },
  'instance.deleting': { id: 'DMS-EVENT-0066', category: 'deletion', message: 'The replication instance is being deleted.' },
  'instance.deleted': { id: 'DMS-EVENT-0003', category: 'deletion', message: 'The replication instance has been deleted.' },
  'instance.classChanging': { id: 'DMS-EVENT-0012', category: 'configuration change', message: 'The replication instance class for this replication instance is being changed.' },
  'instance.classChanged': { id: 'DMS-EVENT-0014', category: 'configuration change', message: 'The replication instance class for this replication instance has changed.' },
  'instance.storageScaling': { id: 'DMS-EVENT-0018', category: 'configuration change', message: 'The storage for the replication instance is being increased.' },
  'instance.storageScaled': { id: 'DMS-EVENT-0017', category: 'configuration change', message: 'The storage for the replication instance has increased.' },
  'instance.toMultiAz': { id: 'DMS-EVENT-0024', category: 'configuration change', message: 'The replication instance is transitioning to a Multi-AZ configuration.' },
  'instance.isMultiAz': { id: 'DMS-EVENT-0025', category: 'configuration change', message: 'The replication instance has finished transitioning to a Multi-AZ configuration.' },
  'instance.toSingleAz': { id: 'DMS-EVENT-0030', category: 'configuration change', message: 'The replication instance is transitioning to a Single-AZ configuration.' },
  'instance.isSingleAz': { id: 'DMS-EVENT-0029', category: 'configuration change', message: 'The replication instance has finished transitioning to a Single-AZ configuration.' },
} satisfies Record<string, CatalogEntry>;

export type EventKind = keyof typeof EVENT_CATALOG;

/** A stored event: the API's Event shape plus internal members. */
export interface EventDoc extends Omit<Wire<Dms.Event>, 'SourceType'> {
  SourceIdentifier: string;
  SourceType: EventSourceType;
  Message: string;
  EventCategories: string[];
  Date: number;
  _eventId: string;
  _instanceId?: string;
}

export interface DmsEventInput {
  kind: EventKind;
  sourceType: EventSourceType;
  sourceId: string;
  /** The replication instance concerned (itself, or the task's): the `replication-instance-id` filter. */
  instanceId?: string;
  /** Why a task failed; appended to the message. */
  reason?: string;
  /** Epoch seconds; now by default. */
  date?: number;
}

/** A stored event subscription: the API's EventSubscription shape plus internal members. */
export interface SubscriptionDoc extends Wire<Dms.EventSubscription>, Tagged {
  CustomerAwsId: string;
  CustSubscriptionId: string;
  SnsTopicArn: string;
  Status: string;
  SubscriptionCreationTime: string;
  SourceType?: EventSourceType;
  SourceIdsList?: string[];
  EventCategoriesList?: string[];
  Enabled: boolean;
  _arn: string;
}

/** Records events; never throws (an event that cannot be recorded must not fail the change itself). */
export interface EventRecorder {
  record(scope: Scope, ...events: DmsEventInput[]): Promise<void>;
}

export const NO_EVENTS: EventRecorder = { async record() {} };

export function eventDoc(e: DmsEventInput, now: number): EventDoc {
  const c: CatalogEntry = EVENT_CATALOG[e.kind];
  return {
    SourceIdentifier: e.sourceId,
    SourceType: e.sourceType,
    Message: e.reason ? `${c.message} Reason: ${e.reason}` : c.message,
    EventCategories: [c.category],
    Date: e.date ?? now,
    _eventId: c.id,
    ...(e.instanceId ? { _instanceId: e.instanceId } : {}),
  };
}

/** Sort key: time order (events recorded together keep their order), unique. */
export function eventSortKey(date: number, index = 0): string {
  return `${new Date(date * 1000).toISOString()}#${String(index).padStart(3, '0')}${randomBytes(4).toString('hex')}`;
}

export function createEventRecorder(deps: { table: DocumentTable; notifier?: EventNotifier; now?: () => number }): EventRecorder {
  return {
    async record(scope, ...events) {
      const now = deps.now?.() ?? Date.now() / 1000;
      for (const [i, e] of events.entries()) {
        const doc = eventDoc(e, now);
        try {
          await deps.table.write([{ kind: 'put', key: { pk: eventPk(scope), sk: eventSortKey(doc.Date, i) }, doc }]);
          if (deps.notifier) await deliver(deps.table, deps.notifier, scope, doc);
        } catch (err) {
          logger.warn('event not recorded', { eventId: doc._eventId, sourceId: doc.SourceIdentifier, error: err as Error });
        }
      }
    },
  };
}

/** Whether a subscription wants an event (Enabled, SourceType, SourceIds, EventCategories). */
export function subscriptionMatches(s: SubscriptionDoc, e: EventDoc): boolean {
  if (!s.Enabled) return false;
  if (s.SourceType && s.SourceType !== e.SourceType) return false;
  if (s.SourceIdsList?.length && !s.SourceIdsList.includes(e.SourceIdentifier)) return false;
  if (s.EventCategoriesList?.length && !e.EventCategories.some((c) => s.EventCategoriesList!.includes(c))) return false;
  return true;
}

async function deliver(table: DocumentTable, notifier: EventNotifier, scope: Scope, e: EventDoc): Promise<void> {
  const subs = await table.all<SubscriptionDoc>(subscriptionPk(scope));
  const topics = new Set(subs.filter((s) => subscriptionMatches(s.doc, e)).map((s) => s.doc.SnsTopicArn));
  await Promise.all(
    [...topics].map((topic) =>
      notifier.publish(topic, 'DMS Notification Message', notificationMessage(scope, e)).catch((err) =>
        logger.warn('event notification failed', { topicArn: topic, eventId: e._eventId, error: err as Error }),
      ),
    ),
  );
}

/** The SNS message body AWS DMS sends (captured in terraform-aws-notify-slack's dms_notification.json). */
export function notificationMessage(scope: Scope, e: EventDoc): string {
  const entry = Object.values(EVENT_CATALOG).find((c) => c.id === e._eventId) as CatalogEntry | undefined;
  const page = e.SourceType === 'replication-task' ? 'tasks' : 'replication-instances';
  const reason = e.Message.includes(' Reason: ') ? e.Message.slice(e.Message.indexOf(' Reason: ') + 1) : '';
  return JSON.stringify({
    'Event Source': e.SourceType,
    'Event Time': eventTime(e.Date),
    'Identifier Link': `https://console.aws.amazon.com/dms/home?region=${scope.region}#${page}:ids=${e.SourceIdentifier}`,
    SourceId: e.SourceIdentifier,
    'Event ID': `http://docs.aws.amazon.com/dms/latest/userguide/CHAP_Events.html#${e._eventId} `,
    'Event Message': (entry?.delivered ?? entry?.message ?? e.Message) + (reason ? `\n${reason}` : ''),
  });
}

/** `2019-02-12 15:45:24.091`: the time format of DMS notifications and SubscriptionCreationTime. */
export function eventTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace('T', ' ').replace('Z', '');
}

export function validSourceType(value: unknown, param = 'SourceType'): EventSourceType | undefined {
  if (value === undefined) return undefined;
  if (value !== 'replication-instance' && value !== 'replication-task') {
    throw new InvalidParameterValueException(`Invalid ${param}: ${String(value)}. Valid values: replication-instance, replication-task`);
  }
  return value;
}

/** Categories must exist for the source type (for any source type when none is given); matched case-insensitively. */
export function validCategories(value: unknown, sourceType: EventSourceType | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const known = sourceType ? EVENT_CATEGORIES[sourceType] : [...new Set(Object.values(EVENT_CATEGORIES).flat())];
  return (value as string[]).map((c) => {
    const found = known.find((k) => k === c.toLowerCase());
    if (!found) {
      throw new InvalidParameterValueException(
        `Invalid event category ${c}${sourceType ? ` for source type ${sourceType}` : ''}. Valid categories: ${known.join(', ')}`,
      );
    }
    return found;
  });
}
