// dmslite beside LocalStack-style services: `npm start` with AWS_ENDPOINT_URL naming one moto_server
// that serves DynamoDB (state), Kinesis (target), Secrets Manager (source credentials), CloudWatch
// Logs (task logs) and SNS (events); a full-load-and-cdc task runs end to end.
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateEndpointCommand,
  CreateEventSubscriptionCommand,
  DatabaseMigrationServiceClient,
} from '@aws-sdk/client-database-migration-service';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createInstance, createKinesisTarget, createTask, selectionMappings } from '../../support/dms.js';
import { createStream } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startMoto, type MotoServer } from '../../support/moto.js';
import { startNpmStart, type NpmStart } from '../../support/npm-start.js';
import { readStream, startTask, stopTaskAndWait, summary, waitForStatus } from '../../support/task-flow.js';

// One access key for dmslite and the test: moto keeps resources per account (a 12-digit key is the account).
const CREDS = { accessKeyId: '000000000000', secretAccessKey: 'x' };
const REGION = 'us-east-1';
let moto: MotoServer;
let db: MariaDb;
let server: NpmStart;
let dms: DatabaseMigrationServiceClient;

beforeAll(async () => {
  [moto, db] = await Promise.all([startMoto(), startMariaDb()]);
  server = await startNpmStart({
    env: { AWS_ENDPOINT_URL: moto.endpoint, AWS_ACCESS_KEY_ID: CREDS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDS.secretAccessKey, AWS_REGION: REGION },
  });
  dms = new DatabaseMigrationServiceClient({ endpoint: server.url, region: REGION, credentials: CREDS });
});

afterAll(async () => {
  dms?.destroy();
  await server?.stop();
  await db?.stop();
  await moto?.stop();
});

it('npm start uses the one endpoint for every service; a full-load-and-cdc task runs end to end', { timeout: 240_000 }, async () => {
  // No embedded DynamoDB Local or kinesalite: the state table lives in moto.
  expect(server.output()).toContain(`DynamoDB: ${moto.endpoint}`);
  expect(server.output()).toContain(`Kinesis:  ${moto.endpoint}`);
  const ddb = new DynamoDBClient({ endpoint: moto.endpoint, region: REGION, credentials: CREDS });
  expect((await ddb.send(new ListTablesCommand({}))).TableNames).toContain('dmslite-state');
  ddb.destroy();

  await db.query('CREATE DATABASE shop');
  await db.query('CREATE TABLE shop.orders (id INT PRIMARY KEY, item VARCHAR(20))');
  await db.query("INSERT INTO shop.orders VALUES (1, 'apple'), (2, 'pear')");
  const sm = new SecretsManagerClient({ endpoint: moto.endpoint, region: REGION, credentials: CREDS });
  const secretArn = (await sm.send(new CreateSecretCommand({
    Name: 'shop-db', SecretString: JSON.stringify({ username: db.dmsUser.user, password: db.dmsUser.password, host: '127.0.0.1', port: String(db.port) }),
  }))).ARN!;
  sm.destroy();
  const sns = new SNSClient({ endpoint: moto.endpoint, region: REGION, credentials: CREDS });
  const sqs = new SQSClient({ endpoint: moto.endpoint, region: REGION, credentials: CREDS });
  const topicArn = (await sns.send(new CreateTopicCommand({ Name: 'dms' }))).TopicArn!;
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'dms' }))).QueueUrl!;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn }));
  await dms.send(new CreateEventSubscriptionCommand({ SubscriptionName: 'all', SnsTopicArn: topicArn }));

  await createStream(moto.endpoint, 'orders', 1);
  const source = (await dms.send(new CreateEndpointCommand({
    EndpointIdentifier: 'shop', EndpointType: 'source', EngineName: 'mariadb',
    MySQLSettings: { SecretsManagerSecretId: secretArn, SecretsManagerAccessRoleArn: 'arn:aws:iam::000000000000:role/dms-secrets' },
  }))).Endpoint!.EndpointArn!;
  const target = (await createKinesisTarget(dms, 'orders', 'orders')).EndpointArn!;
  const ri = await createInstance(dms, 'moto-ri');
  const task = await createTask(dms, {
    id: 'orders-task', source, target, instance: ri.ReplicationInstanceArn!, type: 'full-load-and-cdc',
    mappings: selectionMappings('shop'), settings: { Logging: { EnableLogging: true } },
  });
  const arn = task.ReplicationTaskArn!;
  await waitForStatus(dms, arn, ['ready']);
  await startTask(dms, arn);
  await waitForStatus(dms, arn, ['running'], 120_000);
  const loaded = await readStream(moto.endpoint, 'orders', 5, 120_000);
  expect(summary(loaded)).toEqual(['drop-table shop.orders', 'create-table shop.orders', 'load shop.orders', 'load shop.orders', 'create-table .awsdms_apply_exceptions']);
  await db.query("INSERT INTO shop.orders VALUES (3, 'plum')");
  const changed = await readStream(moto.endpoint, 'orders', 6, 120_000);
  expect(summary(changed.slice(5))).toEqual(['insert shop.orders']);
  expect(changed[5].json.data).toEqual({ id: 3, item: 'plum' });
  expect((await stopTaskAndWait(dms, arn)).Status).toBe('stopped');

  const logs = new CloudWatchLogsClient({ endpoint: moto.endpoint, region: REGION, credentials: CREDS });
  const deadline = Date.now() + 60_000;
  let lines: string[] = [];
  while (!lines.some((l) => l.includes('stopped. Stop Reason NORMAL'))) {
    if (Date.now() > deadline) throw new Error(`task log:\n${lines.join('\n')}`);
    const out = await logs.send(new GetLogEventsCommand({ logGroupName: 'dms-tasks-moto-ri', logStreamName: `dms-task-${arn.split(':').pop()}`, startFromHead: true })).catch(() => ({ events: [] }));
    lines = (out.events ?? []).map((e) => e.message!);
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(lines[0]).toContain("Task 'orders-task' running full load and CDC in fresh start mode");
  expect(lines.join('\n')).not.toContain(db.dmsUser.password);
  logs.destroy();

  const received: string[] = [];
  const until = Date.now() + 60_000;
  while (!received.some((m) => m.includes('DMS-EVENT-0079'))) {
    if (Date.now() > until) throw new Error(`SQS got: ${received.join('\n')}`);
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const m of out.Messages ?? []) received.push(JSON.parse(m.Body!).Message);
  }
  expect(received.some((m) => m.includes('DMS-EVENT-0069'))).toBe(true);
  sns.destroy();
  sqs.destroy();
});
