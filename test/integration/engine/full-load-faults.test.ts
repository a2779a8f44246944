import { randomBytes } from 'node:crypto';
import { StopReplicationTaskCommand } from '@aws-sdk/client-database-migration-service';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from '../../support/dms.js';
import { createStream, freePort, readAllRecords, startFaultyKinesisProxy, type FaultyProxy } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startRunnerProcess, type RunnerProcess } from '../../support/runner-process.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { parseRecords, startTask, summary, tableStatistics, waitForStatus, type ParsedRecord, loadCounts } from '../../support/task-flow.js';

// Full load under faults: throttled PutRecords entries, a stop in the middle of a table and a
// resume, a record over the Kinesis 1 MiB limit, a missing stream, an unreachable source, and a
// reload. The API runs here; runners run in their own processes.

let stack: TestStack;
let db: MariaDb;
let source: string;
let instance: string;
const kinesis = () => inject('kinesisEndpoint');

beforeAll(async () => {
  process.env.DMSLITE_SECRET_KEY = randomBytes(32).toString('hex');
  [stack, db] = await Promise.all([startTestStack({ runner: false }), startMariaDb()]);
  source = (await createMySqlSource(stack.dms, 'src', { port: db.port, ...db.dmsUser })).EndpointArn!;
  instance = (await createInstance(stack.dms, 'inst')).ReplicationInstanceArn!;
});
afterAll(async () => {
  await Promise.all([stack?.stop(), db?.stop()]);
});

/** Inserts rows 1..count as `(id, 'v<id>')` with multi-row INSERTs. */
async function fill(table: string, count: number, value = (id: number) => `v${id}`) {
  for (let start = 1; start <= count; start += 5000) {
    const rows = [];
    for (let id = start; id < start + 5000 && id <= count; id++) rows.push([id, value(id)]);
    await db.query(`INSERT INTO ${table} VALUES ?`, [rows]);
  }
}

async function newTask(
  mappings: string,
  opts: { stream?: string; shards?: number; settings?: unknown; source?: string; type?: 'full-load' | 'full-load-and-cdc' } = {},
) {
  const stream = opts.stream ?? uniqueName('flt');
  if (!opts.stream) await createStream(kinesis(), stream, opts.shards ?? 1);
  const target = (await createKinesisTarget(stack.dms, uniqueName('tgt'), stream)).EndpointArn!;
  const task = await createTask(stack.dms, { id: uniqueName('task'), source: opts.source ?? source, target, instance, type: opts.type, mappings, settings: opts.settings });
  await waitForStatus(stack.dms, task.ReplicationTaskArn!, ['ready']);
  return { arn: task.ReplicationTaskArn!, stream };
}

/** Stops the task once table `done` is completed and table `loading` has started (bounded wait). */
async function stopWhileLoading(arn: string, done: string, loading: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const stats = await tableStatistics(stack.dms, arn).catch(() => []);
    const first = stats.find((s) => s.TableName === done);
    const second = stats.find((s) => s.TableName === loading);
    if (first?.TableState === 'Table completed' && (second?.FullLoadRows ?? 0) > 0) break;
    if (Date.now() > deadline) throw new Error(`${loading} never started loading: ${JSON.stringify(stats)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await stack.dms.send(new StopReplicationTaskCommand({ ReplicationTaskArn: arn }));
}

/** Ids 1..n that are not present exactly `times` times (or at least once when times = 'atLeastOnce'). */
function wrongIds(counts: Map<number, number>, n: number, times: number | 'atLeastOnce'): number[] {
  const wrong: number[] = [];
  for (let id = 1; id <= n; id++) {
    const c = counts.get(id) ?? 0;
    if (times === 'atLeastOnce' ? c < 1 : c !== times) wrong.push(id);
  }
  for (const id of counts.keys()) if (id < 1 || id > n) wrong.push(id);
  return wrong;
}

/**
 * Per partition key, the records in stream order with only the LAST copy of each distinct
 * record kept: after retries, that sequence must be the order the source produced.
 */
function lastCopiesByKey(records: ParsedRecord[], identity: (r: ParsedRecord) => string): Map<string, string[]> {
  const byKey = new Map<string, string[]>();
  for (const r of records) byKey.set(r.partitionKey, [...(byKey.get(r.partitionKey) ?? []), identity(r)]);
  const out = new Map<string, string[]>();
  for (const [key, ids] of byKey) out.set(key, ids.filter((id, i) => ids.indexOf(id, i + 1) === -1));
  return out;
}

// Rows of a table without primary key share one partition key: the sink sends few of them per
// call while they are throttled, so keep that table small.
const NOPK_ROWS = 100;
const BIG_ROWS = 30_000;

describe('throttled PutRecords entries (30 % refused by a proxy in front of kinesalite)', () => {
  let proxy: FaultyProxy;
  let runner: RunnerProcess;
  beforeAll(async () => {
    proxy = await startFaultyKinesisProxy(kinesis(), { failRatio: 0.3, seed: 7 });
    runner = await startRunnerProcess({ table: stack.tableName, kinesisEndpoint: proxy.endpoint });
    await db.query('CREATE DATABASE fa');
    await db.query('CREATE TABLE fa.rows (id INT PRIMARY KEY, v VARCHAR(32))');
    // No primary key: every row has the partition key `fa.nopk`, so their order is observable.
    await db.query('CREATE TABLE fa.nopk (id INT NOT NULL, v VARCHAR(32))');
    await fill('fa.rows', 20_000);
    await fill('fa.nopk', NOPK_ROWS);
  });
  afterAll(async () => {
    await runner?.stop();
    await proxy?.stop();
  });

  it('loses nothing, keeps every key’s order and counts every row once', async () => {
    const { arn, stream } = await newTask(selectionMappings('fa'), { shards: 2 });
    await startTask(stack.dms, arn);
    const done = await waitForStatus(stack.dms, arn, ['stopped', 'failed'], 80_000);
    expect(done.LastFailureMessage).toBeUndefined();
    expect([done.Status, done.StopReason]).toEqual(['stopped', 'Stop Reason FULL_LOAD_ONLY_FINISHED']);
    expect(done.ReplicationTaskStats).toMatchObject({ FullLoadProgressPercent: 100, TablesLoaded: 2, TablesErrored: 0 });
    const stats = await tableStatistics(stack.dms, arn);
    expect(stats.map((s) => [s.TableName, s.FullLoadRows, s.FullLoadErrorRows, s.TableState])).toEqual([
      ['nopk', NOPK_ROWS, 0, 'Table completed'],
      ['rows', 20_000, 0, 'Table completed'],
    ]);
    // The proxy really refused entries, and the runner went through it.
    expect(proxy.stats.injectedEntryFailures).toBeGreaterThan(1000);
    expect(runner.logs().some((l) => l.message === 'task claimed' && l.taskArn === arn)).toBe(true);

    const records = parseRecords(await readAllRecords(kinesis(), stream));
    // A refused entry never reaches the stream, so a primary key (unique per record) arrives exactly once.
    expect(wrongIds(loadCounts(records, 'rows'), 20_000, 1)).toEqual([]);
    // Rows without a primary key share one key: copies of an accepted record may be resent to keep
    // the order, but the last copies are in source order and nothing is missing.
    const nopk = loadCounts(records, 'nopk');
    expect(wrongIds(nopk, NOPK_ROWS, 'atLeastOnce')).toEqual([]);
    const taskId = arn.split(':').pop()!;
    const last = lastCopiesByKey(records, (r) => (r.json.metadata.operation === 'load' ? `load ${r.json.data!.id}` : String(r.json.metadata.operation)));
    expect(last.get('fa.nopk')).toEqual(Array.from({ length: NOPK_ROWS }, (_, i) => `load ${i + 1}`));
    expect(last.get(`${taskId}.fa.rows`)).toEqual(['drop-table', 'create-table']);
    expect(last.get(`${taskId}.fa.nopk`)).toEqual(['drop-table', 'create-table']);
    // Every record of the stream is one of those (nothing foreign, nothing malformed).
    expect(records.filter((r) => r.json.metadata['schema-name'] !== 'fa')).toEqual([]);
  });
});

describe('with a runner process talking to kinesalite directly', () => {
  let runner: RunnerProcess;
  beforeAll(async () => {
    // A short heartbeat: statistics show up and stop requests land within 200 ms, well inside a table's load.
    runner = await startRunnerProcess({ table: stack.tableName, heartbeatMs: 200 });
  });
  afterAll(async () => {
    await runner?.stop();
  });

  it('a stop during a table’s load stops NORMAL; resume-processing loads the rest and finishes', async () => {
    await db.query('CREATE DATABASE fb');
    await db.query('CREATE TABLE fb.a_small (id INT PRIMARY KEY, v VARCHAR(32))');
    await db.query('CREATE TABLE fb.b_big (id INT PRIMARY KEY, v VARCHAR(32))');
    await fill('fb.a_small', 1000);
    await fill('fb.b_big', BIG_ROWS);
    // One table at a time, a_small first (tables load in name order).
    const { arn, stream } = await newTask(selectionMappings('fb'), { shards: 2, settings: { FullLoadSettings: { MaxFullLoadSubTasks: 1 } } });
    await startTask(stack.dms, arn);

    await stopWhileLoading(arn, 'a_small', 'b_big');
    const stopped = await waitForStatus(stack.dms, arn, ['stopped', 'failed']);
    expect([stopped.Status, stopped.StopReason]).toEqual(['stopped', 'Stop Reason NORMAL']);
    expect(stopped.ReplicationTaskStats).toMatchObject({ TablesLoaded: 1 });
    expect(stopped.ReplicationTaskStats!.FullLoadProgressPercent).toBeLessThan(100);
    const mid = await tableStatistics(stack.dms, arn);
    expect(mid.map((s) => [s.TableName, s.TableState])).toEqual([
      ['a_small', 'Table completed'],
      ['b_big', 'Before load'],
    ]);
    const partial = loadCounts(parseRecords(await readAllRecords(kinesis(), stream)), 'b_big');
    expect(partial.size).toBeGreaterThan(0);
    expect(partial.size).toBeLessThan(BIG_ROWS);

    await startTask(stack.dms, arn, 'resume-processing');
    const done = await waitForStatus(stack.dms, arn, ['stopped', 'failed'], 60_000);
    expect([done.Status, done.StopReason, done.LastFailureMessage]).toEqual(['stopped', 'Stop Reason FULL_LOAD_ONLY_FINISHED', undefined]);
    expect(done.ReplicationTaskStats).toMatchObject({ FullLoadProgressPercent: 100, TablesLoaded: 2, TablesLoading: 0, TablesQueued: 0 });
    const stats = await tableStatistics(stack.dms, arn);
    expect(stats.map((s) => [s.TableName, s.FullLoadRows, s.TableState])).toEqual([
      ['a_small', 1000, 'Table completed'],
      ['b_big', BIG_ROWS, 'Table completed'],
    ]);

    const records = parseRecords(await readAllRecords(kinesis(), stream));
    // a_small finished before the stop: not loaded again.
    expect(wrongIds(loadCounts(records, 'a_small'), 1000, 1)).toEqual([]);
    expect(summary(records).filter((s) => s.endsWith('a_small') && !s.startsWith('load'))).toEqual(['drop-table fb.a_small', 'create-table fb.a_small']);
    // b_big: every row at least once (the interrupted load's rows come again).
    expect(wrongIds(loadCounts(records, 'b_big'), BIG_ROWS, 'atLeastOnce')).toEqual([]);
    expect(summary(records).filter((s) => s.endsWith('b_big') && !s.startsWith('load'))).toEqual([
      'drop-table fb.b_big', 'create-table fb.b_big', 'drop-table fb.b_big', 'create-table fb.b_big',
    ]);
  });

  it('full-load-and-cdc stopped during the load: after resume, CDC also covers the tables loaded before the stop', async () => {
    await db.query('CREATE DATABASE fg');
    await db.query('CREATE TABLE fg.a_small (id INT PRIMARY KEY, v VARCHAR(32))');
    await db.query('CREATE TABLE fg.b_big (id INT PRIMARY KEY, v VARCHAR(32))');
    await fill('fg.a_small', 100);
    await fill('fg.b_big', BIG_ROWS);
    const { arn, stream } = await newTask(selectionMappings('fg'), {
      shards: 2,
      type: 'full-load-and-cdc',
      settings: { FullLoadSettings: { MaxFullLoadSubTasks: 1 } },
    });
    await startTask(stack.dms, arn);
    await stopWhileLoading(arn, 'a_small', 'b_big');
    const stopped = await waitForStatus(stack.dms, arn, ['stopped', 'failed']);
    expect([stopped.Status, stopped.StopReason]).toEqual(['stopped', 'Stop Reason NORMAL']);

    // Changed while the task is stopped: a_small's snapshot is older than this, b_big's next one newer.
    await db.query("INSERT INTO fg.a_small VALUES (1001, 'while stopped')");
    await startTask(stack.dms, arn, 'resume-processing');
    await waitForStatus(stack.dms, arn, ['running']);
    await db.query("INSERT INTO fg.a_small VALUES (1002, 'after resume')");
    // Same table, same partition key, binlog order: once 1002 is there, 1001 was read before it.
    const inserts = async () =>
      parseRecords(await readAllRecords(kinesis(), stream))
        .filter((r) => r.json.metadata.operation === 'insert')
        .map((r) => `${r.json.metadata['table-name']} ${r.json.data!.id}`);
    const deadline = Date.now() + 60_000;
    while (!(await inserts()).includes('a_small 1002')) {
      const task = await waitForStatus(stack.dms, arn, ['running', 'stopped', 'failed']);
      if (task.Status !== 'running' || Date.now() > deadline) throw new Error(`no CDC record for a_small 1002 (task ${task.Status} ${task.LastFailureMessage ?? ''})`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await inserts()).toEqual(['a_small 1001', 'a_small 1002']);
    expect(wrongIds(loadCounts(parseRecords(await readAllRecords(kinesis(), stream)), 'b_big'), BIG_ROWS, 'atLeastOnce')).toEqual([]);
    await stack.dms.send(new StopReplicationTaskCommand({ ReplicationTaskArn: arn }));
    const end = await waitForStatus(stack.dms, arn, ['stopped', 'failed']);
    expect([end.Status, end.StopReason, end.LastFailureMessage]).toEqual(['stopped', 'Stop Reason NORMAL', undefined]);
  });

  it('a record over 1 MiB puts its table in error; other rows and tables are delivered', async () => {
    await db.query('CREATE DATABASE fc');
    await db.query('CREATE TABLE fc.lob (id INT PRIMARY KEY, body LONGTEXT)');
    await db.query('CREATE TABLE fc.plain (id INT PRIMARY KEY, v VARCHAR(32))');
    await db.query("INSERT INTO fc.lob VALUES (1, 'a'), (2, 'b'), (3, REPEAT('x', 1500000)), (4, 'd'), (5, 'e')");
    await fill('fc.plain', 3);
    const { arn, stream } = await newTask(selectionMappings('fc'));
    await startTask(stack.dms, arn);
    const done = await waitForStatus(stack.dms, arn, ['stopped', 'failed']);
    expect([done.Status, done.StopReason, done.LastFailureMessage]).toEqual(['stopped', 'Stop Reason FULL_LOAD_ONLY_FINISHED', undefined]);
    expect(done.ReplicationTaskStats).toMatchObject({ FullLoadProgressPercent: 100, TablesLoaded: 1, TablesErrored: 1, TablesLoading: 0, TablesQueued: 0 });
    const stats = await tableStatistics(stack.dms, arn);
    expect(stats.map((s) => [s.TableName, s.FullLoadRows, s.FullLoadErrorRows, s.TableState])).toEqual([
      ['lob', 4, 1, 'Table error'],
      ['plain', 3, 0, 'Table completed'],
    ]);
    const records = parseRecords(await readAllRecords(kinesis(), stream));
    const loads = (t: string) =>
      records
        .filter((r) => r.json.metadata.operation === 'load' && r.json.metadata['table-name'] === t)
        .map((r) => r.json.data!)
        .sort((a, b) => (a.id as number) - (b.id as number));
    expect(loads('lob')).toEqual([{ id: 1, body: 'a' }, { id: 2, body: 'b' }, { id: 4, body: 'd' }, { id: 5, body: 'e' }]);
    expect(loads('plain')).toEqual([{ id: 1, v: 'v1' }, { id: 2, v: 'v2' }, { id: 3, v: 'v3' }]);
    expect(records.every((r) => Buffer.byteLength(r.text) < 1024 * 1024)).toBe(true);
  });

  it('a missing Kinesis stream fails the task, naming the stream', async () => {
    await db.query('CREATE DATABASE IF NOT EXISTS fd');
    await db.query('CREATE TABLE fd.t (id INT PRIMARY KEY)');
    await db.query('INSERT INTO fd.t VALUES (1)');
    const missing = uniqueName('no-such-stream');
    const { arn } = await newTask(selectionMappings('fd'), { stream: missing });
    await startTask(stack.dms, arn);
    const done = await waitForStatus(stack.dms, arn, ['stopped', 'failed']);
    expect(done.Status).toBe('failed');
    expect(done.LastFailureMessage).toContain(missing);
    expect(await tableStatistics(stack.dms, arn).then((s) => s.filter((x) => x.FullLoadRows! > 0))).toEqual([]);
  });

  it('an unreachable source fails the task, naming host:port', async () => {
    const port = await freePort(); // nothing listens there
    const closed = (await createMySqlSource(stack.dms, uniqueName('closed'), { port, ...db.dmsUser })).EndpointArn!;
    const { arn, stream } = await newTask(selectionMappings('fd'), { source: closed });
    await startTask(stack.dms, arn);
    const done = await waitForStatus(stack.dms, arn, ['stopped', 'failed']);
    expect(done.Status).toBe('failed');
    expect(done.LastFailureMessage).toContain(`127.0.0.1:${port}`);
    expect(await readAllRecords(kinesis(), stream)).toEqual([]);
  });

  it('reload-target after a finished load reloads every table (FullLoadReloaded)', async () => {
    await db.query('CREATE DATABASE fe');
    await db.query('CREATE TABLE fe.r1 (id INT PRIMARY KEY, v VARCHAR(32))');
    await db.query('CREATE TABLE fe.r2 (id INT PRIMARY KEY, v VARCHAR(32))');
    await fill('fe.r1', 3);
    await fill('fe.r2', 2);
    const { arn, stream } = await newTask(selectionMappings('fe'));
    await startTask(stack.dms, arn);
    const first = await waitForStatus(stack.dms, arn, ['stopped', 'failed']);
    expect([first.Status, first.StopReason]).toEqual(['stopped', 'Stop Reason FULL_LOAD_ONLY_FINISHED']);
    expect((await tableStatistics(stack.dms, arn)).map((s) => [s.TableName, s.FullLoadRows, s.TableState, s.FullLoadReloaded ?? false])).toEqual([
      ['r1', 3, 'Table completed', false],
      ['r2', 2, 'Table completed', false],
    ]);

    await startTask(stack.dms, arn, 'reload-target');
    const second = await waitForStatus(stack.dms, arn, ['stopped', 'failed']);
    expect([second.Status, second.StopReason]).toEqual(['stopped', 'Stop Reason FULL_LOAD_ONLY_FINISHED']);
    expect(second.ReplicationTaskStats).toMatchObject({ FullLoadProgressPercent: 100, TablesLoaded: 2 });
    expect((await tableStatistics(stack.dms, arn)).map((s) => [s.TableName, s.FullLoadRows, s.TableState, s.FullLoadReloaded])).toEqual([
      ['r1', 3, 'Table completed', true],
      ['r2', 2, 'Table completed', true],
    ]);
    const records = parseRecords(await readAllRecords(kinesis(), stream));
    const once = (t: string, n: number) => [`drop-table fe.${t}`, `create-table fe.${t}`, ...Array.from({ length: n }, () => `load fe.${t}`)];
    expect(summary(records).filter((s) => s.endsWith('.r1'))).toEqual([...once('r1', 3), ...once('r1', 3)]);
    expect(summary(records).filter((s) => s.endsWith('.r2'))).toEqual([...once('r2', 2), ...once('r2', 2)]);
    expect(wrongIds(loadCounts(records, 'r1'), 3, 2)).toEqual([]);

    // resume-processing of a finished full load: nothing left to load, it stops again at once.
    await startTask(stack.dms, arn, 'resume-processing');
    const third = await waitForStatus(stack.dms, arn, ['stopped', 'failed']);
    expect([third.Status, third.StopReason, third.LastFailureMessage]).toEqual(['stopped', 'Stop Reason FULL_LOAD_ONLY_FINISHED', undefined]);
    expect(third.ReplicationTaskStats).toMatchObject({ FullLoadProgressPercent: 100, TablesLoaded: 2 });
    expect(await readAllRecords(kinesis(), stream)).toHaveLength(records.length);
  });
});
