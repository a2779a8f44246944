import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { StopReplicationTaskCommand } from '@aws-sdk/client-database-migration-service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from '../../support/dms.js';
import { createStream, readBody, startKinesalite, type KinesisServer } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startRunnerProcess, type RunnerProcess } from '../../support/runner-process.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { startTask, tableStatistics, waitForStatus, waitUntil } from '../../support/task-flow.js';

// One transaction of 1,000,000 rows (INSERT ... SELECT from MariaDB's sequence engine) through a
// runner in its own process: every row arrives once, and the runner's peak RSS stays bounded.
//
// Counting: reading a million records back out of kinesalite would take longer than writing them,
// so the runner writes through a proxy (in this process) in front of a kinesalite of this file's
// own, which tallies every record kinesalite acknowledged, per shard, from the PutRecords
// requests and answers as they pass.

// kinesalite bounds the time: about 60 µs of its single thread per record, so a million take about
// 90 s on 2 cores when the machine is quiet. The test's timeouts leave room for a loaded machine.
// CDC_MEMORY_ROWS overrides the row count for a quick local run.
const ROWS = Number(process.env.CDC_MEMORY_ROWS ?? 1_000_000);
const SHARDS = 4;
const MEMORY_LIMIT_MB = 256;

let stack: TestStack;
let db: MariaDb;
let kinesalite: KinesisServer;
let proxy: CountingProxy;
let runner: RunnerProcess;
let source: string;
let instance: string;

beforeAll(async () => {
  process.env.DMSLITE_SECRET_KEY = randomBytes(32).toString('hex');
  [stack, db, kinesalite] = await Promise.all([startTestStack({ runner: false }), startMariaDb(), startKinesalite()]);
  proxy = await startCountingProxy(kinesalite.endpoint);
  runner = await startRunnerProcess({ table: stack.tableName, kinesisEndpoint: proxy.endpoint });
  await db.query('CREATE DATABASE mem');
  await db.query('CREATE TABLE mem.big (id INT PRIMARY KEY, qty INT NOT NULL, name VARCHAR(40) NOT NULL, note VARCHAR(64))');
  source = (await createMySqlSource(stack.dms, 'src', { port: db.port, ...db.dmsUser })).EndpointArn!;
  instance = (await createInstance(stack.dms, 'inst')).ReplicationInstanceArn!;
});
afterAll(async () => {
  await runner?.stop();
  await proxy?.stop();
  await Promise.all([stack?.stop(), db?.stop(), kinesalite?.stop()]);
});

/** What the records kinesalite acknowledged contain. */
class Tally {
  readonly seen = new Uint8Array(ROWS + 1);
  inserts = 0;
  distinct = 0;
  control = 0;
  rejected = 0;
  other: string[] = [];
  readonly perShard = new Map<string, number>();
  readonly transactionIds = new Set<number>();

  add(shard: string, json: { data?: { id: number }; metadata: Record<string, unknown> }) {
    this.perShard.set(shard, (this.perShard.get(shard) ?? 0) + 1);
    const m = json.metadata;
    if (m['record-type'] === 'control') {
      this.control++;
      return;
    }
    if (m.operation !== 'insert' || m['table-name'] !== 'big' || !json.data || !(json.data.id >= 1 && json.data.id <= ROWS)) {
      if (this.other.length < 5) this.other.push(JSON.stringify(json));
      return;
    }
    this.inserts++;
    this.transactionIds.add(m['transaction-id'] as number);
    if (this.seen[json.data.id] === 0) {
      this.seen[json.data.id] = 1;
      this.distinct++;
    }
  }
}

interface CountingProxy {
  endpoint: string;
  tally: Tally;
  stop(): Promise<void>;
}

/** Forwards every call to `target`; tallies the entries of each PutRecords that the answer acknowledges. */
async function startCountingProxy(target: string): Promise<CountingProxy> {
  const url = new URL(target);
  const tally = new Tally();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const headers = { ...req.headers, host: url.host, 'content-length': String(body.length) };
      delete headers['transfer-encoding'];
      const answer = await new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
        const out = httpRequest({ host: url.hostname, port: url.port, method: req.method, path: req.url, headers }, (r) => {
          readBody(r).then((b) => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: b }), reject);
        });
        out.on('error', reject);
        out.end(body);
      });
      if (req.headers['x-amz-target'] === 'Kinesis_20131202.PutRecords' && answer.status === 200) {
        const sent = JSON.parse(body.toString('utf8')) as { Records: { Data: string }[] };
        const acks = JSON.parse(answer.body.toString('utf8')) as { Records: { ShardId?: string; ErrorCode?: string }[] };
        sent.Records.forEach((r, i) => {
          const ack = acks.Records[i]!;
          if (ack.ErrorCode || !ack.ShardId) tally.rejected++;
          else tally.add(ack.ShardId, JSON.parse(Buffer.from(r.Data, 'base64').toString('utf8')));
        });
      }
      const h: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && k !== 'transfer-encoding' && k !== 'connection') h[k] = v;
      h['content-length'] = String(answer.body.length);
      res.writeHead(answer.status, h);
      res.end(answer.body);
    })().catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'InternalFailure', message: `counting proxy: ${String(err)}` }));
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    tally,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('CDC memory', () => {
  it(`a ${ROWS.toLocaleString('en')}-row transaction arrives whole while the runner stays under ${MEMORY_LIMIT_MB} MB`, { timeout: 480_000 }, async () => {
    const stream = uniqueName('mem');
    await createStream(kinesalite.endpoint, stream, SHARDS);
    const target = (await createKinesisTarget(stack.dms, uniqueName('tgt'), stream)).EndpointArn!;
    // Parallel apply keys CDC rows by primary key: the records spread over every shard (and sink lane).
    const task = await createTask(stack.dms, {
      id: uniqueName('task'), source, target, instance, type: 'cdc', mappings: selectionMappings('mem', 'big'),
      settings: { TargetMetadata: { ParallelApplyThreads: 4 } },
    });
    const arn = task.ReplicationTaskArn!;
    await waitForStatus(stack.dms, arn, ['ready']);
    await startTask(stack.dms, arn);
    await waitForStatus(stack.dms, arn, ['running']);
    const tally = proxy.tally;
    await waitUntil('the control records', () => tally.control >= 2, 30_000);

    await db.query(`INSERT INTO mem.big SELECT seq, seq % 1000, CONCAT('name-', seq), REPEAT('x', 32) FROM mem.seq_1_to_${ROWS}`);
    await waitUntil(`${ROWS} records`, () => tally.inserts >= ROWS, 400_000);
    // Anything beyond (duplicates, strays) shows up here.
    await new Promise((r) => setTimeout(r, 1000));

    expect(tally.other).toEqual([]);
    expect(tally.rejected).toBe(0);
    expect(tally.inserts).toBe(ROWS);
    expect(tally.distinct).toBe(ROWS);
    expect(tally.control).toBe(2);
    // One transaction: one transaction id on every record.
    expect(tally.transactionIds.size).toBe(1);
    expect(tally.perShard.size).toBe(SHARDS);
    expect([...tally.perShard.values()].reduce((a, b) => a + b, 0)).toBe(ROWS + 2);
    const peak = runner.peakRssMb();
    console.log(`runner peak RSS (VmHWM) ${peak.toFixed(1)} MB for ${ROWS} rows; per shard ${JSON.stringify(Object.fromEntries(tally.perShard))}`);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(MEMORY_LIMIT_MB);

    // Statistics reach the runner's next heartbeat.
    let stats = await tableStatistics(stack.dms, arn);
    await waitUntil('the statistics', async () => (stats = await tableStatistics(stack.dms, arn))[0]?.AppliedInserts === ROWS, 30_000);
    expect(stats.map((s) => [s.TableName, s.Inserts, s.AppliedInserts, s.Updates, s.Deletes])).toEqual([['big', ROWS, ROWS, 0, 0]]);
    await stack.dms.send(new StopReplicationTaskCommand({ ReplicationTaskArn: arn }));
    expect(await waitForStatus(stack.dms, arn, ['stopped', 'failed'])).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason NORMAL' });
  });
});
