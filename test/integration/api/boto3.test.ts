// The real `npm start` driven by Python tools: boto3 (with botocore's own waiters) and the
// AWS CLI, DMS and Kinesis through the one port; then Ctrl-C takes every child process down.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { REPO_ROOT, processAlive, startNpmStart, type NpmStart } from '../../support/npm-start.js';

const execFileP = promisify(execFile);

let app: NpmStart;
let db: MariaDb;

beforeAll(async () => {
  [app, db] = await Promise.all([startNpmStart(), startMariaDb()]);
});
afterAll(async () => {
  await Promise.all([app?.stop().catch(() => undefined), db?.stop()]);
});

/** Environment for the Python tools: dummy credentials, no user configuration, no inherited endpoints. */
function toolEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('AWS_')) delete env[k];
  return {
    ...env,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    PYTHONDONTWRITEBYTECODE: '1',
  };
}

async function aws(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileP('aws', ['--endpoint-url', app.url, '--output', 'json', ...args], { env: toolEnv(), timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

describe('boto3', () => {
  it('runs the whole control-plane flow with botocore waiters', async () => {
    const script = join(REPO_ROOT, 'test/support/python/dms_flow.py');
    let stdout: string;
    try {
      ({ stdout } = await execFileP('python3', [script, app.url, String(db.port), db.dmsUser.user, db.dmsUser.password], { env: toolEnv(), timeout: 90_000, maxBuffer: 8 * 1024 * 1024 }));
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; message: string };
      throw new Error(`dms_flow.py failed: ${err.message}\n${err.stderr}\n--- server output ---\n${app.output()}`);
    }
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!);

    expect(out.stream_arn).toBe('arn:aws:kinesis:us-east-1:000000000000:stream/boto3-stream');
    expect(out.source).toEqual({
      EndpointArn: expect.stringMatching(/^arn:aws:dms:us-east-1:000000000000:endpoint:[A-Z2-7]{26}$/),
      EndpointType: 'SOURCE',
      EngineName: 'mariadb',
      Status: 'active',
      Port: db.port,
    });
    expect(out.source_has_password).toBe(false);
    expect(out.target).toMatchObject({ EndpointType: 'TARGET', EngineName: 'kinesis', Status: 'active' });
    expect(out.duplicate_endpoint).toEqual({ code: 'ResourceAlreadyExistsFault', message: 'The specified endpoint identifier already exists', status: 400 });

    expect(out.instance_created).toEqual({ status: 'creating', identifier: 'boto3-instance', create_time_type: 'datetime' });
    expect(out.instance_status).toBe('available');
    expect(out.test_connection).toEqual({
      source: { answer: 'testing', final: 'successful', failure: null },
      target: { answer: 'testing', final: 'successful', failure: null },
    });

    expect(out.task_created).toMatchObject({ status: 'creating', creation_date_type: 'datetime' });
    expect(out.task_created.arn).toMatch(/^arn:aws:dms:us-east-1:000000000000:task:[A-Z2-7]{26}$/);
    expect(out.task_ready).toEqual({
      status: 'ready',
      migration_type: 'full-load-and-cdc',
      table_mappings: expect.stringContaining('"boto3db"'),
      stats: { FullLoadProgressPercent: 0, ElapsedTimeMillis: 0, TablesLoaded: 0, TablesLoading: 0, TablesQueued: 0, TablesErrored: 0 },
      has_settings: true,
    });
    expect(out.task_without_settings_has_settings).toBe(false);

    expect(out.errors.endpoint_in_use).toMatchObject({ code: 'InvalidResourceStateFault', status: 400 });
    expect(out.errors.stop_ready_task).toMatchObject({ code: 'InvalidResourceStateFault', status: 400 });
    expect(out.errors.bad_filter).toMatchObject({ code: 'InvalidParameterValueException', message: expect.stringMatching(/^The filter name color is not valid/), status: 400 });
    expect(out.errors.no_match).toEqual({ code: 'ResourceNotFoundFault', message: 'No Tasks found matching provided filters', status: 400 });
    expect(out.errors.bad_mappings).toMatchObject({ code: 'InvalidParameterValueException', message: expect.stringMatching(/^Invalid Table Mappings document\. Invalid json/) });

    expect(out.tags).toEqual({ before: [], after: [{ Key: 'team', Value: 'data' }] });
    expect(out.task_delete_status).toBe('deleting');
    expect(out.endpoint_delete_status).toEqual({ source: 'deleting', target: 'deleting' });
    expect(out.instance_delete_status).toBe('deleting');
    expect(out.waiter_on_deleted_task).toBe('ResourceNotFoundFault');
    expect(out.empty_account).toEqual({ endpoints: [], tasks: [], instances: [] });
  });
});

describe('AWS CLI', () => {
  it('dms and kinesis commands through the same port', async () => {
    const created = await aws(
      'dms', 'create-endpoint',
      '--endpoint-identifier', 'cli-target',
      '--endpoint-type', 'target',
      '--engine-name', 'kinesis',
      '--kinesis-settings', 'StreamArn=arn:aws:kinesis:us-east-1:000000000000:stream/boto3-stream,MessageFormat=json-unformatted,ServiceAccessRoleArn=arn:aws:iam::000000000000:role/dms-kinesis',
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const arn = JSON.parse(created.stdout).Endpoint.EndpointArn as string;
    expect(arn).toMatch(/^arn:aws:dms:us-east-1:000000000000:endpoint:/);

    // Each CLI run starts a Python interpreter: run the reads together.
    const [described, missing, streams, tables] = await Promise.all([
      aws('dms', 'describe-endpoints'),
      aws('dms', 'describe-endpoints', '--filters', 'Name=endpoint-id,Values=nope'),
      aws('kinesis', 'list-streams'),
      aws('dynamodb', 'list-tables'),
    ]);
    expect(described.code).toBe(0);
    const endpoints = JSON.parse(described.stdout).Endpoints as Record<string, unknown>[];
    expect(endpoints.map((e) => [e.EndpointIdentifier, e.EndpointArn, e.EndpointType])).toEqual([['cli-target', arn, 'TARGET']]);
    expect(endpoints[0].KinesisSettings).toMatchObject({ MessageFormat: 'json-unformatted' });

    // AWS CLI v1 exits 255 on a service error, v2 254.
    expect([254, 255]).toContain(missing.code);
    expect(missing.stderr.trim()).toBe('An error occurred (ResourceNotFoundFault) when calling the DescribeEndpoints operation: No Endpoints found matching provided filters');

    expect(streams.code).toBe(0);
    expect(JSON.parse(streams.stdout).StreamNames).toEqual(['boto3-stream']);

    expect(tables.code).toBe(0);
    expect(JSON.parse(tables.stdout).TableNames).toEqual(['dmslite-state']);
  });
});

describe('shutdown', () => {
  it('SIGINT stops the server and every child process (java, kinesalite)', async () => {
    const kids = app.descendants();
    const commands = kids.map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        return '';
      }
    });
    expect(commands.some((c) => c.includes('DynamoDBLocal.jar'))).toBe(true);
    expect(commands.some((c) => c.includes('kinesalite'))).toBe(true);
    const exit = await app.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(kids.filter(processAlive)).toEqual([]);
    expect(processAlive(app.pid)).toBe(false);
    // The port is free again.
    await expect(fetch(app.url, { method: 'POST', signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  });
});
