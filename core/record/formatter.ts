// The one AWS DMS Kinesis record formatter: full-load rows, CDC rows and control records,
// written as JSON text byte-for-byte in DMS's layout.
//
// Layout: AWS DMS prints with cJSON. MessageFormat `json` (default) = cJSON_Print: TAB
// indentation and a TAB after each colon (`{\n\t"data":\t{\n\t\t"id":\t1,`), arrays inline
// with ", " (`["id", "x"]`), no trailing newline. `json-unformatted` = one line, no spaces, ending in a newline.
// (Verified against published AWS output, e.g. `"ticket_price":\t46.570000`.)
//
// Undocumented by AWS; chosen:
// - Empty objects (all columns NULL, `control` of drop-table, empty before image) print
//   as `{\n<indent>}` in `json` (current cJSON), e.g. `"control":\t{\n\t}`; `{}` unformatted.
// - Top-level key order with a before image: data, <FieldName>, metadata.
// - Before image: only on `update`; pk-only = primary-key columns, non-lob and all = every
//   non-LOB column (LOB = TEXT/BLOB families, JSON, spatial); NULLs follow IncludeNullAndEmpty.
// - Partition key text of a value: its JSON rendering without quotes, integers always
//   exact digits. Composite primary keys: the column values joined with "." in key order.
//   Table without primary key: `schema.table` (also with PartitionIncludeSchemaTable, not
//   doubled); partition-key-type stays `primary-key`.
// - partition-key-value (IncludePartitionValue) = the Kinesis partition key for
//   primary-key records; = the task resource id for task-id (control) records, as seen in
//   real AWS output. Never for schema-table.
// - Control records: Kinesis partition key `<taskResourceId>.<schema>.<table>` by plain
//   concatenation, so awsdms_apply_exceptions (schema "") gets `<task>..awsdms_apply_exceptions`;
//   `control(op, null)` is task-level: key `<taskResourceId>`, schema-name/table-name "".
// - Control body with IncludeControlDetails: drop-table -> `"control":{}`; every other
//   operation (create-table, rename-table and the column-level ALTER records add-column,
//   drop-column, rename-column, column-type-change, change-columns) ->
//   `"control":{"table-def":{...}}` describing the table as passed in (i.e. after the
//   change). table-def = columns, then primary-key (omitted when the table has none),
//   then collation-name (omitted when unknown).
// - Whether an ALTER control record is emitted at all (IncludeTableAlterOperations) is the
//   caller's decision: this module formats whatever it is asked to.
// - `timestamp`: wall clock with microseconds (performance.timeOrigin + performance.now()).
// - `commit-timestamp`: binlog event seconds, `YYYY-MM-DDTHH:MM:SS.000000Z` (a fractional
//   input keeps its microseconds).
// - stream-position (MySQL): `<binlog>:<rows event pos>:<row index in event>:<next event
//   pos>:<transaction-id>:<binlog>:<table-map event pos>`, inferred from the published
//   example `mysql-bin-changelog.002171:36912271:0:36912333:9324410911751:mysql-bin-changelog.002171:36912209`
//   (the table-map event is 62 bytes before the 62-byte rows event; the transaction id's
//   offset 36912135 is the BEGIN event). A commit checkpoint uses row index -1.
// - transaction-id = (binlog file number << 32) | offset of the transaction's BEGIN event.

import type { SourceRow, TableDef } from '../model/table.js';
import { dmsTableColumns, isLobColumn } from './dms-types.js';
import {
  createKeyTextRenderer,
  createValueRenderer,
  jsonString,
  type JsonValueRenderer,
  type PresentValue,
} from './values.js';

/** KinesisSettings of a DMS endpoint (member names as in botocore). */
export interface KinesisSettings {
  StreamArn?: string;
  ServiceAccessRoleArn?: string;
  /** `json` (default) or `json-unformatted` (case and `_`/`-` are not significant). */
  MessageFormat?: 'json' | 'json-unformatted' | string;
  IncludeTransactionDetails?: boolean;
  IncludePartitionValue?: boolean;
  PartitionIncludeSchemaTable?: boolean;
  IncludeTableAlterOperations?: boolean;
  IncludeControlDetails?: boolean;
  IncludeNullAndEmpty?: boolean;
  NoHexPrefix?: boolean;
  UseLargeIntegerValue?: boolean;
}

export interface KinesisRecord {
  partitionKey: string;
  data: Buffer;
}

export type BeforeImageColumnFilter = 'pk-only' | 'non-lob' | 'all';

export interface BeforeImageOptions {
  fieldName: string;
  columnFilter: BeforeImageColumnFilter;
}

export interface RecordFormatterOptions {
  kinesis: KinesisSettings;
  /** Last segment of the task ARN; used in control-record partition keys. */
  taskResourceId: string;
  /** TargetMetadata.ParallelApplyThreads > 0: CDC rows are keyed by primary key. */
  parallelApply: boolean;
  beforeImage: BeforeImageOptions | null;
  /** Returns the `timestamp` text; injectable for golden tests. */
  clock?: () => string;
}

/** Transaction details of one CDC row (ids as bigint or decimal digit strings). */
export interface TransactionInfo {
  transactionId: bigint | string | number;
  /** 1-based position of the row within its transaction. */
  transactionRecordId?: number | null;
  /** Previous emitted record; absent for the first record after a start. */
  prevTransactionId?: bigint | string | number | null;
  prevTransactionRecordId?: number | null;
  /** Commit time, epoch seconds (binlog event header timestamp). */
  commitTimestamp?: number | null;
  /** See mysqlStreamPosition(). */
  streamPosition?: string | null;
}

export type DataOperation = 'insert' | 'update' | 'delete';

export type ControlOperation =
  | 'create-table'
  | 'drop-table'
  | 'rename-table'
  | 'add-column'
  | 'drop-column'
  | 'rename-column'
  | 'column-type-change'
  | 'change-columns';

export interface RecordFormatter {
  /** Full-load row (`operation: load`). */
  load(table: TableDef, row: SourceRow): KinesisRecord;
  /** CDC row. `row` is the after image (insert/update) or the deleted row; `before` the update's before image. */
  change(op: DataOperation, table: TableDef, row: SourceRow, before: SourceRow | null, txn: TransactionInfo): KinesisRecord;
  /** Control record for a table, or for the task itself when `table` is null. */
  control(op: ControlOperation, table: TableDef | null): KinesisRecord;
  /** IncludeTransactionDetails: whether change() writes the TransactionInfo beyond the transaction id. */
  readonly transactionDetails: boolean;
}

// ---------------------------------------------------------------------------
// Helpers exported for the engine.

/** MySQL DMS transaction id: (binlog file number << 32) | byte offset. */
export function mysqlTransactionId(binlogFileName: string, position: number): bigint {
  checkPosition(position);
  return binlogFile(binlogFileName).high | BigInt(position);
}

/** mysqlTransactionId in decimal, without BigInt while Number is exact (file numbers below 2^21). */
export function mysqlTransactionIdText(binlogFileName: string, position: number): string {
  checkPosition(position);
  const f = binlogFile(binlogFileName);
  return f.number < 0x200000 ? String(f.number * 0x1_0000_0000 + position) : (f.high | BigInt(position)).toString();
}

function checkPosition(position: number): void {
  if (!Number.isInteger(position) || position < 0 || position > 0xffffffff) {
    throw new RangeError(`binlog position out of range: ${position}`);
  }
}

/** The file number, and shifted into the high bits, for the last file seen (one file holds many transactions). */
let lastFile: { name: string; high: bigint; number: number } | null = null;
function binlogFile(binlogFileName: string): { high: bigint; number: number } {
  if (lastFile?.name === binlogFileName) return lastFile;
  const m = /(\d+)$/.exec(binlogFileName);
  if (!m) throw new Error(`binlog file name without a sequence number: ${binlogFileName}`);
  const number = BigInt(m[1]!);
  lastFile = { name: binlogFileName, high: number << 32n, number: Number(number) };
  return lastFile;
}

export interface MysqlStreamPositionParts {
  /** e.g. `mysql-bin-changelog.002171` */
  binlogFile: string;
  /** Start offset of the rows event (of the XID event for a commit checkpoint). */
  eventPosition: number;
  /** 0-based index of the row inside its rows event; -1 for a commit checkpoint. */
  rowIndex: number;
  /** Offset just past the event (its header's next_position). */
  nextPosition: number;
  transactionId: bigint | string | number;
  /** Offset of the TABLE_MAP event that precedes the rows event. */
  tableMapPosition: number;
  /** Binlog file of tableMapPosition (default binlogFile). */
  tableMapFile?: string;
}

/** MySQL `stream-position` text (see the header comment for the inferred layout). */
export function mysqlStreamPosition(p: MysqlStreamPositionParts): string {
  return mysqlStreamPositions(p)(p.rowIndex);
}

/** mysqlStreamPosition of each row of one rows event: the parts other than the row index rendered once. */
export function mysqlStreamPositions(p: Omit<MysqlStreamPositionParts, 'rowIndex'>): (rowIndex: number) => string {
  // Rendered at the first call: records carry stream positions only with IncludeTransactionDetails.
  let head: string | null = null;
  let tail = '';
  return (rowIndex) => {
    if (head === null) {
      tail = `:${p.nextPosition}:${idText(p.transactionId)}:${p.tableMapFile ?? p.binlogFile}:${p.tableMapPosition}`;
      head = `${p.binlogFile}:${p.eventPosition}:`;
    }
    return head + rowIndex + tail;
  };
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function isoSeconds(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const y = d.getUTCFullYear();
  return (
    (y < 1000 ? String(y).padStart(4, '0') : String(y)) + '-' + pad2(d.getUTCMonth() + 1) + '-' + pad2(d.getUTCDate()) +
    'T' + pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes()) + ':' + pad2(d.getUTCSeconds())
  );
}

/** `YYYY-MM-DDTHH:MM:SS.ffffffZ` from epoch seconds (commit-timestamp). */
export function formatCommitTimestamp(epochSeconds: number): string {
  const micros = Math.round(epochSeconds * 1e6);
  const sec = Math.floor(micros / 1e6);
  return isoSeconds(sec) + '.' + String(micros - sec * 1e6).padStart(6, '0') + 'Z';
}

let clockSec = -1;
let clockPrefix = '';

/** Current time as DMS writes `timestamp`: `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
export function dmsTimestamp(): string {
  const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  const sec = Math.floor(micros / 1e6);
  if (sec !== clockSec) {
    clockSec = sec;
    clockPrefix = isoSeconds(sec) + '.';
  }
  const frac = micros - sec * 1e6;
  return clockPrefix + (frac < 100000 ? String(frac).padStart(6, '0') : String(frac)) + 'Z';
}

function idText(id: bigint | string | number): string {
  if (typeof id === 'bigint') return id.toString();
  if (typeof id === 'number') {
    if (!Number.isSafeInteger(id)) throw new RangeError(`transaction id must be a safe integer, bigint or digit string: ${id}`);
    return String(id);
  }
  if (!/^\d+$/.test(id)) throw new Error(`transaction id is not a decimal integer: ${id}`);
  return id;
}

// ---------------------------------------------------------------------------
// Generic ordered-JSON writer (control bodies; not on the per-row path).

type JValue = string | number | boolean | null | JValue[] | JObject;
class JObject {
  constructor(readonly entries: Array<[string, JValue]>) {}
}

function writeJson(v: JValue, depth: number, pretty: boolean): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return jsonString(v);
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return '[' + v.map((x) => writeJson(x, depth + 1, pretty)).join(pretty ? ', ' : ',') + ']';
  let s = '{';
  const inner = pretty ? '\n' + '\t'.repeat(depth + 1) : '';
  const colon = pretty ? ':\t' : ':';
  v.entries.forEach(([k, val], i) => {
    s += (i ? ',' : '') + inner + jsonString(k) + colon + writeJson(val, depth + 1, pretty);
  });
  return s + (pretty ? '\n' + '\t'.repeat(depth) : '') + '}';
}

// ---------------------------------------------------------------------------
// Per-table plan (built once per TableDef object and formatter).

interface ColumnPlan {
  name: string;
  /** Entry prefix inside a depth-1 object: `\n\t\t"name":\t` or `"name":`. */
  prefix: string;
  render: JsonValueRenderer;
}

interface TablePlan {
  columns: ColumnPlan[];
  beforeColumns: ColumnPlan[] | null;
  /** The same for CDC changes (they render some PostgreSQL values differently; usually the same arrays). */
  changeColumns: ColumnPlan[];
  changeBeforeColumns: ColumnPlan[] | null;
  pk: Array<{ name: string; text: (v: PresentValue) => string }>;
  /** `schema.table` */
  schemaTable: string;
  /** Metadata entries after partition-key fields: schema-name, table-name. */
  metaNames: string;
}

export function createRecordFormatter(options: RecordFormatterOptions): RecordFormatter {
  const k = options.kinesis ?? {};
  const fmt = String(k.MessageFormat ?? 'json').toLowerCase().replace(/_/g, '-');
  if (fmt !== 'json' && fmt !== 'json-unformatted') throw new Error(`unsupported MessageFormat: ${k.MessageFormat}`);
  const pretty = fmt === 'json';
  const includeTxn = !!k.IncludeTransactionDetails;
  const includePkv = !!k.IncludePartitionValue;
  const schemaTableInKey = !!k.PartitionIncludeSchemaTable;
  const includeControl = !!k.IncludeControlDetails;
  const includeNull = !!k.IncludeNullAndEmpty;
  const valueOpts = { noHexPrefix: !!k.NoHexPrefix, useLargeIntegerValue: !!k.UseLargeIntegerValue };
  const changeValueOpts = { ...valueOpts, change: true };
  const taskId = options.taskResourceId;
  const parallelApply = options.parallelApply;
  const beforeImage = options.beforeImage;
  const clock = options.clock ?? dmsTimestamp;

  // Layout pieces: entries of depth-1 objects (data, metadata, before image) and top level.
  const IN2 = pretty ? '\n\t\t' : '';
  const COLON = pretty ? ':\t' : ':';
  const CLOSE1 = pretty ? '\n\t}' : '}';
  const entry2 = (key: string) => IN2 + jsonString(key) + COLON;
  const TOP_OPEN = pretty ? '{\n\t' : '{';
  const TOP_SEP = pretty ? ',\n\t' : ',';
  // json-unformatted: "a single line JSON string with new line delimiter" (AWS DMS docs).
  const TOP_CLOSE = pretty ? '\n}' : '}\n';
  const KEY_DATA = '"data"' + COLON;
  const KEY_META = '"metadata"' + COLON;
  const KEY_CONTROL = '"control"' + COLON;
  const KEY_BEFORE = beforeImage ? jsonString(beforeImage.fieldName) + COLON : '';

  const M_TIMESTAMP = '{' + entry2('timestamp') + '"';
  const M_RT_DATA = '",' + entry2('record-type') + '"data",' + entry2('operation');
  const M_RT_CONTROL = '",' + entry2('record-type') + '"control",' + entry2('operation');
  const M_PKT = ',' + entry2('partition-key-type');
  const M_PKV = ',' + entry2('partition-key-value');
  const M_TXID = ',' + entry2('transaction-id');
  const M_TXREC = ',' + entry2('transaction-record-id');
  const M_PREVTX = ',' + entry2('prev-transaction-id');
  const M_PREVREC = ',' + entry2('prev-transaction-record-id');
  const M_COMMIT = ',' + entry2('commit-timestamp');
  const M_STREAM = ',' + entry2('stream-position');
  const Q_PK = '"primary-key"';
  const Q_ST = '"schema-table"';
  const Q_TASK = '"task-id"';

  const plans = new WeakMap<TableDef, TablePlan>();

  function plan(table: TableDef): TablePlan {
    let p = plans.get(table);
    if (p) return p;
    const pkSet = new Set(table.primaryKey);
    const columns: ColumnPlan[] = [];
    const before: ColumnPlan[] = [];
    const changeColumns: ColumnPlan[] = [];
    const changeBefore: ColumnPlan[] = [];
    let changeDiffers = false;
    for (const c of table.columns) {
      const cp: ColumnPlan = { name: c.name, prefix: entry2(c.name), render: createValueRenderer(c, valueOpts) };
      const changeRender = c.pgType === 'bool' ? createValueRenderer(c, changeValueOpts) : cp.render;
      const ccp = changeRender === cp.render ? cp : { ...cp, render: changeRender };
      if (ccp !== cp) changeDiffers = true;
      columns.push(cp);
      changeColumns.push(ccp);
      if (beforeImage && !isLobColumn(c) && (beforeImage.columnFilter !== 'pk-only' || pkSet.has(c.name))) {
        before.push(cp);
        changeBefore.push(ccp);
      }
    }
    const byName = new Map(table.columns.map((c) => [c.name, c]));
    const pk = table.primaryKey.map((name) => {
      const c = byName.get(name);
      if (!c) throw new Error(`primary-key column ${name} is not a column of ${table.schema}.${table.table}`);
      return { name, text: createKeyTextRenderer(c, valueOpts) };
    });
    p = {
      columns,
      beforeColumns: beforeImage ? before : null,
      changeColumns: changeDiffers ? changeColumns : columns,
      changeBeforeColumns: beforeImage ? (changeDiffers ? changeBefore : before) : null,
      pk,
      schemaTable: table.schema + '.' + table.table,
      metaNames: ',' + entry2('schema-name') + jsonString(table.schema) + ',' + entry2('table-name') + jsonString(table.table),
    };
    plans.set(table, p);
    return p;
  }

  function rowObject(cols: ColumnPlan[], row: SourceRow): string {
    let s = '{';
    let first = true;
    for (let i = 0; i < cols.length; i++) {
      const c = cols[i]!;
      const v = row[c.name];
      if (v === null || v === undefined) {
        if (!includeNull) continue;
        s += (first ? '' : ',') + c.prefix + 'null';
      } else {
        s += (first ? '' : ',') + c.prefix + c.render(v);
      }
      first = false;
    }
    return s + CLOSE1;
  }

  function pkKey(p: TablePlan, row: SourceRow): string {
    if (p.pk.length === 0) return p.schemaTable;
    let key = '';
    for (let i = 0; i < p.pk.length; i++) {
      const c = p.pk[i]!;
      const v = row[c.name];
      key += (i ? '.' : '') + (v === null || v === undefined ? '' : c.text(v));
    }
    return schemaTableInKey ? p.schemaTable + '.' + key : key;
  }

  function assemble(sections: string): Buffer {
    return Buffer.from(TOP_OPEN + sections + TOP_CLOSE, 'utf8');
  }

  function load(table: TableDef, row: SourceRow): KinesisRecord {
    const p = plan(table);
    const key = pkKey(p, row);
    const meta =
      M_TIMESTAMP + clock() + M_RT_DATA + '"load"' + M_PKT + Q_PK +
      (includePkv ? M_PKV + jsonString(key) : '') + p.metaNames + CLOSE1;
    return { partitionKey: key, data: assemble(KEY_DATA + rowObject(p.columns, row) + TOP_SEP + KEY_META + meta) };
  }

  function change(op: DataOperation, table: TableDef, row: SourceRow, before: SourceRow | null, txn: TransactionInfo): KinesisRecord {
    const p = plan(table);
    let key: string;
    let keyMeta: string;
    // Real AWS output (MySQL source, PartitionIncludeSchemaTable): CDC rows are then keyed by
    // `schema.table.pk` with partition-key-type primary-key, as with parallel apply.
    if (parallelApply || schemaTableInKey) {
      key = pkKey(p, row);
      keyMeta = M_PKT + Q_PK + (includePkv ? M_PKV + jsonString(key) : '');
    } else {
      key = p.schemaTable;
      keyMeta = M_PKT + Q_ST;
    }
    let meta = M_TIMESTAMP + clock() + M_RT_DATA + '"' + op + '"' + keyMeta + p.metaNames + M_TXID + idText(txn.transactionId);
    if (includeTxn) {
      if (txn.transactionRecordId != null) meta += M_TXREC + String(txn.transactionRecordId);
      if (txn.prevTransactionId != null) meta += M_PREVTX + idText(txn.prevTransactionId);
      if (txn.prevTransactionRecordId != null) meta += M_PREVREC + String(txn.prevTransactionRecordId);
      if (txn.commitTimestamp != null) meta += M_COMMIT + '"' + formatCommitTimestamp(txn.commitTimestamp) + '"';
      if (txn.streamPosition != null) meta += M_STREAM + jsonString(txn.streamPosition);
    }
    meta += CLOSE1;
    let body = KEY_DATA + rowObject(p.changeColumns, row);
    if (op === 'update' && p.changeBeforeColumns && before) {
      body += TOP_SEP + KEY_BEFORE + rowObject(p.changeBeforeColumns, before);
    }
    return { partitionKey: key, data: assemble(body + TOP_SEP + KEY_META + meta) };
  }

  function control(op: ControlOperation, table: TableDef | null): KinesisRecord {
    const schema = table ? table.schema : '';
    const name = table ? table.table : '';
    const key = table ? `${taskId}.${schema}.${name}` : taskId;
    const meta =
      M_TIMESTAMP + clock() + M_RT_CONTROL + jsonString(op) + M_PKT + Q_TASK +
      (includePkv ? M_PKV + jsonString(taskId) : '') +
      ',' + entry2('schema-name') + jsonString(schema) + ',' + entry2('table-name') + jsonString(name) + CLOSE1;
    let body = '';
    if (includeControl) {
      let ctrl: JObject;
      if (op === 'drop-table' || !table) ctrl = new JObject([]);
      else ctrl = new JObject([['table-def', tableDef(table)]]);
      body = KEY_CONTROL + writeJson(ctrl, 1, pretty) + TOP_SEP;
    }
    return { partitionKey: key, data: assemble(body + KEY_META + meta) };
  }

  return { load, change, control, transactionDetails: includeTxn };
}

/** The `table-def` object of a control record. */
function tableDef(table: TableDef): JObject {
  const cols = new JObject(
    dmsTableColumns(table).map(([name, d]) => {
      const e: Array<[string, JValue]> = [['type', d.type]];
      if (d.length !== undefined) e.push(['length', d.length]);
      if (d.precision !== undefined) e.push(['precision', d.precision]);
      if (d.scale !== undefined) e.push(['scale', d.scale]);
      e.push(['nullable', d.nullable]);
      return [name, new JObject(e)];
    }),
  );
  const entries: Array<[string, JValue]> = [['columns', cols]];
  if (table.primaryKey.length) entries.push(['primary-key', [...table.primaryKey]]);
  if (table.collation) entries.push(['collation-name', table.collation]);
  return new JObject(entries);
}
