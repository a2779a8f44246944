// Row images of binlog ROWS events decoded straight into canonical values (values.ts), for the
// column types a CDC stream carries most. zongji decodes a row into its own value forms
// (parseIEEE754Float through a DataView, zero-padding through string slicing, a Buffer copy
// per DECIMAL) which normalizeBinlogRow then converts again; for single-row UPDATEs that was a
// third of the runner's CPU per change (BENCHMARKS.md, "Lean CDC path"). This decoder reads the
// same bytes as zongji's readMysqlValue (lib/common.js) and yields exactly what
// normalizeBinlogValue(readMysqlValue(...)) yields; a table with any other column type (JSON,
// GEOMETRY, BIT, SET, TIME, MariaDB's compressed and 5.3 temporals, non-UTF-8 text, ...) is left
// to zongji (compileRowsPlan returns null). test/integration/source/binlog-rows-decoder.test.ts
// checks both paths give the same rows on a real server.
import type { ColumnDef, SourceRow, SourceValue } from '../../model/table.js';
import { canonicalFloat32 } from './values.js';

/** zongji's MysqlTypes codes (lib/common.js). */
const T = {
  TINY: 1, SHORT: 2, LONG: 3, FLOAT: 4, DOUBLE: 5, LONGLONG: 8, INT24: 9, DATE: 10, YEAR: 13,
  VARCHAR: 15, TIMESTAMP2: 17, DATETIME2: 18, NEWDECIMAL: 246, ENUM: 247,
  TINY_BLOB: 249, MEDIUM_BLOB: 250, LONG_BLOB: 251, BLOB: 252, STRING: 254,
} as const;

/** The parts of zongji's table-map entry the decoder reads (TableMapEntry, with its column metadata). */
export interface RowsTableMap {
  columns?: { name: string; type: number; charset: string | null; metadata: Record<string, unknown> }[];
  columnSchemas: { COLUMN_TYPE: string; UNSIGNED?: boolean; ENUM_VALUES?: string[] }[];
}

type Kind =
  | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int24' | 'uint24' | 'int32' | 'uint32' | 'int64' | 'uint64'
  | 'float' | 'double' | 'decimal' | 'year' | 'date' | 'datetime2' | 'timestamp2'
  | 'text' | 'binary' | 'varbinary' | 'enum';

interface ColumnPlan {
  name: string;
  kind: Kind;
  /** VARCHAR/STRING length prefix bytes, BLOB length_size, ENUM size. */
  lengthSize: number;
  /** BINARY(n) width; DATETIME2/TIMESTAMP2 fraction digits. */
  width: number;
  /** DECIMAL layout. */
  precision: number;
  scale: number;
  labels: string[] | null;
  /** Bytes of a value of a fixed-size kind (0: length-prefixed). */
  fixedSize: number;
}

export interface RowsPlan {
  columns: ColumnPlan[];
  /** Builds a row object from the values in column order (see rowBuilder). */
  build: (values: SourceValue[]) => SourceRow;
  /** Scratch values of the row being read. */
  values: SourceValue[];
}

/**
 * A function making `{ [names[i]]: values[i] }`: an object literal compiled once per table (as mysql2
 * compiles its row parsers), so every row gets one shape in one allocation instead of a keyed store
 * per column (the decoder's largest cost per row in bench:cdc's profile). Names go in as JSON string
 * literals; a `__proto__` column (which a literal would treat as the prototype) falls back to stores.
 */
export function rowBuilder(names: readonly string[]): (values: SourceValue[]) => SourceRow {
  if (names.includes('__proto__') || new Set(names).size !== names.length) {
    return (values) => {
      const row: SourceRow = {};
      for (let i = 0; i < names.length; i++) Object.defineProperty(row, names[i]!, { value: values[i]!, enumerable: true, writable: true, configurable: true });
      return row;
    };
  }
  const body = `return {${names.map((n, i) => `${JSON.stringify(n)}: v[${i}]`).join(', ')}};`;
  return new Function('v', body) as (values: SourceValue[]) => SourceRow;
}

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
const TEXT_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'json']);
const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);
const UTF8_CHARSETS = new Set(['utf8mb4', 'utf8mb3', 'utf8']);

function isUnsigned(schema: RowsTableMap['columnSchemas'][number]): boolean {
  // zongji's rule: binlog metadata's signedness when present, else COLUMN_TYPE.
  return schema.UNSIGNED !== undefined ? schema.UNSIGNED : schema.COLUMN_TYPE.indexOf('unsigned') !== -1;
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

function planColumn(
  column: NonNullable<RowsTableMap['columns']>[number],
  schema: RowsTableMap['columnSchemas'][number] | undefined,
  def: ColumnDef | undefined,
): ColumnPlan | null {
  if (!schema || !def) return null;
  const dt = def.dataType;
  const p: ColumnPlan = { name: column.name, kind: 'int8', lengthSize: 0, width: 0, precision: 0, scale: 0, labels: null, fixedSize: 0 };
  const meta = column.metadata ?? {};
  switch (column.type) {
    case T.TINY: case T.SHORT: case T.INT24: case T.LONG: case T.LONGLONG: {
      if (!INTEGER_TYPES.has(dt)) return null;
      const u = isUnsigned(schema);
      const kinds: Record<number, [Kind, Kind]> = {
        [T.TINY]: ['int8', 'uint8'], [T.SHORT]: ['int16', 'uint16'], [T.INT24]: ['int24', 'uint24'],
        [T.LONG]: ['int32', 'uint32'], [T.LONGLONG]: ['int64', 'uint64'],
      };
      p.kind = kinds[column.type]![u ? 1 : 0];
      return p;
    }
    case T.FLOAT:
      if (dt !== 'float') return null;
      p.kind = 'float';
      return p;
    case T.DOUBLE:
      if (dt !== 'double' && dt !== 'real') return null;
      p.kind = 'double';
      return p;
    case T.NEWDECIMAL:
      if (dt !== 'decimal' && dt !== 'numeric') return null;
      p.kind = 'decimal';
      p.precision = num(meta.precision);
      p.scale = num(meta.decimals);
      if (!(p.precision > 0) || !(p.scale >= 0) || p.scale > p.precision || p.precision > 65) return null;
      return p;
    case T.YEAR:
      if (dt !== 'year') return null;
      p.kind = 'year';
      return p;
    case T.DATE:
      if (dt !== 'date') return null;
      p.kind = 'date';
      return p;
    case T.DATETIME2:
      if (dt !== 'datetime') return null;
      p.kind = 'datetime2';
      p.width = num(meta.decimals) || 0;
      return p.width <= 6 ? p : null;
    case T.TIMESTAMP2:
      if (dt !== 'timestamp') return null;
      p.kind = 'timestamp2';
      p.width = num(meta.decimals) || 0;
      return p.width <= 6 ? p : null;
    case T.ENUM: {
      if (dt !== 'enum' || !schema.ENUM_VALUES) return null;
      const size = num(meta.size);
      if (size !== 1 && size !== 2) return null;
      p.kind = 'enum';
      p.lengthSize = size;
      p.labels = schema.ENUM_VALUES;
      return p;
    }
    case T.VARCHAR: case T.STRING: {
      p.lengthSize = num(meta.max_length) > 255 ? 2 : 1;
      const ct = schema.COLUMN_TYPE;
      const prefix = ct.substr(0, 6);
      if (ct === 'uuid' || ct === 'inet4' || ct === 'inet6' || prefix === 'vector') return null;
      if (prefix === 'binary') {
        if (!BINARY_TYPES.has(dt)) return null;
        p.kind = 'binary';
        p.width = parseInt(ct.substr(7, ct.length - 2), 10);
        return Number.isFinite(p.width) && p.width >= 0 ? p : null;
      }
      if (prefix === 'varbin') {
        if (!BINARY_TYPES.has(dt)) return null;
        p.kind = 'varbinary';
        return p;
      }
      if (!TEXT_TYPES.has(dt) || !UTF8_CHARSETS.has(String(column.charset ?? 'utf8'))) return null;
      p.kind = 'text';
      return p;
    }
    case T.TINY_BLOB: case T.MEDIUM_BLOB: case T.LONG_BLOB: case T.BLOB: {
      p.lengthSize = num(meta.length_size);
      if (!(p.lengthSize >= 1 && p.lengthSize <= 4)) return null;
      if (column.charset === null) {
        if (!BINARY_TYPES.has(dt)) return null;
        p.kind = 'varbinary';
        return p;
      }
      if (!TEXT_TYPES.has(dt) || !UTF8_CHARSETS.has(column.charset)) return null;
      p.kind = 'text';
      return p;
    }
    default:
      return null;
  }
}

/**
 * The decoding plan of one table map, or null when a column needs zongji (an unsupported type,
 * or a column the table definition does not know: normalization follows the definition).
 */
export function compileRowsPlan(tm: RowsTableMap, cols: Map<string, ColumnDef> | null): RowsPlan | null {
  if (!tm.columns || !cols) return null;
  const columns: ColumnPlan[] = [];
  for (let i = 0; i < tm.columns.length; i++) {
    const c = tm.columns[i]!;
    const p = planColumn(c, tm.columnSchemas[i], cols.get(c.name));
    if (!p) return null;
    p.fixedSize = fixedSize(p);
    columns.push(p);
  }
  const names = columns.map((c) => c.name);
  return { columns, build: rowBuilder(names), values: new Array<SourceValue>(names.length).fill(null) };
}

const DIG2BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];

function decimalSize(precision: number, scale: number): number {
  const integral = precision - scale;
  return Math.floor(integral / 9) * 4 + DIG2BYTES[integral % 9]! + Math.floor(scale / 9) * 4 + DIG2BYTES[scale % 9]!;
}

function fixedSize(p: ColumnPlan): number {
  switch (p.kind) {
    case 'int8': case 'uint8': case 'year': return 1;
    case 'int16': case 'uint16': return 2;
    case 'int24': case 'uint24': case 'date': return 3;
    case 'int32': case 'uint32': case 'float': return 4;
    case 'int64': case 'uint64': case 'double': return 8;
    case 'datetime2': return 5 + ((p.width + 1) >> 1);
    case 'timestamp2': return 4 + ((p.width + 1) >> 1);
    case 'decimal': return decimalSize(p.precision, p.scale);
    case 'enum': return p.lengthSize;
    default: return 0;
  }
}
const scratch = Buffer.alloc(64);

function pad(n: number, size: number): string {
  const s = String(n);
  return s.length >= size ? s : '000000000'.slice(0, size - s.length) + s;
}

/**
 * Dates and times are written as ASCII digits into one scratch buffer and read back as one flat
 * string: built from padded pieces, a DATETIME was a rope of a dozen strings that the formatter
 * flattened again (1 µs a change in bench:cdc's profile).
 */
const dateText = Buffer.alloc(32);

/** `n` as `size` zero-padded digits at `at` (n < 10^size). */
function putDigits(n: number, at: number, size: number): void {
  for (let i = at + size - 1; i >= at; i--) {
    const q = Math.floor(n / 10);
    dateText[i] = 48 + n - q * 10;
    n = q;
  }
}

/** `YYYY-MM-DD` at 0 (year < 10,000). */
function putDate(year: number, month: number, day: number): void {
  putDigits(year, 0, 4);
  dateText[4] = 45;
  putDigits(month, 5, 2);
  dateText[7] = 45;
  putDigits(day, 8, 2);
}

/** ` HH:MM:SS[.f…]` at 10; returns the text's length. */
function putTime(h: number, m: number, sec: number, frac: number, width: number): number {
  dateText[10] = 32;
  putDigits(h, 11, 2);
  dateText[13] = 58;
  putDigits(m, 14, 2);
  dateText[16] = 58;
  putDigits(sec, 17, 2);
  if (width === 0) return 19;
  dateText[19] = 46;
  putDigits(frac, 20, width);
  return 20 + width;
}

function fractionDigits(buf: Buffer, pos: number, precision: number): number {
  // MySQL stores fraction digits in pairs, big-endian; an odd precision leaves a trailing 0.
  const size = (precision + 1) >> 1;
  let v = size === 1 ? buf.readInt8(pos) : size === 2 ? buf.readInt16BE(pos) : (buf.readInt8(pos) << 16) + buf.readUInt16BE(pos + 1);
  if (precision % 2 !== 0) v /= 10;
  return v < 0 ? -v : v;
}

/** A reader over one rows event's row images. */
export class RowImageReader {
  pos = 0;
  constructor(private readonly buf: Buffer, start: number, readonly end: number) {
    this.pos = start;
  }

  private value(p: ColumnPlan): SourceValue {
    const b = this.buf;
    const pos = this.pos;
    switch (p.kind) {
      case 'int8': this.pos = pos + 1; return b.readInt8(pos);
      case 'uint8': this.pos = pos + 1; return b[pos]!;
      case 'int16': this.pos = pos + 2; return b.readInt16LE(pos);
      case 'uint16': this.pos = pos + 2; return b.readUInt16LE(pos);
      case 'int24': this.pos = pos + 3; return b.readIntLE(pos, 3);
      case 'uint24': this.pos = pos + 3; return b.readUIntLE(pos, 3);
      case 'int32': this.pos = pos + 4; return b.readInt32LE(pos);
      case 'uint32': this.pos = pos + 4; return b.readUInt32LE(pos);
      case 'int64': case 'uint64': {
        this.pos = pos + 8;
        const lo = b.readUInt32LE(pos);
        const hi = p.kind === 'int64' ? b.readInt32LE(pos + 4) : b.readUInt32LE(pos + 4);
        const v = hi * 4294967296 + lo;
        if (Number.isSafeInteger(v)) return v;
        return (p.kind === 'int64' ? b.readBigInt64LE(pos) : b.readBigUInt64LE(pos)).toString();
      }
      case 'float': this.pos = pos + 4; return canonicalFloat32(b.readFloatLE(pos));
      case 'double': this.pos = pos + 8; return b.readDoubleLE(pos);
      case 'year': {
        this.pos = pos + 1;
        const y = b[pos]!;
        return y === 0 ? 0 : y + 1900; // YEAR 0000 (see values.ts)
      }
      case 'date': {
        this.pos = pos + 3;
        const raw = b.readUIntLE(pos, 3);
        const year = (raw >> 9) & 0x7fff;
        if (year > 9999) return `${year}-${pad((raw >> 5) & 0xf, 2)}-${pad(raw & 0x1f, 2)}`;
        putDate(year, (raw >> 5) & 0xf, raw & 0x1f);
        return dateText.toString('latin1', 0, 10);
      }
      case 'datetime2': {
        const high = b.readInt32BE(pos);
        const low = b.readInt32BE(pos + 1);
        this.pos = pos + 5;
        const yearMonth = (high >> 14) & 0x1ffff;
        const year = Math.floor(yearMonth / 13);
        const frac = p.width > 0 ? fractionDigits(b, this.pos, p.width) : 0;
        this.pos += (p.width + 1) >> 1;
        if (year > 9999) {
          return `${year}-${pad(yearMonth % 13, 2)}-${pad((low >> 17) & 0x1f, 2)} `
            + `${pad((low >> 12) & 0x1f, 2)}:${pad((low >> 6) & 0x3f, 2)}:${pad(low & 0x3f, 2)}${p.width > 0 ? '.' + pad(frac, p.width) : ''}`;
        }
        putDate(year, yearMonth % 13, (low >> 17) & 0x1f);
        return dateText.toString('latin1', 0, putTime((low >> 12) & 0x1f, (low >> 6) & 0x3f, low & 0x3f, frac, p.width));
      }
      case 'timestamp2': {
        const secs = b.readInt32BE(pos);
        this.pos = pos + 4;
        let frac = 0;
        if (p.width > 0) {
          frac = fractionDigits(b, this.pos, p.width);
          this.pos += (p.width + 1) >> 1;
        }
        if (secs === 0 && frac === 0) return p.width > 0 ? '0000-00-00 00:00:00.' + '0'.repeat(p.width) : '0000-00-00 00:00:00';
        // zongji builds a Date from seconds + whole milliseconds; the fraction text is exact.
        const ms = p.width > 3 ? Math.floor(frac / 10 ** (p.width - 3)) : p.width > 0 ? frac * 10 ** (3 - p.width) : 0;
        const d = new Date(secs * 1000 + ms);
        putDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
        return dateText.toString('latin1', 0, putTime(d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), frac, p.width));
      }
      case 'decimal': return this.decimal(p);
      case 'enum': {
        const raw = p.lengthSize === 1 ? b[pos]! : b.readUInt16LE(pos);
        this.pos = pos + p.lengthSize;
        return p.labels![raw - 1] ?? '';
      }
      case 'text': case 'varbinary': case 'binary': {
        const n = p.lengthSize === 1 ? b[pos]! : p.lengthSize === 2 ? b.readUInt16LE(pos) : b.readUIntLE(pos, p.lengthSize);
        const start = pos + p.lengthSize;
        const stop = start + n;
        if (stop > this.end) throw new RangeError(`row image overruns its event (column ${p.name})`);
        this.pos = stop;
        if (p.kind === 'text') return b.toString('utf8', start, stop);
        if (p.kind === 'varbinary') return Buffer.from(b.subarray(start, stop)); // detached from the packet
        const out = Buffer.alloc(p.width);
        b.copy(out, 0, start, Math.min(stop, start + p.width)); // BINARY(n): the row image drops trailing zero bytes
        return out;
      }
    }
  }

  /** zongji's parseNewDecimal (Jeremy Cole's layout), reading a copy with the sign bit flipped. */
  private decimal(p: ColumnPlan): string {
    const integral = p.precision - p.scale;
    const uncompIntegral = Math.floor(integral / 9);
    const uncompFractional = Math.floor(p.scale / 9);
    const compIntegral = integral - uncompIntegral * 9;
    const compFractional = p.scale - uncompFractional * 9;
    const size = p.fixedSize;
    const buf = scratch;
    this.buf.copy(buf, 0, this.pos, this.pos + size);
    this.pos += size;
    const positive = (buf[0]! & 0x80) !== 0;
    buf[0] = buf[0]! ^ 0x80;
    const mask = positive ? 0 : -1;
    let at = 0;
    let intDigits = '';
    const compIntegralSize = DIG2BYTES[compIntegral]!;
    if (compIntegralSize > 0) {
      intDigits += String(buf.readIntBE(0, compIntegralSize) ^ mask);
      at += compIntegralSize;
    }
    for (let i = 0; i < uncompIntegral; i++, at += 4) intDigits += pad(buf.readInt32BE(at) ^ mask, 9);
    let z = 0;
    while (z < intDigits.length - 1 && intDigits.charCodeAt(z) === 48) z++;
    intDigits = intDigits.length === 0 ? '0' : intDigits.slice(z);
    let out = (positive ? '' : '-') + intDigits;
    if (p.scale > 0) {
      let frac = '';
      for (let k = 0; k < uncompFractional; k++, at += 4) frac += pad(buf.readInt32BE(at) ^ mask, 9);
      const compFractionalSize = DIG2BYTES[compFractional]!;
      if (compFractionalSize > 0) frac += pad(buf.readIntBE(at, compFractionalSize) ^ mask, compFractional);
      out += '.' + frac;
    }
    return out;
  }

  private nullBitmap(cols: ColumnPlan[], present: Buffer): number {
    let presentCount = 0;
    for (let i = 0; i < cols.length; i++) if (present[i >> 3]! & (1 << (i & 7))) presentCount++;
    const nullStart = this.pos;
    this.pos += (presentCount + 7) >> 3;
    if (this.pos > this.end) throw new RangeError('row image overruns its event (null bitmap)');
    return nullStart;
  }

  /** Steps over one row image without building its values. */
  skipRow(plan: RowsPlan, present: Buffer): void {
    const cols = plan.columns;
    const nullStart = this.nullBitmap(cols, present);
    const b = this.buf;
    for (let i = 0, n = 0; i < cols.length; i++) {
      if ((present[i >> 3]! & (1 << (i & 7))) === 0) continue;
      const isNull = (b[nullStart + (n >> 3)]! & (1 << (n & 7))) !== 0;
      n++;
      if (isNull) continue;
      const c = cols[i]!;
      if (c.fixedSize > 0) {
        this.pos += c.fixedSize;
      } else {
        const pos = this.pos;
        this.pos = pos + c.lengthSize + (c.lengthSize === 1 ? b[pos]! : c.lengthSize === 2 ? b.readUInt16LE(pos) : b.readUIntLE(pos, c.lengthSize));
      }
    }
    if (this.pos > this.end) throw new RangeError('row image overruns its event');
  }

  /** One row image; `present` is the event's columns-present bitmap. */
  row(plan: RowsPlan, present: Buffer): SourceRow {
    const cols = plan.columns;
    const nullStart = this.nullBitmap(cols, present);
    const b = this.buf;
    const values = plan.values;
    for (let i = 0, n = 0; i < cols.length; i++) {
      if ((present[i >> 3]! & (1 << (i & 7))) === 0) {
        values[i] = null;
        continue;
      }
      values[i] = (b[nullStart + (n >> 3)]! & (1 << (n & 7))) !== 0 ? null : this.value(cols[i]!);
      n++;
    }
    if (this.pos > this.end) throw new RangeError('row image overruns its event');
    return plan.build(values);
  }
}

/** Binlog event type codes of the ROWS events this decoder reads (v1: MariaDB, v2: MySQL). */
export const ROWS_EVENT_TYPES: Readonly<Record<number, { op: 'insert' | 'update' | 'delete'; v2: boolean }>> = {
  0x17: { op: 'insert', v2: false }, 0x18: { op: 'update', v2: false }, 0x19: { op: 'delete', v2: false },
  0x1e: { op: 'insert', v2: true }, 0x1f: { op: 'update', v2: true }, 0x20: { op: 'delete', v2: true },
};
export const TABLE_MAP_EVENT = 0x13;
export const XID_EVENT = 0x10;
export const MARIADB_GTID_EVENT = 0xa2;

/** Schema and table names of a TABLE_MAP event body (table id, flags, then two length-prefixed, NUL-ended names). */
export function tableMapNames(buf: Buffer, body: number, end: number): { schema: string; table: string } | null {
  let pos = body + 8;
  const schemaLength = buf[pos++]!;
  const schemaEnd = pos + schemaLength;
  if (schemaEnd + 2 > end) return null;
  const schema = buf.toString('utf8', pos, schemaEnd);
  pos = schemaEnd + 1;
  const tableLength = buf[pos++]!;
  if (pos + tableLength > end) return null;
  return { schema, table: buf.toString('utf8', pos, pos + tableLength) };
}

/** Table id of a ROWS or TABLE_MAP event body (6 bytes, little-endian). */
export function readTableId(buf: Buffer, body: number): number {
  return buf.readUIntLE(body, 6);
}

/**
 * Decodes the rows of one ROWS event body (`body`..`end`, checksum excluded) with `plan`; with
 * `skipUpdateBefore` an update's before image is stepped over (`before: null`).
 * Same layout as zongji's RowsEvent: table id, flags, [v2 extra data], column count,
 * columns-present bitmap(s), then row images (before and after for an UPDATE).
 */
export function decodeRowsBody(
  buf: Buffer, body: number, end: number, v2: boolean, op: 'insert' | 'update' | 'delete', plan: RowsPlan,
  skipUpdateBefore = false,
): { before: SourceRow | null; after: SourceRow | null }[] {
  let pos = body + 8;
  if (v2) pos += buf.readUInt16LE(pos); // extra data length includes its own 2 bytes
  let columnCount = buf[pos++]!;
  if (columnCount >= 251) {
    if (columnCount === 252) { columnCount = buf.readUInt16LE(pos); pos += 2; }
    else if (columnCount === 253) { columnCount = buf.readUIntLE(pos, 3); pos += 3; }
    else throw new RangeError('unexpected column count in a rows event');
  }
  const bitmapSize = (columnCount + 7) >> 3;
  const present = buf.subarray(pos, pos + bitmapSize);
  pos += bitmapSize;
  let present2 = present;
  if (op === 'update') {
    present2 = buf.subarray(pos, pos + bitmapSize);
    pos += bitmapSize;
  }
  const r = new RowImageReader(buf, pos, end);
  const rows: { before: SourceRow | null; after: SourceRow | null }[] = [];
  while (r.pos < end) {
    if (op === 'update') {
      let before: SourceRow | null = null;
      if (skipUpdateBefore) r.skipRow(plan, present);
      else before = r.row(plan, present);
      rows.push({ before, after: r.row(plan, present2) });
    } else if (op === 'insert') {
      rows.push({ before: null, after: r.row(plan, present) });
    } else {
      rows.push({ before: r.row(plan, present), after: null });
    }
  }
  return rows;
}
