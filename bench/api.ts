// `npm run bench:api`: the control plane with 1,000 tasks. In one run, through the same edge:
//   1. DescribeReplicationTasks filtered to one ARN, p50/p99, against a raw DynamoDB GetItem of the
//      same task item (forwarded by the edge to DynamoDB Local);
//   2. a full paginated DescribeReplicationTasks listing against a raw paginated Scan of the table;
//   3. 50 concurrent pollers (Describe by ARN and DescribeTableStatistics) while CDC tasks run:
//      errors and HTTP 5xx counted.
import './lib/quiet.js';
import {
  DescribeReplicationTasksCommand,
  DescribeTableStatisticsCommand,
  StartReplicationTaskCommand,
  type DatabaseMigrationServiceClient,
} from '@aws-sdk/client-database-migration-service';
import { DynamoDBClient, GetItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { loadavg } from 'node:os';
import { createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from '../test/support/dms.js';
import { createStream } from '../test/support/kinesis.js';
import { startRunner } from '../handlers/runner.js';
import { log, startBenchEnv } from './lib/env.js';
import { fmtInt, fmtMs, fmtRatio, machine, machineLine, markdownTable, median, percentile, textTable, writeSection, type Row } from './lib/report.js';

const TASKS = Number(process.env.BENCH_API_TASKS ?? 1000);
const SAMPLES = Number(process.env.BENCH_API_SAMPLES ?? 300);
const LISTINGS = Number(process.env.BENCH_API_LISTINGS ?? 3);
const POLLERS = Number(process.env.BENCH_API_POLLERS ?? 50);
const POLL_SECONDS = Number(process.env.BENCH_API_POLL_SECONDS ?? 20);
const RUNNING = Number(process.env.BENCH_API_RUNNING ?? 5);

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Alternates the two calls so both see the same load; returns sorted latencies in ms. */
async function alternate(a: () => Promise<unknown>, b: () => Promise<unknown>, n: number): Promise<[number[], number[]]> {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 2) {
      xs.push(await timed(a));
      ys.push(await timed(b));
    } else {
      ys.push(await timed(b));
      xs.push(await timed(a));
    }
  }
  return [xs.sort((p, q) => p - q), ys.sort((p, q) => p - q)];
}

async function listAll(dms: DatabaseMigrationServiceClient): Promise<number> {
  let marker: string | undefined;
  let n = 0;
  do {
    const out = await dms.send(new DescribeReplicationTasksCommand({ MaxRecords: 100, Marker: marker }));
    n += out.ReplicationTasks?.length ?? 0;
    marker = out.Marker;
  } while (marker);
  return n;
}

async function scanAll(ddb: DynamoDBClient, table: string): Promise<number> {
  let start: Record<string, AttributeValue> | undefined;
  let n = 0;
  do {
    const out = await ddb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    n += out.Count ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  return n;
}

async function main() {
  const env = await startBenchEnv();
  const m = machine((await env.db.query<{ v: string }[]>('SELECT VERSION() AS v'))[0]!.v);
  const { dms } = env;
  // Raw DynamoDB through the same edge (forwarded by X-Amz-Target), same HTTP stack as the DMS client.
  const ddb = new DynamoDBClient({
    endpoint: env.stack.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'secret' },
    requestHandler: new NodeHttpHandler({ httpAgent: { keepAlive: true } }),
  });
  try {
    await env.db.query('CREATE DATABASE bench; CREATE TABLE bench.t (id INT PRIMARY KEY, v INT)');
    await createStream(env.kinesisEndpoint, 'bench-api', 1);
    const [src, tgt, ri] = await Promise.all([
      createMySqlSource(dms, 'bench-src', { port: env.db.port, ...env.db.dmsUser }),
      createKinesisTarget(dms, 'bench-tgt', 'bench-api'),
      createInstance(dms, 'bench-ri'),
    ]);
    log(`creating ${TASKS} tasks`);
    const arns: string[] = [];
    for (let i = 0; i < TASKS; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(20, TASKS - i) }, (_, j) =>
          createTask(dms, { id: `bench-task-${String(i + j).padStart(4, '0')}`, source: src.EndpointArn!, target: tgt.EndpointArn!, instance: ri.ReplicationInstanceArn!, type: 'cdc', mappings: selectionMappings('bench') }),
        ),
      );
      arns.push(...batch.map((t) => t.ReplicationTaskArn!));
    }
    const target = arns[Math.floor(arns.length / 2)]!;
    const key = { pk: { S: `res#task#000000000000#us-east-1` }, sk: { S: target } };
    const items = await scanAll(ddb, env.tableName);
    log(`${arns.length} tasks, ${items} items in the table`);

    // 1. One ARN.
    const describeOne = () => dms.send(new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-arn', Values: [target] }] }));
    const getItem = () => ddb.send(new GetItemCommand({ TableName: env.tableName, Key: key, ConsistentRead: true }));
    const got = await getItem();
    if (!got.Item) throw new Error('raw GetItem found no task item: the key layout changed');
    for (let i = 0; i < 20; i++) await Promise.all([describeOne(), getItem()]); // warm-up
    log(`one-ARN Describe vs GetItem, ${SAMPLES} each`);
    const [describeMs, getMs] = await alternate(describeOne, getItem, SAMPLES);

    // 2. Full listing.
    log(`full listing vs Scan, ${LISTINGS} each`);
    const listed = await listAll(dms);
    if (listed !== TASKS) throw new Error(`listing returned ${listed} tasks, expected ${TASKS}`);
    const [listMs, scanMs] = await alternate(() => listAll(dms), () => scanAll(ddb, env.tableName), LISTINGS);

    // 3. Pollers during running tasks.
    log(`one-ARN Describe p50 ${fmtMs(percentile(describeMs, 50))} p99 ${fmtMs(percentile(describeMs, 99))}; GetItem p50 ${fmtMs(percentile(getMs, 50))} p99 ${fmtMs(percentile(getMs, 99))}`);
    log(`listing ${fmtMs(median(listMs))}; Scan ${fmtMs(median(scanMs))}`);
    // The runner in this process, as in \`npm start\`: it shares the event loop with the API.
    log(`starting ${RUNNING} CDC tasks and a runner`);
    const runner = await startRunner();
    const running = arns.slice(0, RUNNING);
    await Promise.all(running.map((arn) => dms.send(new StartReplicationTaskCommand({ ReplicationTaskArn: arn, StartReplicationTaskType: 'start-replication' }))));
    const deadline = Date.now() + 120_000;
    for (;;) {
      const out = await dms.send(new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-arn', Values: running }] }));
      if (out.ReplicationTasks!.every((t) => t.Status === 'running')) break;
      if (Date.now() > deadline) throw new Error(`tasks not running: ${out.ReplicationTasks!.map((t) => `${t.Status} ${t.LastFailureMessage ?? ''}`).join('; ')}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    log(`${POLLERS} pollers for ${POLL_SECONDS} s while a writer commits`);
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        await env.db.query('INSERT INTO bench.t VALUES (?, ?) ON DUPLICATE KEY UPDATE v = v + 1', [written % 1000, written]);
        written++;
      }
    })();
    const stopAt = Date.now() + POLL_SECONDS * 1000;
    let calls = 0;
    let errors = 0;
    let fiveXx = 0;
    const errorNames = new Map<string, number>();
    const pollMs: number[] = [];
    await Promise.all(Array.from({ length: POLLERS }, async (_, p) => {
      let i = 0;
      while (Date.now() < stopAt) {
        const arn = running[(p + i++) % running.length]!;
        try {
          pollMs.push(await timed(() => (i % 2
            ? dms.send(new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-arn', Values: [arn] }], WithoutSettings: true }))
            : dms.send(new DescribeTableStatisticsCommand({ ReplicationTaskArn: arn })))));
        } catch (e) {
          errors++;
          const err = e as Error & { $metadata?: { httpStatusCode?: number } };
          if ((err.$metadata?.httpStatusCode ?? 0) >= 500) fiveXx++;
          errorNames.set(err.name, (errorNames.get(err.name) ?? 0) + 1);
        }
        calls++;
      }
    }));
    writing = false;
    await writer;
    pollMs.sort((a, b) => a - b);
    const after = await dms.send(new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-arn', Values: running }] }));
    const stillRunning = after.ReplicationTasks!.filter((t) => t.Status === 'running').length;
    await runner.stop();

    const rows: Row[] = [
      ['tasks in the table / items scanned', `${fmtInt(TASKS)} / ${fmtInt(items)}`],
      [`one-ARN DescribeReplicationTasks p50 / p99 (${SAMPLES} calls)`, `${fmtMs(percentile(describeMs, 50))} / ${fmtMs(percentile(describeMs, 99))}`],
      [`raw GetItem of the task item p50 / p99 (${SAMPLES} calls)`, `${fmtMs(percentile(getMs, 50))} / ${fmtMs(percentile(getMs, 99))}`],
      ['  ratio p50 / p99 (target ≤ 3×)', `${fmtRatio(percentile(describeMs, 50), percentile(getMs, 50))} / ${fmtRatio(percentile(describeMs, 99), percentile(getMs, 99))}`],
      [`full listing, MaxRecords 100 (median of ${LISTINGS})`, fmtMs(median(listMs))],
      [`raw paginated Scan of the table (median of ${LISTINGS})`, fmtMs(median(scanMs))],
      ['  ratio (target ≤ 3×)', fmtRatio(median(listMs), median(scanMs))],
      [`${POLLERS} pollers × ${POLL_SECONDS} s, ${RUNNING} CDC tasks running: calls`, fmtInt(calls)],
      ['  errors / HTTP 5xx', `${errors} / ${fiveXx}${errorNames.size ? ` (${[...errorNames].map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`],
      ['  poll latency p50 / p99', `${fmtMs(percentile(pollMs, 50))} / ${fmtMs(percentile(pollMs, 99))}`],
      ['  rows committed meanwhile / tasks still running', `${fmtInt(written)} / ${stillRunning} of ${RUNNING}`],
    ];
    console.log(`\n${machineLine(m)}\n\n${textTable(['control plane', 'figure'], rows)}\n`);
    const md = `## Control plane (\`npm run bench:api\`)

${machineLine(m)} · current 1-min load ${loadavg()[0]!.toFixed(1)}

${fmtInt(TASKS)} \`cdc\` tasks on one source, target and instance, created through the API; everything below goes through the same edge (\`startLocalStack\`, HTTP keep-alive), the raw DynamoDB calls forwarded by it to DynamoDB Local. The one-ARN Describe and the raw GetItem (the same task item, consistent read) alternate, so both see the same load. The listing pages with MaxRecords 100 to the end; the raw Scan reads the whole state table (every item, not only tasks) in 1 MB pages. The runner runs in the benchmark's process, as in \`npm start\`. The pollers alternate a one-ARN DescribeReplicationTasks (WithoutSettings) and DescribeTableStatistics on the running tasks while a writer commits single-row transactions to their source.

${markdownTable(['', 'dmslite'], rows)}`;
    if (!process.env.BENCH_NO_WRITE) log(`wrote ${writeSection('api', md)}`);
  } finally {
    ddb.destroy();
    await env.stop();
  }
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
