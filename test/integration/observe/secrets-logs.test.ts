// LocalStack's DMS sample (sample-dms-kinesis-rds-mariadb) with its secret-based source endpoints,
// against a private moto_server as Secrets Manager and CloudWatch Logs: record counts, statistics,
// task logs in AWS's group/stream, DescribeReplicationInstanceTaskLogs, bad secrets, and no secret
// value anywhere in API answers or log lines.
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateEndpointCommand,
  DescribeConnectionsCommand,
  DescribeEndpointsCommand,
  DescribeReplicationInstanceTaskLogsCommand,
  DescribeReplicationTasksCommand,
  ModifyEndpointCommand,
  TestConnectionCommand,
} from '@aws-sdk/client-database-migration-service';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readTaskLogTail } from '../../../core/observe/log-store.js';
import { awsError, createInstance, createKinesisTarget, createTask, selectionMappings } from '../../support/dms.js';
import { createStream } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startMoto, type MotoServer } from '../../support/moto.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { readStream, startTask, stopTaskAndWait, summary, tableStatistics, waitForStatus } from '../../support/task-flow.js';
import { apiDepsFromEnv } from '../../../core/runtime.js';

const ROLE = 'arn:aws:iam::000000000000:role/dms-secret-access';
const DB = 'sample';
const PASSWORD = 'Sample-Pa55word-xyzzy';
const CREDS = { accessKeyId: 'test', secretAccessKey: 'test' };

let moto: MotoServer;
let stack: TestStack;
let db: MariaDb;
let sm: SecretsManagerClient;
let instance: { arn: string; id: string };
let rdsSecretArn: string;
let cdkSecretArn: string;
const kinesis = () => inject('kinesisEndpoint');
/** Every API answer of this file, to check no secret value leaks. */
const answers: string[] = [];

const CREATE_TABLES = [
  `CREATE TABLE ${DB}.authors (author_id INT AUTO_INCREMENT PRIMARY KEY, first_name VARCHAR(100) NOT NULL, last_name VARCHAR(100) NOT NULL,
    date_of_birth DATE, nationality VARCHAR(50), biography TEXT, email VARCHAR(255), phone_number VARCHAR(20), active BOOLEAN DEFAULT TRUE,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)`,
  `CREATE TABLE ${DB}.accounts (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, age TINYINT UNSIGNED, birth_date DATE,
    account_balance DECIMAL(10, 2), is_active BOOLEAN, signup_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP, last_login DATETIME, bio TEXT,
    profile_picture BLOB, favorite_color ENUM('red', 'green', 'blue'), height FLOAT, weight DOUBLE)`,
  `CREATE TABLE ${DB}.novels (novel_id INT AUTO_INCREMENT PRIMARY KEY, title VARCHAR(255) NOT NULL, author_id INT, publish_date DATE,
    isbn VARCHAR(20), genre VARCHAR(100), page_count INT, publisher VARCHAR(100), language VARCHAR(50), available_copies INT,
    total_copies INT, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, FOREIGN KEY (author_id) REFERENCES authors(author_id))`,
];
const PRESEED = [
  `INSERT INTO ${DB}.authors (first_name, last_name, date_of_birth, nationality, biography, email, phone_number)
    VALUES ('John', 'Doe', '1980-01-01', 'American', 'Biography of John Doe.', 'john.doe@example.com', '123-456-7890')`,
  `INSERT INTO ${DB}.accounts (name, age, birth_date, account_balance, is_active, signup_time, last_login, bio, profile_picture, favorite_color, height, weight)
    VALUES ('Alice', 30, '1991-05-21', 1500.00, TRUE, '2021-01-08 09:00:00', '2021-03-10 08:00:00', 'Bio of Alice', NULL, 'red', 1.70, 60.5)`,
  `INSERT INTO ${DB}.novels (title, author_id, publish_date, isbn, genre, page_count, publisher, language, available_copies, total_copies)
    VALUES ('The Great Adventure', 1, '2020-06-01', '978-3-16-148410-0', 'Adventure', 300, 'Adventure Press', 'English', 10, 20),
    ('Journey to the Stars', 1, '2021-04-10', '978-0-11-322456-7', 'Science Fiction', 350, 'SciFi Universe', 'English', 12, 25)`,
];
const ALTERS = [
  `ALTER TABLE ${DB}.authors MODIFY COLUMN email VARCHAR(100)`,
  `ALTER TABLE ${DB}.accounts DROP COLUMN profile_picture`,
  `ALTER TABLE ${DB}.novels ADD COLUMN is_stock BOOLEAN DEFAULT TRUE`,
];
const DROP = ['novels', 'accounts', 'authors'].map((t) => `DROP TABLE IF EXISTS ${DB}.${t}`);
const SAMPLE_KINESIS = {
  IncludeControlDetails: true,
  IncludeNullAndEmpty: true,
  IncludePartitionValue: true,
  IncludeTableAlterOperations: true,
  IncludeTransactionDetails: true,
  PartitionIncludeSchemaTable: true,
};

async function secret(name: string, value: unknown): Promise<string> {
  const out = await sm.send(new CreateSecretCommand({ Name: name, SecretString: typeof value === 'string' ? value : JSON.stringify(value) }));
  return out.ARN!;
}

async function send<T>(p: Promise<T>): Promise<T> {
  const out = await p;
  answers.push(JSON.stringify(out));
  return out;
}

async function secretSource(id: string, secretId: string, extra: Record<string, unknown> = {}) {
  const out = await send(
    stack.dms.send(
      new CreateEndpointCommand({
        EndpointIdentifier: id,
        EndpointType: 'source',
        EngineName: 'mariadb',
        MySQLSettings: { SecretsManagerSecretId: secretId, SecretsManagerAccessRoleArn: ROLE },
        ...extra,
      }),
    ),
  );
  return out.Endpoint!;
}

async function testConnection(endpointArn: string) {
  await send(stack.dms.send(new TestConnectionCommand({ ReplicationInstanceArn: instance.arn, EndpointArn: endpointArn })));
  const out = await send(stack.dms.send(new DescribeConnectionsCommand({ Filters: [{ Name: 'endpoint-arn', Values: [endpointArn] }] })));
  return out.Connections![0];
}

const LOGGING = { Logging: { EnableLogging: true } };

beforeAll(async () => {
  [moto, db] = await Promise.all([startMoto(), startMariaDb()]);
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = moto.endpoint;
  process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS = moto.endpoint;
  stack = await startTestStack({ runner: true });
  sm = new SecretsManagerClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: CREDS });
  await db.query(`CREATE DATABASE ${DB}`);
  await db.createUser('sampleuser', PASSWORD, 'SELECT, REPLICATION CLIENT, REPLICATION SLAVE');
  // The RDS-generated shape (numeric port, engine, dbInstanceIdentifier) and the CDK-made one (strings).
  rdsSecretArn = await secret('rds-db-credentials/cluster-1', {
    username: 'sampleuser', password: PASSWORD, engine: 'mariadb', host: '127.0.0.1', port: db.port, dbname: DB, dbInstanceIdentifier: 'rds-instance',
  });
  cdkSecretArn = await secret('mariadb-access-secret', { host: '127.0.0.1', port: String(db.port), username: 'sampleuser', password: PASSWORD, dbname: DB });
  const ri = await createInstance(stack.dms, 'sample-instance');
  instance = { arn: ri.ReplicationInstanceArn!, id: ri.ReplicationInstanceIdentifier! };
});

afterAll(async () => {
  sm?.destroy();
  await Promise.all([stack?.stop(), db?.stop()]);
  await moto?.stop();
});

describe('the LocalStack sample with Secrets Manager endpoints', () => {
  it('full load over a% and novels gives 6 and 4 records; TestConnection reads the secret', { timeout: 180_000 }, async () => {
    const source = await secretSource('full-endpoint', cdkSecretArn);
    expect(source.MySQLSettings).toEqual({ SecretsManagerSecretId: cdkSecretArn, SecretsManagerAccessRoleArn: ROLE });
    expect((await testConnection(source.EndpointArn!)).Status).toBe('successful');
    for (const sql of [...DROP, ...CREATE_TABLES, ...PRESEED]) await db.query(sql);

    const runs: [string, number][] = [['a%', 6], ['novels', 4]];
    for (const [tables, count] of runs) {
      const stream = uniqueName('sample-fl');
      await createStream(kinesis(), stream, 1);
      const target = (await createKinesisTarget(stack.dms, uniqueName('target'), stream, SAMPLE_KINESIS)).EndpointArn!;
      const task = await createTask(stack.dms, { id: uniqueName('full-load-task'), source: source.EndpointArn!, target, instance: instance.arn, mappings: selectionMappings(DB, tables), settings: LOGGING });
      await waitForStatus(stack.dms, task.ReplicationTaskArn!, ['ready']);
      await startTask(stack.dms, task.ReplicationTaskArn!);
      const done = await waitForStatus(stack.dms, task.ReplicationTaskArn!, ['stopped', 'failed'], 120_000);
      expect(done.Status, done.LastFailureMessage).toBe('stopped');
      const records = await readStream(kinesis(), stream, count);
      expect(records).toHaveLength(count);
      const stats = await tableStatistics(stack.dms, task.ReplicationTaskArn!);
      const expected = tables === 'a%' ? [['accounts', 1], ['authors', 1]] : [['novels', 2]];
      expect(stats.map((s) => [s.TableName, s.FullLoadRows, s.TableState])).toEqual(expected.map(([t, n]) => [t, n, 'Table completed']));
    }
  });

  it('CDC tasks give 5 create-table records at start, 4 for the inserts, 3 for the ALTERs', { timeout: 180_000 }, async () => {
    const source = await secretSource('cdc-endpoint', rdsSecretArn);
    expect((await testConnection(source.EndpointArn!)).Status).toBe('successful');
    for (const sql of [...DROP, ...CREATE_TABLES]) await db.query(sql);
    const stream = uniqueName('sample-cdc');
    await createStream(kinesis(), stream, 1);
    const target = (await createKinesisTarget(stack.dms, uniqueName('target'), stream, SAMPLE_KINESIS)).EndpointArn!;
    const settings = { ...LOGGING, BeforeImageSettings: { EnableBeforeImage: true, FieldName: 'before-image', ColumnFilter: 'all' } };
    const tasks = [];
    for (const tables of ['a%', 'novels']) {
      tasks.push((await createTask(stack.dms, { id: uniqueName('cdc-task'), source: source.EndpointArn!, target, instance: instance.arn, type: 'cdc', mappings: selectionMappings(DB, tables), settings })).ReplicationTaskArn!);
    }
    for (const t of tasks) await waitForStatus(stack.dms, t, ['ready']);
    for (const t of tasks) await startTask(stack.dms, t);
    for (const t of tasks) await waitForStatus(stack.dms, t, ['running']);
    const start = await readStream(kinesis(), stream, 5);
    expect(summary(start).sort()).toEqual([
      'create-table .awsdms_apply_exceptions',
      'create-table .awsdms_apply_exceptions',
      `create-table ${DB}.accounts`,
      `create-table ${DB}.authors`,
      `create-table ${DB}.novels`,
    ]);
    for (const sql of PRESEED) await db.query(sql);
    const inserts = (await readStream(kinesis(), stream, 9)).slice(5);
    expect(summary(inserts).sort()).toEqual([`insert ${DB}.accounts`, `insert ${DB}.authors`, `insert ${DB}.novels`, `insert ${DB}.novels`]);
    for (const sql of ALTERS) await db.query(sql);
    const alters = (await readStream(kinesis(), stream, 12)).slice(9);
    expect(alters).toHaveLength(3);
    expect(alters.every((r) => r.json.metadata['record-type'] === 'control')).toBe(true);
    for (const t of tasks) expect((await stopTaskAndWait(stack.dms, t)).Status).toBe('stopped');

    // Task logs: in CloudWatch Logs under AWS's names, with the lines of the run.
    const logs = new CloudWatchLogsClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: CREDS });
    try {
      const stream0 = `dms-task-${tasks[0].split(':').pop()}`;
      const events = await pollLogEvents(logs, `dms-tasks-${instance.id}`, stream0, (lines) => lines.some((l) => l.includes('stopped. Stop Reason NORMAL')));
      const text = events.join('\n');
      expect(events[0]).toMatch(/^\d{8}: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d \[TASK_MANAGER {4}\]I: {2}Task 'cdc-task-[0-9a-f]+' running CDC only in fresh start mode$/);
      expect(text).toContain('[TABLES_MANAGER  ]I:  2 tables selected by the table mappings: ');
      expect(text).toMatch(/\[SOURCE_CAPTURE {2}\]I: {2}Starting change capture from binlog position '[^']+:\d+'/);
      expect(text).toContain("DDL captured: alter of 'sample'.'authors'");
      expect(text).not.toContain('insert'); // never per row
      expect(text).not.toContain(PASSWORD);
    } finally {
      logs.destroy();
    }
  });
});

async function pollLogEvents(logs: CloudWatchLogsClient, group: string, stream: string, until: (lines: string[]) => boolean): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  let lines: string[] = [];
  for (;;) {
    try {
      const out = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true }));
      lines = (out.events ?? []).map((e) => e.message!);
      if (until(lines)) return lines;
    } catch (e) {
      if ((e as Error).name !== 'ResourceNotFoundException') throw e;
    }
    if (Date.now() > deadline) throw new Error(`log lines did not arrive in ${group}/${stream}:\n${lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('task logs', () => {
  it('are sized by DescribeReplicationInstanceTaskLogs; Logging names the group and stream', async () => {
    const out = await send(stack.dms.send(new DescribeReplicationInstanceTaskLogsCommand({ ReplicationInstanceArn: instance.arn })));
    expect(out.ReplicationInstanceArn).toBe(instance.arn);
    const logs = out.ReplicationInstanceTaskLogs!;
    expect(logs.length).toBeGreaterThanOrEqual(4);
    for (const l of logs) {
      expect(l.ReplicationTaskName).toMatch(/^(full-load|cdc)-task-/);
      const tail = await readTaskLogTail(apiDepsFromEnv().table, l.ReplicationTaskArn!);
      expect(l.ReplicationInstanceTaskLogSize).toBe(tail.size);
      expect(l.ReplicationInstanceTaskLogSize).toBeGreaterThan(100);
      expect(tail.lines.join('\n')).not.toContain(PASSWORD);
    }
    const tasks = await send(stack.dms.send(new DescribeReplicationTasksCommand({})));
    const settings = JSON.parse(tasks.ReplicationTasks![0].ReplicationTaskSettings!);
    expect(settings.Logging).toMatchObject({
      EnableLogging: true,
      CloudWatchLogGroup: `dms-tasks-${instance.id}`,
      CloudWatchLogStream: `dms-task-${tasks.ReplicationTasks![0].ReplicationTaskArn!.split(':').pop()}`,
    });
    // MaxRecords bounds and pagination.
    expect((await awsError(stack.dms.send(new DescribeReplicationInstanceTaskLogsCommand({ ReplicationInstanceArn: instance.arn, MaxRecords: 19 })))).name).toBe('InvalidParameterValueException');
    const page1 = await stack.dms.send(new DescribeReplicationInstanceTaskLogsCommand({ ReplicationInstanceArn: instance.arn, MaxRecords: 20 }));
    expect(page1.ReplicationInstanceTaskLogs!.length).toBe(Math.min(20, logs.length));
  });
});

describe('bad secrets', () => {
  it.each([
    ['missing', () => 'no-such-secret', /^Secrets Manager secret no-such-secret was not found/],
    ['not JSON', () => secret(uniqueName('notjson'), `password=${PASSWORD}`), /is not a JSON object with username, password, host and port$/],
    ['lacking a key', () => secret(uniqueName('nohost'), { username: 'sampleuser', password: PASSWORD, port: 3306 }), /lacks the key host$/],
  ])('a %s secret fails TestConnection and the task, naming the secret', { timeout: 120_000 }, async (_what, make, message) => {
    const id = await make();
    const source = await secretSource(uniqueName('bad'), id);
    const conn = await testConnection(source.EndpointArn!);
    expect(conn.Status).toBe('failed');
    expect(conn.LastFailureMessage).toMatch(message);
    expect(conn.LastFailureMessage).toContain(id);
    const stream = uniqueName('bad');
    await createStream(kinesis(), stream, 1);
    const target = (await createKinesisTarget(stack.dms, uniqueName('target'), stream)).EndpointArn!;
    const task = await createTask(stack.dms, { id: uniqueName('bad-task'), source: source.EndpointArn!, target, instance: instance.arn, mappings: selectionMappings(DB), settings: LOGGING });
    await waitForStatus(stack.dms, task.ReplicationTaskArn!, ['ready']);
    await startTask(stack.dms, task.ReplicationTaskArn!);
    const failed = await waitForStatus(stack.dms, task.ReplicationTaskArn!, ['failed', 'stopped']);
    answers.push(JSON.stringify(failed));
    expect(failed.Status).toBe('failed');
    expect(failed.LastFailureMessage).toMatch(message);
  });

  it('an unreachable Secrets Manager fails clearly', { timeout: 60_000 }, async () => {
    // A second stack process is not needed: the reader's endpoint is fixed per process, so ask a
    // closed port through a fresh reader with the same code path.
    const { resolveEndpointConnection, createSecretsManagerReader } = await import('../../../core/source/credentials.js');
    const err = await resolveEndpointConnection(
      { EngineName: 'mariadb', MySQLSettings: { SecretsManagerSecretId: 'any', SecretsManagerAccessRoleArn: ROLE } },
      { secrets: apiDepsFromEnv().secrets, secretReader: createSecretsManagerReader('http://127.0.0.1:9') },
    ).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^Cannot read Secrets Manager secret any at http:\/\/127\.0\.0\.1:9: /);
  });

  it('validation: secret id and role together, never with clear-text members', async () => {
    const both = await awsError(stack.dms.send(new CreateEndpointCommand({
      EndpointIdentifier: 'mixed', EndpointType: 'source', EngineName: 'mysql', Password: 'x',
      MySQLSettings: { SecretsManagerSecretId: cdkSecretArn, SecretsManagerAccessRoleArn: ROLE },
    })));
    expect(both.name).toBe('InvalidParameterCombinationException');
    const alone = await awsError(stack.dms.send(new CreateEndpointCommand({
      EndpointIdentifier: 'alone', EndpointType: 'source', EngineName: 'mysql', MySQLSettings: { SecretsManagerSecretId: cdkSecretArn },
    })));
    expect(alone.name).toBe('InvalidParameterValueException');
    // Switching an endpoint to a secret drops its clear-text members.
    const clear = await send(stack.dms.send(new CreateEndpointCommand({
      EndpointIdentifier: 'switch', EndpointType: 'source', EngineName: 'mariadb', ServerName: '127.0.0.1', Port: db.port, Username: 'clearuser', Password: 'clear-pass',
    })));
    const switched = await send(stack.dms.send(new ModifyEndpointCommand({
      EndpointArn: clear.Endpoint!.EndpointArn!, MySQLSettings: { SecretsManagerSecretId: cdkSecretArn, SecretsManagerAccessRoleArn: ROLE },
    })));
    expect(switched.Endpoint!.ServerName).toBeUndefined();
    expect(switched.Endpoint!.Username).toBeUndefined();
    expect((await testConnection(switched.Endpoint!.EndpointArn!)).Status).toBe('successful');
  });

  it('a rotated secret is read again at the next TestConnection', async () => {
    const id = await secret(uniqueName('rotating'), { username: 'sampleuser', password: 'wrong-password', host: '127.0.0.1', port: db.port });
    const source = await secretSource(uniqueName('rot'), id);
    expect((await testConnection(source.EndpointArn!)).Status).toBe('failed');
    await sm.send(new PutSecretValueCommand({ SecretId: id, SecretString: JSON.stringify({ username: 'sampleuser', password: PASSWORD, host: '127.0.0.1', port: db.port }) }));
    expect((await testConnection(source.EndpointArn!)).Status).toBe('successful');
  });
});

describe('no secret value', () => {
  it('appears in any API answer of this file', async () => {
    answers.push(JSON.stringify(await stack.dms.send(new DescribeEndpointsCommand({}))));
    const all = answers.join('\n');
    expect(all).not.toContain(PASSWORD);
    expect(all).toContain(cdkSecretArn);
  });
});
