import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from '../../support/dms.js';
import { createStream, readAllRecords } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { describeTask, parseRecords, startTask, summary, tableStatistics, waitForStatus, type ParsedRecord, stopTaskAndWait } from '../../support/task-flow.js';
import { seededRandom as random } from '../../support/random.js';

// full-load-and-cdc while the source keeps changing: every row's history after its table's
// snapshot arrives exactly once, after the table's load records, and replaying the stream gives
// the source tables. Plus StopTaskCachedChangesNotApplied / StopTaskCachedChangesApplied.

let stack: TestStack;
let db: MariaDb;
let source: string;
let instance: string;
const kinesis = () => inject('kinesisEndpoint');
const stopTask = (arn: string) => stopTaskAndWait(stack.dms, arn);

/** Every table: id (never reused), ver (+1 on every update), val. */
const COLUMNS = '(id INT PRIMARY KEY, ver INT NOT NULL, val VARCHAR(40))';
const SENTINEL = 9_000_000;

beforeAll(async () => {
  [stack, db] = await Promise.all([startTestStack({ runner: true }), startMariaDb()]);
  source = (await createMySqlSource(stack.dms, 'src', { port: db.port, ...db.dmsUser })).EndpointArn!;
  instance = (await createInstance(stack.dms, 'inst')).ReplicationInstanceArn!;
});
afterAll(async () => {
  await Promise.all([stack?.stop(), db?.stop()]);
});

async function createTables(schema: string, rows: Record<string, number>) {
  await db.query(`CREATE DATABASE ${schema}`);
  for (const [table, n] of Object.entries(rows)) {
    await db.query(`CREATE TABLE ${schema}.${table} ${COLUMNS}`);
    if (n > 0) await db.query(`INSERT INTO ${schema}.${table} SELECT seq, 0, CONCAT('v', seq) FROM ${schema}.seq_1_to_${n}`);
  }
}

async function createLoad(schema: string, settings?: unknown, kinesisSettings: Record<string, unknown> = {}) {
  const stream = uniqueName('flc');
  await createStream(kinesis(), stream, 1);
  const target = (await createKinesisTarget(stack.dms, uniqueName('tgt'), stream, kinesisSettings)).EndpointArn!;
  const task = await createTask(stack.dms, { id: uniqueName('task'), source, target, instance, type: 'full-load-and-cdc', mappings: selectionMappings(schema), settings });
  const arn = task.ReplicationTaskArn!;
  await waitForStatus(stack.dms, arn, ['ready']);
  return { arn, stream };
}

async function startLoad(schema: string, settings?: unknown) {
  const t = await createLoad(schema, settings);
  await startTask(stack.dms, t.arn);
  return t;
}

/** Reads the stream until `done` holds (bounded wait), then once more after a pause to catch extras. */
async function readUntil(stream: string, done: (records: ParsedRecord[]) => boolean, timeoutMs = 60_000): Promise<ParsedRecord[]> {
  const deadline = Date.now() + timeoutMs;
  let records = parseRecords(await readAllRecords(kinesis(), stream));
  while (!done(records) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    records = parseRecords(await readAllRecords(kinesis(), stream));
  }
  await new Promise((r) => setTimeout(r, 500));
  return parseRecords(await readAllRecords(kinesis(), stream));
}

/** Polls the task (bounded) until `done` holds for it; fails at once if the task failed. */
async function waitForTask(arn: string, done: (t: Awaited<ReturnType<typeof describeTask>>) => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = await describeTask(stack.dms, arn);
    if (t.Status === 'failed') throw new Error(`task failed: ${t.LastFailureMessage}`);
    if (done(t)) return t;
    if (Date.now() > deadline) throw new Error(`task did not get there in time: ${JSON.stringify(t.ReplicationTaskStats)} ${t.Status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sentinelsArrived = (tables: string[]) => (records: ParsedRecord[]) =>
  tables.every((t) => records.some((r) => r.json.metadata.operation === 'insert' && r.json.metadata['table-name'] === t && r.json.data!.id === SENTINEL));

/**
 * A writer on its own connection: single-row inserts, updates and deletes, multi-row updates and
 * multi-statement transactions over several tables, until stopped.
 */
async function startWriter(schema: string, tables: string[], maxId: number, seed: number) {
  const conn = await mysql.createConnection({ host: '127.0.0.1', port: db.port, user: 'root', password: '' });
  const r = random(seed);
  let nextId = 1_000_000;
  let changes = 0;
  let stopped = false;
  const pick = () => `${schema}.${tables[Math.floor(r() * tables.length)]}`;
  const anyId = () => 1 + Math.floor(r() * maxId);
  const one = async () => {
    const x = r();
    const table = pick();
    if (x < 0.35) await conn.query(`UPDATE ${table} SET ver = ver + 1, val = ? WHERE id = ?`, [`u${changes}`, anyId()]);
    else if (x < 0.6) await conn.query(`INSERT INTO ${table} VALUES (?, 0, ?)`, [nextId++, `i${changes}`]);
    else if (x < 0.7) await conn.query(`DELETE FROM ${table} WHERE id = ?`, [anyId()]);
    else {
      const from = anyId();
      await conn.query(`UPDATE ${table} SET ver = ver + 1, val = ? WHERE id BETWEEN ? AND ?`, [`m${changes}`, from, from + 4]);
    }
    changes++;
  };
  const loop = (async () => {
    while (!stopped) {
      if (r() < 0.2) {
        await conn.query('BEGIN');
        const n = 2 + Math.floor(r() * 4);
        for (let i = 0; i < n; i++) await one();
        await conn.query('COMMIT');
      } else {
        await one();
      }
    }
  })();
  return {
    get changes() {
      return changes;
    },
    /** Runs `more` further changes, then stops. */
    async stopAfter(more: number) {
      const target = changes + more;
      while (changes < target) await new Promise((res) => setTimeout(res, 10));
      stopped = true;
      await loop;
      await conn.end();
    },
  };
}

interface Row {
  id: number;
  ver: number;
  val: string;
}

/**
 * Replays one table's records in stream order. Ids are never reused and every update adds 1 to
 * `ver`, so the history of each row after the load must be a gapless chain: anything lost,
 * duplicated, replayed from before the snapshot or out of order breaks it.
 */
function replay(records: ParsedRecord[]): { state: Map<number, Row>; violations: string[]; loads: number; changes: number } {
  const state = new Map<number, Row>();
  const gone = new Set<number>();
  const violations: string[] = [];
  let loads = 0;
  let changes = 0;
  let cdcStarted = false;
  for (const r of records) {
    const op = r.json.metadata.operation as string;
    if (r.json.metadata['record-type'] !== 'data') continue;
    const row = r.json.data as unknown as Row;
    const cur = state.get(row.id);
    const where = `${op} ${JSON.stringify(row)} (current ${JSON.stringify(cur ?? null)})`;
    if (op === 'load') {
      loads++;
      if (cdcStarted) violations.push(`load after a change: ${where}`);
      if (cur) violations.push(`loaded twice: ${where}`);
      state.set(row.id, row);
      continue;
    }
    cdcStarted = true;
    changes++;
    if (gone.has(row.id)) violations.push(`change of a deleted row: ${where}`);
    else if (op === 'insert') {
      if (cur || row.ver !== 0) violations.push(`insert of an existing row: ${where}`);
      state.set(row.id, row);
    } else if (op === 'update') {
      if (!cur || row.ver !== cur.ver + 1) violations.push(`update out of sequence: ${where}`);
      state.set(row.id, row);
    } else if (op === 'delete') {
      if (!cur || JSON.stringify(row) !== JSON.stringify(cur)) violations.push(`delete of another row image: ${where}`);
      state.delete(row.id);
      gone.add(row.id);
    }
  }
  return { state, violations: violations.slice(0, 10), loads, changes };
}

async function sourceRows(schema: string, table: string): Promise<Row[]> {
  return db.query<Row[]>(`SELECT id, ver, val FROM ${schema}.${table} ORDER BY id`);
}

/** Checks every table of a full-load-and-cdc stream against the source; returns per-table load and change counts. */
async function verify(schema: string, tables: string[], records: ParsedRecord[]) {
  const counts: Record<string, { loads: number; changes: number }> = {};
  for (const table of tables) {
    const own = records.filter((r) => r.json.metadata['table-name'] === table);
    // DROP_AND_CREATE announcements first, then the load, then the changes.
    expect(summary(own.slice(0, 2))).toEqual([`drop-table ${schema}.${table}`, `create-table ${schema}.${table}`]);
    const { state, violations, loads, changes } = replay(own);
    expect(violations).toEqual([]);
    expect([...state.values()].sort((a, b) => a.id - b.id)).toEqual(await sourceRows(schema, table));
    counts[table] = { loads, changes };
  }
  return counts;
}

describe('full-load-and-cdc', () => {
  it('a writer busy during the whole load: the stream replays to the source tables, nothing lost or doubled', async () => {
    const tables = ['m1', 'm2', 'm3'];
    await createTables('busy', { m1: 8000, m2: 7000, m3: 5000 });
    const writer = await startWriter('busy', tables, 8000, 42);
    const before = writer.changes;
    const { arn, stream } = await startLoad('busy');
    await waitForTask(arn, (t) => t.Status === 'running' && t.ReplicationTaskStats?.FullLoadProgressPercent === 100);
    const duringLoad = writer.changes - before;
    await writer.stopAfter(300);
    for (const t of tables) await db.query(`INSERT INTO busy.${t} VALUES (${SENTINEL}, 0, 'sentinel')`);
    const records = await readUntil(stream, sentinelsArrived(tables));

    const counts = await verify('busy', tables, records);
    expect((await describeTask(stack.dms, arn)).Status).toBe('running');
    // Statistics are persisted on heartbeats; a stop persists them all.
    expect((await stopTask(arn)).StopReason).toBe('Stop Reason NORMAL');
    const stats = await tableStatistics(stack.dms, arn);
    for (const table of tables) {
      const s = stats.find((x) => x.TableName === table)!;
      expect(counts[table].loads).toBe(s.FullLoadRows);
      expect(counts[table].changes).toBe(s.Inserts! + s.Updates! + s.Deletes!);
      expect(s.TableState).toBe('Table completed');
    }
    // The writer really ran through the load, and its changes after each table's snapshot arrived.
    expect(duringLoad).toBeGreaterThan(0);
    expect(tables.every((t) => counts[t].changes > 0)).toBe(true);
    // full-load-and-cdc announces only the exceptions table when CDC starts.
    expect(summary(records).filter((s) => s.includes('awsdms_apply_exceptions'))).toEqual(['create-table .awsdms_apply_exceptions']);
  });

  it('a binlog rotation between two tables\' snapshots: the first transaction of the new file is captured', async () => {
    // r1's snapshot is in the old binlog file; r2's at the start of the new one, before any transaction.
    await createTables('rot', { r1: 10, r2: 10 });
    const { arn, stream } = await createLoad('rot', { FullLoadSettings: { MaxFullLoadSubTasks: 1 } });
    const lock = await mysql.createConnection({ host: '127.0.0.1', port: db.port, user: 'root', password: '' });
    try {
      await lock.query('LOCK TABLES rot.r1 WRITE');
      await startTask(stack.dms, arn);
      const deadline = Date.now() + 60_000;
      while ((await tableStatistics(stack.dms, arn)).find((s) => s.TableName === 'r1')?.TableState !== 'Full load') {
        if (Date.now() > deadline) throw new Error('the load did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
      await db.query('FLUSH BINARY LOGS');
    } finally {
      await lock.query('UNLOCK TABLES');
      await lock.end();
    }
    await waitForTask(arn, (t) => t.Status === 'running' && t.ReplicationTaskStats?.FullLoadProgressPercent === 100);
    await db.query("INSERT INTO rot.r2 VALUES (11, 0, 'first')");
    await db.query("INSERT INTO rot.r1 VALUES (11, 0, 'second')");
    for (const t of ['r1', 'r2']) await db.query(`INSERT INTO rot.${t} VALUES (${SENTINEL}, 0, 'sentinel')`);
    const records = await readUntil(stream, sentinelsArrived(['r1', 'r2']), 30_000);
    const changes = (t: string) => records.filter((r) => r.json.metadata['table-name'] === t && r.json.metadata['record-type'] === 'data' && r.json.metadata.operation !== 'load');
    expect(changes('r2').map((r) => r.json.data!.id)).toEqual([11, SENTINEL]);
    expect(changes('r1').map((r) => r.json.data!.id)).toEqual([11, SENTINEL]);
    await verify('rot', ['r1', 'r2'], records);
    await stopTask(arn);
  });

  it('an ALTER before a table\'s snapshot is not replayed by CDC; one after it is', async () => {
    await createTables('alt', { c1: 10, c2: 10 });
    const { arn, stream } = await createLoad('alt', { FullLoadSettings: { MaxFullLoadSubTasks: 1 } }, { IncludeTableAlterOperations: true });
    const lock = await mysql.createConnection({ host: '127.0.0.1', port: db.port, user: 'root', password: '' });
    try {
      // c1 loads first and waits for the lock; c2's snapshot comes after the ALTER.
      await lock.query('LOCK TABLES alt.c1 WRITE');
      await startTask(stack.dms, arn);
      const deadline = Date.now() + 60_000;
      while ((await tableStatistics(stack.dms, arn)).find((s) => s.TableName === 'c1')?.TableState !== 'Full load') {
        if (Date.now() > deadline) throw new Error('the load did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
      await db.query('ALTER TABLE alt.c2 ADD COLUMN extra INT NOT NULL DEFAULT 7');
    } finally {
      await lock.query('UNLOCK TABLES');
      await lock.end();
    }
    await waitForTask(arn, (t) => t.Status === 'running' && t.ReplicationTaskStats?.FullLoadProgressPercent === 100);
    await db.query('ALTER TABLE alt.c1 ADD COLUMN late INT');
    await db.query(`INSERT INTO alt.c1 VALUES (${SENTINEL}, 0, 'sentinel', 1)`);
    await db.query(`INSERT INTO alt.c2 VALUES (${SENTINEL}, 0, 'sentinel', 8)`);
    const records = await readUntil(stream, sentinelsArrived(['c1', 'c2']), 30_000);
    const notLoad = (t: string) => summary(records.filter((r) => r.json.metadata['table-name'] === t && r.json.metadata.operation !== 'load'));
    expect(notLoad('c1')).toEqual(['drop-table alt.c1', 'create-table alt.c1', 'add-column alt.c1', 'insert alt.c1']);
    expect(notLoad('c2')).toEqual(['drop-table alt.c2', 'create-table alt.c2', 'insert alt.c2']);
    const inserted = (t: string) => records.find((r) => r.json.metadata['table-name'] === t && r.json.metadata.operation === 'insert')!.json.data;
    expect(inserted('c1')).toEqual({ id: SENTINEL, ver: 0, val: 'sentinel', late: 1 });
    expect(inserted('c2')).toEqual({ id: SENTINEL, ver: 0, val: 'sentinel', extra: 8 });
    await stopTask(arn);
    const stats = await tableStatistics(stack.dms, arn);
    expect(stats.map((s) => [s.TableName, s.Ddls, s.Inserts])).toEqual([
      ['c1', 1, 1],
      ['c2', 0, 1],
    ]);
  });

  /**
   * Changes made while the load is certainly in progress: a write lock holds the last table's
   * snapshot read (MaxFullLoadSubTasks 1) while its holder and a writer change all tables.
   */
  async function changeDuringLoad(schema: string, arn: string) {
    const lock = await mysql.createConnection({ host: '127.0.0.1', port: db.port, user: 'root', password: '' });
    try {
      await lock.query(`LOCK TABLES ${schema}.c2 WRITE`);
      await startTask(stack.dms, arn);
      // c1 is loaded; c2's read waits for the lock.
      const deadline = Date.now() + 60_000;
      for (;;) {
        const stats = await tableStatistics(stack.dms, arn);
        const state = (t: string) => stats.find((s) => s.TableName === t)?.TableState;
        if (state('c1') === 'Table completed' && state('c2') === 'Full load') break;
        if (Date.now() > deadline) throw new Error(`load did not reach c2: ${JSON.stringify(stats)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await db.query(`UPDATE ${schema}.c1 SET ver = ver + 1, val = 'during' WHERE id <= 10`);
      await db.query(`INSERT INTO ${schema}.c1 VALUES (5001, 0, 'during')`);
      await db.query(`DELETE FROM ${schema}.c1 WHERE id = 20`);
      await lock.query(`UPDATE ${schema}.c2 SET ver = ver + 1, val = 'during' WHERE id <= 5`);
      await lock.query(`INSERT INTO ${schema}.c2 VALUES (5001, 0, 'during')`);
      await lock.query(`DELETE FROM ${schema}.c2 WHERE id = 30`);
      expect((await tableStatistics(stack.dms, arn)).find((s) => s.TableName === 'c2')?.TableState).toBe('Full load');
    } finally {
      await lock.query('UNLOCK TABLES').catch(() => undefined);
      await lock.end();
    }
  }

  it('StopTaskCachedChangesNotApplied: stops after the load with STOPPED_AFTER_FULL_LOAD; resume applies the cached changes', async () => {
    await createTables('nap', { c1: 3000, c2: 3000 });
    const { arn, stream } = await createLoad('nap', { FullLoadSettings: { MaxFullLoadSubTasks: 1, StopTaskCachedChangesNotApplied: true } });
    await changeDuringLoad('nap', arn);
    const stopped = await waitForStatus(stack.dms, arn, ['stopped', 'failed']);
    expect(stopped).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason STOPPED_AFTER_FULL_LOAD' });
    expect(stopped.ReplicationTaskStats).toMatchObject({ FullLoadProgressPercent: 100, TablesLoaded: 2 });
    // Only the load: drop-table, create-table and 3000 rows per table; the cached changes are not applied.
    const loaded = await readUntil(stream, (r) => r.length >= 6004, 30_000);
    expect(loaded).toHaveLength(6004);
    expect(loaded.every((r) => r.json.metadata['record-type'] === 'control' || r.json.metadata.operation === 'load')).toBe(true);

    // resume-processing applies them (from each table's snapshot), then keeps capturing.
    await startTask(stack.dms, arn, 'resume-processing');
    await waitForStatus(stack.dms, arn, ['running']);
    for (const t of ['c1', 'c2']) await db.query(`INSERT INTO nap.${t} VALUES (${SENTINEL}, 0, 'sentinel')`);
    const records = await readUntil(stream, sentinelsArrived(['c1', 'c2']));
    const counts = await verify('nap', ['c1', 'c2'], records);
    expect(counts).toEqual({ c1: { loads: 3000, changes: 10 + 1 + 1 + 1 }, c2: { loads: 3000, changes: 5 + 1 + 1 + 1 } });
    expect((await stopTask(arn)).StopReason).toBe('Stop Reason NORMAL');
  });

  it('StopTaskCachedChangesApplied: applies the changes made during the load, then STOPPED_AFTER_CACHED_EVENTS', async () => {
    await createTables('ap', { c1: 3000, c2: 3000 });
    const { arn, stream } = await createLoad('ap', { FullLoadSettings: { MaxFullLoadSubTasks: 1, StopTaskCachedChangesApplied: true } });
    await changeDuringLoad('ap', arn);
    const stopped = await waitForStatus(stack.dms, arn, ['stopped', 'failed']);
    expect(stopped).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason STOPPED_AFTER_CACHED_EVENTS' });
    expect(stopped.RecoveryCheckpoint).toMatch(/^checkpoint:V1#/);
    const records = await readUntil(stream, (r) => r.length >= 6004 + 1 + 12 + 7, 30_000);
    const counts = await verify('ap', ['c1', 'c2'], records);
    expect(counts).toEqual({ c1: { loads: 3000, changes: 12 }, c2: { loads: 3000, changes: 7 } });
    expect(records).toHaveLength(6004 + 1 + 12 + 7);
  });

  it('StopTaskCachedChangesApplied with nothing cached stops right after the load', async () => {
    await createTables('none', { c1: 100 });
    const { arn, stream } = await startLoad('none', { FullLoadSettings: { StopTaskCachedChangesApplied: true } });
    const stopped = await waitForStatus(stack.dms, arn, ['stopped', 'failed']);
    expect(stopped).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason STOPPED_AFTER_CACHED_EVENTS' });
    const records = await readUntil(stream, (r) => r.length >= 103, 30_000);
    expect(summary(records).slice(0, 2)).toEqual(['drop-table none.c1', 'create-table none.c1']);
    expect(records.filter((r) => r.json.metadata.operation === 'load')).toHaveLength(100);
  });
});
