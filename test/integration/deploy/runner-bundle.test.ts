// The runner bundle (dist/runner/index.mjs) as the container runs it: `node index.mjs` in a folder
// holding only the bundle, on the run's DynamoDB Local and kinesalite. It must start, run a
// full-load task started through the API, and exit 0 on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoClient } from '../../../core/state/dynamo.js';
import { createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from '../../support/dms.js';
import { createStream, readAllRecords } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { parseRecords, startTask, summary, waitForStatus } from '../../support/task-flow.js';
import { assertNoNodeModulesAbove, buildBundles, bundleEnv, exited, removeTemps, tempDir, waitForOutput } from './helpers.js';

const SECRET = 'runner-bundle-test-key';
let runnerDir: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  const { dist } = await buildBundles();
  runnerDir = join(tempDir('runner'), 'app');
  cpSync(join(dist, 'runner'), runnerDir, { recursive: true });
  assertNoNodeModulesAbove(runnerDir);
});

afterEach(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await exited(c);
  }
  children.clear();
});

afterAll(() => removeTemps());

function startRunnerBundle(table: string): ChildProcess {
  const child = spawn(process.execPath, ['index.mjs'], {
    cwd: runnerDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: bundleEnv({
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamodbEndpoint'),
      AWS_ENDPOINT_URL_KINESIS: inject('kinesisEndpoint'),
      DMSLITE_TABLE: table,
      DMSLITE_SECRET_KEY: SECRET,
      DMSLITE_LOG_LEVEL: 'WARN',
      DMSLITE_HEARTBEAT_MS: '200',
      DMSLITE_LEASE_MS: '3000',
    }),
  });
  children.add(child);
  return child;
}

async function sigterm(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const done = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const result = await done;
  clearTimeout(timer);
  return result;
}

describe('the runner bundle', () => {
  it('starts from an empty folder, creates its state table, and exits 0 on SIGTERM', async () => {
    const table = uniqueName('dmslite-runner-bundle');
    const child = startRunnerBundle(table);
    await waitForOutput(child, /dmslite runner \S+ ready/, 30_000);
    const ddb = createDynamoClient({ endpoint: inject('dynamodbEndpoint'), region: 'us-east-1' });
    try {
      const out = await ddb.send(new DescribeTableCommand({ TableName: table }));
      expect(out.Table?.TableStatus).toBe('ACTIVE');
    } finally {
      ddb.destroy();
    }
    // Still running (it polls for work) until told to stop.
    await new Promise((r) => setTimeout(r, 500));
    expect(child.exitCode).toBeNull();
    expect(await sigterm(child)).toEqual({ code: 0, signal: null });
  });

  describe('with the API in process and a MariaDB source', () => {
    let stack: TestStack;
    let db: MariaDb;

    beforeAll(async () => {
      // The API seals endpoint passwords with this key; the runner must open them with the same one.
      process.env.DMSLITE_SECRET_KEY = SECRET;
      [stack, db] = await Promise.all([startTestStack({ runner: false }), startMariaDb()]);
      await db.query('CREATE DATABASE shop');
      await db.query('CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(20))');
      await db.query("INSERT INTO shop.items VALUES (1, 'one'), (2, 'two'), (3, 'three')");
    });

    afterAll(async () => {
      await Promise.all([stack?.stop(), db?.stop()]);
    });

    it('runs a full-load task to stopped, its records in Kinesis, then exits 0 on SIGTERM', async () => {
      const child = startRunnerBundle(stack.tableName);
      await waitForOutput(child, /dmslite runner \S+ ready/, 30_000);

      const stream = uniqueName('bundle-fl');
      await createStream(inject('kinesisEndpoint'), stream, 1);
      const source = (await createMySqlSource(stack.dms, 'src', { port: db.port, ...db.dmsUser })).EndpointArn!;
      const target = (await createKinesisTarget(stack.dms, 'tgt', stream)).EndpointArn!;
      const instance = (await createInstance(stack.dms, 'inst')).ReplicationInstanceArn!;
      const task = await createTask(stack.dms, { id: 'bundle-full-load', source, target, instance, mappings: selectionMappings('shop') });
      const arn = task.ReplicationTaskArn!;
      await waitForStatus(stack.dms, arn, ['ready']);
      await startTask(stack.dms, arn);
      const done = await waitForStatus(stack.dms, arn, ['stopped', 'failed'], 45_000);
      expect(done.LastFailureMessage ?? '').toBe('');
      expect(done.Status).toBe('stopped');
      expect(done.StopReason).toBe('Stop Reason FULL_LOAD_ONLY_FINISHED');

      const records = parseRecords(await readAllRecords(inject('kinesisEndpoint'), stream));
      expect(summary(records)).toEqual(['drop-table shop.items', 'create-table shop.items', 'load shop.items', 'load shop.items', 'load shop.items']);
      expect(records.filter((r) => r.json.metadata.operation === 'load').map((r) => r.json.data)).toEqual([
        { id: 1, name: 'one' },
        { id: 2, name: 'two' },
        { id: 3, name: 'three' },
      ]);

      expect(await sigterm(child)).toEqual({ code: 0, signal: null });
    });
  });
});
