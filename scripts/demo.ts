// `npm run demo`: a migration you can watch. Starts dmslite (`npm start`'s stack) and a private MariaDB
// with binlog on (or uses DEMO_SOURCE), creates a small schema, then through the public API an
// instance, endpoints, a Kinesis stream and a full-load-and-cdc task; writes changes every second and
// prints the records as they arrive in the stream. Ctrl-C stops the task and removes everything.
//
// Environment: DEMO_SOURCE=mysql://user:password@host:port (a server of your own, binlog_format=ROW,
//   binlog_row_image=FULL, the user with SELECT, REPLICATION CLIENT, REPLICATION SLAVE and rights to
//   create the `dmslite_demo` schema); MARIADB_BIN (the folder of mariadbd and mariadb-install-db when
//   not installed in the usual places); PORT (default 4566); DEMO_SECONDS (stop by itself after that).
import { CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import mysql from 'mysql2/promise';
import { DmsliteClient } from '../core/console/client.js';
import { createKinesisClient } from '../core/sink/kinesis/client.js';
import { startLocalStack, type LocalStack } from '../handlers/local.js';
import { findMariaDb, startPrivateMariaDb, type PrivateMariaDb } from './demo/mariadb.js';

const SCHEMA = 'dmslite_demo';
const STREAM = 'dmslite-demo';
const REGION = 'us-east-1';
const DMS_USER = { name: 'dms', password: 'dms-demo-pass' };

const log = (s: string) => process.stdout.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Source {
  host: string;
  port: number;
  /** Who DMS connects as. */
  user: string;
  password: string;
  /** Who the demo writes as. */
  writer: mysql.ConnectionOptions;
}

function sourceFromUrl(text: string): Source {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error(`DEMO_SOURCE must be a URL like mysql://user:password@host:3306, not '${text}'`);
  }
  if (!/^(mysql|mariadb):$/.test(u.protocol) || !u.username || !u.password) {
    throw new Error('DEMO_SOURCE must be mysql://user:password@host:port (DMS requires a password)');
  }
  const s = { host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  return { ...s, writer: { host: s.host, port: s.port, user: s.user, password: s.password } };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
    await sleep(300);
  }
}

async function main(): Promise<number> {
  let db: PrivateMariaDb | undefined;
  let stack: LocalStack | undefined;
  let writer: mysql.Connection | undefined;
  let kinesis: KinesisClient | undefined;
  let dms: DmsliteClient | undefined;
  let taskArn: string | undefined;
  let stopping = false;
  const stopped = new AbortController();

  const cleanup = async () => {
    if (taskArn && dms) {
      log('\nStopping the task…');
      await dms.dms('StopReplicationTask', { ReplicationTaskArn: taskArn }).catch(() => undefined);
      await waitFor('the task stop', async () => {
        const t = await dms!.dms<{ ReplicationTasks: { Status: string }[] }>('DescribeReplicationTasks', { Filters: [{ Name: 'replication-task-arn', Values: [taskArn!] }] }).catch(() => null);
        return !t || ['stopped', 'failed'].includes(t.ReplicationTasks[0]?.Status) ? true : undefined;
      }, 20_000).catch(() => undefined);
    }
    await writer?.end().catch(() => writer?.destroy());
    kinesis?.destroy();
    await stack?.stop().catch(() => undefined);
    await db?.stop().catch(() => undefined);
    log('dmslite demo: stopped, nothing left running.');
  };
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    stopped.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    // 1. A source with binlog on.
    let source: Source;
    if (process.env.DEMO_SOURCE) {
      source = sourceFromUrl(process.env.DEMO_SOURCE);
      log(`Source: ${source.host}:${source.port} (DEMO_SOURCE) as ${source.user}`);
    } else {
      const bin = findMariaDb();
      if (!bin) {
        console.error(
          'dmslite demo needs MariaDB: install it (Debian/Ubuntu: apt-get install -y mariadb-server; macOS: brew install mariadb), or use a server of your own with binlog on: DEMO_SOURCE=mysql://user:password@host:3306 npm run demo',
        );
        return 1;
      }
      log('Starting a private MariaDB with binlog on (binlog_format=ROW, binlog_row_image=FULL)…');
      db = await startPrivateMariaDb(bin, DMS_USER);
      source = { host: '127.0.0.1', port: db.port, user: DMS_USER.name, password: DMS_USER.password, writer: { host: '127.0.0.1', port: db.port, user: 'root', password: '' } };
      log(`  MariaDB on 127.0.0.1:${db.port}, user ${DMS_USER.name} with SELECT, REPLICATION CLIENT, REPLICATION SLAVE`);
    }
    if (stopped.signal.aborted) return 0;

    // 2. dmslite itself.
    log('Starting dmslite (DMS API, DynamoDB Local, kinesalite, a runner)…');
    stack = await startLocalStack({ port: Number(process.env.PORT ?? 4566) });
    const url = stack.url;
    dms = new DmsliteClient({ endpoint: url, region: REGION });
    kinesis = createKinesisClient({ endpoint: url, region: REGION });
    log(`  dmslite on ${url}`);
    if (stopped.signal.aborted) return 0;

    // 3. A small schema with a few rows.
    writer = await mysql.createConnection({ ...source.writer, multipleStatements: true });
    await writer.query(`DROP DATABASE IF EXISTS ${SCHEMA}; CREATE DATABASE ${SCHEMA};
      CREATE TABLE ${SCHEMA}.customers (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, city VARCHAR(64));
      CREATE TABLE ${SCHEMA}.orders (id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(10,2) NOT NULL, created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3));`);
    const cities = ['Lisbon', 'Oslo', 'Lima', 'Osaka', 'Accra'];
    for (let i = 1; i <= 5; i++) await writer.query(`INSERT INTO ${SCHEMA}.customers VALUES (?, ?, ?)`, [i, `customer ${i}`, cities[i - 1]]);
    for (let i = 1; i <= 10; i++) await writer.query(`INSERT INTO ${SCHEMA}.orders (customer_id, amount) VALUES (?, ?)`, [((i - 1) % 5) + 1, (i * 7.25).toFixed(2)]);
    log(`Created ${SCHEMA}.customers (5 rows) and ${SCHEMA}.orders (10 rows).`);

    // 4. Everything else through the public API, as the AWS CLI would.
    await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 })).catch((e: Error) => {
      if (e.name !== 'ResourceInUseException') throw e;
    });
    await waitFor('the stream', async () => ((await kinesis!.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }))).StreamDescriptionSummary?.StreamStatus === 'ACTIVE' ? true : undefined));
    const ri = await dms.dms<any>('CreateReplicationInstance', { ReplicationInstanceIdentifier: 'demo-instance', ReplicationInstanceClass: 'dms.t3.micro' });
    const src = await dms.dms<any>('CreateEndpoint', {
      EndpointIdentifier: 'demo-source', EndpointType: 'source', EngineName: 'mariadb',
      ServerName: source.host, Port: source.port, Username: source.user, Password: source.password,
    });
    const tgt = await dms.dms<any>('CreateEndpoint', {
      EndpointIdentifier: 'demo-target', EndpointType: 'target', EngineName: 'kinesis',
      KinesisSettings: { StreamArn: `arn:aws:kinesis:${REGION}:000000000000:stream/${STREAM}`, MessageFormat: 'json', ServiceAccessRoleArn: 'arn:aws:iam::000000000000:role/dms-kinesis' },
    });
    const task = await dms.dms<any>('CreateReplicationTask', {
      ReplicationTaskIdentifier: 'demo-task',
      SourceEndpointArn: src.Endpoint.EndpointArn,
      TargetEndpointArn: tgt.Endpoint.EndpointArn,
      ReplicationInstanceArn: ri.ReplicationInstance.ReplicationInstanceArn,
      MigrationType: 'full-load-and-cdc',
      // Task logs on: the console shows them.
      ReplicationTaskSettings: JSON.stringify({ Logging: { EnableLogging: true } }),
      TableMappings: JSON.stringify({ rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': 'demo', 'object-locator': { 'schema-name': SCHEMA, 'table-name': '%' }, 'rule-action': 'include' }] }),
    });
    taskArn = task.ReplicationTask.ReplicationTaskArn as string;
    const status = async () =>
      (await dms!.dms<{ ReplicationTasks: { Status: string; LastFailureMessage?: string }[] }>('DescribeReplicationTasks', { Filters: [{ Name: 'replication-task-arn', Values: [taskArn!] }] })).ReplicationTasks[0];
    await waitFor('the task to be ready', async () => ((await status()).Status === 'ready' ? true : undefined));
    await dms.dms('StartReplicationTask', { ReplicationTaskArn: taskArn, StartReplicationTaskType: 'start-replication' });
    const running = await waitFor('the task to run', async () => {
      const t = await status();
      return ['running', 'failed', 'stopped'].includes(t.Status) ? t : undefined;
    });
    if (running.Status !== 'running') throw new Error(`the task is ${running.Status}: ${running.LastFailureMessage ?? ''}`);
    log('Created instance demo-instance, endpoints demo-source and demo-target, stream dmslite-demo, task demo-task (full-load-and-cdc): running.');
    log('');
    log(`  Console:  ${url}/_dmslite/`);
    log(`  Watch:    npx dmslite watch demo-task --endpoint-url ${url}`);
    log(`  AWS CLI:  aws --endpoint-url ${url} dms describe-table-statistics --replication-task-arn ${taskArn}`);
    log('');
    log('Records in the stream as they arrive (Ctrl-C stops the demo and removes everything):');

    // 5. Changes every second, and the stream printed as it fills.
    const seconds = process.env.DEMO_SECONDS ? Number(process.env.DEMO_SECONDS) : Infinity;
    const until = Date.now() + seconds * 1000;
    const writing = (async () => {
      for (let i = 1; !stopped.signal.aborted && Date.now() < until; i++) {
        const customer = (i % 5) + 1;
        await writer!.query(`INSERT INTO ${SCHEMA}.orders (customer_id, amount) VALUES (?, ?)`, [customer, ((i * 13.7) % 500).toFixed(2)]);
        // A value that really changes: an UPDATE that changes nothing writes no binlog row.
        if (i % 3 === 0) await writer!.query(`UPDATE ${SCHEMA}.customers SET city = ? WHERE id = ?`, [`${cities[i % cities.length]} ${i}`, customer]);
        if (i % 5 === 0) await writer!.query(`DELETE FROM ${SCHEMA}.orders ORDER BY id LIMIT 1`);
        await sleep(1000);
      }
    })();
    let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: STREAM, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    const decoder = new TextDecoder();
    while (iterator && !stopped.signal.aborted && Date.now() < until) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      for (const r of page.Records ?? []) {
        const text = decoder.decode(r.Data);
        try {
          const rec = JSON.parse(text) as { data?: unknown; metadata: Record<string, string> };
          const m = rec.metadata;
          log(`  ${m['record-type'].padEnd(7)} ${(m.operation ?? '').padEnd(12)} ${`${m['schema-name']}.${m['table-name']}`.padEnd(26)} ${rec.data ? JSON.stringify(rec.data) : ''}`);
        } catch {
          log(`  ${text}`);
        }
      }
      iterator = page.NextShardIterator;
      if (!page.Records?.length) await sleep(500);
    }
    await writing;
    return 0;
  } catch (e) {
    console.error(`dmslite demo failed: ${(e as Error).message}`);
    return 1;
  } finally {
    await cleanup();
  }
}

void main().then((code) => process.exit(code));
