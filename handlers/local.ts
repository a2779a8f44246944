import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { credentialsFromEnv, verifySigV4, type Credentials } from '../core/api/auth.js';
import { errorResult, newRequestId } from '../core/api/protocol.js';
import { loadConfig } from '../core/config.js';
import { logger } from '../core/logger.js';
import { apiDepsFromEnv, resetApiDeps } from '../core/runtime.js';
import { handleHttpEvent } from './api.js';
import { isConsoleApi, isConsoleAsset, serveConsoleApi, serveConsoleAsset } from './console/serve.js';
import { isLoopback, startDynamoDbLocal, startKinesalite, type EmbeddedService } from './embedded.js';
import { lockDataDir, watchParent } from './process-guard.js';
import { startRunner, type RunningRunner } from './runner.js';

// `npm start`: the whole stack on one port. DMS requests become API Gateway HTTP API (2.0)
// events for the same handler that is deployed; Kinesis and DynamoDB requests are forwarded.
// Everything it starts listens on loopback; HOST publishes only this edge, which then checks
// SigV4 signatures when credentials are configured (DMSLITE_CREDENTIALS[_FILE]).

export interface LocalStackOptions {
  host?: string;
  port?: number;
  dataDir?: string;
  /** Run a runner in this process (default true). */
  runner?: boolean;
  /** Key pairs every request must be signed with; default from the environment, null for none. */
  credentials?: Credentials | null;
  /** Called when an embedded service (DynamoDB Local, kinesalite) exits on its own. */
  onServiceExit?: (what: string, code: number | null, signal: NodeJS.Signals | null) => void;
}

/** The port is taken: the message is the whole story, on one line. */
export class PortInUseError extends Error {}

export interface LocalStack {
  url: string;
  dynamodbEndpoint: string;
  kinesisEndpoint: string;
  /** Things the user must know (e.g. the edge published without credentials). */
  warnings: string[];
  stop(): Promise<void>;
}

const FORWARDED: Record<string, 'dynamodb' | 'kinesis'> = { DynamoDB_20120810: 'dynamodb', Kinesis_20131202: 'kinesis' };

export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  const host = opts.host ?? process.env.HOST ?? '127.0.0.1';
  const port = opts.port ?? Number(process.env.PORT ?? 4566);
  const dataDir = opts.dataDir ?? process.env.DMSLITE_DATA_DIR;
  const credentials = opts.credentials === undefined ? credentialsFromEnv() : opts.credentials ?? undefined;
  const warnings: string[] = [];
  if (!isLoopbackHost(host) && !credentials) {
    warnings.push(`HOST=${host} publishes the DMS, Kinesis and DynamoDB API beyond this machine without authentication; set DMSLITE_CREDENTIALS=ACCESS_KEY:SECRET to require signed requests`);
  }
  const children: EmbeddedService[] = [];
  let stopping = false;
  const stopChildren = () => Promise.all(children.map((c) => c.stop().catch(() => undefined)));
  const watch = (what: string, svc: EmbeddedService) => {
    children.push(svc);
    svc.process.once('exit', (code, signal) => {
      if (!stopping) opts.onServiceExit?.(what, code, signal);
    });
  };
  let release: (() => void) | undefined;
  let server: Server | undefined;
  try {
    if (dataDir) {
      mkdirSync(dataDir, { recursive: true });
      release = lockDataDir(resolve(dataDir));
    }
    // Listen first: a busy port fails at once, before anything else is started.
    let markReady!: (u: Upstreams) => void;
    let markFailed!: (e: Error) => void;
    const ready = new Promise<Upstreams>((res, rej) => {
      markReady = res;
      markFailed = rej;
    });
    ready.catch(() => undefined);
    server = createServer((req, res) => {
      void route(req, res, ready, credentials);
    });
    await listen(server, port, host);
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as { port: number }).port}`;

    process.env.DMSLITE_SECRET_KEY ||= secretKey(dataDir);
    const config = loadConfig();
    let dynamodbEndpoint = config.dynamodbEndpoint;
    let kinesisEndpoint = config.kinesisEndpoint;
    const [ddb, kin] = await Promise.all([
      dynamodbEndpoint ? undefined : startDynamoDbLocal({ dataDir: dataDir ? join(resolve(dataDir), 'dynamodb') : undefined }),
      kinesisEndpoint ? undefined : startKinesalite({ dataDir: dataDir ? join(resolve(dataDir), 'kinesis') : undefined }),
    ].map((p) => p?.catch((e: Error) => e)));
    for (const [what, svc] of [['DynamoDB Local', ddb], ['kinesalite', kin]] as const) if (svc && !(svc instanceof Error)) watch(what, svc);
    if (ddb instanceof Error) throw ddb;
    if (kin instanceof Error) throw kin;
    if (ddb) {
      dynamodbEndpoint = ddb.endpoint;
      process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamodbEndpoint;
    }
    if (kin) {
      kinesisEndpoint = kin.endpoint;
      process.env.AWS_ENDPOINT_URL_KINESIS = kinesisEndpoint;
    }
    resetApiDeps();
    await apiDepsFromEnv().table.ensureTable();
    markReady({ dynamodb: new URL(dynamodbEndpoint!), kinesis: new URL(kinesisEndpoint!) });
    void markFailed;

    let runner: RunningRunner | undefined;
    if (opts.runner ?? true) runner = await startRunner();
    const srv = server;
    return {
      url,
      dynamodbEndpoint: dynamodbEndpoint!,
      kinesisEndpoint: kinesisEndpoint!,
      warnings,
      async stop() {
        stopping = true;
        await runner?.stop();
        srv.closeAllConnections();
        await new Promise((r) => srv.close(() => r(undefined)));
        await stopChildren();
        release?.();
      },
    };
  } catch (e) {
    stopping = true;
    if (server?.listening) {
      server.closeAllConnections();
      await new Promise((r) => server!.close(() => r(undefined)));
    }
    await stopChildren();
    release?.();
    throw e;
  }
}

type Upstreams = Record<'dynamodb' | 'kinesis', URL>;

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || (isIP(host) !== 0 && isLoopback(host));
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolveListen, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') {
        reject(new PortInUseError(`port ${port} on ${host} is already in use; choose another with PORT=<port> npm start`));
      } else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' || e.code === 'EACCES') {
        reject(new PortInUseError(`cannot listen on ${host}:${port} (${e.code}); choose another with HOST=<address> / PORT=<port> npm start`));
      } else reject(e);
    });
    server.listen(port, host, () => resolveListen());
  });
}

function secretKey(dataDir: string | undefined): string {
  if (!dataDir) return randomBytes(32).toString('hex');
  const file = join(dataDir, 'secret.key');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;
const JSON_10 = 'application/x-amz-json-1.0';
const JSON_11 = 'application/x-amz-json-1.1';

class BodyTooLarge extends Error {}

/**
 * The edge: every request, whatever its route (DMS, forwarded Kinesis/DynamoDB, anything served
 * under /_dmslite/), passes `authorize` first, then is dispatched.
 */
async function route(req: IncomingMessage, res: ServerResponse, ready: Promise<Upstreams>, credentials: Credentials | undefined) {
  const target = String(req.headers['x-amz-target'] ?? '');
  const prefix = target.split('.')[0];
  const service = FORWARDED[prefix];
  try {
    // The page and its bundle hold no data: served before authentication (its calls are signed).
    if (isConsoleAsset(req)) return await serveConsoleAsset(req, res);
    let body: Buffer;
    try {
      body = await readBody(req, MAX_BODY_BYTES);
    } catch (e) {
      if (e instanceof BodyTooLarge) {
        return reply(res, 413, { 'Content-Type': JSON_11, 'x-amzn-RequestId': newRequestId(), Connection: 'close' }, JSON.stringify({ __type: 'RequestEntityTooLargeException', message: `Request body larger than ${MAX_BODY_BYTES} bytes` }));
      }
      throw e;
    }
    const denied = authorize(req, body, credentials);
    if (denied) return reply(res, denied.statusCode, denied.headers, denied.body);
    const upstream = await ready;
    if (service) return forward(req, res, upstream[service], body);
    if (isConsoleApi(req)) return await serveConsoleApi(req, body, res);
    if (target && prefix !== 'AmazonDMSv20160101') {
      return reply(res, 400, { 'Content-Type': JSON_11, 'x-amzn-RequestId': newRequestId() }, JSON.stringify({
        __type: 'UnknownOperationException',
        message: `dmslite serves DMS, Kinesis and DynamoDB only; the service of X-Amz-Target '${target.slice(0, 200)}' is not available here`,
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
    reply(res, 400, { 'Content-Type': JSON_11, 'x-amzn-RequestId': newRequestId() }, JSON.stringify({ __type: 'InternalFailure', message: (e as Error).message }));
  }
}

/**
 * The one authentication check of the edge: null when the request may pass (no credentials
 * configured, or a valid SigV4 signature of a configured key pair), else the AWS error to send.
 * The credential scope must name the service the route serves (dms, kinesis, dynamodb); other
 * routes accept any service name in the scope.
 */
export function authorize(req: IncomingMessage, body: Buffer, credentials: Credentials | undefined, now = Date.now()): { statusCode: number; headers: Record<string, string>; body: string } | null {
  if (!credentials) return null;
  const target = String(req.headers['x-amz-target'] ?? '');
  const prefix = target.split('.')[0];
  const service = FORWARDED[prefix] ?? (prefix === 'AmazonDMSv20160101' ? 'dms' : undefined);
  const outcome = verifySigV4({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body }, credentials, { service, now });
  if (outcome.ok) return null;
  const requestId = newRequestId();
  const err = errorResult(requestId, outcome.fault);
  logger.info('request refused', { requestId, outcome: outcome.fault.code, reason: outcome.fault.message });
  return {
    statusCode: outcome.fault.status,
    headers: { ...err.headers, 'Content-Type': service === 'dynamodb' ? JSON_10 : JSON_11 },
    body: err.body,
  };
}

function reply(res: ServerResponse, status: number, headers: Record<string, string>, body: string) {
  if (res.headersSent) return res.end();
  res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.pause();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function forward(req: IncomingMessage, res: ServerResponse, to: URL, body: Buffer) {
  const headers = { ...req.headers, host: to.host, 'content-length': String(body.length) };
  delete headers['transfer-encoding'];
  const out = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  out.on('error', (e) => {
    reply(res, 400, { 'Content-Type': JSON_11, 'x-amzn-RequestId': newRequestId() }, JSON.stringify({ __type: 'ServiceUnavailableException', message: `Upstream unavailable: ${e.message}` }));
  });
  out.end(body);
}

async function main() {
  let stack: LocalStack | undefined;
  let stopping = false;
  const shutdown = async (code: number, why?: string) => {
    if (stopping) return;
    stopping = true;
    if (why) console.error(`dmslite: ${why}; stopping`);
    // Embedded services also exit by themselves once this process is gone (their stdin pipe closes).
    const hardStop = setTimeout(() => process.exit(code || 1), 15_000);
    hardStop.unref();
    await stack?.stop().catch(() => undefined);
    process.exit(code);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void shutdown(0));
  // `npm start` runs us under `sh -c`; npm passes SIGTERM to the shell, which dies without passing it on.
  watchParent(() => void shutdown(0, 'parent process exited'));
  try {
    stack = await startLocalStack({
      onServiceExit: (what, code, signal) => void shutdown(1, `${what} exited (${signal ?? `code ${code}`})`),
    });
  } catch (e) {
    console.error(`dmslite failed to start: ${(e as Error).message}`);
    process.exit(1);
  }
  if (stopping) return shutdown(0);
  for (const w of stack.warnings) console.warn(`WARNING: ${w}`);
  console.log(`DMS API:  ${stack.url}  (also Kinesis and DynamoDB requests, by X-Amz-Target)`);
  console.log(`DynamoDB: ${stack.dynamodbEndpoint}`);
  console.log(`Kinesis:  ${stack.kinesisEndpoint}`);
  console.log(`Console:  ${stack.url}/_dmslite/`);
  console.log(`dmslite ready on ${stack.url}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main();
