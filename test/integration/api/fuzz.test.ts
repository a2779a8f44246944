// 10,000 mutated requests over every implemented DMS operation (read from core/api at run time),
// against the edge (`startLocalStack`) without and with DMSLITE_CREDENTIALS, and against the
// deployable Lambda bundle without and with DMSLITE_CREDENTIALS in its environment: never an
// HTTP 5xx or an InternalFailure, never a crash, never a hang; a malformed Authorization header is a
// 4xx. DMSLITE_FUZZ_SEED and DMSLITE_FUZZ_COUNT (total) reproduce or scale a run.
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseCredentialList } from '../../../core/api/auth.js';
import { IMPLEMENTED_OPERATIONS } from '../../../core/api/index.js';
import { createDynamoClient, DocumentTable } from '../../../core/state/dynamo.js';
import { startLocalStack, type LocalStack } from '../../../handlers/local.js';
import { DMS_PREFIX, fuzzer, type FuzzRequest } from '../../support/fuzz.js';
import { signedHeaders } from '../../support/sigv4.js';
import { uniqueName } from '../../support/stack.js';
import { assertNoNodeModulesAbove, buildBundles, bundleEnv, removeTemps, run, tempDir } from '../deploy/helpers.js';

const SEED = Number(process.env.DMSLITE_FUZZ_SEED ?? 20261130);
const TOTAL = Number(process.env.DMSLITE_FUZZ_COUNT ?? 10_000);
const PER_EDGE = Math.floor(TOTAL * 0.3);
const PER_BUNDLE = Math.floor(TOTAL * 0.2);
const CONCURRENCY = 8;
const KEY = { accessKeyId: 'AKIDFUZZ', secretAccessKey: 'fuzz-secret' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let tableName: string;
beforeAll(async () => {
  process.env.AWS_ENDPOINT_URL_DYNAMODB = inject('dynamodbEndpoint');
  process.env.AWS_ENDPOINT_URL_KINESIS = inject('kinesisEndpoint');
  tableName = uniqueName('dmslite-fuzz');
  process.env.DMSLITE_TABLE = tableName;
  const table = new DocumentTable(createDynamoClient({ endpoint: inject('dynamodbEndpoint'), region: 'us-east-1' }), tableName);
  await table.ensureTable();
  table.client.destroy();
});
afterAll(() => removeTemps());

/** Runs `fn` for 0..n-1 with `CONCURRENCY` in flight. */
async function pool(n: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) await fn(next++);
  }));
}

interface Tally {
  statuses: Map<number, number>;
  types: Map<string, number>;
  /** Implemented operations that answered 200 / that were sent (and not refused before routing). */
  operations: Set<string>;
  reached: Set<string>;
}

const tally = (): Tally => ({ statuses: new Map(), types: new Map(), operations: new Set(), reached: new Set() });

/** Every implemented operation got requests past routing (checked on full-size runs). */
function expectEveryOperation(t: Tally, n: number) {
  if (n < 1000) return;
  expect(IMPLEMENTED_OPERATIONS.filter((op) => !t.reached.has(op))).toEqual([]);
}
const bump = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);

function dummyAuthorization(region: string): string {
  return `AWS4-HMAC-SHA256 Credential=AKIDTEST/20240102/${region}/dms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${'0'.repeat(64)}`;
}

async function fuzzEdge(stack: LocalStack, n: number, seed: number, withCredentials: boolean): Promise<Tally> {
  const f = fuzzer(seed);
  const t = tally();
  const requests = Array.from({ length: n }, () => {
    const req = f.next();
    const auth = withCredentials ? f.pick(['signed', 'signed', 'none', 'mutated', 'mutated'] as const) : f.pick(['dummy', 'none', 'mutated'] as const);
    return { req, auth, mutated: f.authorization() };
  });
  await pool(n, async (i) => {
    const { req, auth, mutated } = requests[i]!;
    let headers: Record<string, string> = { 'Content-Type': 'application/x-amz-json-1.1' };
    if (req.target !== undefined) headers['X-Amz-Target'] = req.target;
    if (auth === 'dummy' && req.region) headers.Authorization = dummyAuthorization(req.region);
    if (auth === 'mutated') {
      headers.Authorization = mutated;
      headers['X-Amz-Date'] = '20240102T000000Z';
    }
    if (auth === 'signed') headers = { ...headers, ...(await signedHeaders(stack.url, headers, req.body ?? '', KEY, { region: req.region ?? 'us-east-1' })) };
    const context = `#${i} seed=${seed} auth=${auth} target=${JSON.stringify(req.target)} authorization=${JSON.stringify(headers.Authorization)} body=${JSON.stringify(req.body)}`;
    const res = await fetch(stack.url, { method: 'POST', headers, body: req.body, signal: AbortSignal.timeout(60_000) }).catch((e: Error) => {
      throw new Error(`no answer (${e.message}): ${context}`);
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new Error(`not JSON: ${context} -> ${res.status} ${text.slice(0, 200)}`);
    }
    const where = `${context} -> ${res.status} ${text.slice(0, 300)}`;
    expect(res.status, where).toBeLessThan(500);
    expect(res.headers.get('x-amzn-requestid'), where).toMatch(UUID);
    if (res.status !== 200) {
      expect(typeof json.__type, where).toBe('string');
      expect(typeof json.message, where).toBe('string');
      expect(json.__type, where).not.toBe('InternalFailure');
    }
    if (auth === 'mutated' && withCredentials) expect([400, 403], where).toContain(res.status);
    if (withCredentials && auth === 'none') expect(json.__type, where).toBe('MissingAuthenticationTokenException');
    if (res.status === 200 && req.operation) t.operations.add(req.operation);
    if (req.operation && IMPLEMENTED_OPERATIONS.includes(req.operation) && json.__type !== 'UnknownOperationException' && !String(json.__type).match(/Signature|Authentication|UnrecognizedClient/)) t.reached.add(req.operation);
    bump(t.statuses, res.status);
    bump(t.types, res.status === 200 ? '200' : String(json.__type));
  });
  return t;
}

// One Lambda process per run: the bundle's handler called once per event (a warm Lambda), every
// outcome written out; a thrown error or a hang is a failure.
const DRIVER = `
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { handler } from './index.mjs';
const events = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const results = [];
const context = () => ({ functionName: 'dmslite-api', awsRequestId: randomUUID(), getRemainingTimeInMillis: () => 29000, callbackWaitsForEmptyEventLoop: true });
for (const event of events) {
  try {
    const out = await handler(event, context());
    results.push({ statusCode: out.statusCode, body: out.body });
  } catch (e) {
    results.push({ thrown: String(e && e.stack || e) });
  }
}
writeFileSync(process.argv[3], JSON.stringify(results));
process.exit(0);
`;

function lambdaEvents(n: number, seed: number): { event: unknown; req: FuzzRequest }[] {
  const f = fuzzer(seed);
  return Array.from({ length: n }, () => {
    const req = f.next();
    const headers: Record<string, string | undefined> = { 'content-type': 'application/x-amz-json-1.1' };
    if (req.target !== undefined) headers[f.r() < 0.5 ? 'x-amz-target' : 'X-Amz-Target'] = req.target;
    const a = f.r();
    if (a < 0.3) headers.authorization = f.authorization();
    else if (a < 0.6 && req.region) headers.authorization = dummyAuthorization(req.region);
    const b64 = f.r() < 0.5;
    const body = req.body === undefined ? (f.r() < 0.5 ? null : undefined) : b64 ? (f.r() < 0.9 ? Buffer.from(req.body).toString('base64') : `%%${req.body}`) : req.body;
    const event = f.r() < 0.5
      ? { version: '2.0', routeKey: 'POST /', rawPath: '/', headers, body, isBase64Encoded: b64, requestContext: { requestId: `fuzz-${f.r()}`, http: { method: 'POST', path: '/' } } }
      : { version: '1.0', resource: '/', path: '/', httpMethod: 'POST', headers: f.r() < 0.05 ? null : headers, multiValueHeaders: {}, body, isBase64Encoded: b64, requestContext: { requestId: `fuzz-${f.r()}` } };
    return { event, req };
  });
}

describe('fuzzing the edge', () => {
  it(`${PER_EDGE} requests without credentials configured`, async () => {
    const stack = await startLocalStack({ port: 0, runner: false, credentials: null });
    try {
      const t = await fuzzEdge(stack, PER_EDGE, SEED, false);
      // The garbage reached every layer: routing, parsing, validation and the operations.
      expect([...t.types.keys()]).toEqual(expect.arrayContaining(['200', 'UnknownOperationException', 'SerializationException', 'InvalidParameterValueException']));
      expect(t.operations.size, `operations answered 200: ${[...t.operations].join(', ')}`).toBeGreaterThanOrEqual(2);
      expectEveryOperation(t, PER_EDGE);
      const after = await fetch(stack.url, { method: 'POST', headers: { 'X-Amz-Target': `${DMS_PREFIX}.DescribeAccountAttributes` }, body: '{}' });
      expect(after.status).toBe(200);
    } finally {
      await stack.stop();
    }
  }, 900_000);

  it(`${PER_EDGE} requests with credentials configured: signed, unsigned and mutated signatures`, async () => {
    const stack = await startLocalStack({ port: 0, runner: false, credentials: parseCredentialList(`${KEY.accessKeyId}:${KEY.secretAccessKey}`) });
    try {
      const t = await fuzzEdge(stack, PER_EDGE, SEED + 1, true);
      expect([...t.types.keys()]).toEqual(expect.arrayContaining(['200', 'MissingAuthenticationTokenException', 'IncompleteSignatureException', 'InvalidParameterValueException']));
      expect(t.operations.size).toBeGreaterThanOrEqual(1);
      expectEveryOperation(t, PER_EDGE);
    } finally {
      await stack.stop();
    }
  }, 900_000);
});

describe('fuzzing the Lambda bundle', () => {
  let appDir: string;
  beforeAll(async () => {
    const { dist } = await buildBundles();
    const copy = tempDir('fuzz-deploy');
    cpSync(dist, copy, { recursive: true });
    appDir = join(copy, 'api');
    assertNoNodeModulesAbove(appDir);
    writeFileSync(join(appDir, 'driver.mjs'), DRIVER);
  }, 600_000);

  for (const withCredentials of [false, true]) {
    it(`${PER_BUNDLE} events ${withCredentials ? 'with' : 'without'} DMSLITE_CREDENTIALS in its environment`, async () => {
      const events = lambdaEvents(PER_BUNDLE, SEED + (withCredentials ? 3 : 2));
      const dir = tempDir('fuzz-events');
      writeFileSync(join(dir, 'events.json'), JSON.stringify(events.map((e) => e.event)));
      const out = await run(process.execPath, ['driver.mjs', join(dir, 'events.json'), join(dir, 'results.json')], {
        cwd: appDir,
        timeoutMs: 600_000,
        env: bundleEnv({
          AWS_REGION: 'us-east-1',
          AWS_ENDPOINT_URL_DYNAMODB: inject('dynamodbEndpoint'),
          AWS_ENDPOINT_URL_KINESIS: inject('kinesisEndpoint'),
          DMSLITE_TABLE: tableName,
          DMSLITE_LOG_LEVEL: 'SILENT',
          ...(withCredentials ? { DMSLITE_CREDENTIALS: `${KEY.accessKeyId}:${KEY.secretAccessKey}` } : {}),
        }),
      });
      expect(out.code, `driver: ${out.stderr.slice(-2000)}`).toBe(0);
      const { readFileSync } = await import('node:fs');
      const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { statusCode?: number; body?: string; thrown?: string }[];
      expect(results).toHaveLength(events.length);
      const types = new Map<string, number>();
      results.forEach((res, i) => {
        const where = `#${i} ${JSON.stringify(events[i]!.event).slice(0, 400)} -> ${JSON.stringify(res).slice(0, 300)}`;
        expect(res.thrown, where).toBeUndefined();
        expect(res.statusCode, where).toBeLessThan(500);
        const json = JSON.parse(res.body!) as Record<string, unknown>;
        if (res.statusCode !== 200) expect(json.__type, where).not.toBe('InternalFailure');
        bump(types, res.statusCode === 200 ? '200' : String(json.__type));
      });
      expect([...types.keys()]).toEqual(expect.arrayContaining(['200', 'UnknownOperationException', 'InvalidParameterValueException']));
    }, 900_000);
  }
});
