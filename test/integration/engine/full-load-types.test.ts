import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from '../../support/dms.js';
import { createStream, readAllRecords } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { startTask, waitForStatus } from '../../support/task-flow.js';

// Every MySQL/MariaDB column type of the reference (§7), extremes and NULLs, full-loaded end to
// end: the exact Data text of each Kinesis record under each KinesisSettings option. Only the
// metadata `timestamp` (wall clock) is masked. Value renderings follow core/record/README.md.

let stack: TestStack;
let db: MariaDb;
let source: string;
let instance: string;
const kinesis = () => inject('kinesisEndpoint');

const DDL = `CREATE TABLE ty.all_types (
  id int NOT NULL PRIMARY KEY,
  ti tinyint, tu tinyint unsigned, si smallint, su smallint unsigned,
  mi mediumint, mu mediumint unsigned, i int, iu int unsigned,
  bi bigint, bu bigint unsigned,
  d decimal(65,30), f float, db double,
  b1 bit(1), b64 bit(64),
  dt date, dtm datetime, dtm6 datetime(6), ts timestamp(6) NULL DEFAULT NULL,
  tm time, y year,
  c char(5), vc varchar(20), tx text, mt mediumtext,
  bn binary(4), vb varbinary(8), bl blob,
  j json, e enum('a','b','c'), st set('x','y','z')
) DEFAULT CHARSET=utf8mb4`;

const NINES = '9'.repeat(35) + '.' + '9'.repeat(30); // decimal(65,30) at its limit
const INSERT = `INSERT INTO ty.all_types VALUES
 (1, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
  '-${NINES}', -3.4e38, -1.7976931348623157e308, b'0', b'0',
  '1000-01-01', '1000-01-01 00:00:00', '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000000', '-838:59:59', 1901,
  '', 'héllo 😀', 'q" b\\\\ n\\nt\\t\\Z${'\u0001'}', 'mediumtext 😀', x'00', x'', x'00FF',
  '{"a": [1, 2.5, null], "b": "x"}', 'a', ''),
 (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615,
  '${NINES}', 3.4e38, 1.7976931348623157e308, b'1', b'${'1'.repeat(64)}',
  '9999-12-31', '9999-12-31 23:59:59', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', '838:59:59', 2155,
  'abcde', 'emoji 😀🎉', 'text', 'm', x'DEADBEEF', x'0102030405060708', x'FF',
  '[]', 'c', 'x,y,z'),
 (3, 1, 1, -1, 1, -1, 1, 42, 42, 1234567890123456, 12345678901234567,
  '0.000000000000000000000000000001', 1.1, 3.14159, b'1', b'1000000001',
  '2024-02-29', '2024-01-02 03:04:05', '2024-01-02 03:04:05.678901', '2024-06-01 12:00:00.5', '-00:00:01', 2024,
  'ab', '', 'multi\\nline', '', x'0102', x'00', x'DEADBEEF',
  '{"k": 12345678901234567890}', 'b', 'y'),
 (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`;

// The JSON text of each column for rows 1, 2 and 3 with default settings (row 4: all NULL).
const COLUMNS: Array<[string, string, string, string]> = [
  ['ti', '-128', '127', '1'],
  ['tu', '0', '255', '1'],
  ['si', '-32768', '32767', '-1'],
  ['su', '0', '65535', '1'],
  ['mi', '-8388608', '8388607', '-1'],
  ['mu', '0', '16777215', '1'],
  ['i', '-2147483648', '2147483647', '42'],
  ['iu', '0', '4294967295', '42'],
  // Over 16 digits: %.15g unless UseLargeIntegerValue.
  ['bi', '-9.22337203685478e+18', '9.22337203685478e+18', '1234567890123456'],
  ['bu', '0', '1.84467440737096e+19', '1.23456789012346e+16'],
  ['d', `-${NINES}`, NINES, '0.000000000000000000000000000001'],
  ['f', '-3.4e+38', '3.4e+38', '1.1'],
  ['db', '-1.7976931348623157e+308', '1.7976931348623157e+308', '3.14159'],
  ['b1', 'false', 'true', 'true'],
  ['b64', '"0x0000000000000000"', '"0xFFFFFFFFFFFFFFFF"', '"0x0000000000000201"'],
  ['dt', '"1000-01-01"', '"9999-12-31"', '"2024-02-29"'],
  ['dtm', '"1000-01-01T00:00:00Z"', '"9999-12-31T23:59:59Z"', '"2024-01-02T03:04:05Z"'],
  ['dtm6', '"1000-01-01T00:00:00.000000Z"', '"9999-12-31T23:59:59.999999Z"', '"2024-01-02T03:04:05.678901Z"'],
  ['ts', '"1970-01-01T00:00:01.000000Z"', '"2038-01-19T03:14:07.999999Z"', '"2024-06-01T12:00:00.500000Z"'],
  ['tm', '"-838:59:59"', '"838:59:59"', '"-00:00:01"'],
  ['y', '1901', '2155', '2024'],
  ['c', '""', '"abcde"', '"ab"'],
  ['vc', '"héllo 😀"', '"emoji 😀🎉"', '""'],
  ['tx', '"q\\" b\\\\ n\\nt\\t\\u001a\\u0001"', '"text"', '"multi\\nline"'],
  ['mt', '"mediumtext 😀"', '"m"', '""'],
  ['bn', '"0x00000000"', '"0xDEADBEEF"', '"0x01020000"'],
  ['vb', '"0x"', '"0x0102030405060708"', '"0x00"'],
  ['bl', '"0x00FF"', '"0xFF"', '"0xDEADBEEF"'],
  ['j', '"{\\"a\\": [1, 2.5, null], \\"b\\": \\"x\\"}"', '"[]"', '"{\\"k\\": 12345678901234567890}"'],
  ['e', '"a"', '"c"', '"b"'],
  ['st', '""', '"x,y,z"', '"y"'],
];

type Json = string | Entries; // JSON text, or an object as ordered entries
type Entries = Array<[string, Json]>;

/**
 * cJSON layout: `json` = tabs, a tab after each colon, `{\n<indent>}` when empty, no final newline;
 * `json-unformatted` = one line ended by a newline (AWS: "a single line JSON string with new line delimiter").
 */
function layout(v: Json, pretty: boolean, depth = 0): string {
  if (typeof v === 'string') return v;
  if (!pretty) return '{' + v.map(([k, x]) => `${JSON.stringify(k)}:${layout(x, false, depth + 1)}`).join(',') + '}' + (depth === 0 ? '\n' : '');
  const pad = '\t'.repeat(depth + 1);
  return '{\n' + v.map(([k, x]) => `${pad}${JSON.stringify(k)}:\t${layout(x, true, depth + 1)}`).join(',\n') + (v.length ? '\n' : '') + '\t'.repeat(depth) + '}';
}

interface Options {
  includeNull?: boolean;
  override?: Record<string, [string, string, string]>;
  partitionValue?: (id: number) => string;
}

function dataEntries(row: 1 | 2 | 3 | 4, o: Options): Entries {
  const out: Entries = [['id', String(row)]];
  for (const [name, ...values] of COLUMNS) {
    if (row === 4) {
      if (o.includeNull) out.push([name, 'null']);
      continue;
    }
    out.push([name, (o.override?.[name] ?? values)[row - 1]!]);
  }
  return out;
}

function loadRecord(row: 1 | 2 | 3 | 4, o: Options): Entries {
  return [
    ['data', dataEntries(row, o)],
    ['metadata', [
      ['timestamp', '"<ts>"'],
      ['record-type', '"data"'],
      ['operation', '"load"'],
      ['partition-key-type', '"primary-key"'],
      ...(o.partitionValue ? [['partition-key-value', JSON.stringify(o.partitionValue(row))] as [string, Json]] : []),
      ['schema-name', '"ty"'],
      ['table-name', '"all_types"'],
    ]],
  ];
}

function controlRecord(op: 'drop-table' | 'create-table', body: Json | null, partitionValue?: string): Entries {
  return [
    ...(body !== null ? [['control', body] as [string, Json]] : []),
    ['metadata', [
      ['timestamp', '"<ts>"'],
      ['record-type', '"control"'],
      ['operation', JSON.stringify(op)],
      ['partition-key-type', '"task-id"'],
      ...(partitionValue ? [['partition-key-value', JSON.stringify(partitionValue)] as [string, Json]] : []),
      ['schema-name', '"ty"'],
      ['table-name', '"all_types"'],
    ]],
  ];
}

const TS = /("timestamp":\t?")(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)(")/;

interface Loaded {
  taskId: string;
  /** drop-table, create-table (one partition key, so in order). */
  control: Array<{ partitionKey: string; text: string }>;
  /** Load records by id. */
  loads: Array<{ partitionKey: string; text: string }>;
}

async function fullLoad(table: string, kinesisSettings: Record<string, unknown>): Promise<Loaded> {
  const stream = uniqueName('types');
  await createStream(kinesis(), stream, 1);
  const target = (await createKinesisTarget(stack.dms, uniqueName('tgt'), stream, kinesisSettings)).EndpointArn!;
  const task = await createTask(stack.dms, { id: uniqueName('task'), source, target, instance, mappings: selectionMappings('ty', table) });
  const arn = task.ReplicationTaskArn!;
  await waitForStatus(stack.dms, arn, ['ready']);
  await startTask(stack.dms, arn);
  const done = await waitForStatus(stack.dms, arn, ['stopped', 'failed']);
  expect([done.Status, done.StopReason, done.LastFailureMessage]).toEqual(['stopped', 'Stop Reason FULL_LOAD_ONLY_FINISHED', undefined]);
  const records = (await readAllRecords(kinesis(), stream)).map((r) => {
    // The wall-clock timestamp: checked for its shape, then masked.
    expect(r.data).toMatch(TS);
    return { partitionKey: r.partitionKey, text: r.data.replace(TS, '$1<ts>$3'), json: JSON.parse(r.data) as { data?: { id: number }; metadata: Record<string, unknown> } };
  });
  const isLoad = (r: (typeof records)[number]) => r.json.metadata.operation === 'load';
  return {
    taskId: arn.split(':').pop()!,
    control: records.filter((r) => !isLoad(r)).map(({ partitionKey, text }) => ({ partitionKey, text })),
    loads: records.filter(isLoad).sort((a, b) => a.json.data!.id - b.json.data!.id).map(({ partitionKey, text }) => ({ partitionKey, text })),
  };
}

function expectLoads(got: Loaded, pretty: boolean, o: Options = {}) {
  expect(got.loads.map((r) => r.text)).toEqual(([1, 2, 3, 4] as const).map((row) => layout(loadRecord(row, o), pretty)));
}

beforeAll(async () => {
  [stack, db] = await Promise.all([startTestStack({ runner: true }), startMariaDb()]);
  await db.query('CREATE DATABASE ty');
  await db.query(DDL);
  await db.query("SET time_zone = '+00:00'");
  await db.query(INSERT);
  source = (await createMySqlSource(stack.dms, 'src', { port: db.port, ...db.dmsUser })).EndpointArn!;
  instance = (await createInstance(stack.dms, 'inst')).ReplicationInstanceArn!;
});
afterAll(async () => {
  await Promise.all([stack?.stop(), db?.stop()]);
});

describe('full-load records of every column type', () => {
  it('MessageFormat json (the default): exact text, tab layout, NULLs left out', async () => {
    const got = await fullLoad('all_types', {});
    // The layout spelled out once, without the helper: the all-NULL row and the control records.
    expect(got.loads[3]!.text).toBe(
      '{\n\t"data":\t{\n\t\t"id":\t4\n\t},\n\t"metadata":\t{\n\t\t"timestamp":\t"<ts>",\n\t\t"record-type":\t"data",\n\t\t"operation":\t"load",\n' +
        '\t\t"partition-key-type":\t"primary-key",\n\t\t"schema-name":\t"ty",\n\t\t"table-name":\t"all_types"\n\t}\n}',
    );
    expect(got.control.map((r) => r.text)).toEqual([
      '{\n\t"metadata":\t{\n\t\t"timestamp":\t"<ts>",\n\t\t"record-type":\t"control",\n\t\t"operation":\t"drop-table",\n' +
        '\t\t"partition-key-type":\t"task-id",\n\t\t"schema-name":\t"ty",\n\t\t"table-name":\t"all_types"\n\t}\n}',
      '{\n\t"metadata":\t{\n\t\t"timestamp":\t"<ts>",\n\t\t"record-type":\t"control",\n\t\t"operation":\t"create-table",\n' +
        '\t\t"partition-key-type":\t"task-id",\n\t\t"schema-name":\t"ty",\n\t\t"table-name":\t"all_types"\n\t}\n}',
    ]);
    expect(got.control.map((r) => r.partitionKey)).toEqual([`${got.taskId}.ty.all_types`, `${got.taskId}.ty.all_types`]);
    expect(got.loads.map((r) => r.partitionKey)).toEqual(['1', '2', '3', '4']);
    expectLoads(got, true);
  });

  it('json-unformatted: the same values on one line', async () => {
    const got = await fullLoad('all_types', { MessageFormat: 'json-unformatted' });
    expect(got.loads[3]!.text).toBe(
      '{"data":{"id":4},"metadata":{"timestamp":"<ts>","record-type":"data","operation":"load","partition-key-type":"primary-key","schema-name":"ty","table-name":"all_types"}}\n',
    );
    expect(got.loads[2]!.text.startsWith('{"data":{"id":3,"ti":1,"tu":1,"si":-1,')).toBe(true);
    expectLoads(got, false);
    expect(got.control.map((r) => r.text)).toEqual([layout(controlRecord('drop-table', null), false), layout(controlRecord('create-table', null), false)]);
  });

  it('IncludeNullAndEmpty: NULL columns present as null', async () => {
    const got = await fullLoad('all_types', { IncludeNullAndEmpty: true });
    expect(got.loads[3]!.text).toContain('\t\t"id":\t4,\n\t\t"ti":\tnull,\n\t\t"tu":\tnull,');
    expectLoads(got, true, { includeNull: true });
  });

  it('NoHexPrefix: binary values without 0x', async () => {
    const got = await fullLoad('all_types', { MessageFormat: 'json-unformatted', NoHexPrefix: true });
    expectLoads(got, false, {
      override: {
        b64: ['"0000000000000000"', '"FFFFFFFFFFFFFFFF"', '"0000000000000201"'],
        bn: ['"00000000"', '"DEADBEEF"', '"01020000"'],
        vb: ['""', '"0102030405060708"', '"00"'],
        bl: ['"00FF"', '"FF"', '"DEADBEEF"'],
      },
    });
  });

  it('UseLargeIntegerValue: every BIGINT digit', async () => {
    const got = await fullLoad('all_types', { MessageFormat: 'json-unformatted', UseLargeIntegerValue: true });
    expectLoads(got, false, {
      override: {
        bi: ['-9223372036854775808', '9223372036854775807', '1234567890123456'],
        bu: ['0', '18446744073709551615', '12345678901234567'],
      },
    });
  });

  it('IncludePartitionValue + PartitionIncludeSchemaTable: schema.table.pk keys and partition-key-value', async () => {
    const got = await fullLoad('all_types', { MessageFormat: 'json-unformatted', IncludePartitionValue: true, PartitionIncludeSchemaTable: true });
    expect(got.loads.map((r) => r.partitionKey)).toEqual(['ty.all_types.1', 'ty.all_types.2', 'ty.all_types.3', 'ty.all_types.4']);
    expectLoads(got, false, { partitionValue: (id) => `ty.all_types.${id}` });
    // Control records: keyed by task and table; partition-key-value is the task id.
    expect(got.control.map((r) => r.partitionKey)).toEqual([`${got.taskId}.ty.all_types`, `${got.taskId}.ty.all_types`]);
    expect(got.control.map((r) => r.text)).toEqual([
      layout(controlRecord('drop-table', null, got.taskId), false),
      layout(controlRecord('create-table', null, got.taskId), false),
    ]);
  });

  it('IncludeControlDetails: the create-table table-def of every type', async () => {
    const got = await fullLoad('all_types', { IncludeControlDetails: true });
    const col = (type: string, ...more: Entries): Json => [['type', JSON.stringify(type)], ...more, ['nullable', 'true']];
    const len = (n: number): [string, Json] => ['length', String(n)];
    const tableDef: Entries = [
      ['columns', [
        ['id', [['type', '"INT4"'], ['nullable', 'false']]],
        ['ti', col('INT1')], ['tu', col('UINT1')], ['si', col('INT2')], ['su', col('UINT2')],
        ['mi', col('INT4')], ['mu', col('UINT4')], ['i', col('INT4')], ['iu', col('UINT4')],
        ['bi', col('INT8')], ['bu', col('UINT8')],
        ['d', col('NUMERIC', ['precision', '65'], ['scale', '30'])],
        ['f', col('REAL8')], ['db', col('REAL8')],
        ['b1', col('BOOLEAN')], ['b64', col('BYTES', len(8))],
        ['dt', col('DATE')], ['dtm', col('DATETIME')], ['dtm6', col('DATETIME')], ['ts', col('DATETIME')],
        ['tm', col('STRING')], ['y', col('INT2')],
        ['c', col('WSTRING', len(5))], ['vc', col('WSTRING', len(20))], ['tx', col('WSTRING', len(65535))], ['mt', col('NCLOB')],
        ['bn', col('BYTES', len(4))], ['vb', col('BYTES', len(8))], ['bl', col('BYTES', len(65535))],
        // MariaDB's JSON is LONGTEXT (information_schema says longtext): NCLOB.
        ['j', col('NCLOB')],
        ['e', col('WSTRING', len(1))], ['st', col('WSTRING', len(5))],
      ]],
      ['primary-key', '["id"]'],
      ['collation-name', '"utf8mb4_general_ci"'],
    ];
    expect(got.control.map((r) => r.text)).toEqual([
      layout(controlRecord('drop-table', []), true),
      layout(controlRecord('create-table', [['table-def', tableDef]]), true),
    ]);
    // Spelled out: the empty drop-table body and the start of the create-table one.
    expect(got.control[0]!.text.startsWith('{\n\t"control":\t{\n\t},\n\t"metadata":\t{\n')).toBe(true);
    expect(got.control[1]!.text.startsWith(
      '{\n\t"control":\t{\n\t\t"table-def":\t{\n\t\t\t"columns":\t{\n\t\t\t\t"id":\t{\n\t\t\t\t\t"type":\t"INT4",\n\t\t\t\t\t"nullable":\tfalse\n\t\t\t\t},\n' +
        '\t\t\t\t"ti":\t{\n\t\t\t\t\t"type":\t"INT1",\n\t\t\t\t\t"nullable":\ttrue\n\t\t\t\t},',
    )).toBe(true);
    expect(got.control[1]!.text).toContain('\t\t\t},\n\t\t\t"primary-key":\t["id"],\n\t\t\t"collation-name":\t"utf8mb4_general_ci"\n\t\t}\n\t},\n\t"metadata":\t{');
    // Load records are unchanged by IncludeControlDetails.
    expectLoads(got, true);
  });

  // mysql2's text-protocol float parser (Packet.parseFloat) builds values of up to 17 characters
  // digit by digit and can be one ulp off (92.42857142857143 -> 92.42857142857144); the server
  // sends the right text. The CDC path (binary binlog values) is not affected.
  it('DOUBLE keeps every significant digit (shortest round-trip text)', async () => {
    await db.query('CREATE TABLE ty.dbl (id INT PRIMARY KEY, v DOUBLE)');
    const values = [92.42857142857143, 0.30000000000000004, 1 / 3, 2 / 3, 1e-7, 123456789.12345679, 5e-324, -2.2250738585072014e-308];
    await db.query('INSERT INTO ty.dbl VALUES ?', [values.map((v, i) => [i + 1, v])]);
    const got = await fullLoad('dbl', { MessageFormat: 'json-unformatted' });
    const texts = got.loads.map((r) => /"v":([^,}]+)/.exec(r.text)![1]);
    expect(texts).toEqual(values.map((v) => String(v)));
  });
});
