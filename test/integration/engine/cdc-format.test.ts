import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from '../../support/dms.js';
import { createStream } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb, binlogEnd as binlogEndOf } from '../../support/mariadb.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { startTask, summary, waitForStatus, stopTaskAndWait, readStream } from '../../support/task-flow.js';

// The exact JSON of CDC records: transaction details, before images, partition keys.

let stack: TestStack;
let db: MariaDb;
let source: string;
let instance: string;
const kinesis = () => inject('kinesisEndpoint');
const stopTask = (arn: string) => stopTaskAndWait(stack.dms, arn);
const readRecords = (stream: string, count: number, timeoutMs?: number) => readStream(kinesis(), stream, count, timeoutMs);
const binlogEnd = () => binlogEndOf(db);

/** A fixed binlog event time (SET TIMESTAMP) makes commit-timestamp exact. */
const EVENT_TIME = 1_700_000_000;
const EVENT_TIME_TEXT = '2023-11-14T22:13:20.000000Z';
const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

beforeAll(async () => {
  [stack, db] = await Promise.all([startTestStack({ runner: true }), startMariaDb()]);
  await db.query('CREATE DATABASE fmt');
  await db.query('CREATE TABLE fmt.t (id INT PRIMARY KEY, name VARCHAR(20), qty INT)');
  await db.query('CREATE TABLE fmt.bi (id INT PRIMARY KEY, name VARCHAR(20), qty INT, doc TEXT, bin BLOB)');
  await db.query('CREATE TABLE fmt.pk (a INT, b VARCHAR(10), v INT, PRIMARY KEY (a, b))');
  source = (await createMySqlSource(stack.dms, 'src', { port: db.port, ...db.dmsUser })).EndpointArn!;
  instance = (await createInstance(stack.dms, 'inst')).ReplicationInstanceArn!;
});
afterAll(async () => {
  await Promise.all([stack?.stop(), db?.stop()]);
});

async function startCdc(table: string, kinesisSettings: Record<string, unknown> = {}, settings?: unknown) {
  const stream = uniqueName('fmt');
  await createStream(kinesis(), stream, 1);
  const target = (await createKinesisTarget(stack.dms, uniqueName('tgt'), stream, kinesisSettings)).EndpointArn!;
  const task = await createTask(stack.dms, { id: uniqueName('task'), source, target, instance, type: 'cdc', mappings: selectionMappings('fmt', table), settings });
  const arn = task.ReplicationTaskArn!;
  await waitForStatus(stack.dms, arn, ['ready']);
  await startTask(stack.dms, arn);
  await waitForStatus(stack.dms, arn, ['running']);
  // The start announces awsdms_apply_exceptions and the table: then the task reads the binlog.
  expect(summary(await readRecords(stream, 2))).toEqual(['create-table .awsdms_apply_exceptions', `create-table fmt.${table}`]);
  return { arn, stream, taskId: arn.split(':').pop()! };
}

/** (file number << 32) | offset of the transaction's first event. */
const txid = (p: { file: string; position: number }) => Number((BigInt(Number(/\d+$/.exec(p.file)![0])) << 32n) | BigInt(p.position));

/** cJSON_Print layout (MessageFormat json): tabs, a tab after each colon. */
function cjson(v: unknown, depth = 0): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) return `{\n${'\t'.repeat(depth)}}`;
  const inner = '\t'.repeat(depth + 1);
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}:\t${cjson(x, depth + 1)}`).join(',\n')}\n${'\t'.repeat(depth)}}`;
}

describe('CDC record format', () => {
  it('IncludeTransactionDetails: ids, record ids, prev ids, commit timestamp, stream position', async () => {
    const { arn, stream } = await startCdc('t', { IncludeTransactionDetails: true });
    const p0 = await binlogEnd();
    let p1: typeof p0, p2: typeof p0;
    await db.query(`SET TIMESTAMP = ${EVENT_TIME}`);
    try {
      await db.query("INSERT INTO fmt.t VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3)");
      p1 = await binlogEnd();
      await db.query('UPDATE fmt.t SET qty = qty + 10 WHERE id IN (1, 2)');
      p2 = await binlogEnd();
      await db.query('DELETE FROM fmt.t WHERE id = 3');
    } finally {
      await db.query('SET TIMESTAMP = DEFAULT');
    }
    const records = (await readRecords(stream, 8)).slice(2);
    const [t0, t1, t2] = [txid(p0), txid(p1), txid(p2)];
    const meta = (operation: string, transactionId: number, recordId: number, prev: [number, number] | null) => ({
      'record-type': 'data',
      operation,
      'partition-key-type': 'schema-table',
      'schema-name': 'fmt',
      'table-name': 't',
      'transaction-id': transactionId,
      'transaction-record-id': recordId,
      ...(prev ? { 'prev-transaction-id': prev[0], 'prev-transaction-record-id': prev[1] } : {}),
      'commit-timestamp': EVENT_TIME_TEXT,
    });
    const expected = [
      { data: { id: 1, name: 'a', qty: 1 }, metadata: meta('insert', t0, 1, null) },
      { data: { id: 2, name: 'b', qty: 2 }, metadata: meta('insert', t0, 2, [t0, 1]) },
      { data: { id: 3, name: 'c', qty: 3 }, metadata: meta('insert', t0, 3, [t0, 2]) },
      { data: { id: 1, name: 'a', qty: 11 }, metadata: meta('update', t1, 1, [t0, 3]) },
      { data: { id: 2, name: 'b', qty: 12 }, metadata: meta('update', t1, 2, [t1, 1]) },
      { data: { id: 3, name: 'c', qty: 3 }, metadata: meta('delete', t2, 1, [t1, 2]) },
    ];
    expect(records).toHaveLength(expected.length);
    const starts = [p0, p0, p0, p1, p1, p2];
    records.forEach((r, i) => {
      const { timestamp, 'stream-position': streamPosition, ...rest } = r.json.metadata as Record<string, unknown>;
      expect(Object.keys(r.json)).toEqual(['data', 'metadata']);
      expect(timestamp).toMatch(TIMESTAMP_RE);
      expect({ data: r.json.data, metadata: rest }).toEqual(expected[i]);
      // Key order as AWS prints it.
      expect(Object.keys(r.json.metadata)).toEqual(['timestamp', ...Object.keys(expected[i].metadata), 'stream-position']);
      // <binlog>:<pos>:<row index>:<pos>:<transaction-id>:<binlog>:<pos>, in the transaction's binlog file.
      const f = starts[i].file;
      expect(streamPosition).toMatch(new RegExp(`^${f.replace('.', '\\.')}:\\d+:\\d+:\\d+:${expected[i].metadata['transaction-id']}:${f.replace('.', '\\.')}:\\d+$`));
      expect(r.partitionKey).toBe('fmt.t');
    });
    // The byte layout of one record (MessageFormat json), the wall-clock timestamp aside.
    const last = records[5];
    expect(last.text).toBe(cjson({ data: expected[5].data, metadata: { timestamp: last.json.metadata.timestamp, ...expected[5].metadata, 'stream-position': last.json.metadata['stream-position'] } }));
    expect(last.text.startsWith('{\n\t"data":\t{\n\t\t"id":\t3,')).toBe(true);

    // After a stop and resume, the first record again has no prev-* fields.
    await stopTask(arn);
    const p3 = await binlogEnd();
    await db.query("INSERT INTO fmt.t VALUES (4, 'd', 4)");
    await startTask(stack.dms, arn, 'resume-processing');
    await waitForStatus(stack.dms, arn, ['running']);
    await db.query("INSERT INTO fmt.t VALUES (5, 'e', 5)");
    const more = (await readRecords(stream, 10)).slice(8);
    expect(more.map((r) => r.json.data)).toEqual([{ id: 4, name: 'd', qty: 4 }, { id: 5, name: 'e', qty: 5 }]);
    expect(more[0].json.metadata).toMatchObject({ 'transaction-id': txid(p3), 'transaction-record-id': 1 });
    expect(more[0].json.metadata).not.toHaveProperty('prev-transaction-id');
    expect(more[0].json.metadata).not.toHaveProperty('prev-transaction-record-id');
    expect(more[1].json.metadata).toMatchObject({ 'transaction-record-id': 1, 'prev-transaction-id': txid(p3), 'prev-transaction-record-id': 1 });
    await stopTask(arn);
  });

  it('without IncludeTransactionDetails only transaction-id is added', async () => {
    const { arn, stream } = await startCdc('t');
    const p0 = await binlogEnd();
    await db.query("INSERT INTO fmt.t VALUES (10, 'x', 0), (11, 'y', 0)");
    const records = (await readRecords(stream, 4)).slice(2);
    expect(records.map((r) => r.json.metadata)).toEqual([
      { timestamp: expect.stringMatching(TIMESTAMP_RE), 'record-type': 'data', operation: 'insert', 'partition-key-type': 'schema-table', 'schema-name': 'fmt', 'table-name': 't', 'transaction-id': txid(p0) },
      { timestamp: expect.stringMatching(TIMESTAMP_RE), 'record-type': 'data', operation: 'insert', 'partition-key-type': 'schema-table', 'schema-name': 'fmt', 'table-name': 't', 'transaction-id': txid(p0) },
    ]);
    await stopTask(arn);
  });

  it('BeforeImageSettings pk-only / non-lob / all: a custom field on updates only, between data and metadata', async () => {
    const filters = ['pk-only', 'non-lob', 'all'] as const;
    const tasks = await Promise.all(
      filters.map((f) => startCdc('bi', {}, { BeforeImageSettings: { EnableBeforeImage: true, FieldName: `before-${f}`, ColumnFilter: f } })),
    );
    await db.query("INSERT INTO fmt.bi VALUES (1, 'one', 1, 'long text', x'0102')");
    await db.query("UPDATE fmt.bi SET name = 'uno', qty = 2, doc = 'longer text' WHERE id = 1");
    await db.query('DELETE FROM fmt.bi WHERE id = 1');
    const before = {
      'pk-only': { id: 1 },
      // LOBs (TEXT, BLOB) never go into a before image.
      'non-lob': { id: 1, name: 'one', qty: 1 },
      all: { id: 1, name: 'one', qty: 1 },
    };
    for (let i = 0; i < filters.length; i++) {
      const field = `before-${filters[i]}`;
      const records = (await readRecords(tasks[i].stream, 5)).slice(2);
      expect(summary(records)).toEqual(['insert fmt.bi', 'update fmt.bi', 'delete fmt.bi']);
      expect(records.map((r) => Object.keys(r.json))).toEqual([['data', 'metadata'], ['data', field, 'metadata'], ['data', 'metadata']]);
      expect(records[1].json.data).toEqual({ id: 1, name: 'uno', qty: 2, doc: 'longer text', bin: '0x0102' });
      expect(records[1].json[field]).toEqual(before[filters[i]]);
      expect(records[2].json.data).toEqual({ id: 1, name: 'uno', qty: 2, doc: 'longer text', bin: '0x0102' });
    }
    await Promise.all(tasks.map((t) => stopTask(t.arn)));
  });

  it('ParallelApplyThreads > 0: CDC rows are keyed by primary key; control records keep the task key', async () => {
    const plain = await startCdc('pk', {}, { TargetMetadata: { ParallelApplyThreads: 4 } });
    const withValue = await startCdc('pk', { IncludePartitionValue: true }, { TargetMetadata: { ParallelApplyThreads: 4 } });
    await db.query("INSERT INTO fmt.pk VALUES (1, 'x', 1), (2, 'y', 2)");
    await db.query("UPDATE fmt.pk SET v = 3 WHERE a = 1 AND b = 'x'");
    for (const t of [plain, withValue]) {
      const records = await readRecords(t.stream, 5);
      // Control records are acknowledged before any row goes out. Rows of different keys go through
      // different lanes at once (parallel apply): each key's order is kept, not the order across keys.
      expect(records.slice(0, 2).map((r) => r.partitionKey)).toEqual([`${t.taskId}..awsdms_apply_exceptions`, `${t.taskId}.fmt.pk`]);
      expect(records.slice(2).map((r) => r.partitionKey).sort()).toEqual(['1.x', '1.x', '2.y']);
      expect(records.filter((r) => r.partitionKey === '1.x').map((r) => r.json.metadata.operation)).toEqual(['insert', 'update']);
      expect(records.slice(2).map((r) => r.json.metadata['partition-key-type'])).toEqual(['primary-key', 'primary-key', 'primary-key']);
      expect(records[1].json.metadata['partition-key-type']).toBe('task-id');
    }
    const plainRecords = await readRecords(plain.stream, 5);
    expect(plainRecords.every((r) => !('partition-key-value' in r.json.metadata))).toBe(true);
    const valued = await readRecords(withValue.stream, 5);
    expect(valued.slice(0, 2).map((r) => r.json.metadata['partition-key-value'])).toEqual([withValue.taskId, withValue.taskId]);
    expect(valued.slice(2).map((r) => r.json.metadata['partition-key-value']).sort()).toEqual(['1.x', '1.x', '2.y']);
    expect(Object.keys(valued[2].json.metadata)).toEqual([
      'timestamp', 'record-type', 'operation', 'partition-key-type', 'partition-key-value', 'schema-name', 'table-name', 'transaction-id',
    ]);
    await Promise.all([stopTask(plain.arn), stopTask(withValue.arn)]);
  });

  it('IncludePartitionValue and PartitionIncludeSchemaTable', async () => {
    const valueOnly = await startCdc('t', { IncludePartitionValue: true });
    const both = await startCdc('t', { IncludePartitionValue: true, PartitionIncludeSchemaTable: true });
    const parallel = await startCdc('t', { IncludePartitionValue: true, PartitionIncludeSchemaTable: true }, { TargetMetadata: { ParallelApplyThreads: 2 } });
    await db.query("INSERT INTO fmt.t VALUES (100, 'h', 1)");
    await db.query('DELETE FROM fmt.t WHERE id = 100');

    // schema-table keys never carry partition-key-value.
    const a = (await readRecords(valueOnly.stream, 4)).slice(2);
    expect(a.map((r) => [r.partitionKey, r.json.metadata['partition-key-type'], r.json.metadata['partition-key-value']])).toEqual([
      ['fmt.t', 'schema-table', undefined],
      ['fmt.t', 'schema-table', undefined],
    ]);
    for (const t of [both, parallel]) {
      const b = (await readRecords(t.stream, 4)).slice(2);
      expect(b.map((r) => [r.partitionKey, r.json.metadata['partition-key-type'], r.json.metadata['partition-key-value']])).toEqual([
        ['fmt.t.100', 'primary-key', 'fmt.t.100'],
        ['fmt.t.100', 'primary-key', 'fmt.t.100'],
      ]);
    }
    await Promise.all([valueOnly, both, parallel].map((t) => stopTask(t.arn)));
  });
});
