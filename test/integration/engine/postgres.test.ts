// PostgreSQL → Kinesis through the API and a runner, against a private PostgreSQL cluster:
// LocalStack's PostgreSQL sample counts (validated against AWS), full load, full-load-and-cdc with a
// writer running throughout, a source restart, a slot dropped under a running task, the slot's
// lifecycle and RecoveryCheckpoint / CdcStartPosition reuse, TestConnection failures.
import { DeleteReplicationTaskCommand, TestConnectionCommand, DescribeConnectionsCommand } from '@aws-sdk/client-database-migration-service';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createInstance, createKinesisTarget, createPostgresSource, createTask, selectionMappings } from '../../support/dms.js';
import { createStream, readAllRecords } from '../../support/kinesis.js';
import { startPostgres, type Postgres } from '../../support/postgres.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { describeTask, parseRecords, readStream, startTask, stopTaskAndWait, summary, tableStatistics, waitForStatus, type ParsedRecord, waitForValue } from '../../support/task-flow.js';

let stack: TestStack;
let db: Postgres;
let source: string;
let instance: string;
const DB = 'sample';
const kinesis = () => inject('kinesisEndpoint');
const sql = (text: string, params: unknown[] = []) => db.query(text, params, DB);
const waitFor = <T>(fn: () => Promise<T | null | false | undefined>, what: string, ms = 60_000) => waitForValue(fn, what, ms, { intervalMs: 200 });

// LocalStack sample-dms-postgresql-kinesis (lib/query.py): three tables created before the task starts.
const SAMPLE_TABLES = `
  CREATE TABLE authors (author_id serial PRIMARY KEY, first_name varchar(50) NOT NULL, last_name varchar(50) NOT NULL, date_of_birth date);
  CREATE TABLE accounts (account_id serial PRIMARY KEY, name varchar(100), profile_picture bytea, created_at timestamp DEFAULT now());
  CREATE TABLE books (book_id serial PRIMARY KEY, title varchar(100) NOT NULL, isbn varchar(20), author_id int, price numeric(8,2));`;
// "Non-default" Kinesis settings of the sample (TransactionDetails stays false).
const SAMPLE_KINESIS = {
  IncludeControlDetails: true, IncludeNullAndEmpty: true, IncludePartitionValue: true,
  IncludeTableAlterOperations: true, PartitionIncludeSchemaTable: true, IncludeTransactionDetails: false,
};

beforeAll(async () => {
  [stack, db] = await Promise.all([startTestStack({ runner: true }), startPostgres()]);
  await db.query(`CREATE DATABASE ${DB}`);
  await db.query(`CREATE SCHEMA fl`, [], DB);
  source = (await createPostgresSource(stack.dms, 'pgsrc', { port: db.port, ...db.dmsUser, database: DB })).EndpointArn!;
  instance = (await createInstance(stack.dms, 'inst')).ReplicationInstanceArn!;
}, 180_000);
afterAll(async () => {
  await Promise.all([stack?.stop(), db?.stop()]);
});

async function startTaskOn(stream: string, type: 'cdc' | 'full-load' | 'full-load-and-cdc', mappings: string, kinesisSettings: Record<string, unknown> = {}, opts: { source?: string; settings?: unknown; cdcStartPosition?: string } = {}) {
  const target = (await createKinesisTarget(stack.dms, uniqueName('tgt'), stream, kinesisSettings)).EndpointArn!;
  const task = await createTask(stack.dms, { id: uniqueName('task'), source: opts.source ?? source, target, instance, type, mappings, settings: opts.settings, cdcStartPosition: opts.cdcStartPosition });
  await waitForStatus(stack.dms, task.ReplicationTaskArn!, ['ready']);
  await startTask(stack.dms, task.ReplicationTaskArn!);
  await waitForStatus(stack.dms, task.ReplicationTaskArn!, ['running', 'stopped', 'failed'], 120_000);
  return task.ReplicationTaskArn!;
}

async function slots(): Promise<{ slot_name: string; active: boolean }[]> {
  return db.query(`SELECT slot_name, active FROM pg_replication_slots WHERE slot_name NOT LIKE 'dmslite_snap%' ORDER BY 1`);
}

describe('PostgreSQL source, end to end', { timeout: 300_000 }, () => {
  it("LocalStack's sample: 4 create-table records, 3 inserts → 3, 3 ALTERs → 3 control records with its settings and 0 with the defaults", async () => {
    await sql(SAMPLE_TABLES);
    const custom = uniqueName('ls');
    const plain = uniqueName('lsdef');
    await createStream(kinesis(), custom, 1);
    await createStream(kinesis(), plain, 1);
    const a = await startTaskOn(custom, 'cdc', selectionMappings('public', '%'), SAMPLE_KINESIS);
    const b = await startTaskOn(plain, 'cdc', selectionMappings('public', '%'));
    const start = await readStream(kinesis(), custom, 4, 60_000);
    expect(summary(start).sort()).toEqual(['create-table .awsdms_apply_exceptions', 'create-table public.accounts', 'create-table public.authors', 'create-table public.books']);
    expect(summary(await readStream(kinesis(), plain, 4, 60_000))).toHaveLength(4);

    await sql(`INSERT INTO authors (first_name, last_name, date_of_birth) VALUES ('Jane', 'Austen', '1775-12-16')`);
    await sql(`INSERT INTO accounts (name, profile_picture) VALUES ('acc', '\\x0102')`);
    await sql(`INSERT INTO books (title, isbn, author_id, price) VALUES ('Emma', '978-0', 1, 9.99)`);
    const inserts = (await readStream(kinesis(), custom, 7, 60_000)).slice(4);
    expect(summary(inserts)).toEqual(['insert public.authors', 'insert public.accounts', 'insert public.books']);
    expect(inserts[0]!.json.data).toEqual({ author_id: 1, first_name: 'Jane', last_name: 'Austen', date_of_birth: '1775-12-16' });
    expect(inserts[1]!.json.data).toMatchObject({ account_id: 1, name: 'acc', profile_picture: '0x0102' });
    expect(inserts[2]!.partitionKey).toBe('public.books.1');
    expect(inserts[2]!.json.metadata).toMatchObject({ 'partition-key-type': 'primary-key', 'partition-key-value': 'public.books.1' });

    await sql(`ALTER TABLE books ALTER COLUMN isbn TYPE VARCHAR(30)`);
    await sql(`ALTER TABLE accounts DROP COLUMN profile_picture`);
    await sql(`ALTER TABLE authors ADD COLUMN is_available BOOLEAN DEFAULT TRUE`);
    await sql(`INSERT INTO books (title, isbn, author_id, price) VALUES ('Persuasion', '978-1', 1, 5)`);
    const alters = (await readStream(kinesis(), custom, 11, 60_000)).slice(7);
    expect(summary(alters)).toEqual(['column-type-change public.books', 'drop-column public.accounts', 'add-column public.authors', 'insert public.books']);
    const booksDef = (alters[0]!.json.control as { 'table-def': { columns: Record<string, { type: string; length?: number }> } })['table-def'];
    expect(booksDef.columns.isbn).toEqual({ type: 'STRING', length: 30, nullable: true });
    const defaults = (await readStream(kinesis(), plain, 8, 60_000)).slice(4);
    expect(summary(defaults)).toEqual(['insert public.authors', 'insert public.accounts', 'insert public.books', 'insert public.books']);

    const stats = await tableStatistics(stack.dms, a);
    expect(stats.find((s) => s.TableName === 'books')).toMatchObject({ Inserts: 2, Ddls: 1 });
    const stopped = await stopTaskAndWait(stack.dms, a);
    expect(stopped.Status).toBe('stopped');
    expect(stopped.RecoveryCheckpoint).toMatch(/^checkpoint:V1#\d+#[0-9A-F]{8}\/[0-9A-F]{8}#0#0#\*#0#0$/);
    // A stopped task keeps its slot; deleting the task drops the slot it created.
    expect((await slots()).length).toBe(2);
    await stopTaskAndWait(stack.dms, b);
    await stack.dms.send(new DeleteReplicationTaskCommand({ ReplicationTaskArn: b }));
    await waitFor(async () => (await slots()).length === 1, 'the deleted task slot to be dropped');
  });

  it('full load of the same tables: drop-table, create-table, then every row, exact FullLoadRows', async () => {
    const stream = uniqueName('fl');
    await createStream(kinesis(), stream, 1);
    await sql(`CREATE TABLE fl.items (id int PRIMARY KEY, name text, qty int)`);
    await sql(`INSERT INTO fl.items SELECT g, 'n' || g, g FROM generate_series(1, 1200) g`);
    await sql(`CREATE TABLE fl.empty (id int PRIMARY KEY)`);
    const arn = await startTaskOn(stream, 'full-load', selectionMappings('fl', '%'));
    const done = await waitForStatus(stack.dms, arn, ['stopped', 'failed'], 120_000);
    expect(done).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason FULL_LOAD_ONLY_FINISHED' });
    const records = parseRecords(await readAllRecords(kinesis(), stream));
    const items = records.filter((r) => r.json.metadata['table-name'] === 'items');
    expect(summary(items.slice(0, 2))).toEqual(['drop-table fl.items', 'create-table fl.items']);
    // Rows are keyed by primary key and written several batches at a time: each row once, in any order.
    expect(items.slice(2).map((r) => r.json.data!.id as number).sort((a, b) => a - b)).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1));
    expect(items.find((r) => r.json.data?.id === 1)!.json.data).toEqual({ id: 1, name: 'n1', qty: 1 });
    const stats = await tableStatistics(stack.dms, arn);
    expect(stats.map((s) => [s.TableName, s.FullLoadRows, s.TableState]).sort()).toEqual([['empty', 0, 'Table completed'], ['items', 1200, 'Table completed']]);
    // Full load needs no slot.
    expect((await slots()).map((s) => s.slot_name)).toHaveLength(1);
  });

  it('full-load-and-cdc with a writer running throughout: the final state of every row is reconstructible from the stream', async () => {
    const stream = uniqueName('flcdc');
    await createStream(kinesis(), stream, 1);
    await sql(`CREATE SCHEMA w`);
    for (const t of ['a', 'b']) {
      await sql(`CREATE TABLE w.${t} (id int PRIMARY KEY, ver int NOT NULL)`);
      await sql(`INSERT INTO w.${t} SELECT g, 0 FROM generate_series(1, 3000) g`);
    }
    const writer = new pg.Client({ host: db.host, port: db.port, user: db.user, password: db.password, database: DB });
    await writer.connect();
    let stop = false;
    let n = 0;
    const writing = (async () => {
      while (!stop) {
        const t = n % 2 ? 'a' : 'b';
        const id = 1 + (n * 7919) % 3500;
        n++;
        if (id > 3000) await writer.query(`INSERT INTO w.${t} VALUES ($1, 0) ON CONFLICT (id) DO UPDATE SET ver = w.${t}.ver + 1`, [id]);
        else if (n % 13 === 0) await writer.query(`DELETE FROM w.${t} WHERE id = $1`, [id]);
        else await writer.query(`UPDATE w.${t} SET ver = ver + 1 WHERE id = $1`, [id]);
      }
    })();
    const arn = await startTaskOn(stream, 'full-load-and-cdc', selectionMappings('w', '%'), {}, { settings: { FullLoadSettings: { MaxFullLoadSubTasks: 2 } } });
    await waitFor(async () => (await describeTask(stack.dms, arn)).ReplicationTaskStats?.FullLoadProgressPercent === 100, 'full load to finish', 120_000);
    await new Promise((r) => setTimeout(r, 1000));
    stop = true;
    await writing;
    await writer.end();
    const expected: Record<string, Map<number, number>> = {};
    for (const t of ['a', 'b']) expected[t] = new Map((await sql(`SELECT id, ver FROM w.${t}`)).map((r: { id: number; ver: number }) => [Number(r.id), Number(r.ver)]));
    await waitFor(async () => {
      const state = replay(parseRecords(await readAllRecords(kinesis(), stream)));
      return ['a', 'b'].every((t) => sameMap(state[t] ?? new Map(), expected[t]!));
    }, 'the stream to reconstruct the source', 120_000);
    await stopTaskAndWait(stack.dms, arn);
  });

  it('a source restart is survived from the checkpoint; a slot dropped under a running task fails it naming the slot', async () => {
    const stream = uniqueName('restart');
    await createStream(kinesis(), stream, 1);
    await sql(`CREATE TABLE public.r (id int PRIMARY KEY)`);
    const arn = await startTaskOn(stream, 'cdc', selectionMappings('public', 'r'));
    await readStream(kinesis(), stream, 2, 60_000);
    await sql(`INSERT INTO public.r VALUES (1)`);
    await readStream(kinesis(), stream, 3, 60_000);
    await db.restart();
    await sql(`INSERT INTO public.r VALUES (2)`);
    const after = await readStream(kinesis(), stream, 4, 120_000);
    expect(after.slice(2).map((r) => r.json.data!.id)).toEqual([1, 2]);
    expect((await describeTask(stack.dms, arn)).Status).toBe('running');

    // This task's slot (its name carries the task id), not one an earlier test left running.
    const taskId = arn.split(':').pop()!.toLowerCase().slice(0, 10);
    const [slot] = await db.query<{ slot_name: string }>(`SELECT slot_name FROM pg_replication_slots WHERE active AND slot_name LIKE $1`, [`%task_${taskId}%`]);
    await db.query(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1`, [slot!.slot_name]);
    await db.query(`SELECT pg_drop_replication_slot($1)`, [slot!.slot_name]).catch(async () => {
      await new Promise((r) => setTimeout(r, 200));
      await db.query(`SELECT pg_drop_replication_slot($1)`, [slot!.slot_name]);
    });
    const failed = await waitForStatus(stack.dms, arn, ['failed'], 120_000);
    expect(failed.LastFailureMessage).toMatch(new RegExp(`replication slot '${slot!.slot_name}'.*dropped`));
  });

  it('RecoveryCheckpoint of a stopped task as CdcStartPosition of a task reading the same slot (SlotName)', async () => {
    const stream = uniqueName('ckpt');
    await createStream(kinesis(), stream, 1);
    await sql(`CREATE TABLE public.ck (id int PRIMARY KEY)`);
    const first = await startTaskOn(stream, 'cdc', selectionMappings('public', 'ck'));
    await readStream(kinesis(), stream, 2, 60_000);
    await sql(`INSERT INTO public.ck VALUES (1)`);
    await readStream(kinesis(), stream, 3, 60_000);
    const stopped = await stopTaskAndWait(stack.dms, first);
    const [slot] = await db.query<{ slot_name: string }>(`SELECT slot_name FROM pg_replication_slots WHERE NOT active AND slot_name LIKE '%' ORDER BY slot_name DESC LIMIT 1`);
    await sql(`INSERT INTO public.ck VALUES (2)`);
    const src2 = (await createPostgresSource(stack.dms, uniqueName('pgslot'), { port: db.port, ...db.dmsUser, database: DB }, { SlotName: slot!.slot_name })).EndpointArn!;
    const stream2 = uniqueName('ckpt2');
    await createStream(kinesis(), stream2, 1);
    await startTaskOn(stream2, 'cdc', selectionMappings('public', 'ck'), {}, { source: src2, cdcStartPosition: stopped.RecoveryCheckpoint! });
    const records = await readStream(kinesis(), stream2, 3, 60_000);
    expect(records.filter((r) => r.json.metadata['record-type'] === 'data').map((r) => r.json.data!.id)).toEqual([2]);
  });

  it('TestConnection fails for a user without REPLICATION, naming the privilege', async () => {
    await db.query(`CREATE ROLE norepl LOGIN PASSWORD 'pw'`);
    const ep = (await createPostgresSource(stack.dms, uniqueName('norepl'), { port: db.port, user: 'norepl', password: 'pw', database: DB }, { CaptureDdls: false })).EndpointArn!;
    await stack.dms.send(new TestConnectionCommand({ ReplicationInstanceArn: instance, EndpointArn: ep }));
    const conn = await waitFor(async () => {
      const out = await stack.dms.send(new DescribeConnectionsCommand({ Filters: [{ Name: 'endpoint-arn', Values: [ep] }] }));
      const c = out.Connections?.[0];
      return c && c.Status !== 'testing' ? c : null;
    }, 'the connection test');
    expect(conn).toMatchObject({ Status: 'failed' });
    expect(conn.LastFailureMessage).toMatch(/user norepl has no REPLICATION privilege/);
  });
});

/** Applies load/insert/update/delete records in stream order: the table state they describe. */
function replay(records: ParsedRecord[]): Record<string, Map<number, number>> {
  const out: Record<string, Map<number, number>> = {};
  for (const r of records) {
    const m = r.json.metadata;
    if (m['record-type'] !== 'data') continue;
    const t = String(m['table-name']);
    const map = (out[t] ??= new Map());
    const id = Number(r.json.data!.id);
    if (m.operation === 'delete') map.delete(id);
    else map.set(id, Number(r.json.data!.ver));
  }
  return out;
}

function sameMap(a: Map<number, number>, b: Map<number, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of b) if (a.get(k) !== v) return false;
  return true;
}
