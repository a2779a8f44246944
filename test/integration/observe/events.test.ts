// DMS events on real task and instance changes, DescribeEvents / DescribeEventCategories, event
// subscriptions delivering to SNS (moto_server) → an SQS queue subscribed to the topic; and task
// logs kept in the state table when no CloudWatch Logs endpoint is configured.
import {
  CreateEventSubscriptionCommand,
  DeleteEventSubscriptionCommand,
  DeleteReplicationTaskCommand,
  DescribeEventCategoriesCommand,
  DescribeEventsCommand,
  DescribeEventSubscriptionsCommand,
  DescribeReplicationInstanceTaskLogsCommand,
  ModifyEventSubscriptionCommand,
  ModifyReplicationInstanceCommand,
  ReloadTablesCommand,
  type Event,
  type SourceType,
} from '@aws-sdk/client-database-migration-service';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readTaskLogTail } from '../../../core/observe/log-store.js';
import { apiDepsFromEnv } from '../../../core/runtime.js';
import { awsError, createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from '../../support/dms.js';
import { createStream } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startMoto, type MotoServer } from '../../support/moto.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { startTask, stopTaskAndWait, waitForStatus } from '../../support/task-flow.js';

const CREDS = { accessKeyId: 'test', secretAccessKey: 'test' };
// The SDK's SourceType enum (botocore's) lacks the documented `replication-task`.
const TASK_SOURCE = 'replication-task' as string as SourceType;
let moto: MotoServer;
let stack: TestStack;
let db: MariaDb;
let sns: SNSClient;
let sqs: SQSClient;
let topicArn: string;
let queueUrl: string;
let instance: { arn: string; id: string };
let source: string;
let badSource: string;
const kinesis = () => inject('kinesisEndpoint');

beforeAll(async () => {
  [moto, db] = await Promise.all([startMoto(), startMariaDb()]);
  process.env.AWS_ENDPOINT_URL_SNS = moto.endpoint;
  delete process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS;
  stack = await startTestStack({ runner: true });
  sns = new SNSClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: CREDS });
  sqs = new SQSClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: CREDS });
  topicArn = (await sns.send(new CreateTopicCommand({ Name: 'dms-events' }))).TopicArn!;
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'dms-events-queue' }))).QueueUrl!;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn }));
  await db.query('CREATE DATABASE ev');
  await db.query('CREATE TABLE ev.items (id INT PRIMARY KEY, name VARCHAR(20))');
  await db.query("INSERT INTO ev.items VALUES (1, 'one'), (2, 'two')");
  source = (await createMySqlSource(stack.dms, 'ev-src', { port: db.port, ...db.dmsUser })).EndpointArn!;
  badSource = (await createMySqlSource(stack.dms, 'ev-bad', { port: db.port, user: db.dmsUser.user, password: 'wrong' })).EndpointArn!;
  const ri = await createInstance(stack.dms, 'ev-instance');
  instance = { arn: ri.ReplicationInstanceArn!, id: ri.ReplicationInstanceIdentifier! };
});

afterAll(async () => {
  sns?.destroy();
  sqs?.destroy();
  await Promise.all([stack?.stop(), db?.stop()]);
  await moto?.stop();
});

async function events(input: ConstructorParameters<typeof DescribeEventsCommand>[0] & object): Promise<Event[]> {
  return (await stack.dms.send(new DescribeEventsCommand(input))).Events!;
}

/** Polls until `until` holds for the task's events (the runner records them as it goes). */
async function taskEvents(id: string, until: (messages: string[]) => boolean): Promise<Event[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const list = await events({ SourceType: TASK_SOURCE, SourceIdentifier: id });
    if (until(list.map((e) => e.Message!))) return list;
    if (Date.now() > deadline) throw new Error(`events of ${id}: ${list.map((e) => e.Message).join(' | ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function newTask(type: 'full-load' | 'cdc' | 'full-load-and-cdc', src = source, settings?: unknown) {
  const stream = uniqueName('ev');
  await createStream(kinesis(), stream, 1);
  const target = (await createKinesisTarget(stack.dms, uniqueName('ev-tgt'), stream)).EndpointArn!;
  const task = await createTask(stack.dms, { id: uniqueName('ev-task'), source: src, target, instance: instance.arn, type, mappings: selectionMappings('ev'), settings });
  await waitForStatus(stack.dms, task.ReplicationTaskArn!, ['ready']);
  return { arn: task.ReplicationTaskArn!, id: task.ReplicationTaskIdentifier! };
}

describe('event subscriptions', () => {
  it('validate like AWS', async () => {
    expect((await awsError(stack.dms.send(new CreateEventSubscriptionCommand({ SubscriptionName: 'x', SnsTopicArn: 'not-an-arn' })))).name).toBe('SNSInvalidTopicFault');
    const gone = await awsError(stack.dms.send(new CreateEventSubscriptionCommand({ SubscriptionName: 'x', SnsTopicArn: 'arn:aws:sns:us-east-1:123456789012:no-such-topic' })));
    expect(gone).toEqual({ name: 'SNSInvalidTopicFault', message: 'SNS topic arn:aws:sns:us-east-1:123456789012:no-such-topic does not exist' });
    expect((await awsError(stack.dms.send(new CreateEventSubscriptionCommand({ SubscriptionName: 'x', SnsTopicArn: topicArn, SourceType: 'replication-task', EventCategories: ['low storage'] })))).name).toBe('InvalidParameterValueException');
    expect((await awsError(stack.dms.send(new CreateEventSubscriptionCommand({ SubscriptionName: 'x', SnsTopicArn: topicArn, SourceType: 'replication-task', SourceIds: ['no-such-task'] })))).name).toBe('ResourceNotFoundFault');
    expect((await awsError(stack.dms.send(new CreateEventSubscriptionCommand({ SubscriptionName: 'x', SnsTopicArn: topicArn, SourceIds: ['ev-instance'] })))).name).toBe('InvalidParameterValueException');
    expect((await awsError(stack.dms.send(new CreateEventSubscriptionCommand({ SubscriptionName: 'bad name!', SnsTopicArn: topicArn })))).name).toBe('InvalidParameterValueException');
    expect((await awsError(stack.dms.send(new DescribeEventSubscriptionsCommand({ SubscriptionName: 'nope' })))).name).toBe('ResourceNotFoundFault');
  });

  it('create, describe, modify, delete', async () => {
    const created = (await stack.dms.send(new CreateEventSubscriptionCommand({
      SubscriptionName: 'temp-sub', SnsTopicArn: topicArn, SourceType: 'replication-instance', EventCategories: ['Creation'], Enabled: false,
    }))).EventSubscription!;
    expect(created).toMatchObject({
      CustomerAwsId: '000000000000', CustSubscriptionId: 'temp-sub', SnsTopicArn: topicArn, Status: 'active',
      SourceType: 'replication-instance', SourceIdsList: [], EventCategoriesList: ['creation'], Enabled: false,
    });
    expect(created.SubscriptionCreationTime).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
    expect((await awsError(stack.dms.send(new CreateEventSubscriptionCommand({ SubscriptionName: 'temp-sub', SnsTopicArn: topicArn })))).name).toBe('ResourceAlreadyExistsFault');
    const modified = (await stack.dms.send(new ModifyEventSubscriptionCommand({ SubscriptionName: 'temp-sub', Enabled: true, EventCategories: ['deletion'] }))).EventSubscription!;
    expect(modified).toMatchObject({ Enabled: true, EventCategoriesList: ['deletion'] });
    const listed = await stack.dms.send(new DescribeEventSubscriptionsCommand({ Filters: [{ Name: 'event-subscription-id', Values: ['temp-sub'] }] }));
    expect(listed.EventSubscriptionsList!.map((s) => s.CustSubscriptionId)).toEqual(['temp-sub']);
    expect((await stack.dms.send(new DeleteEventSubscriptionCommand({ SubscriptionName: 'temp-sub' }))).EventSubscription!.Status).toBe('deleting');
    expect((await awsError(stack.dms.send(new DescribeEventSubscriptionsCommand({ SubscriptionName: 'temp-sub' })))).name).toBe('ResourceNotFoundFault');
  });
});

describe('events', () => {
  it('DescribeEventCategories lists the categories of each source type', async () => {
    const out = await stack.dms.send(new DescribeEventCategoriesCommand({}));
    expect(out.EventCategoryGroupList).toEqual([
      { SourceType: 'replication-instance', EventCategories: ['configuration change', 'creation', 'deletion', 'maintenance', 'low storage', 'failover', 'failure'] },
      { SourceType: 'replication-task', EventCategories: ['state change', 'failure', 'configuration change', 'deletion', 'creation'] },
    ]);
    const tasksOnly = await stack.dms.send(new DescribeEventCategoriesCommand({ SourceType: 'replication-task' }));
    expect(tasksOnly.EventCategoryGroupList!.map((g) => g.SourceType)).toEqual(['replication-task']);
  });

  it('are listed after creating, starting, stopping and failing tasks; a subscription delivers a state change to SQS', { timeout: 180_000 }, async () => {
    await stack.dms.send(new CreateEventSubscriptionCommand({ SubscriptionName: 'task-state', SnsTopicArn: topicArn, SourceType: 'replication-task', EventCategories: ['state change', 'failure'] }));

    const full = await newTask('full-load');
    await startTask(stack.dms, full.arn);
    expect((await waitForStatus(stack.dms, full.arn, ['stopped', 'failed'])).Status).toBe('stopped');
    const fullEvents = await taskEvents(full.id, (m) => m.length >= 3);
    expect(fullEvents.map((e) => [e.Message, e.EventCategories, e.SourceType as string])).toEqual([
      ['The replication task is created.', ['creation'], 'replication-task'],
      ['The replication task has started.', ['state change'], 'replication-task'],
      ['The replication task has stopped.', ['state change'], 'replication-task'],
    ]);
    expect(fullEvents[0].Date).toBeInstanceOf(Date);

    const cdc = await newTask('cdc');
    await startTask(stack.dms, cdc.arn);
    await waitForStatus(stack.dms, cdc.arn, ['running']);
    expect((await stopTaskAndWait(stack.dms, cdc.arn)).Status).toBe('stopped');
    expect((await taskEvents(cdc.id, (m) => m.length >= 3)).map((e) => e.Message)).toEqual([
      'The replication task is created.', 'The replication task has started.', 'The replication task has stopped.',
    ]);

    const bad = await newTask('full-load', badSource);
    await startTask(stack.dms, bad.arn);
    const failed = await waitForStatus(stack.dms, bad.arn, ['failed', 'stopped']);
    expect(failed.Status).toBe('failed');
    const badEvents = await taskEvents(bad.id, (m) => m.length >= 3);
    expect(badEvents[2].Message).toBe(`The replication task has failed. Reason: ${failed.LastFailureMessage}`);
    expect(badEvents[2].EventCategories).toEqual(['failure']);

    // Filters: categories, the instance, a time window, pagination.
    const failures = await events({ SourceType: TASK_SOURCE, EventCategories: ['failure'] });
    expect(failures.map((e) => e.SourceIdentifier)).toEqual([bad.id]);
    const onInstance = await events({ Filters: [{ Name: 'replication-instance-id', Values: [instance.id] }] });
    expect(onInstance.filter((e) => (e.SourceType as string) === 'replication-task')).toHaveLength(9);
    expect(onInstance.filter((e) => e.SourceType === 'replication-instance').map((e) => e.Message)).toEqual([
      'A replication instance is being created.', 'A replication instance has been created.',
    ]);
    expect(await events({ Filters: [{ Name: 'replication-instance-id', Values: ['other'] }] })).toEqual([]);
    expect(await events({ StartTime: new Date(Date.now() + 60_000), EndTime: new Date(Date.now() + 120_000) })).toEqual([]);
    expect((await events({ Duration: 60 })).length).toBe((await events({})).length);
    expect((await awsError(stack.dms.send(new DescribeEventsCommand({ MaxRecords: 101 })))).name).toBe('InvalidParameterValueException');
    expect((await awsError(stack.dms.send(new DescribeEventsCommand({ SourceIdentifier: full.id })))).name).toBe('InvalidParameterValueException');
    // Enough events for several pages: tasks created and deleted.
    const target = (await createKinesisTarget(stack.dms, uniqueName('ev-tgt'), 'unused')).EndpointArn!;
    for (let i = 0; i < 6; i++) {
      const t = await createTask(stack.dms, { id: uniqueName('ev-tmp'), source, target, instance: instance.arn, mappings: selectionMappings('ev') });
      await waitForStatus(stack.dms, t.ReplicationTaskArn!, ['ready']);
      await stack.dms.send(new DeleteReplicationTaskCommand({ ReplicationTaskArn: t.ReplicationTaskArn! }));
    }
    const all = await events({});
    const paged: Event[] = [];
    let marker: string | undefined;
    do {
      const out = await stack.dms.send(new DescribeEventsCommand({ MaxRecords: 20, ...(marker ? { Marker: marker } : {}) }));
      paged.push(...out.Events!);
      marker = out.Marker;
    } while (marker);
    expect(all.length).toBeGreaterThan(20);
    expect(paged).toEqual(all);

    // SNS → SQS: the subscription matched state changes and failures of tasks.
    const received = await receiveAll((bodies) => bodies.filter((b) => b.SourceId === bad.id).length >= 1 && bodies.length >= 5);
    const stopped = received.find((m) => m.SourceId === full.id && m['Event ID'].includes('DMS-EVENT-0079'))!;
    expect(stopped).toMatchObject({
      'Event Source': 'replication-task',
      SourceId: full.id,
      'Event ID': 'http://docs.aws.amazon.com/dms/latest/userguide/CHAP_Events.html#DMS-EVENT-0079 ',
      'Event Message': 'Replication task has stopped.',
      'Identifier Link': `https://console.aws.amazon.com/dms/home?region=us-east-1#tasks:ids=${full.id}`,
    });
    expect(stopped['Event Time']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
    expect(received.some((m) => m['Event Message'].includes('created'))).toBe(false);
    const failure = received.find((m) => m.SourceId === bad.id && m['Event ID'].includes('DMS-EVENT-0078'))!;
    expect(failure['Event Message']).toContain('Reason: ');
  });

  it('ReloadTables is an event', { timeout: 120_000 }, async () => {
    const t = await newTask('full-load-and-cdc');
    await startTask(stack.dms, t.arn);
    await waitForStatus(stack.dms, t.arn, ['running']);
    await stack.dms.send(new ReloadTablesCommand({ ReplicationTaskArn: t.arn, TablesToReload: [{ SchemaName: 'ev', TableName: 'items' }] }));
    const list = await taskEvents(t.id, (m) => m.includes('A reload of table details has been requested.'));
    expect(list.at(-1)).toMatchObject({ Message: 'A reload of table details has been requested.', EventCategories: ['state change'] });
    expect((await stopTaskAndWait(stack.dms, t.arn)).Status).toBe('stopped');
  });

  it('instance configuration changes are events', async () => {
    await stack.dms.send(new ModifyReplicationInstanceCommand({ ReplicationInstanceArn: instance.arn, ReplicationInstanceClass: 'dms.t3.small', ApplyImmediately: true }));
    const list = await events({ SourceType: 'replication-instance', SourceIdentifier: instance.id, EventCategories: ['configuration change'] });
    expect(list.map((e) => e.Message)).toEqual([
      'The replication instance class for this replication instance is being changed.',
      'The replication instance class for this replication instance has changed.',
    ]);
  });
});

let subjects: string[] = [];
async function receiveAll(until: (bodies: Record<string, string>[]) => boolean): Promise<Record<string, string>[]> {
  const bodies: Record<string, string>[] = [];
  const deadline = Date.now() + 60_000;
  while (!until(bodies)) {
    if (Date.now() > deadline) throw new Error(`SQS got: ${JSON.stringify(bodies)}`);
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const m of out.Messages ?? []) {
      const envelope = JSON.parse(m.Body!);
      subjects.push(envelope.Subject);
      bodies.push(JSON.parse(envelope.Message));
    }
  }
  expect(new Set(subjects)).toEqual(new Set(['DMS Notification Message']));
  return bodies;
}

describe('task logs without CloudWatch Logs', () => {
  it('stay in the state table, sized by DescribeReplicationInstanceTaskLogs', { timeout: 120_000 }, async () => {
    const task = await newTask('full-load', source, { Logging: { EnableLogging: true, LogComponents: [{ Id: 'SOURCE_UNLOAD', Severity: 'LOGGER_SEVERITY_ERROR' }] } });
    await startTask(stack.dms, task.arn);
    await waitForStatus(stack.dms, task.arn, ['stopped']);
    const tail = await readTaskLogTail(apiDepsFromEnv().table, task.arn);
    const text = tail.lines.join('\n');
    expect(text).toContain(`[TASK_MANAGER    ]I:  Task '${task.id}' running full load in fresh start mode`);
    expect(text).toContain("[TASK_MANAGER    ]I:  Start loading table 'ev'.'items'");
    expect(text).toContain("[TASK_MANAGER    ]I:  Table 'ev'.'items' loading finished. 2 records transferred.");
    expect(text).toContain(`[TASK_MANAGER    ]I:  Task '${task.id}' stopped. Stop Reason FULL_LOAD_ONLY_FINISHED`);
    // SOURCE_UNLOAD at ERROR: its info lines are left out.
    expect(text).not.toContain('SOURCE_UNLOAD');
    const sizes = await stack.dms.send(new DescribeReplicationInstanceTaskLogsCommand({ ReplicationInstanceArn: instance.arn }));
    const entry = sizes.ReplicationInstanceTaskLogs!.find((l) => l.ReplicationTaskArn === task.arn)!;
    expect(entry).toEqual({ ReplicationTaskName: task.id, ReplicationTaskArn: task.arn, ReplicationInstanceTaskLogSize: tail.size });
    expect(tail.size).toBe(Buffer.byteLength(text) + 1);
    // Tasks without logging have a zero size.
    expect(sizes.ReplicationInstanceTaskLogs!.filter((l) => l.ReplicationTaskArn !== task.arn).every((l) => l.ReplicationInstanceTaskLogSize === 0)).toBe(true);
  });
});
