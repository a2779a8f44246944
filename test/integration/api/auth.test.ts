// DMSLITE_CREDENTIALS on the edge: boto3 and the AWS CLI, signed with a configured key pair, with
// none, with a wrong secret and with an unknown key; DMS, the forwarded Kinesis and DynamoDB, and
// any other path on the port (where the console will live) all pass the same check.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCredentialList } from '../../../core/api/auth.js';
import { startLocalStack, type LocalStack } from '../../../handlers/local.js';
import { inject } from 'vitest';
import { uniqueName } from '../../support/stack.js';

const execFileP = promisify(execFile);
const KEY = { id: 'AKIDDMSLITEAUTH', secret: 'auth-test-secret/with+chars' };
const OTHER = { id: 'AKIDSECOND', secret: 'second-secret' };

let stack: LocalStack;
beforeAll(async () => {
  process.env.AWS_ENDPOINT_URL_DYNAMODB = inject('dynamodbEndpoint');
  process.env.AWS_ENDPOINT_URL_KINESIS = inject('kinesisEndpoint');
  process.env.DMSLITE_TABLE = uniqueName('dmslite-auth');
  stack = await startLocalStack({ port: 0, runner: false, credentials: parseCredentialList(`${KEY.id}:${KEY.secret},${OTHER.id}:${OTHER.secret}`) });
});
afterAll(async () => {
  await stack?.stop();
});

function toolEnv(creds: { id: string; secret: string } | null): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('AWS_')) delete env[k];
  return {
    ...env,
    ...(creds ? { AWS_ACCESS_KEY_ID: creds.id, AWS_SECRET_ACCESS_KEY: creds.secret } : {}),
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    PYTHONDONTWRITEBYTECODE: '1',
  };
}

async function aws(creds: { id: string; secret: string } | null, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const extra = creds ? [] : ['--no-sign-request'];
    const { stdout, stderr } = await execFileP('aws', ['--endpoint-url', stack.url, '--output', 'json', ...extra, ...args], { env: toolEnv(creds), timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

// Each client call prints its outcome as one JSON line: {ok} or {code, status, message}.
const BOTO3 = `
import boto3, json, sys
from botocore import UNSIGNED
from botocore.config import Config
url, key, secret = sys.argv[1], sys.argv[2], sys.argv[3]
kw = dict(endpoint_url=url, region_name='eu-west-1')
if key == '-':
    kw['config'] = Config(signature_version=UNSIGNED, retries={'max_attempts': 1})
else:
    kw.update(aws_access_key_id=key, aws_secret_access_key=secret, config=Config(retries={'max_attempts': 1}))
def run(name, fn):
    try:
        fn()
        print(json.dumps({'call': name, 'ok': True}))
    except Exception as e:
        r = getattr(e, 'response', {}) or {}
        print(json.dumps({'call': name, 'ok': False, 'code': r.get('Error', {}).get('Code'), 'status': r.get('ResponseMetadata', {}).get('HTTPStatusCode'), 'message': r.get('Error', {}).get('Message')}))
run('dms', lambda: boto3.client('dms', **kw).describe_account_attributes())
run('kinesis', lambda: boto3.client('kinesis', **kw).list_streams())
run('dynamodb', lambda: boto3.client('dynamodb', **kw).list_tables())
`;

interface Outcome {
  call: string;
  ok: boolean;
  code?: string;
  status?: number;
  message?: string;
}

async function boto3(creds: { id: string; secret: string } | null): Promise<Record<string, Outcome>> {
  const { stdout } = await execFileP('python3', ['-c', BOTO3, stack.url, creds?.id ?? '-', creds?.secret ?? '-'], { env: toolEnv(null), timeout: 90_000 });
  return Object.fromEntries(stdout.trim().split('\n').map((l) => JSON.parse(l) as Outcome).map((o) => [o.call, o]));
}

describe('boto3', () => {
  it('signed with a configured key pair: DMS, Kinesis and DynamoDB answer', async () => {
    for (const creds of [KEY, OTHER]) {
      const out = await boto3(creds);
      expect(Object.values(out).map((o) => [o.call, o.ok, o.code])).toEqual([['dms', true, undefined], ['kinesis', true, undefined], ['dynamodb', true, undefined]]);
    }
  });

  it('unsigned: MissingAuthenticationTokenException, 403, on every service', async () => {
    const out = await boto3(null);
    for (const o of Object.values(out)) expect([o.call, o.code, o.status]).toEqual([o.call, 'MissingAuthenticationTokenException', 403]);
  });

  it('wrong secret: InvalidSignatureException; unknown key: UnrecognizedClientException (400)', async () => {
    const wrong = await boto3({ id: KEY.id, secret: 'not-the-secret' });
    for (const o of Object.values(wrong)) {
      expect([o.call, o.code, o.status]).toEqual([o.call, 'InvalidSignatureException', 400]);
      expect(o.message).toMatch(/The request signature we calculated does not match the signature you provided/);
    }
    const unknown = await boto3({ id: 'AKIDNOBODY', secret: KEY.secret });
    for (const o of Object.values(unknown)) {
      expect([o.call, o.code, o.status]).toEqual([o.call, 'UnrecognizedClientException', 400]);
      expect(o.message).toBe('The security token included in the request is invalid.');
    }
  });
});

describe('AWS CLI', () => {
  it('signed works; unsigned, wrong secret and unknown key are refused with AWS error codes', async () => {
    const ok = await aws(KEY, 'dms', 'describe-replication-tasks');
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ ReplicationTasks: [] });
    expect((await aws(KEY, 'kinesis', 'list-streams')).code).toBe(0);

    const unsigned = await aws(null, 'dms', 'describe-replication-tasks');
    expect(unsigned.code).not.toBe(0);
    expect(unsigned.stderr).toMatch(/MissingAuthenticationTokenException/);
    const wrong = await aws({ id: KEY.id, secret: 'nope' }, 'dms', 'describe-replication-tasks');
    expect(wrong.stderr).toMatch(/\(InvalidSignatureException\) when calling the DescribeReplicationTasks operation: The request signature we calculated/);
    const unknown = await aws({ id: 'AKIDNOBODY', secret: 'x' }, 'kinesis', 'list-streams');
    expect(unknown.stderr).toMatch(/\(UnrecognizedClientException\) when calling the ListStreams operation: The security token included in the request is invalid/);
  });
});

describe('raw HTTP', () => {
  it('a malformed Authorization header is a 4xx IncompleteSignatureException; other paths need a signature too', async () => {
    const res = await fetch(stack.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'AmazonDMSv20160101.DescribeEndpoints', Authorization: 'AWS4-HMAC-SHA256 Credential=garbage', 'X-Amz-Date': '20240101T000000Z' },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ __type: 'IncompleteSignatureException' });
    // The console's page holds no data and is served to anyone (it asks for a key pair); its data
    // calls, and any other path, need a signature.
    const page = await fetch(`${stack.url}/_dmslite/`);
    expect(page.status).toBe(200);
    const data = await fetch(stack.url, { method: 'POST', headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'DmsliteConsole.GetTaskLogTail' }, body: '{}' });
    expect(data.status).toBe(403);
    expect(await data.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
    const other = await fetch(`${stack.url}/anything`);
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
  });

  it('a signature scoped to another service is refused', async () => {
    // The CLI signs Kinesis requests for "kinesis": send one with a DMS target by hand instead.
    const out = await execFileP('python3', ['-c', `
import sys, json
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
import urllib.request
req = AWSRequest(method='POST', url=sys.argv[1], data=b'{}', headers={'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'AmazonDMSv20160101.DescribeEndpoints'})
SigV4Auth(Credentials(sys.argv[2], sys.argv[3]), 'kinesis', 'us-east-1').add_auth(req)
r = urllib.request.Request(sys.argv[1], data=b'{}', headers=dict(req.headers), method='POST')
try:
    urllib.request.urlopen(r)
    print(json.dumps({'status': 200}))
except urllib.error.HTTPError as e:
    print(json.dumps({'status': e.code, 'body': json.loads(e.read())}))
`, stack.url, KEY.id, KEY.secret], { env: toolEnv(null), timeout: 60_000 });
    const r = JSON.parse(out.stdout) as { status: number; body: { __type: string; message: string } };
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ __type: 'InvalidSignatureException', message: expect.stringMatching(/scoped to correct service: 'dms'/) });
  });
});
