// infra/template.yaml through AWS's own SAM translator (python3 samtranslator, offline), for both
// API variants, checked against what the code expects: the bundle path and handler, the state
// table's key schema, and the environment variables the code reads.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_KEY_SCHEMA } from '../../../core/state/dynamo.js';
import { execFileP, REPO } from './helpers.js';

type Json = any;

async function translate(...params: string[]): Promise<{ template: Json; cloudformation: Json }> {
  try {
    const { stdout } = await execFileP('python3', [join(REPO, 'infra/tools/sam-translate.py'), join(REPO, 'infra/template.yaml'), ...params], {
      cwd: REPO,
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return JSON.parse(stdout);
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`SAM translation failed: ${err.stderr || err.message}`);
  }
}

/** Environment variable names a source file reads (`env.NAME`, `process.env.NAME`). */
function envNamesIn(file: string): string[] {
  const src = readFileSync(join(REPO, file), 'utf8');
  return [...src.matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]);
}

// Set by Lambda itself (reserved: a template may not set them) or aliases the template need not set.
const NOT_SET_BY_TEMPLATE = new Set(['AWS_REGION', 'AWS_DEFAULT_REGION', 'POWERTOOLS_LOG_LEVEL']);

const byType = (cfn: Json, type: string): [string, Json][] => Object.entries(cfn.Resources as Record<string, Json>).filter(([, r]) => r.Type === type);

let http: { template: Json; cloudformation: Json };
let rest: { template: Json; cloudformation: Json };

beforeAll(async () => {
  [http, rest] = await Promise.all([translate(), translate('ApiType=REST')]);
});

describe('infra/template.yaml', () => {
  it('is a SAM template that translates for both API variants', () => {
    expect(http.template.Transform).toBe('AWS::Serverless-2016-10-31');
    expect(http.template.Parameters.ApiType).toMatchObject({ Default: 'HTTP', AllowedValues: ['HTTP', 'REST'] });
    for (const t of [http, rest]) {
      expect(byType(t.cloudformation, 'AWS::Lambda::Function')).toHaveLength(2);
      expect(byType(t.cloudformation, 'AWS::DynamoDB::Table')).toHaveLength(1);
    }
  });

  it('points the function at the built bundle: ../dist/api/, index.handler, nodejs22.x', () => {
    const fn = http.template.Globals.Function;
    expect(fn).toMatchObject({ CodeUri: '../dist/api/', Handler: 'index.handler', Runtime: 'nodejs22.x' });
    // CodeUri is relative to the template: it is the folder infra/build.mjs writes.
    expect(resolve(REPO, 'infra', fn.CodeUri)).toBe(join(REPO, 'dist', 'api'));
    expect(readFileSync(join(REPO, 'infra/build.mjs'), 'utf8')).toMatch(/name: 'api', entry: 'handlers\/api\.ts'/);
    for (const [, f] of byType(http.cloudformation, 'AWS::Lambda::Function')) {
      expect(f.Properties).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs22.x' });
      expect(f.Properties.Code.S3Key).toBeTruthy();
    }
  });

  it('creates the state table with the key schema the code creates (TABLE_KEY_SCHEMA), on demand', () => {
    const [[, table]] = byType(http.cloudformation, 'AWS::DynamoDB::Table');
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.AttributeDefinitions).toEqual(TABLE_KEY_SCHEMA.AttributeDefinitions);
    expect(table.Properties.KeySchema).toEqual(TABLE_KEY_SCHEMA.KeySchema);
  });

  it('sets exactly the environment variables the code reads, each from a parameter with an empty or neutral default', () => {
    const read = new Set(['core/config.ts', 'core/state/secrets.ts', 'core/logger.ts'].flatMap(envNamesIn));
    expect(read).toContain('DMSLITE_TABLE');
    const expected = [...read].filter((n) => !NOT_SET_BY_TEMPLATE.has(n)).sort();
    const vars = http.template.Globals.Function.Environment.Variables as Record<string, Json>;
    const names = Object.keys(vars).filter((n) => n !== 'NODE_OPTIONS').sort();
    expect(names).toEqual(expected);
    expect(vars.DMSLITE_TABLE).toEqual({ Ref: 'StateTable' });
    const params = http.template.Parameters as Record<string, { Default?: string }>;
    for (const [name, value] of Object.entries(vars)) {
      if (name === 'NODE_OPTIONS' || name === 'DMSLITE_TABLE') continue;
      // A plain Ref to a parameter, or an If between a parameter and a stack value.
      const ref: string = value.Ref ?? value['Fn::If']?.[1]?.Ref;
      expect(params[ref], `${name} comes from a parameter`).toBeDefined();
      if (name !== 'DMSLITE_LOG_LEVEL') expect(params[ref].Default, `${name} defaults to empty`).toBe('');
    }
    expect(http.template.Parameters.DmsliteSecretKey.NoEcho).toBe(true);
  });

  it('grants the function CRUD on that table only, and the Kinesis calls it makes', () => {
    for (const [, role] of byType(http.cloudformation, 'AWS::IAM::Role')) {
      const statements = (role.Properties.Policies as Json[]).flatMap((p) => p.PolicyDocument.Statement);
      const ddb = statements.find((s) => String(s.Action).includes('dynamodb:'));
      expect(ddb.Action).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable']));
      for (const r of ddb.Resource) expect(r['Fn::Sub'][1].tableName).toEqual({ Ref: 'StateTable' });
      const kinesis = statements.find((s) => String(s.Action).includes('kinesis:'));
      expect([...kinesis.Action].sort()).toEqual(['kinesis:DescribeStreamSummary', 'kinesis:ListShards', 'kinesis:PutRecords']);
      expect(kinesis.Resource).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:kinesis:*:*:stream/*' });
      expect(statements.filter((s) => s.Resource === '*')).toEqual([]);
    }
  });

  it('routes POST / of an HTTP API (payload 2.0) or of a REST API, by ApiType', () => {
    const cfn = http.cloudformation;
    const [[httpName, httpApi]] = byType(cfn, 'AWS::ApiGatewayV2::Api');
    expect(httpApi.Condition).toBe('IsHttpApi');
    const post = JSON.stringify(httpApi.Properties.Body.paths['/']);
    expect(post).toContain('"post"');
    expect(post).toContain('"payloadFormatVersion":"2.0"');
    expect(post).toContain('${HttpApiFunction.Arn}');
    expect(byType(cfn, 'AWS::ApiGatewayV2::Stage')[0][1].Properties).toMatchObject({ StageName: '$default', AutoDeploy: true, ApiId: { Ref: httpName } });

    const [[, restApi]] = byType(rest.cloudformation, 'AWS::ApiGateway::RestApi');
    expect(restApi.Condition).toBe('IsRestApi');
    const restPost = JSON.stringify(restApi.Properties.Body.paths['/']);
    expect(restPost).toContain('"type":"aws_proxy"');
    expect(restPost).toContain('${RestApiFunction.Arn}');

    // Every resource of a variant carries that variant's condition, so only one is deployed.
    for (const [name, r] of Object.entries(cfn.Resources as Record<string, Json>)) {
      if (name.startsWith('Http')) expect(r.Condition, name).toBe('IsHttpApi');
      if (name.startsWith('Rest')) expect(r.Condition, name).toBe('IsRestApi');
    }
    expect(cfn.Conditions.IsHttpApi).toEqual({ 'Fn::Equals': [{ Ref: 'ApiType' }, 'HTTP'] });
    expect(byType(cfn, 'AWS::Lambda::Permission').map(([, p]) => p.Condition).sort()).toEqual(['IsHttpApi', 'IsRestApi']);
  });

  it('outputs the invoke URL of whichever API is deployed, and the table name', () => {
    const out = http.cloudformation.Outputs;
    expect(JSON.stringify(out.ApiUrl.Value)).toContain('https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/');
    expect(JSON.stringify(out.ApiUrl.Value)).toContain('https://${RestApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${RestStageName}/');
    expect(out.StateTableName.Value).toEqual({ Ref: 'StateTable' });
  });
});
