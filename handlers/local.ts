import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { newRequestId } from '../core/api/protocol.js';
import { loadConfig } from '../core/config.js';
import { logger } from '../core/logger.js';
import { apiDepsFromEnv, resetApiDeps } from '../core/runtime.js';
import { handleHttpEvent } from './api.js';
import { startDynamoDbLocal, startKinesalite, type EmbeddedService } from './embedded.js';
import { startRunner, type RunningRunner } from './runner.js';

// `npm start`: the whole stack on one port. DMS requests become API Gateway HTTP API (2.0)
// events for the same handler that is deployed; Kinesis and DynamoDB requests are forwarded.

export interface LocalStackOptions {
  host?: string;
  port?: number;
  dataDir?: string;
  /** Run a runner in this process (default true). */
  runner?: boolean;
}

export interface LocalStack {
  url: string;
  dynamodbEndpoint: string;
  kinesisEndpoint: string;
  stop(): Promise<void>;
}

const FORWARDED: Record<string, 'dynamodb' | 'kinesis'> = { DynamoDB_20120810: 'dynamodb', Kinesis_20131202: 'kinesis' };

export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  const host = opts.host ?? process.env.HOST ?? '127.0.0.1';
  const port = opts.port ?? Number(process.env.PORT ?? 4566);
  const dataDir = opts.dataDir ?? process.env.DMSLITE_DATA_DIR;
  const children: EmbeddedService[] = [];
  const stopChildren = () => Promise.all(children.map((c) => c.stop().catch(() => undefined)));
  try {
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    process.env.DMSLITE_SECRET_KEY ||= secretKey(dataDir);
    const config = loadConfig();
    let dynamodbEndpoint = config.dynamodbEndpoint;
    if (!dynamodbEndpoint) {
      const ddb = await startDynamoDbLocal({ dataDir: dataDir ? join(resolve(dataDir), 'dynamodb') : undefined });
      children.push(ddb);
      dynamodbEndpoint = ddb.endpoint;
      process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamodbEndpoint;
    }
    let kinesisEndpoint = config.kinesisEndpoint;
    if (!kinesisEndpoint) {
      const kin = await startKinesalite();
      children.push(kin);
      kinesisEndpoint = kin.endpoint;
      process.env.AWS_ENDPOINT_URL_KINESIS = kinesisEndpoint;
    }
    resetApiDeps();
    await apiDepsFromEnv().table.ensureTable();

    const upstream = { dynamodb: new URL(dynamodbEndpoint), kinesis: new URL(kinesisEndpoint) };
    const server = createServer((req, res) => {
      void route(req, res, upstream);
    });
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolveListen());
    });
    const url = `http://${host}:${(server.address() as { port: number }).port}`;
    let runner: RunningRunner | undefined;
    if (opts.runner ?? true) runner = await startRunner();
    return {
      url,
      dynamodbEndpoint,
      kinesisEndpoint,
      async stop() {
        await runner?.stop();
        server.closeAllConnections();
        await new Promise((r) => server.close(() => r(undefined)));
        await stopChildren();
      },
    };
  } catch (e) {
    await stopChildren();
    throw e;
  }
}

function secretKey(dataDir: string | undefined): string {
  if (!dataDir) return randomBytes(32).toString('hex');
  const file = join(dataDir, 'secret.key');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

async function route(req: IncomingMessage, res: ServerResponse, upstream: Record<'dynamodb' | 'kinesis', URL>) {
  const target = String(req.headers['x-amz-target'] ?? '');
  const prefix = target.split('.')[0];
  const service = FORWARDED[prefix];
  try {
    if (service) return forward(req, res, upstream[service]);
    const body = await readBody(req);
    if (target && prefix !== 'AmazonDMSv20160101') {
      return reply(res, 400, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': newRequestId() }, JSON.stringify({
        __type: 'UnknownOperationException',
        message: `dmslite serves DMS, Kinesis and DynamoDB only; the service of X-Amz-Target '${target}' is not available here`,
      }));
    }
    const requestId = newRequestId();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const out = await handleHttpEvent({
      version: '2.0',
      headers,
      body: body.toString('base64'),
      isBase64Encoded: true,
      requestContext: { requestId },
    });
    reply(res, out.statusCode, out.headers, out.body);
  } catch (e) {
    logger.error('local gateway error', { error: e as Error });
    reply(res, 400, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': newRequestId() }, JSON.stringify({ __type: 'InternalFailure', message: (e as Error).message }));
  }
}

function reply(res: ServerResponse, status: number, headers: Record<string, string>, body: string) {
  if (res.headersSent) return res.end();
  res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function forward(req: IncomingMessage, res: ServerResponse, to: URL) {
  const out = httpRequest(
    { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  out.on('error', (e) => {
    reply(res, 400, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': newRequestId() }, JSON.stringify({ __type: 'ServiceUnavailableException', message: `Upstream unavailable: ${e.message}` }));
  });
  req.pipe(out);
}

async function main() {
  let stack: LocalStack;
  try {
    stack = await startLocalStack();
  } catch (e) {
    console.error(`dmslite failed to start: ${(e as Error).message}`);
    process.exit(1);
  }
  console.log(`DMS API:  ${stack.url}  (also Kinesis and DynamoDB requests, by X-Amz-Target)`);
  console.log(`DynamoDB: ${stack.dynamodbEndpoint}`);
  console.log(`Kinesis:  ${stack.kinesisEndpoint}`);
  console.log(`dmslite ready on ${stack.url}`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main();
