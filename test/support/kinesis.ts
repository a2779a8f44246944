// Local Kinesis servers for integration tests, each on its own free 127.0.0.1 port:
// kinesalite (fast, in memory) and kinesis-mock (`kinesis-local`, LocalStack's engine,
// slow). Plus helpers to create/read streams, and a fault-injecting proxy.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '../../core/sink/kinesis/client.js';
import { freePort, startKinesalite as startEmbeddedKinesalite } from '../../handlers/embedded.js';
import { seededRandom } from './random.js';
import { killOnExit } from './children.js';

const require = createRequire(import.meta.url);
const REGION = 'us-east-1';

export interface KinesisServer {
  endpoint: string;
  stop(): Promise<void>;
}

export { freePort };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Answers once the server replies to an HTTP POST (any status). */
function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpRequest({
      host: '127.0.0.1', port, method: 'POST', path: '/',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.ListStreams' },
      timeout: 2000,
    }, (res) => { res.resume(); resolve(true); });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
    req.end('{}');
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    const timer = setTimeout(() => { try { child.kill('SIGKILL'); } catch { /* ignore */ } }, 5000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

async function startServer(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  port: number,
  readyTimeoutMs: number,
): Promise<KinesisServer> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  let output = '';
  const keep = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-4000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited before it was ready (code ${child.exitCode}, signal ${child.signalCode}):\n${output}`);
    }
    if (await probe(port)) {
      return { endpoint: `http://127.0.0.1:${port}`, stop: () => stopChild(child) };
    }
    await sleep(50);
  }
  await stopChild(child);
  throw new Error(`${name} did not answer on port ${port} within ${readyTimeoutMs} ms:\n${output}`);
}

/** kinesalite in a child process (in-memory store, instant stream transitions): the same launcher as `npm start`. */
export async function startKinesalite(): Promise<KinesisServer> {
  const k = await startEmbeddedKinesalite();
  return { endpoint: k.endpoint, stop: k.stop };
}

/** kinesis-mock (`kinesis-local`) in a child process, plain HTTP port. */
export async function startKinesisMock(): Promise<KinesisServer> {
  const main = require.resolve('kinesis-local/main.js');
  const [plainPort, tlsPort] = [await freePort(), await freePort()];
  return startServer('kinesis-mock', [main], {
    KINESIS_MOCK_CERT_PATH: join(dirname(main), 'server.json'),
    KINESIS_MOCK_PLAIN_PORT: String(plainPort),
    KINESIS_MOCK_TLS_PORT: String(tlsPort),
    CREATE_STREAM_DURATION: '0ms',
    DELETE_STREAM_DURATION: '0ms',
    UPDATE_SHARD_COUNT_DURATION: '0ms',
    SHARD_LIMIT: '100',
    LOG_LEVEL: 'WARN',
    AWS_REGION: REGION,
  }, plainPort, 60_000);
}

function client(endpoint: string) {
  return createKinesisClient({ endpoint, region: REGION, credentials: { accessKeyId: '000000000000', secretAccessKey: 'x' } });
}

/** Creates a stream and waits until it is ACTIVE. */
export async function createStream(endpoint: string, name: string, shards: number): Promise<void> {
  const kinesis = client(endpoint);
  try {
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      if (out.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
      if (Date.now() > deadline) throw new Error(`stream ${name} not ACTIVE after 30 s`);
      await sleep(50);
    }
  } finally {
    kinesis.destroy();
  }
}

export interface ReadRecord {
  partitionKey: string;
  data: string;
  shardId: string;
  sequenceNumber: string;
}

/** Every record of every shard from TRIM_HORIZON, in per-shard order (shards in ListShards order). */
export async function readAllRecords(endpoint: string, streamName: string): Promise<ReadRecord[]> {
  const kinesis = client(endpoint);
  try {
    const shards: Shard[] = [];
    let token: string | undefined;
    do {
      const out = await kinesis.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: streamName }));
      shards.push(...(out.Shards ?? []));
      token = out.NextToken;
    } while (token);

    const result: ReadRecord[] = [];
    const decoder = new TextDecoder();
    for (const shard of shards) {
      const it = await kinesis.send(new GetShardIteratorCommand({
        StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON',
      }));
      let iterator = it.ShardIterator;
      while (iterator) {
        const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        const records = page.Records ?? [];
        for (const r of records) {
          result.push({
            partitionKey: r.PartitionKey!,
            data: decoder.decode(r.Data),
            shardId: shard.ShardId!,
            sequenceNumber: r.SequenceNumber!,
          });
        }
        if (records.length === 0 && (page.MillisBehindLatest ?? 0) === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    return result;
  } finally {
    kinesis.destroy();
  }
}

// ------------------------------------------------------------ fault-injecting proxy

export interface FaultyProxyOptions {
  /** Share of PutRecords entries answered ProvisionedThroughputExceededException (0..1). */
  failRatio: number;
  /** Share of PutRecords calls failed as a whole with HTTP 400 ProvisionedThroughputExceededException (default 0). */
  failCallRatio?: number;
  /** Seed for the fault choices (default: random). */
  seed?: number;
}

export interface FaultyProxyStats {
  putRecordsCalls: number;
  entries: number;
  injectedEntryFailures: number;
  injectedCallFailures: number;
}

export interface FaultyProxy {
  endpoint: string;
  stats: FaultyProxyStats;
  stop(): Promise<void>;
}

/** The whole body of an HTTP request or response. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

interface Forwarded { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<Forwarded> {
  const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
  delete headers['transfer-encoding'];
  return new Promise((resolve, reject) => {
    const out = httpRequest({
      host: target.hostname, port: target.port, method: req.method, path: req.url, headers,
    }, (res) => {
      readBody(res).then((b) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: b }), reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}

function reply(res: ServerResponse, status: number, headers: Record<string, string | string[] | undefined>, body: Buffer): void {
  const h: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection') h[k] = v;
  }
  h['content-length'] = String(body.length);
  res.writeHead(status, h);
  res.end(body);
}

/**
 * An HTTP proxy in front of a Kinesis endpoint that fails a random share of PutRecords
 * entries with ProvisionedThroughputExceededException: only the other entries reach the
 * target, and the answers are merged back in request order with a correct
 * FailedRecordCount. Every other call passes through unchanged.
 */
export async function startFaultyKinesisProxy(targetEndpoint: string, options: FaultyProxyOptions): Promise<FaultyProxy> {
  const target = new URL(targetEndpoint);
  const random = seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  const stats: FaultyProxyStats = { putRecordsCalls: 0, entries: 0, injectedEntryFailures: 0, injectedCallFailures: 0 };
  const throttled = {
    ErrorCode: 'ProvisionedThroughputExceededException',
    ErrorMessage: 'Rate exceeded for shard shardId-000000000000 in stream under account 000000000000 (injected).',
  };

  const server = createHttpServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const op = String(req.headers['x-amz-target'] ?? '');
      if (op !== 'Kinesis_20131202.PutRecords') {
        const out = await forward(target, req, body);
        reply(res, out.status, out.headers, out.body);
        return;
      }
      stats.putRecordsCalls++;
      const input = JSON.parse(body.toString('utf8')) as { Records: unknown[]; [k: string]: unknown };
      stats.entries += input.Records.length;
      const jsonHeaders = { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'faulty-proxy' };
      if (options.failCallRatio && random() < options.failCallRatio) {
        stats.injectedCallFailures++;
        reply(res, 400, jsonHeaders, Buffer.from(JSON.stringify({
          __type: 'ProvisionedThroughputExceededException', message: 'Rate exceeded for stream (injected).',
        })));
        return;
      }
      const fail = input.Records.map(() => random() < options.failRatio);
      const kept = input.Records.filter((_, i) => !fail[i]);
      const injected = fail.filter(Boolean).length;
      stats.injectedEntryFailures += injected;
      if (kept.length === 0) {
        reply(res, 200, jsonHeaders, Buffer.from(JSON.stringify({
          FailedRecordCount: injected, Records: input.Records.map(() => throttled),
        })));
        return;
      }
      const out = await forward(target, req, Buffer.from(JSON.stringify({ ...input, Records: kept })));
      if (out.status !== 200) {
        reply(res, out.status, out.headers, out.body);
        return;
      }
      const answer = JSON.parse(out.body.toString('utf8')) as { FailedRecordCount?: number; Records: unknown[]; [k: string]: unknown };
      let j = 0;
      const merged = input.Records.map((_, i) => (fail[i] ? throttled : answer.Records[j++]));
      reply(res, 200, out.headers, Buffer.from(JSON.stringify({
        ...answer, FailedRecordCount: (answer.FailedRecordCount ?? 0) + injected, Records: merged,
      })));
    })().catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'InternalFailure', message: `faulty proxy: ${String(err)}` }));
      } else {
        res.destroy();
      }
    });
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : 0);
    });
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
