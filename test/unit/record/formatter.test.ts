import { describe, expect, it } from 'vitest';
import type { SourceRow } from '../../../core/model/table.js';
import {
  AWSDMS_APPLY_EXCEPTIONS,
  createRecordFormatter,
  dmsTimestamp,
  formatCommitTimestamp,
  mysqlStreamPosition,
  mysqlTransactionId,
  mysqlTransactionIdText,
  type KinesisSettings,
  type RecordFormatterOptions,
} from '../../../core/record/index.js';
import { col, obj, table } from './helpers.js';

const TS = '2024-05-06T07:08:09.123456Z';
const TASK = 'DZ6OKLFYA5BWVG4RYROQUHXU4E';

function fmt(kinesis: KinesisSettings = {}, more: Partial<RecordFormatterOptions> = {}) {
  return createRecordFormatter({ kinesis, taskResourceId: TASK, parallelApply: false, beforeImage: null, clock: () => TS, ...more });
}
/** The record text without json-unformatted's newline delimiter (asserted on its own below). */
const text = (r: { data: Buffer }) => r.data.toString('utf8').replace(/\}\n$/, '}');

/** Expected record text from top-level [key, objectText] sections. */
function record(sections: Array<[string, string]>, pretty: boolean): string {
  if (!pretty) return '{' + sections.map(([k, v]) => `"${k}":${v}`).join(',') + '}';
  return '{' + sections.map(([k, v]) => `\n\t"${k}":\t${v}`).join(',') + '\n}';
}

// ---------------------------------------------------------------------------
// A table with one column of every MySQL type.

const ALL = table('shop', 'all_types', [
  col('id', 'int', { nullable: false }),
  col('c_tinyint', 'tinyint'),
  col('c_tinyint_u', 'tinyint unsigned'),
  col('c_smallint', 'smallint'),
  col('c_smallint_u', 'smallint unsigned'),
  col('c_mediumint', 'mediumint'),
  col('c_mediumint_u', 'mediumint unsigned'),
  col('c_int', 'int'),
  col('c_int_u', 'int unsigned'),
  col('c_bigint', 'bigint'),
  col('c_bigint_u', 'bigint unsigned'),
  col('c_bigint16', 'bigint'),
  col('c_dec_max', 'decimal(65,30)'),
  col('c_dec_min', 'decimal(65,30)'),
  col('c_dec', 'decimal(10,2)'),
  col('c_float', 'float'),
  col('c_double', 'double'),
  col('c_bit1', 'bit(1)'),
  col('c_bit1_off', 'bit(1)'),
  col('c_bit64', 'bit(64)'),
  col('c_date', 'date'),
  col('c_datetime', 'datetime'),
  col('c_datetime6', 'datetime(6)'),
  col('c_timestamp6', 'timestamp(6)'),
  col('c_time', 'time'),
  col('c_year', 'year'),
  col('c_char', 'char(10)'),
  col('c_varchar', 'varchar(255)'),
  col('c_text', 'text'),
  col('c_mediumtext', 'mediumtext'),
  col('c_binary', 'binary(4)'),
  col('c_varbinary', 'varbinary(8)'),
  col('c_blob', 'blob'),
  col('c_json', 'json'),
  col('c_enum', "enum('small','medium','large')"),
  col('c_set', "set('a','b','c')"),
  col('c_null', 'varchar(10)'),
], ['id'], 'utf8mb4_0900_ai_ci');

const ALL_ROW: SourceRow = {
  id: 1,
  c_tinyint: -128,
  c_tinyint_u: 255,
  c_smallint: -32768,
  c_smallint_u: 65535,
  c_mediumint: -8388608,
  c_mediumint_u: 16777215,
  c_int: -2147483648,
  c_int_u: 4294967295,
  c_bigint: '-9223372036854775808',
  c_bigint_u: '18446744073709551615',
  c_bigint16: 9007199254740991,
  c_dec_max: '99999999999999999999999999999999999.999999999999999999999999999999',
  c_dec_min: '-99999999999999999999999999999999999.999999999999999999999999999999',
  c_dec: '-12.50',
  c_float: Math.fround(1.1),
  c_double: 0.1,
  c_bit1: Buffer.from([1]),
  c_bit1_off: Buffer.from([0]),
  c_bit64: Buffer.from('8000000000000001', 'hex'),
  c_date: '2024-02-29',
  c_datetime: '2024-01-02 03:04:05',
  c_datetime6: '2024-01-02 03:04:05.678901',
  c_timestamp6: '2038-01-19 03:14:07.999999',
  c_time: '-838:59:59',
  c_year: 2155,
  c_char: 'abc',
  c_varchar: 'héllo 😀 "q"',
  c_text: 'line1\nline2\ttab',
  c_mediumtext: '',
  c_binary: Buffer.from([0x01, 0xab]),
  c_varbinary: Buffer.from([0xde, 0xad, 0xbe, 0xef]),
  c_blob: Buffer.from([0x00, 0xff]),
  c_json: '{"a": [1, 2], "b": "😀"}',
  c_enum: 'medium',
  c_set: 'a,c',
  c_null: null,
};

function allEntries(opts: { nulls?: boolean; noHex?: boolean; large?: boolean } = {}): string[] {
  const hx = opts.noHex ? '' : '0x';
  const e = [
    '"id":1',
    '"c_tinyint":-128',
    '"c_tinyint_u":255',
    '"c_smallint":-32768',
    '"c_smallint_u":65535',
    '"c_mediumint":-8388608',
    '"c_mediumint_u":16777215',
    '"c_int":-2147483648',
    '"c_int_u":4294967295',
    opts.large ? '"c_bigint":-9223372036854775808' : '"c_bigint":-9.22337203685478e+18',
    opts.large ? '"c_bigint_u":18446744073709551615' : '"c_bigint_u":1.84467440737096e+19',
    '"c_bigint16":9007199254740991',
    '"c_dec_max":99999999999999999999999999999999999.999999999999999999999999999999',
    '"c_dec_min":-99999999999999999999999999999999999.999999999999999999999999999999',
    '"c_dec":-12.50',
    '"c_float":1.1',
    '"c_double":0.1',
    '"c_bit1":true',
    '"c_bit1_off":false',
    `"c_bit64":"${hx}8000000000000001"`,
    '"c_date":"2024-02-29"',
    '"c_datetime":"2024-01-02T03:04:05Z"',
    '"c_datetime6":"2024-01-02T03:04:05.678901Z"',
    '"c_timestamp6":"2038-01-19T03:14:07.999999Z"',
    '"c_time":"-838:59:59"',
    '"c_year":2155',
    '"c_char":"abc"',
    '"c_varchar":"héllo 😀 \\"q\\""',
    '"c_text":"line1\\nline2\\ttab"',
    '"c_mediumtext":""',
    `"c_binary":"${hx}01AB0000"`,
    `"c_varbinary":"${hx}DEADBEEF"`,
    `"c_blob":"${hx}00FF"`,
    '"c_json":"{\\"a\\": [1, 2], \\"b\\": \\"😀\\"}"',
    '"c_enum":"medium"',
    '"c_set":"a,c"',
  ];
  if (opts.nulls) e.push('"c_null":null');
  return e;
}

const loadMeta = (extra: string[] = [], schema = 'shop', tbl = 'all_types') => [
  `"timestamp":"${TS}"`, '"record-type":"data"', '"operation":"load"', '"partition-key-type":"primary-key"',
  ...extra, `"schema-name":"${schema}"`, `"table-name":"${tbl}"`,
];

describe('full-load rows of every MySQL type', () => {
  for (const pretty of [false, true]) {
    const MessageFormat = pretty ? 'json' : 'json-unformatted';
    it(`default settings, ${MessageFormat}`, () => {
      const r = fmt({ MessageFormat }).load(ALL, ALL_ROW);
      expect(r.partitionKey).toBe('1');
      expect(text(r)).toBe(record([['data', obj(allEntries(), 1, pretty)], ['metadata', obj(loadMeta(), 1, pretty)]], pretty));
      expect(JSON.parse(text(r)).data.c_varchar).toBe('héllo 😀 "q"');
    });

    it(`all value flags on, ${MessageFormat}`, () => {
      const r = fmt({ MessageFormat, IncludeNullAndEmpty: true, NoHexPrefix: true, UseLargeIntegerValue: true }).load(ALL, ALL_ROW);
      expect(text(r)).toBe(
        record([['data', obj(allEntries({ nulls: true, noHex: true, large: true }), 1, pretty)], ['metadata', obj(loadMeta(), 1, pretty)]], pretty),
      );
    });
  }

  it('json starts with {\\n\\t and uses a tab after colons; json-unformatted is one line', () => {
    const pretty = text(fmt().load(ALL, ALL_ROW));
    expect(pretty.startsWith('{\n\t"data":\t{\n\t\t"id":\t1,\n\t\t"c_tinyint":\t-128,')).toBe(true);
    expect(pretty.endsWith('\n\t\t"table-name":\t"all_types"\n\t}\n}')).toBe(true);
    const flat = text(fmt({ MessageFormat: 'json-unformatted' }).load(ALL, ALL_ROW));
    expect(flat.startsWith('{"data":{"id":1,')).toBe(true);
    expect(flat.includes('\n')).toBe(false);
    expect(text(fmt({ MessageFormat: 'JSON_UNFORMATTED' }).load(ALL, ALL_ROW))).toBe(flat);
  });

  it('each value flag changes only its own values', () => {
    const base = text(fmt({ MessageFormat: 'json-unformatted' }).load(ALL, ALL_ROW));
    const nulls = text(fmt({ MessageFormat: 'json-unformatted', IncludeNullAndEmpty: true }).load(ALL, ALL_ROW));
    expect(nulls).toBe(base.replace('"c_set":"a,c"}', '"c_set":"a,c","c_null":null}'));
    const nohex = text(fmt({ MessageFormat: 'json-unformatted', NoHexPrefix: true }).load(ALL, ALL_ROW));
    expect(nohex).toBe(base.replace(/"0x/g, '"'));
    const large = text(fmt({ MessageFormat: 'json-unformatted', UseLargeIntegerValue: true }).load(ALL, ALL_ROW));
    expect(large).toBe(base.replace('-9.22337203685478e+18', '-9223372036854775808').replace('1.84467440737096e+19', '18446744073709551615'));
  });

  it('an all-NULL row gives an empty data object', () => {
    const t = table('s', 't', [col('a', 'int'), col('b', 'varchar(3)')]);
    expect(text(fmt().load(t, { a: null, b: null }))).toBe(
      '{\n\t"data":\t{\n\t},\n\t"metadata":\t{\n\t\t"timestamp":\t"' + TS +
        '",\n\t\t"record-type":\t"data",\n\t\t"operation":\t"load",\n\t\t"partition-key-type":\t"primary-key",\n\t\t"schema-name":\t"s",\n\t\t"table-name":\t"t"\n\t}\n}',
    );
    expect(text(fmt({ MessageFormat: 'json-unformatted' }).load(t, { a: null }))).toBe(
      `{"data":{},"metadata":{"timestamp":"${TS}","record-type":"data","operation":"load","partition-key-type":"primary-key","schema-name":"s","table-name":"t"}}`,
    );
  });
});

// ---------------------------------------------------------------------------

describe('AWS verbatim examples', () => {
  it('CDC insert with transaction details, partition value and schema-table in the key', () => {
    const t = table('sbtest', 'sbtest_x', [col('id', 'int', { nullable: false }), col('fname', 'varchar(255)'), col('lname', 'varchar(255)'), col('REGION', 'varchar(255)')], ['id']);
    const f = fmt(
      { MessageFormat: 'json-unformatted', IncludeTransactionDetails: true, IncludePartitionValue: true, PartitionIncludeSchemaTable: true },
      { parallelApply: true, clock: () => '2019-10-31T22:53:59.721201Z' },
    );
    const txid = mysqlTransactionId('mysql-bin-changelog.002171', 36912135);
    const r = f.change('insert', t, { id: 100000161, fname: 'val61s', lname: 'val61s', REGION: 'val61s' }, null, {
      transactionId: txid,
      transactionRecordId: 1,
      prevTransactionId: 9324410910341n,
      prevTransactionRecordId: 10,
      commitTimestamp: Date.UTC(2019, 9, 31, 22, 53, 55) / 1000,
      streamPosition: mysqlStreamPosition({
        binlogFile: 'mysql-bin-changelog.002171', eventPosition: 36912271, rowIndex: 0, nextPosition: 36912333,
        transactionId: txid, tableMapPosition: 36912209,
      }),
    });
    expect(r.partitionKey).toBe('sbtest.sbtest_x.100000161');
    expect(text(r)).toBe(
      '{"data":{"id":100000161,"fname":"val61s","lname":"val61s","REGION":"val61s"},' +
        '"metadata":{"timestamp":"2019-10-31T22:53:59.721201Z","record-type":"data","operation":"insert",' +
        '"partition-key-type":"primary-key","partition-key-value":"sbtest.sbtest_x.100000161",' +
        '"schema-name":"sbtest","table-name":"sbtest_x","transaction-id":9324410911751,' +
        '"transaction-record-id":1,"prev-transaction-id":9324410910341,"prev-transaction-record-id":10,' +
        '"commit-timestamp":"2019-10-31T22:53:55.000000Z",' +
        '"stream-position":"mysql-bin-changelog.002171:36912271:0:36912333:9324410911751:mysql-bin-changelog.002171:36912209"}}',
    );
  });

  it('create-table control record with IncludeControlDetails', () => {
    const t = table('sbtest', 'sbtest_t1', [col('id', 'varchar(512)', { nullable: false }), col('fname', 'varchar(255)')], ['id'], 'latin1_swedish_ci');
    const r = fmt({ MessageFormat: 'json-unformatted', IncludeControlDetails: true }, { clock: () => '2019-11-21T19:14:22.223792Z' }).control('create-table', t);
    expect(r.partitionKey).toBe(`${TASK}.sbtest.sbtest_t1`);
    expect(text(r)).toBe(
      '{"control":{"table-def":{"columns":{' +
        '"id":{"type":"WSTRING","length":512,"nullable":false},' +
        '"fname":{"type":"WSTRING","length":255,"nullable":true}},' +
        '"primary-key":["id"],"collation-name":"latin1_swedish_ci"}},' +
        '"metadata":{"timestamp":"2019-11-21T19:14:22.223792Z","record-type":"control","operation":"create-table",' +
        '"partition-key-type":"task-id","schema-name":"sbtest","table-name":"sbtest_t1"}}',
    );
  });

  it('default-settings full-load row', () => {
    const t = table('crm', 'leads', [col('id', 'int', { nullable: false }), col('created_at', 'datetime')], ['id']);
    const r = fmt({ MessageFormat: 'json-unformatted' }, { clock: () => '2020-12-15T05:47:42.724458Z' }).load(t, { id: 315209, created_at: '2020-01-09 04:13:38' });
    expect(r.partitionKey).toBe('315209');
    expect(text(r)).toBe(
      '{"data":{"id":315209,"created_at":"2020-01-09T04:13:38Z"},"metadata":{"timestamp":"2020-12-15T05:47:42.724458Z","record-type":"data","operation":"load","partition-key-type":"primary-key","schema-name":"crm","table-name":"leads"}}',
    );
  });

  it('default-settings delete keyed by primary key (parallel apply)', () => {
    const t = table('testdb', 'retail_trans', [
      col('trans_id', 'int', { nullable: false }), col('customer_id', 'varchar(12)'), col('amount', 'int'), col('trans_datetime', 'datetime'),
    ], ['trans_id']);
    const r = fmt({ MessageFormat: 'json-unformatted' }, { parallelApply: true, clock: () => '2023-01-16T08:10:49.737891Z' }).change(
      'delete', t, { trans_id: 6, customer_id: '387378799012', amount: 3, trans_datetime: '2023-01-16 06:18:32' }, null,
      { transactionId: mysqlTransactionId('mysql-bin-changelog.000003', 76211) },
    );
    expect(r.partitionKey).toBe('6');
    expect(text(r)).toBe(
      '{"data":{"trans_id":6,"customer_id":"387378799012","amount":3,"trans_datetime":"2023-01-16T06:18:32Z"},"metadata":{"timestamp":"2023-01-16T08:10:49.737891Z","record-type":"data","operation":"delete","partition-key-type":"primary-key","schema-name":"testdb","table-name":"retail_trans","transaction-id":12884978099}}',
    );
  });

  it('pretty (json) full-load row as published from a MySQL source', () => {
    const t = table('employees', 'employees', [
      col('emp_no', 'int', { nullable: false }), col('birth_date', 'date'), col('first_name', 'varchar(14)'),
      col('last_name', 'varchar(16)'), col('gender', "enum('M','F')"), col('hire_date', 'date'),
    ], ['emp_no']);
    const r = fmt({}, { clock: () => '2019-10-09T12:04:00.209212Z' }).load(t, {
      emp_no: 67147, birth_date: '1959-04-05', first_name: 'Yucai', last_name: 'Krider', gender: 'F', hire_date: '1990-12-07',
    });
    expect(text(r)).toBe(`{
\t"data":\t{
\t\t"emp_no":\t67147,
\t\t"birth_date":\t"1959-04-05",
\t\t"first_name":\t"Yucai",
\t\t"last_name":\t"Krider",
\t\t"gender":\t"F",
\t\t"hire_date":\t"1990-12-07"
\t},
\t"metadata":\t{
\t\t"timestamp":\t"2019-10-09T12:04:00.209212Z",
\t\t"record-type":\t"data",
\t\t"operation":\t"load",
\t\t"partition-key-type":\t"primary-key",
\t\t"schema-name":\t"employees",
\t\t"table-name":\t"employees"
\t}
}`);
  });

  it('pretty (json) CDC delete as published', () => {
    const t = table('db', 'tb', [col('temp', 'int')]);
    const r = fmt({}, { clock: () => '2024-09-05T05:11:52.893007Z' }).change('delete', t, { temp: 1 }, null, { transactionId: 5145370820848n });
    expect(r.partitionKey).toBe('db.tb');
    expect(text(r)).toBe(`{
\t"data":\t{
\t\t"temp":\t1
\t},
\t"metadata":\t{
\t\t"timestamp":\t"2024-09-05T05:11:52.893007Z",
\t\t"record-type":\t"data",
\t\t"operation":\t"delete",
\t\t"partition-key-type":\t"schema-table",
\t\t"schema-name":\t"db",
\t\t"table-name":\t"tb",
\t\t"transaction-id":\t5145370820848
\t}
}`);
  });

  it('awsdms_apply_exceptions create-table without control details', () => {
    const r = fmt({ MessageFormat: 'json-unformatted' }, { clock: () => '2021-02-18T23:09:09.509179Z' }).control('create-table', AWSDMS_APPLY_EXCEPTIONS);
    expect(r.partitionKey).toBe(`${TASK}..awsdms_apply_exceptions`);
    expect(text(r)).toBe(
      '{"metadata":{"timestamp":"2021-02-18T23:09:09.509179Z","record-type":"control","operation":"create-table","partition-key-type":"task-id","schema-name":"","table-name":"awsdms_apply_exceptions"}}',
    );
  });
});

// ---------------------------------------------------------------------------

const ORDERS = table('shop', 'orders', [
  col('id', 'bigint', { nullable: false }),
  col('status', 'varchar(20)'),
  col('note', 'text'),
  col('total', 'decimal(10,2)'),
], ['id'], 'utf8mb4_general_ci');

describe('control records', () => {
  const f = fmt({ IncludeControlDetails: true });

  it('create-table with details, pretty', () => {
    expect(text(f.control('create-table', ORDERS))).toBe(`{
\t"control":\t{
\t\t"table-def":\t{
\t\t\t"columns":\t{
\t\t\t\t"id":\t{
\t\t\t\t\t"type":\t"INT8",
\t\t\t\t\t"nullable":\tfalse
\t\t\t\t},
\t\t\t\t"status":\t{
\t\t\t\t\t"type":\t"WSTRING",
\t\t\t\t\t"length":\t20,
\t\t\t\t\t"nullable":\ttrue
\t\t\t\t},
\t\t\t\t"note":\t{
\t\t\t\t\t"type":\t"WSTRING",
\t\t\t\t\t"length":\t65535,
\t\t\t\t\t"nullable":\ttrue
\t\t\t\t},
\t\t\t\t"total":\t{
\t\t\t\t\t"type":\t"NUMERIC",
\t\t\t\t\t"precision":\t10,
\t\t\t\t\t"scale":\t2,
\t\t\t\t\t"nullable":\ttrue
\t\t\t\t}
\t\t\t},
\t\t\t"primary-key":\t["id"],
\t\t\t"collation-name":\t"utf8mb4_general_ci"
\t\t}
\t},
\t"metadata":\t{
\t\t"timestamp":\t"${TS}",
\t\t"record-type":\t"control",
\t\t"operation":\t"create-table",
\t\t"partition-key-type":\t"task-id",
\t\t"schema-name":\t"shop",
\t\t"table-name":\t"orders"
\t}
}`);
  });

  it('drop-table with details has an empty control object', () => {
    const r = f.control('drop-table', ORDERS);
    expect(r.partitionKey).toBe(`${TASK}.shop.orders`);
    expect(text(r).startsWith('{\n\t"control":\t{\n\t},\n\t"metadata":\t{\n')).toBe(true);
    expect(text(fmt({ IncludeControlDetails: true, MessageFormat: 'json-unformatted' }).control('drop-table', ORDERS))).toBe(
      `{"control":{},"metadata":{"timestamp":"${TS}","record-type":"control","operation":"drop-table","partition-key-type":"task-id","schema-name":"shop","table-name":"orders"}}`,
    );
  });

  it('without IncludeControlDetails only metadata is written', () => {
    for (const op of ['create-table', 'drop-table', 'add-column'] as const) {
      expect(text(fmt().control(op, ORDERS))).toBe(
        `{\n\t"metadata":\t{\n\t\t"timestamp":\t"${TS}",\n\t\t"record-type":\t"control",\n\t\t"operation":\t"${op}",\n\t\t"partition-key-type":\t"task-id",\n\t\t"schema-name":\t"shop",\n\t\t"table-name":\t"orders"\n\t}\n}`,
      );
    }
  });

  it('column-level ALTER records carry the table-def after the change', () => {
    const t2 = table('shop', 'orders', [...ORDERS.columns, col('extra', 'int unsigned')], ['id']);
    for (const op of ['add-column', 'drop-column', 'rename-column', 'column-type-change', 'change-columns', 'rename-table'] as const) {
      expect(text(fmt({ IncludeControlDetails: true, MessageFormat: 'json-unformatted' }).control(op, t2))).toBe(
        '{"control":{"table-def":{"columns":{"id":{"type":"INT8","nullable":false},"status":{"type":"WSTRING","length":20,"nullable":true},' +
          '"note":{"type":"WSTRING","length":65535,"nullable":true},"total":{"type":"NUMERIC","precision":10,"scale":2,"nullable":true},' +
          '"extra":{"type":"UINT4","nullable":true}},"primary-key":["id"]}},' +
          `"metadata":{"timestamp":"${TS}","record-type":"control","operation":"${op}","partition-key-type":"task-id","schema-name":"shop","table-name":"orders"}}`,
      );
    }
  });

  it('table without primary key or collation omits those members; composite keys are listed', () => {
    const nopk = table('s', 'log', [col('msg', 'varchar(5)')]);
    expect(text(fmt({ IncludeControlDetails: true, MessageFormat: 'json-unformatted' }).control('create-table', nopk))).toContain(
      '{"control":{"table-def":{"columns":{"msg":{"type":"WSTRING","length":5,"nullable":true}}}},',
    );
    const comp = table('s', 'c', [col('a', 'int'), col('b', 'int')], ['b', 'a']);
    expect(text(fmt({ IncludeControlDetails: true }).control('create-table', comp))).toContain('\t\t\t"primary-key":\t["b", "a"]\n');
    expect(text(fmt({ IncludeControlDetails: true, MessageFormat: 'json-unformatted' }).control('create-table', comp))).toContain('"primary-key":["b","a"]}');
  });

  it('awsdms_apply_exceptions create-table with details', () => {
    expect(text(fmt({ IncludeControlDetails: true, MessageFormat: 'json-unformatted' }).control('create-table', AWSDMS_APPLY_EXCEPTIONS))).toBe(
      '{"control":{"table-def":{"columns":{"TASK_NAME":{"type":"STRING","length":128,"nullable":false},' +
        '"TABLE_OWNER":{"type":"STRING","length":128,"nullable":false},"TABLE_NAME":{"type":"STRING","length":128,"nullable":false},' +
        '"ERROR_TIME":{"type":"TIMESTAMP","nullable":false},"STATEMENT":{"type":"STRING","nullable":false},' +
        '"ERROR":{"type":"STRING","nullable":false}}}},' +
        `"metadata":{"timestamp":"${TS}","record-type":"control","operation":"create-table","partition-key-type":"task-id","schema-name":"","table-name":"awsdms_apply_exceptions"}}`,
    );
  });

  it('IncludePartitionValue puts the task id in control metadata; task-level key is the task id', () => {
    const r = fmt({ IncludePartitionValue: true, MessageFormat: 'json-unformatted' }).control('create-table', ORDERS);
    expect(text(r)).toBe(
      `{"metadata":{"timestamp":"${TS}","record-type":"control","operation":"create-table","partition-key-type":"task-id","partition-key-value":"${TASK}","schema-name":"shop","table-name":"orders"}}`,
    );
    const task = fmt({ IncludeControlDetails: true, MessageFormat: 'json-unformatted' }).control('create-table', null);
    expect(task.partitionKey).toBe(TASK);
    expect(text(task)).toBe(
      `{"control":{},"metadata":{"timestamp":"${TS}","record-type":"control","operation":"create-table","partition-key-type":"task-id","schema-name":"","table-name":""}}`,
    );
  });
});

// ---------------------------------------------------------------------------

const TXN = {
  transactionId: mysqlTransactionId('mysql-bin.000002', 4),
  transactionRecordId: 2,
  prevTransactionId: '8589934596',
  prevTransactionRecordId: 1,
  commitTimestamp: 1714979289,
  streamPosition: 'mysql-bin.000002:300:1:360:8589934596:mysql-bin.000002:250',
};
const ROW = { id: '1234567890123456789', status: 'paid', note: 'long text', total: '9.90' };

describe('CDC rows', () => {
  const cdcMeta = (op: string, txn: string[]) => [
    `"timestamp":"${TS}"`, '"record-type":"data"', `"operation":"${op}"`, '"partition-key-type":"schema-table"',
    '"schema-name":"shop"', '"table-name":"orders"', ...txn,
  ];
  const data = ['"id":1.23456789012346e+18', '"status":"paid"', '"note":"long text"', '"total":9.90'];

  for (const pretty of [false, true]) {
    const MessageFormat = pretty ? 'json' : 'json-unformatted';
    for (const op of ['insert', 'update', 'delete'] as const) {
      it(`${op} without transaction details, ${MessageFormat}`, () => {
        const r = fmt({ MessageFormat }).change(op, ORDERS, ROW, null, TXN);
        expect(r.partitionKey).toBe('shop.orders');
        expect(text(r)).toBe(record([['data', obj(data, 1, pretty)], ['metadata', obj(cdcMeta(op, ['"transaction-id":8589934596']), 1, pretty)]], pretty));
      });
    }

    it(`with IncludeTransactionDetails, ${MessageFormat}`, () => {
      const r = fmt({ MessageFormat, IncludeTransactionDetails: true }).change('insert', ORDERS, ROW, null, TXN);
      expect(text(r)).toBe(
        record([['data', obj(data, 1, pretty)], ['metadata', obj(cdcMeta('insert', [
          '"transaction-id":8589934596', '"transaction-record-id":2', '"prev-transaction-id":8589934596',
          '"prev-transaction-record-id":1', '"commit-timestamp":"2024-05-06T07:08:09.000000Z"',
          '"stream-position":"mysql-bin.000002:300:1:360:8589934596:mysql-bin.000002:250"',
        ]), 1, pretty)]], pretty),
      );
    });
  }

  it('first record after a start has no prev-* fields', () => {
    const r = fmt({ MessageFormat: 'json-unformatted', IncludeTransactionDetails: true }).change('insert', ORDERS, ROW, null, {
      transactionId: 8589934596n, transactionRecordId: 1, commitTimestamp: 1714979289, streamPosition: 'p',
    });
    expect(text(r)).toContain('"transaction-id":8589934596,"transaction-record-id":1,"commit-timestamp":"2024-05-06T07:08:09.000000Z","stream-position":"p"}}');
    expect(text(r)).not.toContain('prev-');
  });

  it('IncludePartitionValue is never written for schema-table', () => {
    const r = fmt({ MessageFormat: 'json-unformatted', IncludePartitionValue: true }).change('insert', ORDERS, ROW, null, TXN);
    expect(r.partitionKey).toBe('shop.orders');
    expect(text(r)).not.toContain('partition-key-value');
    expect(text(r)).toContain('"partition-key-type":"schema-table"');
  });

  it('PartitionIncludeSchemaTable keys CDC rows by schema.table.pk, as real AWS output shows', () => {
    const r = fmt({ MessageFormat: 'json-unformatted', IncludePartitionValue: true, PartitionIncludeSchemaTable: true }).change('insert', ORDERS, ROW, null, TXN);
    expect(r.partitionKey).toMatch(/^shop\.orders\./);
    expect(text(r)).toContain(`"partition-key-type":"primary-key","partition-key-value":"${r.partitionKey}"`);
  });

  it('transaction ids beyond 2^53 keep every digit', () => {
    const id = mysqlTransactionId('mysql-bin-changelog.4000000', 4294967295);
    expect(id).toBe(17179873478967295n);
    const r = fmt({ MessageFormat: 'json-unformatted', IncludeTransactionDetails: true }).change('update', ORDERS, ROW, null, {
      transactionId: id, prevTransactionId: '17179869187999999999',
    });
    expect(text(r)).toContain(`"transaction-id":${id.toString()},"prev-transaction-id":17179869187999999999}`);
  });

  it('mysqlTransactionIdText is mysqlTransactionId in decimal, below and beyond 2^53', () => {
    for (const [file, pos] of [['mysql-bin.000001', 4], ['mysql-bin-changelog.002171', 36912135], ['mysql-bin.2097151', 4294967295], ['mysql-bin.2097152', 0], ['mysql-bin-changelog.4000000', 4294967295], ['mysql-bin.000001', 7]] as const) {
      expect(mysqlTransactionIdText(file, pos)).toBe(mysqlTransactionId(file, pos).toString());
    }
    expect(() => mysqlTransactionIdText('mysql-bin.000001', -1)).toThrow(RangeError);
    expect(() => mysqlTransactionIdText('nofile', 4)).toThrow(/sequence number/);
  });

  it('rejects unsafe numeric and non-numeric transaction ids', () => {
    const f = fmt();
    expect(() => f.change('insert', ORDERS, ROW, null, { transactionId: 2 ** 60 })).toThrow(RangeError);
    expect(() => f.change('insert', ORDERS, ROW, null, { transactionId: '12a' })).toThrow(/not a decimal integer/);
  });
});

describe('record delimiters', () => {
  it('json-unformatted ends with exactly one newline; json ends with its closing brace', () => {
    const flat = fmt({ MessageFormat: 'json-unformatted' }).load(ALL, ALL_ROW).data.toString('utf8');
    expect(flat.endsWith('}\n')).toBe(true);
    expect(flat.indexOf('\n')).toBe(flat.length - 1);
    const pretty = fmt({ MessageFormat: 'json' }).load(ALL, ALL_ROW).data.toString('utf8');
    expect(pretty.endsWith('\n}')).toBe(true);
  });
});

describe('partition keys', () => {
  const comp = table('s', 'c', [col('a', 'int'), col('b', 'varchar(5)'), col('v', 'int')], ['b', 'a']);
  const nopk = table('s', 'n', [col('v', 'int')]);

  it('full load: primary key, schema.table.pk with PartitionIncludeSchemaTable', () => {
    expect(fmt().load(ORDERS, ROW).partitionKey).toBe('1234567890123456789');
    expect(fmt({ PartitionIncludeSchemaTable: true }).load(ORDERS, ROW).partitionKey).toBe('shop.orders.1234567890123456789');
    expect(fmt().load(comp, { a: 1, b: 'x', v: 2 }).partitionKey).toBe('x.1');
    expect(fmt({ PartitionIncludeSchemaTable: true }).load(comp, { a: 1, b: 'x', v: 2 }).partitionKey).toBe('s.c.x.1');
    expect(fmt().load(nopk, { v: 1 }).partitionKey).toBe('s.n');
    expect(fmt({ PartitionIncludeSchemaTable: true }).load(nopk, { v: 1 }).partitionKey).toBe('s.n');
  });

  it('full load partition-key-value only with IncludePartitionValue, equal to the key', () => {
    expect(text(fmt({ MessageFormat: 'json-unformatted' }).load(ORDERS, ROW))).not.toContain('partition-key-value');
    expect(text(fmt({ MessageFormat: 'json-unformatted', IncludePartitionValue: true, PartitionIncludeSchemaTable: true }).load(ORDERS, ROW))).toBe(
      `{"data":{"id":1.23456789012346e+18,"status":"paid","note":"long text","total":9.90},"metadata":{"timestamp":"${TS}","record-type":"data","operation":"load","partition-key-type":"primary-key","partition-key-value":"shop.orders.1234567890123456789","schema-name":"shop","table-name":"orders"}}`,
    );
    expect(text(fmt({ MessageFormat: 'json-unformatted', IncludePartitionValue: true }).load(comp, { a: 1, b: 'x' }))).toContain('"partition-key-value":"x.1"');
  });

  it('CDC: schema.table, or the primary key with parallel apply', () => {
    expect(fmt().change('update', comp, { a: 1, b: 'x' }, null, TXN).partitionKey).toBe('s.c');
    const pa = fmt({ MessageFormat: 'json-unformatted', IncludePartitionValue: true }, { parallelApply: true });
    const r = pa.change('update', comp, { a: 1, b: 'x' }, null, TXN);
    expect(r.partitionKey).toBe('x.1');
    expect(text(r)).toContain('"partition-key-type":"primary-key","partition-key-value":"x.1","schema-name":"s"');
    expect(fmt({ PartitionIncludeSchemaTable: true }, { parallelApply: true }).change('delete', comp, { a: 1, b: 'x' }, null, TXN).partitionKey).toBe('s.c.x.1');
  });

  it('control: task.schema.table', () => {
    expect(fmt().control('create-table', comp).partitionKey).toBe(`${TASK}.s.c`);
  });
});

describe('before image', () => {
  const before = { id: '1234567890123456789', status: 'new', note: 'old note', total: null };
  const bi = (columnFilter: 'pk-only' | 'non-lob' | 'all', kinesis: KinesisSettings = {}) =>
    fmt({ MessageFormat: 'json-unformatted', ...kinesis }, { beforeImage: { fieldName: 'before-image', columnFilter } });
  const tail = `"metadata":{"timestamp":"${TS}","record-type":"data","operation":"update","partition-key-type":"schema-table","schema-name":"shop","table-name":"orders","transaction-id":8589934596}}`;
  const dataPart = '{"data":{"id":1.23456789012346e+18,"status":"paid","note":"long text","total":9.90},';

  it('pk-only', () => {
    expect(text(bi('pk-only').change('update', ORDERS, ROW, before, TXN))).toBe(dataPart + '"before-image":{"id":1.23456789012346e+18},' + tail);
  });

  it('non-lob and all never include LOB columns; NULLs follow IncludeNullAndEmpty', () => {
    expect(text(bi('non-lob').change('update', ORDERS, ROW, before, TXN))).toBe(dataPart + '"before-image":{"id":1.23456789012346e+18,"status":"new"},' + tail);
    expect(text(bi('all').change('update', ORDERS, ROW, before, TXN))).toBe(dataPart + '"before-image":{"id":1.23456789012346e+18,"status":"new"},' + tail);
    expect(text(bi('all', { IncludeNullAndEmpty: true }).change('update', ORDERS, ROW, before, TXN))).toBe(
      dataPart + '"before-image":{"id":1.23456789012346e+18,"status":"new","total":null},' + tail,
    );
  });

  it('uses FieldName and the pretty layout', () => {
    const f = fmt({}, { beforeImage: { fieldName: 'BI', columnFilter: 'pk-only' } });
    const s = text(f.change('update', ORDERS, ROW, before, TXN));
    expect(s).toContain('\n\t\t"total":\t9.90\n\t},\n\t"BI":\t{\n\t\t"id":\t1.23456789012346e+18\n\t},\n\t"metadata":\t{\n');
  });

  it('only on updates, only when enabled, and empty when nothing qualifies', () => {
    expect(text(bi('all').change('insert', ORDERS, ROW, before, TXN))).not.toContain('before-image');
    expect(text(bi('all').change('delete', ORDERS, ROW, before, TXN))).not.toContain('before-image');
    expect(text(fmt({ MessageFormat: 'json-unformatted' }).change('update', ORDERS, ROW, before, TXN))).not.toContain('before-image');
    const nopk = table('s', 'n', [col('v', 'text')]);
    expect(text(bi('pk-only').change('update', nopk, { v: 'a' }, { v: 'b' }, TXN))).toContain('"data":{"v":"a"},"before-image":{},"metadata"');
    expect(text(fmt({}, { beforeImage: { fieldName: 'b', columnFilter: 'pk-only' } }).change('update', nopk, { v: 'a' }, { v: 'b' }, TXN))).toContain(
      '\n\t"b":\t{\n\t},\n',
    );
  });
});

describe('helpers', () => {
  it('mysqlTransactionId = (file number << 32) | offset', () => {
    expect(mysqlTransactionId('mysql-bin-changelog.002171', 36912135)).toBe(9324410911751n);
    expect(mysqlTransactionId('mysql-bin-changelog.157832', 1808)).toBe(677883278264080n);
    expect(mysqlTransactionId('binlog.000001', 0)).toBe(4294967296n);
    expect(() => mysqlTransactionId('nonumber', 4)).toThrow();
    expect(() => mysqlTransactionId('binlog.000001', -1)).toThrow(RangeError);
    expect(() => mysqlTransactionId('binlog.000001', 2 ** 32)).toThrow(RangeError);
  });

  it('mysqlStreamPosition reproduces the AWS checkpoint shape', () => {
    expect(mysqlStreamPosition({
      binlogFile: 'mysql-bin-changelog.157832', eventPosition: 1975, rowIndex: -1, nextPosition: 2002,
      transactionId: 677883278264080n, tableMapPosition: 1876,
    })).toBe('mysql-bin-changelog.157832:1975:-1:2002:677883278264080:mysql-bin-changelog.157832:1876');
  });

  it('formatCommitTimestamp', () => {
    expect(formatCommitTimestamp(Date.UTC(2019, 9, 31, 22, 53, 55) / 1000)).toBe('2019-10-31T22:53:55.000000Z');
    expect(formatCommitTimestamp(1.5)).toBe('1970-01-01T00:00:01.500000Z');
  });

  it('dmsTimestamp has 6 fractional digits and follows the wall clock', () => {
    const before = Date.now();
    const s = dmsTimestamp();
    const after = Date.now();
    expect(s).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const ms = Date.parse(s.slice(0, 23) + 'Z');
    expect(ms).toBeGreaterThanOrEqual(before - 5);
    expect(ms).toBeLessThanOrEqual(after + 5);
  });

  it('the default clock is used when none is injected', () => {
    const f = createRecordFormatter({ kinesis: { MessageFormat: 'json-unformatted' }, taskResourceId: TASK, parallelApply: false, beforeImage: null });
    const m = /"timestamp":"([^"]+)"/.exec(text(f.load(ORDERS, ROW)));
    expect(m?.[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('rejects an unknown MessageFormat', () => {
    expect(() => fmt({ MessageFormat: 'xml' })).toThrow(/MessageFormat/);
  });

  it('plans are cached per TableDef but a new TableDef is re-planned', () => {
    const f = fmt({ MessageFormat: 'json-unformatted' });
    const t1 = table('s', 't', [col('a', 'int')]);
    expect(text(f.load(t1, { a: 1 }))).toContain('"data":{"a":1}');
    const t2 = table('s', 't', [col('a', 'int'), col('b', 'int')]);
    expect(text(f.load(t2, { a: 1, b: 2 }))).toContain('"data":{"a":1,"b":2}');
    expect(text(f.load(t1, { a: 1, b: 2 }))).toContain('"data":{"a":1}');
  });
});
