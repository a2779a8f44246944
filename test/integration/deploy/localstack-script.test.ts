// infra/localstack/deploy.sh and teardown.sh: shellcheck-clean, and run end to end (twice each:
// they must be idempotent) against moto_server, an AWS emulator speaking the same APIs as LocalStack.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../handlers/embedded.js';
import { buildBundles, execFileP, exited, REPO, removeTemps, run } from './helpers.js';

const SCRIPTS = ['infra/localstack/deploy.sh', 'infra/localstack/teardown.sh'];
const NAME = 'dmslite-it';
const TABLE = 'dmslite-it-state';
const REGION = 'eu-central-1';

let moto: ChildProcess | undefined;
let endpoint: string;
let zip: string;
// The folder of the python3 that has the AWS CLI and moto, ahead of any pyenv-style shims (which
// cost a few hundred ms per `aws` call: the scripts make about forty).
let path = process.env.PATH ?? '/usr/bin:/bin';

const scriptEnv = () => ({
  PATH: path,
  HOME: process.env.HOME ?? '/tmp',
  ENDPOINT_URL: endpoint,
  AWS_REGION: REGION,
  DMSLITE_NAME: NAME,
  DMSLITE_TABLE: TABLE,
  DMSLITE_API_ZIP: zip,
  DMSLITE_SECRET_KEY: 'it-secret "with" quotes\\',
  DMSLITE_LOG_LEVEL: 'WARN',
});

async function script(path: string) {
  const out = await run('bash', [join(REPO, path)], { cwd: REPO, env: scriptEnv(), timeoutMs: 150_000 });
  if (out.code !== 0) throw new Error(`${path} exited ${out.code}:\n${out.stderr}\n${out.stdout}`);
  return out;
}

// Everything deploy.sh may have made, read in one python3/boto3 process (an AWS CLI call per
// resource would cost a second each).
const INSPECT = `
import boto3, json, sys
endpoint, region, name, table, function = sys.argv[1:6]
c = lambda svc: boto3.client(svc, endpoint_url=endpoint, region_name=region, aws_access_key_id='test', aws_secret_access_key='test')
ddb, lam, apigw, iam = c('dynamodb'), c('lambda'), c('apigateway'), c('iam')
def get(f, **kw):
    try: return f(**kw)
    except Exception as e:
        if 'NotFound' in type(e).__name__ or 'NoSuchEntity' in type(e).__name__: return None
        raise
out = {
  'tables': ddb.list_tables()['TableNames'],
  'functions': [f['FunctionName'] for f in lam.list_functions()['Functions']],
  'roles': [r['RoleName'] for r in iam.list_roles()['Roles']],
  'table': (get(ddb.describe_table, TableName=table) or {}).get('Table'),
  'function': (get(lam.get_function, FunctionName=function) or {}).get('Configuration'),
  'policy': json.loads((get(lam.get_policy, FunctionName=function) or {}).get('Policy', 'null')),
  'apis': [],
}
for a in apigw.get_rest_apis()['items']:
    if a['name'] != name: continue
    i = a['id']
    methods = []
    for r in apigw.get_resources(restApiId=i)['items']:
        for m in (r.get('resourceMethods') or {}):
            methods.append({'path': r['path'], 'method': m, 'integration': apigw.get_integration(restApiId=i, resourceId=r['id'], httpMethod=m)})
    out['apis'].append({'id': i, 'methods': sorted(methods, key=lambda m: m['path']), 'stages': apigw.get_stages(restApiId=i)['item'],
        'deployments': apigw.get_deployments(restApiId=i)['items']})
print(json.dumps(out, default=str))
`;

async function inspect(): Promise<any> {
  const { stdout } = await execFileP('python3', ['-c', INSPECT, endpoint, REGION, NAME, TABLE, `${NAME}-api`], { timeout: 30_000 });
  return JSON.parse(stdout);
}

async function startMoto(): Promise<void> {
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PATH: path } });
  let log = '';
  moto.stderr!.on('data', (d) => (log = (log + String(d)).slice(-4000)));
  const spawnError = new Promise<never>((_, reject) => moto!.once('error', (e) => reject(new Error(`moto_server (pip install 'moto[server]') could not start: ${e.message}`))));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (moto.exitCode !== null) throw new Error(`moto_server exited ${moto.exitCode}:\n${log}`);
    try {
      const res = await Promise.race([fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) }), spawnError]);
      if (res.ok) return;
    } catch (e) {
      if ((e as Error).message.includes('moto_server')) throw e;
    }
    if (Date.now() > deadline) throw new Error(`moto_server did not answer within 30 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  const { stdout } = await execFileP('python3', ['-c', 'import os, sys; print(os.path.dirname(os.path.realpath(sys.executable)))']);
  const pyBin = stdout.trim();
  if (existsSync(join(pyBin, 'aws'))) path = `${pyBin}${delimiter}${path}`;
  const [{ dist }] = await Promise.all([buildBundles(), startMoto()]);
  zip = join(dist, 'api.zip');
});

afterAll(async () => {
  if (moto && moto.exitCode === null) {
    moto.kill('SIGTERM');
    const t = setTimeout(() => moto?.kill('SIGKILL'), 5000);
    await exited(moto);
    clearTimeout(t);
  }
  removeTemps();
});

describe('infra/localstack scripts', () => {
  it('pass shellcheck', async () => {
    const out = await run('shellcheck', ['--severity=style', '--shell=bash', ...SCRIPTS.map((s) => join(REPO, s))], { timeoutMs: 30_000 }).catch((e: Error) => {
      throw new Error(`shellcheck is needed for this test (apt-get install -y shellcheck): ${e.message}`);
    });
    expect(out.stdout + out.stderr).toBe('');
    expect(out.code).toBe(0);
    for (const s of SCRIPTS) expect(statSync(join(REPO, s)).mode & 0o111, `${s} is executable`).not.toBe(0);
  });

  // About forty AWS CLI processes of ~0.6 s CPU each: generous for a loaded machine.
  it('deploy.sh creates the table, the function and the REST API (POST / and {proxy+}); teardown.sh removes them', { timeout: 480_000 }, async () => {
    const first = await script(SCRIPTS[0]);
    const url = first.stdout.trim();

    let now = await inspect();
    expect(now.tables).toContain(TABLE);
    expect(now.functions).toContain(`${NAME}-api`);
    expect(now.apis).toHaveLength(1);
    const api = now.apis[0];
    // LocalStack's path-style invoke URL of the stage.
    expect(url).toBe(`${endpoint}/restapis/${api.id}/dms/_user_request_/`);

    expect(now.table.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(now.table.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');

    const fn = now.function;
    expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Handler: 'index.handler', CodeSize: statSync(zip).size });
    expect(fn.Role).toMatch(/^arn:aws:iam::\d{12}:role\/lambda-role$/);
    expect(fn.Environment.Variables).toEqual({ DMSLITE_TABLE: TABLE, DMSLITE_SECRET_KEY: 'it-secret "with" quotes\\', DMSLITE_LOG_LEVEL: 'WARN' });

    // POST / as template.yaml's ApiType=REST, and any other path through {proxy+}: both Lambda proxy integrations.
    const uri = `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${fn.FunctionArn}/invocations`;
    expect(api.methods.map((m: any) => `${m.method} ${m.path}`)).toEqual(['POST /', 'ANY /{proxy+}']);
    for (const m of api.methods) expect(m.integration).toMatchObject({ type: 'AWS_PROXY', httpMethod: 'POST', uri });
    expect(api.stages.map((s: any) => s.stageName)).toEqual(['dms']);
    expect(api.stages[0].deploymentId).toBe(api.deployments.at(-1).id);
    expect(now.policy.Statement).toHaveLength(1);
    expect(JSON.stringify(now.policy.Statement[0])).toContain('apigateway.amazonaws.com');
    expect(JSON.stringify(now.policy.Statement[0])).toContain(api.id);

    // Again: nothing duplicated, same API.
    const second = await script(SCRIPTS[0]);
    expect(second.stdout.trim()).toBe(url);
    now = await inspect();
    expect(now.apis).toHaveLength(1);
    expect(now.apis[0].id).toBe(api.id);
    expect(now.apis[0].methods.map((m: any) => `${m.method} ${m.path}`)).toEqual(['POST /', 'ANY /{proxy+}']);
    expect(now.policy.Statement).toHaveLength(1);

    await script(SCRIPTS[1]);
    now = await inspect();
    expect(now.tables).not.toContain(TABLE);
    expect(now.functions).not.toContain(`${NAME}-api`);
    expect(now.apis).toEqual([]);
    expect(now.roles).not.toContain('lambda-role');

    // Idempotent: a second teardown finds nothing and succeeds.
    const again = await script(SCRIPTS[1]);
    expect(again.stderr).toContain('already gone');
  });
});
