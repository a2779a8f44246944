// The deployable API bundle (dist/api/index.mjs, dist/api.zip) run as Lambda would run it: plain
// `node` in a folder with nothing else in it, `handler(event, context)` called with API Gateway
// REST (1.0), HTTP API (2.0) and Function URL events, against the run's DynamoDB Local.
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoClient, DocumentTable } from '../../../core/state/dynamo.js';
import { uniqueName } from '../../support/stack.js';
import { assertNoNodeModulesAbove, buildBundles, bundleEnv, execFileP, REPO, removeTemps, run, tempDir } from './helpers.js';

interface LambdaResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

// Imports the bundle next to it, calls the handler once per event (in order, one process, so
// the module and its clients are reused as in a warm Lambda) and writes the results to argv[2].
const DRIVER = `
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { handler } from './index.mjs';
let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const event of JSON.parse(input)) {
  const context = {
    functionName: 'dmslite-api', functionVersion: '$LATEST', memoryLimitInMB: '512',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:dmslite-api',
    awsRequestId: randomUUID(), logGroupName: '/aws/lambda/dmslite-api', logStreamName: '2026/01/01/[$LATEST]0',
    callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 29000,
    done() {}, fail() {}, succeed() {},
  };
  try {
    results.push(await handler(event, context));
  } catch (e) {
    results.push({ thrown: String(e && e.stack || e) });
  }
}
writeFileSync(process.argv[2], JSON.stringify(results));
process.exit(0);
`;

const ACCOUNT = '123456789012';
const SIGV4 = (region: string) =>
  `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/${region}/dms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${'0'.repeat(64)}`;

let dist: string;
let buildOutput: string;
let appDir: string;
let tableName: string;

beforeAll(async () => {
  ({ dist, output: buildOutput } = await buildBundles());
  // What a deployment gets: the build output alone, in an empty folder outside the repo.
  const copy = tempDir('deploy');
  cpSync(dist, copy, { recursive: true });
  appDir = join(copy, 'api');
  assertNoNodeModulesAbove(appDir);
  writeFileSync(join(appDir, 'driver.mjs'), DRIVER);
  tableName = uniqueName('dmslite-bundle');
  const table = new DocumentTable(createDynamoClient({ endpoint: inject('dynamodbEndpoint'), region: 'us-east-1' }), tableName);
  await table.ensureTable();
  table.client.destroy();
});

afterAll(() => removeTemps());

async function invoke(events: unknown[], env: Record<string, string> = {}): Promise<LambdaResult[]> {
  const resultFile = join(tempDir('results'), 'results.json');
  const out = await run(process.execPath, ['driver.mjs', resultFile], {
    cwd: appDir,
    input: JSON.stringify(events),
    timeoutMs: 60_000,
    env: bundleEnv({
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamodbEndpoint'),
      AWS_ENDPOINT_URL_KINESIS: inject('kinesisEndpoint'),
      DMSLITE_TABLE: tableName,
      DMSLITE_ACCOUNT_ID: ACCOUNT,
      DMSLITE_SECRET_KEY: 'bundle-test-key',
      DMSLITE_LOG_LEVEL: 'ERROR',
      ...env,
    }),
  });
  if (out.code !== 0) throw new Error(`driver exited ${out.code} ${out.signal}:\n${out.stdout}\n${out.stderr}`);
  const results = JSON.parse(readFileSync(resultFile, 'utf8')) as (LambdaResult & { thrown?: string })[];
  for (const r of results) if (r.thrown) throw new Error(`handler threw: ${r.thrown}`);
  return results;
}

/** Checks the AWS JSON 1.1 answer to an event (the request id is the API Gateway one) and returns its parsed body. */
function expectAwsJson(r: LambdaResult, status: number, event: { requestContext: { requestId: string } }): any {
  expect(r.statusCode, r.body).toBe(status);
  expect(r.headers['Content-Type']).toBe('application/x-amz-json-1.1');
  expect(r.headers['x-amzn-RequestId']).toBe(event.requestContext.requestId);
  expect(r.isBase64Encoded).toBe(false);
  for (const v of Object.values(r.headers)) expect(typeof v).toBe('string');
  return JSON.parse(r.body);
}

function restEvent(target: string | undefined, body: string | null, headers: Record<string, string> = {}) {
  const h: Record<string, string> = { 'Content-Type': 'application/x-amz-json-1.1', ...(target ? { 'X-Amz-Target': target } : {}), ...headers };
  return {
    resource: '/', path: '/', httpMethod: 'POST', headers: h,
    multiValueHeaders: Object.fromEntries(Object.entries(h).map(([k, v]) => [k, [v]])),
    queryStringParameters: null, pathParameters: null, stageVariables: null,
    requestContext: { requestId: `rest-${Math.random().toString(16).slice(2)}`, stage: 'dms', httpMethod: 'POST', path: '/dms/', accountId: ACCOUNT, apiId: 'restapi123' },
    body, isBase64Encoded: false,
  };
}

function httpEvent(target: string, body: string, opts: { base64?: boolean; auth?: string; functionUrl?: boolean } = {}) {
  const domain = opts.functionUrl ? 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws' : 'httpapi123.execute-api.us-east-1.amazonaws.com';
  return {
    version: '2.0', routeKey: opts.functionUrl ? '$default' : 'POST /', rawPath: '/', rawQueryString: '',
    headers: {
      'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target, host: domain,
      ...(opts.auth ? { authorization: opts.auth } : {}),
    },
    requestContext: {
      accountId: opts.functionUrl ? 'anonymous' : ACCOUNT, apiId: domain.split('.')[0], domainName: domain, domainPrefix: domain.split('.')[0],
      http: { method: 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: `${opts.functionUrl ? 'url' : 'http'}-${Math.random().toString(16).slice(2)}`,
      routeKey: opts.functionUrl ? '$default' : 'POST /', stage: '$default', time: '01/Jan/2026:12:00:00 +0000', timeEpoch: 1767268800000,
    },
    body: opts.base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: !!opts.base64,
  };
}

describe('the API bundle', () => {
  it('is built into api/index.mjs with its map and a Lambda-ready zip, sizes printed', async () => {
    expect(buildOutput).toMatch(/api[/\\]index\.mjs\s+[\d.]+ (KiB|MiB)/);
    expect(buildOutput).toMatch(/api\.zip\s+[\d.]+ (KiB|MiB)/);
    expect(buildOutput).toMatch(/runner[/\\]index\.mjs\s+[\d.]+ (KiB|MiB)/);
    expect(readdirSync(join(dist, 'api')).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    const code = readFileSync(join(dist, 'api/index.mjs'), 'utf8');
    expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    // Everything is inside: the only imports left are Node builtins.
    const imports = [...code.matchAll(/\bfrom\s*["']([^"']+)["']/g)].map((m) => m[1]);
    expect(imports.filter((s) => !s.startsWith('node:') && !/^[a-z_]+$/.test(s))).toEqual([]);

    // An independent zip reader (Python's zipfile) sees the two files, intact, at the root.
    const unzipped = tempDir('unzip');
    const py = `import json,sys,zipfile
z=zipfile.ZipFile(sys.argv[1]); bad=z.testzip(); z.extractall(sys.argv[2])
print(json.dumps({"bad":bad,"names":z.namelist(),"modes":[i.external_attr>>16 for i in z.infolist()]}))`;
    const { stdout } = await execFileP('python3', ['-c', py, join(dist, 'api.zip'), unzipped]);
    const listing = JSON.parse(stdout) as { bad: string | null; names: string[]; modes: number[] };
    expect(listing).toEqual({ bad: null, names: ['index.mjs', 'index.mjs.map'], modes: [0o100644, 0o100644] });
    for (const f of listing.names) expect(readFileSync(join(unzipped, f)).equals(readFileSync(join(dist, 'api', f)))).toBe(true);
  });

  it('answers every sample event of infra/events', async () => {
    const dir = join(REPO, 'infra/events');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
    expect(files.length).toBeGreaterThanOrEqual(6);
    const events = files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { version?: string; requestContext: { requestId: string } });
    for (const [i, f] of files.entries()) expect(events[i].version === '2.0', f).toBe(f.endsWith('.http.json'));
    const results = await invoke(events);
    const created: string[] = [];
    for (const [i, f] of files.entries()) {
      if (f.startsWith('create-endpoint.')) {
        const body = expectAwsJson(results[i], 200, events[i]);
        // The SigV4 credential scope of the sample events names us-east-1, the region of the README examples.
        expect(body.Endpoint.EndpointArn).toMatch(new RegExp(`^arn:aws:dms:us-east-1:${ACCOUNT}:endpoint:[A-Z2-7]{26}$`));
        expect(body.Endpoint).toMatchObject({ EndpointType: 'TARGET', EngineName: 'kinesis', Status: 'active' });
        created.push(body.Endpoint.EndpointIdentifier);
      } else if (f.startsWith('describe-replication-tasks.')) {
        // No task in the table: AWS answers ResourceNotFoundFault rather than an empty list.
        const r = results[i];
        if (r.statusCode === 200) expect(expectAwsJson(r, 200, events[i])).toEqual({ ReplicationTasks: [] });
        else expect(expectAwsJson(r, 400, events[i]).__type).toBe('ResourceNotFoundFault');
      } else if (f.startsWith('malformed-body.')) {
        const body = expectAwsJson(results[i], 400, events[i]);
        expect(body.__type).toBe('SerializationException');
        expect(results[i].headers['x-amzn-ErrorType']).toBe('SerializationException');
      } else {
        throw new Error(`no expectation for infra/events/${f}: add one here`);
      }
    }
    expect(created.sort()).toEqual(['sam-http-kinesis-target', 'sam-rest-kinesis-target']);
  });

  it('serves payload 1.0, 2.0, base64 bodies and Function URL events, keeping state across invocations', async () => {
    const T = 'AmazonDMSv20160101.';
    const target = (id: string) =>
      JSON.stringify({
        EndpointIdentifier: id, EndpointType: 'target', EngineName: 'kinesis',
        KinesisSettings: { StreamArn: 'arn:aws:kinesis:us-east-2:000000000000:stream/s', MessageFormat: 'json', ServiceAccessRoleArn: 'arn:aws:iam::000000000000:role/r' },
      });
    const events = [
      // 0: HTTP API 2.0, base64 body, region from the SigV4 scope
      httpEvent(`${T}CreateEndpoint`, target('b64-target'), { base64: true, auth: SIGV4('us-east-2') }),
      // 1: REST 1.0, header names in odd case, empty body = {}
      restEvent(undefined, null, { 'x-AMZ-target': `${T}DescribeEndpoints`, AUTHORIZATION: SIGV4('us-east-2') }),
      // 2: Function URL (2.0, no SigV4 header: the default region AWS_REGION)
      httpEvent(`${T}CreateEndpoint`, target('url-target'), { base64: true, functionUrl: true }),
      // 3: Function URL, plain body
      httpEvent(`${T}DescribeEndpoints`, '{}', { functionUrl: true }),
      // 4: no X-Amz-Target
      restEvent(undefined, '{}'),
      // 5: another service's target
      httpEvent('Kinesis_20131202.ListStreams', '{}'),
      // 6: body that is JSON but not an object
      restEvent(`${T}DescribeEndpoints`, '[1,2]'),
      // 7: model validation (required member missing)
      httpEvent(`${T}CreateEndpoint`, '{"EndpointType":"target"}', { auth: SIGV4('us-east-2') }),
      // 8: duplicate identifier in the same region
      httpEvent(`${T}CreateEndpoint`, target('b64-target'), { auth: SIGV4('us-east-2') }),
    ];
    const r = await invoke(events);

    const created = expectAwsJson(r[0], 200, events[0]);
    expect(created.Endpoint.EndpointArn).toMatch(new RegExp(`^arn:aws:dms:us-east-2:${ACCOUNT}:endpoint:`));
    const listed = expectAwsJson(r[1], 200, events[1]);
    expect(listed.Endpoints.map((e: { EndpointIdentifier: string }) => e.EndpointIdentifier)).toEqual(['b64-target']);
    expect(listed.Endpoints[0].EndpointArn).toBe(created.Endpoint.EndpointArn);

    expect(expectAwsJson(r[2], 200, events[2]).Endpoint.EndpointArn).toMatch(new RegExp(`^arn:aws:dms:us-east-1:${ACCOUNT}:endpoint:`));
    const urlListed = expectAwsJson(r[3], 200, events[3]);
    // us-east-1 also holds what the sample events (signed for us-east-1) created earlier in this state.
    const urlIds = urlListed.Endpoints.map((e: { EndpointIdentifier: string }) => e.EndpointIdentifier);
    expect(urlIds).toContain('url-target');
    expect(urlIds).not.toContain('b64-target');

    expect(expectAwsJson(r[4], 400, events[4]).__type).toBe('UnknownOperationException');
    expect(expectAwsJson(r[5], 400, events[5]).__type).toBe('UnknownOperationException');
    expect(expectAwsJson(r[6], 400, events[6]).__type).toBe('SerializationException');
    expect(expectAwsJson(r[7], 400, events[7]).__type).toMatch(/^(ValidationException|InvalidParameterValueException|InvalidParameterCombinationException)$/);
    expect(expectAwsJson(r[8], 400, events[8]).__type).toBe('ResourceAlreadyExistsFault');
  });

  it('answers a clear AWS JSON error, not a crash, when its state table does not exist', async () => {
    const event = httpEvent('AmazonDMSv20160101.DescribeEndpoints', '{}');
    const [r] = await invoke([event], { DMSLITE_TABLE: uniqueName('dmslite-missing') });
    const body = expectAwsJson(r, 400, event);
    expect(body.__type).toBe('InternalFailure');
    expect(body.message).toMatch(/dmslite/);
  });
});
