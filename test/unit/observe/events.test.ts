import { describe, expect, it } from 'vitest';
import { eventDoc, eventSortKey, eventTime, notificationMessage, subscriptionMatches, validCategories, type SubscriptionDoc } from '../../../core/observe/events.js';
import { instanceChangeEvents } from '../../../core/observe/instance-events.js';
import { DmsFault } from '../../../core/model/errors.js';

const scope = { account: '000000000000', region: 'eu-west-2' };
const sub = (over: Partial<SubscriptionDoc> = {}): SubscriptionDoc => ({
  CustomerAwsId: '000000000000', CustSubscriptionId: 's', SnsTopicArn: 'arn:aws:sns:eu-west-2:000000000000:t', Status: 'active',
  SubscriptionCreationTime: '', Enabled: true, _arn: '', _tags: [], ...over,
});

describe('events', () => {
  it('carry the catalogue message, category and id; a failure its reason', () => {
    const e = eventDoc({ kind: 'task.failed', sourceType: 'replication-task', sourceId: 'hello-world', reason: 'boom' }, 100);
    expect(e).toEqual({ SourceIdentifier: 'hello-world', SourceType: 'replication-task', Message: 'The replication task has failed. Reason: boom', EventCategories: ['failure'], Date: 100, _eventId: 'DMS-EVENT-0078' });
  });

  it('sort in time order, then in recording order', () => {
    expect(eventSortKey(1, 0) < eventSortKey(1, 1)).toBe(true);
    expect(eventSortKey(1, 9) < eventSortKey(2, 0)).toBe(true);
  });

  it('SNS notifications have the shape AWS delivers', () => {
    const e = eventDoc({ kind: 'task.stopped', sourceType: 'replication-task', sourceId: 'hello-world' }, Date.UTC(2019, 1, 12, 15, 45, 24, 91) / 1000);
    expect(JSON.parse(notificationMessage(scope, e))).toEqual({
      'Event Source': 'replication-task',
      'Event Time': '2019-02-12 15:45:24.091',
      'Identifier Link': 'https://console.aws.amazon.com/dms/home?region=eu-west-2#tasks:ids=hello-world',
      SourceId: 'hello-world',
      'Event ID': 'http://docs.aws.amazon.com/dms/latest/userguide/CHAP_Events.html#DMS-EVENT-0079 ',
      'Event Message': 'Replication task has stopped.',
    });
    expect(eventTime(0)).toBe('1970-01-01 00:00:00.000');
  });

  it('match subscriptions by Enabled, SourceType, SourceIds and categories', () => {
    const e = eventDoc({ kind: 'task.started', sourceType: 'replication-task', sourceId: 't1' }, 1);
    expect(subscriptionMatches(sub(), e)).toBe(true);
    expect(subscriptionMatches(sub({ Enabled: false }), e)).toBe(false);
    expect(subscriptionMatches(sub({ SourceType: 'replication-instance' }), e)).toBe(false);
    expect(subscriptionMatches(sub({ SourceType: 'replication-task', SourceIdsList: ['t2'] }), e)).toBe(false);
    expect(subscriptionMatches(sub({ SourceType: 'replication-task', SourceIdsList: ['t1'], EventCategoriesList: ['state change'] }), e)).toBe(true);
    expect(subscriptionMatches(sub({ EventCategoriesList: ['failure'] }), e)).toBe(false);
  });

  it('categories are validated per source type, case-insensitively', () => {
    expect(validCategories(['State Change'], 'replication-task')).toEqual(['state change']);
    expect(() => validCategories(['low storage'], 'replication-task')).toThrow(DmsFault);
    expect(validCategories(['low storage'], undefined)).toEqual(['low storage']);
  });

  it('instance changes give their begin/finish events', () => {
    const before = { ReplicationInstanceIdentifier: 'ri', ReplicationInstanceClass: 'dms.t3.micro', AllocatedStorage: 50, MultiAZ: false };
    expect(instanceChangeEvents(before, { ...before }).length).toBe(0);
    expect(instanceChangeEvents(before, { ...before, AllocatedStorage: 100, MultiAZ: true }).map((e) => e.kind)).toEqual([
      'instance.storageScaling', 'instance.storageScaled', 'instance.toMultiAz', 'instance.isMultiAz',
    ]);
  });
});
