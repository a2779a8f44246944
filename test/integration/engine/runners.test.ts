import { randomBytes } from 'node:crypto';
import { StopReplicationTaskCommand } from '@aws-sdk/client-database-migration-service';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from '../../support/dms.js';
import { createStream, readAllRecords } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startRunnerProcess, type RunnerProcess } from '../../support/runner-process.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { parseRecords, startTask, summary, tableStatistics, waitForStatus, waitUntil, type ParsedRecord } from '../../support/task-flow.js';

// Several runner processes on one state table: a task runs on exactly one of them, a crashed
// runner's tasks move to another once its lease expires, and a stop request reaches the runner
// that owns the task, whatever process it is in.

let stack: TestStack;
let db: MariaDb;
let source: string;
let instance: string;
const runners: RunnerProcess[] = [];
const kinesis = () => inject('kinesisEndpoint');

beforeAll(async () => {
  process.env.DMSLITE_SECRET_KEY = randomBytes(32).toString('hex');
  [stack, db] = await Promise.all([startTestStack({ runner: false }), startMariaDb()]);
  source = (await createMySqlSource(stack.dms, 'src', { port: db.port, ...db.dmsUser })).EndpointArn!;
  instance = (await createInstance(stack.dms, 'inst')).ReplicationInstanceArn!;
  await db.query('CREATE DATABASE rn');
});
afterAll(async () => {
  await Promise.all(runners.map((r) => r.stop()));
  await Promise.all([stack?.stop(), db?.stop()]);
});

async function runner(owner: string, leaseMs: number): Promise<RunnerProcess> {
  const r = await startRunnerProcess({ table: stack.tableName, owner, leaseMs });
  runners.push(r);
  return r;
}

async function table(name: string, rows: number) {
  await db.query(`CREATE TABLE rn.${name} (id INT PRIMARY KEY, v VARCHAR(32))`);
  for (let start = 1; start <= rows; start += 5000) {
    const values = [];
    for (let id = start; id < start + 5000 && id <= rows; id++) values.push([id, `${name}-${id}`]);
    await db.query(`INSERT INTO rn.${name} VALUES ?`, [values]);
  }
}

/** A task over one table, writing to its own stream. */
async function taskFor(name: string, type: 'full-load' | 'cdc' = 'full-load') {
  const stream = uniqueName(name);
  await createStream(kinesis(), stream, 1);
  const target = (await createKinesisTarget(stack.dms, uniqueName('tgt'), stream)).EndpointArn!;
  const task = await createTask(stack.dms, { id: uniqueName(name), source, target, instance, type, mappings: selectionMappings('rn', name) });
  await waitForStatus(stack.dms, task.ReplicationTaskArn!, ['ready']);
  return { arn: task.ReplicationTaskArn!, stream, table: name };
}

/** Copies of each id among the load records. */
function loadCounts(records: ParsedRecord[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const r of records) if (r.json.metadata.operation === 'load') counts.set(r.json.data!.id as number, (counts.get(r.json.data!.id as number) ?? 0) + 1);
  return counts;
}

function idsNotSeen(counts: Map<number, number>, rows: number, exactlyOnce: boolean): number[] {
  const wrong: number[] = [];
  for (let id = 1; id <= rows; id++) {
    const c = counts.get(id) ?? 0;
    if (exactlyOnce ? c !== 1 : c < 1) wrong.push(id);
  }
  return wrong;
}

/** Owners that logged `message` for the task. */
function ownersLogging(message: string, arn: string, among: RunnerProcess[]): string[] {
  return among.flatMap((r) => r.logs().filter((l) => l.message === message && l.taskArn === arn).map(() => r.owner));
}

describe('runners', () => {
  it('two runners, six tasks: each task runs on exactly one runner and delivers its rows once', async () => {
    const ROWS = 1000;
    // Long leases: under a loaded machine a short one could lapse and legitimately move a task.
    const pair = await Promise.all([runner('runner-a', 10_000), runner('runner-b', 10_000)]);
    const names = ['s1', 's2', 's3', 's4', 's5', 's6'];
    await Promise.all(names.map((n) => table(n, ROWS)));
    const tasks = await Promise.all(names.map((n) => taskFor(n)));
    await Promise.all(tasks.map((t) => startTask(stack.dms, t.arn)));
    for (const t of tasks) {
      const done = await waitForStatus(stack.dms, t.arn, ['stopped', 'failed'], 60_000);
      expect([t.table, done.Status, done.StopReason, done.LastFailureMessage]).toEqual([t.table, 'stopped', 'Stop Reason FULL_LOAD_ONLY_FINISHED', undefined]);
    }
    for (const t of tasks) {
      const records = parseRecords(await readAllRecords(kinesis(), t.stream));
      expect(summary(records).filter((s) => !s.startsWith('load'))).toEqual([`drop-table rn.${t.table}`, `create-table rn.${t.table}`]);
      expect(records.every((r) => r.json.metadata['table-name'] === t.table)).toBe(true);
      expect(records).toHaveLength(ROWS + 2);
      expect(idsNotSeen(loadCounts(records), ROWS, true)).toEqual([]);
      const stats = await tableStatistics(stack.dms, t.arn);
      expect(stats.map((s) => [s.TableName, s.FullLoadRows, s.TableState])).toEqual([[t.table, ROWS, 'Table completed']]);
      // Claimed once, by one runner, which also finished it.
      const claimedBy = ownersLogging('task claimed', t.arn, pair);
      expect(claimedBy).toHaveLength(1);
      expect(ownersLogging('task finished', t.arn, pair)).toEqual(claimedBy);
    }
    await Promise.all(pair.map((r) => r.stop()));
  });

  it('a killed runner’s tasks finish on another runner after the lease expires', async () => {
    const ROWS = 20_000;
    const victim = await runner('victim', 3000);
    await Promise.all([table('k1', ROWS), table('k2', ROWS)]);
    const tasks = await Promise.all([taskFor('k1'), taskFor('k2')]);
    await Promise.all(tasks.map((t) => startTask(stack.dms, t.arn)));
    // Both tasks are loading on the victim.
    await waitUntil('both tasks loading', async () => {
      const stats = await Promise.all(tasks.map((t) => tableStatistics(stack.dms, t.arn).catch(() => [])));
      return stats.every((s) => (s[0]?.FullLoadRows ?? 0) > 0);
    });
    for (const t of tasks) expect(ownersLogging('task claimed', t.arn, [victim])).toEqual(['victim']);
    victim.kill('SIGKILL');
    expect((await victim.waitExit()).signal).toBe('SIGKILL');
    for (const t of tasks) expect((await tableStatistics(stack.dms, t.arn))[0]!.TableState).toBe('Full load');

    const survivor = await runner('survivor', 3000);
    // Stopped however this test ends: a survivor left running would take the next test's task.
    onTestFinished(() => survivor.stop());
    for (const t of tasks) {
      const done = await waitForStatus(stack.dms, t.arn, ['stopped', 'failed'], 60_000);
      expect([t.table, done.Status, done.StopReason, done.LastFailureMessage]).toEqual([t.table, 'stopped', 'Stop Reason FULL_LOAD_ONLY_FINISHED', undefined]);
      expect(done.ReplicationTaskStats).toMatchObject({ FullLoadProgressPercent: 100, TablesLoaded: 1 });
      expect(ownersLogging('task claimed', t.arn, [survivor])).toEqual(['survivor']);
      // Its log line may reach us just after the status it wrote.
      await waitUntil('the survivor to log the finished task', () => ownersLogging('task finished', t.arn, [survivor]).length > 0, 15_000).catch(() => undefined);
      expect(ownersLogging('task finished', t.arn, [survivor])).toEqual(['survivor']);
      const stats = await tableStatistics(stack.dms, t.arn);
      expect(stats.map((s) => [s.TableName, s.FullLoadRows, s.TableState])).toEqual([[t.table, ROWS, 'Table completed']]);
      const records = parseRecords(await readAllRecords(kinesis(), t.stream));
      expect(idsNotSeen(loadCounts(records), ROWS, false)).toEqual([]);
      expect(records.every((r) => r.json.metadata['table-name'] === t.table)).toBe(true);
      // The survivor loaded the table again from the start: its own drop/create pair comes last.
      expect(summary(records).filter((s) => !s.startsWith('load')).slice(-2)).toEqual([`drop-table rn.${t.table}`, `create-table rn.${t.table}`]);
    }
  });

  it('StopReplicationTask reaches the runner process that owns the task', async () => {
    const owner = await runner('stopper', 3000);
    await table('c1', 1);
    const t = await taskFor('c1', 'cdc');
    await startTask(stack.dms, t.arn);
    await waitForStatus(stack.dms, t.arn, ['running']);
    await waitUntil('the runner to claim the task', async () => ownersLogging('task claimed', t.arn, [owner]).length > 0, 30_000);
    await stack.dms.send(new StopReplicationTaskCommand({ ReplicationTaskArn: t.arn }));
    const done = await waitForStatus(stack.dms, t.arn, ['stopped', 'failed'], 30_000);
    expect([done.Status, done.StopReason, done.LastFailureMessage]).toEqual(['stopped', 'Stop Reason NORMAL', undefined]);
    // The runner itself stopped it (not a lease expiry settling a stop nobody heard).
    // Its log line may reach us just after the status it wrote.
    const finishedLines = () => owner.logs().filter((l) => l.message === 'task finished' && l.taskArn === t.arn);
    await waitUntil('the runner to log the finished task', async () => finishedLines().length > 0, 15_000).catch(() => undefined);
    const finished = finishedLines();
    expect(finished.map((l) => [l.outcome, l.stopReason])).toEqual([['stopped', 'Stop Reason NORMAL']]);
  });
});
