import http from 'node:http';
import https from 'node:https';
import {
  KinesisServiceException,
  PutRecordsCommand,
  type KinesisClient,
  type PutRecordsCommandInput,
  type PutRecordsCommandOutput,
  type PutRecordsResultEntry,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-kinesis';
import type { FinalizeRequestMiddleware, HttpRequest } from '@smithy/types';
import { createSigner, type RequestToSign } from '../../sigv4.js';

// PutRecords for the sink: the one Kinesis call made per batch, so the one whose cost sets CDC
// latency. Through the SDK client a one-record call costs this machine ~1.3 ms of CPU (middleware,
// signing, serde, its HTTP handler); the same call signed here and sent over a keep-alive agent costs
// ~0.4 ms (measured side by side, BENCHMARKS.md). So the SDK client makes the first call: its
// endpoint resolution (AWS_ENDPOINT_URL_KINESIS, FIPS, dual-stack), credential chain and signing
// region all apply, and the endpoint and scope it used are kept. Later calls send the same AWS JSON 1.1
// request (X-Amz-Target Kinesis_20131202.PutRecords) with the client's current credentials and clock
// offset, and answer as the SDK does: the output shape, or a KinesisServiceException named by the
// error type with $metadata.httpStatusCode; network errors as Node raises them (with `code`). One
// attempt per call: the sink owns retries. `DMSLITE_KINESIS_SDK_PUT=1` keeps every call on the SDK.

/** What the sink needs of Kinesis. */
export interface PutRecordsClient {
  putRecords(input: PutRecordsCommandInput): Promise<PutRecordsCommandOutput>;
}

export interface LeanPutRecordsClient extends PutRecordsClient {
  /** Calls sent without the SDK so far (the first goes through it). */
  readonly leanCalls: number;
  destroy(): void;
}

export interface LeanPutRecordsOptions {
  /** Per-request timeout in ms (default 60 s): the request is then destroyed with a TimeoutError. */
  requestTimeoutMs?: number;
  /** Every call through the SDK client (default: `DMSLITE_KINESIS_SDK_PUT=1`). */
  sdkOnly?: boolean;
}

const TARGET = 'Kinesis_20131202.PutRecords';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const SCOPE = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/;

/** Where the SDK sent its PutRecords, and the scope it signed with. */
interface Endpoint {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number | undefined;
  path: string;
  host: string;
  sign: ReturnType<typeof createSigner>;
}

export function leanPutRecords(client: KinesisClient, options: LeanPutRecordsOptions = {}): LeanPutRecordsClient {
  const timeoutMs = options.requestTimeoutMs ?? 60_000;
  const sdkOnly = options.sdkOnly ?? process.env.DMSLITE_KINESIS_SDK_PUT === '1';
  let endpoint: Endpoint | null = null;
  let leanCalls = 0;
  const agentOptions = { keepAlive: true, maxSockets: 64 };
  let agent: http.Agent | null = null;

  const capture: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next) => async (args) => {
    if (!endpoint && isHttpRequest(args.request) && args.request.headers['x-amz-target'] === TARGET) endpoint = endpointOf(args.request);
    return next(args);
  };
  if (!sdkOnly) client.middlewareStack.add(capture, { step: 'finalizeRequest', priority: 'low', name: 'dmslitePutRecordsEndpoint' });

  async function send(ep: Endpoint, input: PutRecordsCommandInput): Promise<PutRecordsCommandOutput> {
    const body = serialize(input);
    const headers: Record<string, string> = {
      'content-type': CONTENT_TYPE,
      'content-length': String(Buffer.byteLength(body)),
      host: ep.host,
      'x-amz-target': TARGET,
      'user-agent': 'dmslite',
    };
    const req: RequestToSign = { method: 'POST', url: ep.path, headers, body };
    ep.sign(req, await client.config.credentials(), Date.now() + (client.config.systemClockOffset ?? 0));
    agent ??= ep.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    const res = await post(ep, agent, headers, body, timeoutMs);
    return parseResponse(res);
  }

  return {
    get leanCalls() { return leanCalls; },
    async putRecords(input) {
      const ep = endpoint;
      if (!ep || sdkOnly) return client.send(new PutRecordsCommand(input));
      leanCalls++;
      return send(ep, input);
    },
    destroy() {
      agent?.destroy();
      agent = null;
    },
  };
}

function isHttpRequest(r: unknown): r is HttpRequest {
  return typeof r === 'object' && r !== null && 'headers' in r && 'hostname' in r && 'protocol' in r;
}

function endpointOf(req: HttpRequest): Endpoint | null {
  const protocol = req.protocol === 'https:' || req.protocol === 'https' ? 'https:' : req.protocol === 'http:' || req.protocol === 'http' ? 'http:' : null;
  const auth = req.headers.authorization ?? req.headers.Authorization;
  const scope = auth ? SCOPE.exec(auth) : null;
  if (!protocol || !scope || (req.query && Object.keys(req.query).length > 0)) return null; // not a shape we reproduce
  const defaultPort = protocol === 'https:' ? 443 : 80;
  const port = req.port && req.port !== defaultPort ? req.port : undefined;
  return {
    protocol,
    hostname: req.hostname,
    port,
    path: req.path || '/',
    host: port ? `${req.hostname}:${port}` : req.hostname,
    sign: createSigner(scope[1]!, scope[2]!),
  };
}

function base64(data: Uint8Array): string {
  return (Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)).toString('base64');
}

/** The AWS JSON 1.1 body, as the SDK serialises PutRecordsInput (blobs in base64). */
export function serialize(input: PutRecordsCommandInput): string {
  let body = '{';
  if (input.StreamName !== undefined) body += `"StreamName":${JSON.stringify(input.StreamName)},`;
  if (input.StreamARN !== undefined) body += `"StreamARN":${JSON.stringify(input.StreamARN)},`;
  body += '"Records":[';
  const records = input.Records ?? [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (i > 0) body += ',';
    body += `{"Data":"${base64(r.Data ?? new Uint8Array(0))}",`;
    if (r.ExplicitHashKey !== undefined) body += `"ExplicitHashKey":${JSON.stringify(r.ExplicitHashKey)},`;
    body += `"PartitionKey":${JSON.stringify(r.PartitionKey)}}`;
  }
  return `${body}]}`;
}

interface RawResponse {
  status: number;
  requestId: string | undefined;
  errorType: string | undefined;
  body: string;
}

function post(ep: Endpoint, agent: http.Agent, headers: Record<string, string>, body: string, timeoutMs: number, retried = false): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = ep.protocol === 'https:' ? https.request : http.request;
    const req = request({ hostname: ep.hostname, port: ep.port, path: ep.path, method: 'POST', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const id = res.headers['x-amzn-requestid'];
        const type = res.headers['x-amzn-errortype'];
        resolve({
          status: res.statusCode ?? 0,
          requestId: typeof id === 'string' ? id : undefined,
          errorType: typeof type === 'string' ? type : undefined,
          body: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.setTimeout(timeoutMs, () => {
      const err = new Error(`Kinesis PutRecords got no answer within ${timeoutMs} ms`);
      err.name = 'TimeoutError';
      req.destroy(err);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed meanwhile: what the SDK retries at once (Node's advice too).
      if (!retried && req.reusedSocket && err.code === 'ECONNRESET') resolve(post(ep, agent, headers, body, timeoutMs, true));
      else reject(err);
    });
    req.end(body);
  });
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function parseJson(body: string): unknown {
  try {
    return body ? JSON.parse(body) : {};
  } catch {
    return undefined;
  }
}

/** The SDK's output for a 200, else its exception for the AWS JSON error (`__type` / X-Amzn-ErrorType). */
export function parseResponse(res: RawResponse): PutRecordsCommandOutput {
  const $metadata = { httpStatusCode: res.status, requestId: res.requestId, attempts: 1, totalRetryDelay: 0 };
  const json = parseJson(res.body);
  const doc = json !== null && typeof json === 'object' ? json as Record<string, unknown> : undefined;
  if (res.status >= 200 && res.status < 300 && doc && Array.isArray(doc.Records)) {
    const records: PutRecordsResultEntry[] = doc.Records.map((e: unknown) => {
      const r = e !== null && typeof e === 'object' ? e as Record<string, unknown> : {};
      return { SequenceNumber: str(r.SequenceNumber), ShardId: str(r.ShardId), ErrorCode: str(r.ErrorCode), ErrorMessage: str(r.ErrorMessage) };
    });
    const failed = doc.FailedRecordCount;
    const encryption = doc.EncryptionType;
    return {
      $metadata,
      Records: records,
      FailedRecordCount: typeof failed === 'number' ? failed : records.filter((r) => r.ErrorCode).length,
      ...(encryption === 'NONE' || encryption === 'KMS' ? { EncryptionType: encryption } : {}),
    };
  }
  // As the SDK reads an AWS JSON error: the header's type before any ':', else __type after any '#'.
  const rawType = res.errorType?.split(':')[0] ?? str(doc?.__type) ?? str(doc?.code);
  const name = rawType ? rawType.slice(rawType.lastIndexOf('#') + 1) : res.status >= 200 && res.status < 300 ? 'InvalidResponse' : `HttpError${res.status}`;
  const message = str(doc?.message) ?? str(doc?.Message)
    ?? (res.status >= 200 && res.status < 300 ? `PutRecords answered HTTP ${res.status} without a Records list` : `HTTP ${res.status}: ${res.body.slice(0, 200)}`);
  throw new KinesisServiceException({ name, $fault: res.status >= 500 ? 'server' : 'client', $metadata, message });
}
