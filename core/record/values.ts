// Canonical SourceValue -> JSON value text for the `data` / before-image sections of a
// DMS Kinesis record. The text is built here (never via JSON.stringify of JS numbers) so
// that BIGINT, DECIMAL and transaction ids keep every digit.
//
// Documented / observed AWS behaviour: integers -> JSON numbers; strings -> strings;
// DATETIME/TIMESTAMP(0) -> "2023-01-16T06:18:32Z" (Z even for DATETIME); JSON columns ->
// a string holding the JSON text; binary -> hex with a "0x" prefix unless NoHexPrefix;
// BIGINT over 16 digits -> scientific notation unless UseLargeIntegerValue.
//
// Undocumented by AWS; chosen:
// - BIGINT / BIGINT UNSIGNED with more than 16 digits and UseLargeIntegerValue=false:
//   the value is converted to an IEEE double and printed like C's printf("%.15g"), e.g.
//   9223372036854775807 -> 9.22337203685478e+18, 18446744073709551615 -> 1.84467440737096e+19.
//   Up to 16 digits: exact digits. UseLargeIntegerValue=true: exact digits always (also 19/20).
// - DECIMAL/NUMERIC: a JSON number literal with exactly the source digits, scale zeros kept
//   (`-12.50`, `0.000000000000000000000000000001`). (Real AWS output has been seen printing
//   NUMERIC through a double with C "%f", e.g. 46.570000; we stay lossless instead.)
// - DOUBLE: shortest round-trip text (JS Number#toString: 0.1, 1e+21, 5e-324).
//   FLOAT: the shortest decimal that round-trips through float32 (1.1, not 1.100000023841858),
//   so the snapshot and binlog readers give the same text. NaN/Infinity -> null.
// - DATE: "YYYY-MM-DD". DATETIME/TIMESTAMP: "YYYY-MM-DDTHH:MM:SS[.f...]Z", with exactly the
//   column's DATETIME_PRECISION fractional digits (padded/truncated); zero dates pass through
//   ("0000-00-00T00:00:00Z").
// - TIME: a string "[-]HH:MM:SS[.f...]" (hours may be 3 digits, e.g. "-838:59:59"), fraction
//   normalised to the column precision like DATETIME.
// - YEAR: a JSON number.
// - BIT(1): true/false (DMS BOOLEAN). BIT(n>1): bytes, hex like BINARY (BIT(64) -> 8 bytes).
// - BINARY/VARBINARY/BLOB/BIT/spatial: upper-case hex, "0x" prefix unless NoHexPrefix.
//   BINARY(n) values shorter than n are right-padded with 0x00 (MySQL's stored form).
// - ENUM: the label; SET: the comma-joined labels (numeric index/bitmask input is mapped
//   through ColumnDef.enumValues).
// - Strings are escaped like JSON.stringify (= cJSON: \" \\ \b \f \n \r \t, other controls
//   \u00xx); non-ASCII (emoji included) is written as raw UTF-8.

import type { ColumnDef, SourceValue } from '../model/table.js';
import { bitWidth } from './dms-types.js';
import { createPgKeyTextRenderer, createPgValueRenderer } from './postgres.js';

export interface ValueOptions {
  /** KinesisSettings.NoHexPrefix */
  noHexPrefix?: boolean;
  /** KinesisSettings.UseLargeIntegerValue */
  useLargeIntegerValue?: boolean;
  /** The value of a CDC change (not a full-load row): PostgreSQL booleans differ (core/record/postgres.ts). */
  change?: boolean;
}

/** A non-null canonical value. */
export type PresentValue = Exclude<SourceValue, null>;

/** Renders one non-null value of a column to JSON value text. */
export type JsonValueRenderer = (value: PresentValue) => string;

type Kind =
  | 'int' | 'bigint' | 'decimal' | 'float' | 'double' | 'bool' | 'bytes'
  | 'date' | 'datetime' | 'time' | 'year' | 'string' | 'enum' | 'set';

export function valueKind(col: ColumnDef): Kind {
  switch (col.dataType.toLowerCase()) {
    case 'tinyint': case 'smallint': case 'mediumint': case 'int': case 'integer':
      return 'int';
    case 'bigint': return 'bigint';
    case 'decimal': case 'numeric': return 'decimal';
    case 'float': return 'float';
    case 'double': case 'real': return 'double';
    case 'bit': return bitWidth(col) === 1 ? 'bool' : 'bytes';
    case 'binary': case 'varbinary': case 'tinyblob': case 'blob': case 'mediumblob': case 'longblob':
    case 'geometry': case 'point': case 'linestring': case 'polygon': case 'multipoint':
    case 'multilinestring': case 'multipolygon': case 'geometrycollection': case 'geomcollection':
    case 'vector':
      return 'bytes';
    case 'date': return 'date';
    case 'datetime': case 'timestamp': return 'datetime';
    case 'time': return 'time';
    case 'year': return 'year';
    case 'enum': return 'enum';
    case 'set': return 'set';
    default: return 'string';
  }
}

/** JSON string literal (same escaping as cJSON). */
export function jsonString(s: string): string {
  return JSON.stringify(s);
}

const INT_RE = /^-?(0|[1-9]\d*)$/;
const DEC_RE = /^-?(0|[1-9]\d*)(\.\d+)?$/;

/**
 * C printf("%.15g") of a double. Exact for the values it is used on (|x| >= 1e15, which
 * %g always prints in exponent form, as does Number#toPrecision(15) from 1e15 up).
 */
export function formatG15(x: number): string {
  if (!Number.isFinite(x)) return 'null';
  if (x === 0) return '0';
  const s = x.toPrecision(15);
  const e = s.indexOf('e');
  let mant = e < 0 ? s : s.slice(0, e);
  if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
  if (e < 0) return mant;
  // C prints at least two exponent digits: e+05, e-07.
  const sign = s[e + 1];
  const digits = s.slice(e + 2);
  return mant + 'e' + sign + (digits.length < 2 ? '0' + digits : digits);
}

/** Integer text (exact digits) of an integer-like canonical value, or null when not an integer. */
function integerDigits(v: PresentValue): string | null {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || !Number.isInteger(v)) return null;
    return Number.isSafeInteger(v) ? String(v) : BigInt(v).toString();
  }
  if (typeof v === 'string') return INT_RE.test(v) ? v : null;
  return null;
}

function renderInt(v: PresentValue): string {
  const d = integerDigits(v);
  if (d !== null) return d;
  return renderFallback(v);
}

function makeBigintRenderer(useLarge: boolean): JsonValueRenderer {
  if (useLarge) return renderInt;
  return (v) => {
    const d = integerDigits(v);
    if (d === null) return renderFallback(v);
    const len = d.charCodeAt(0) === 45 /* - */ ? d.length - 1 : d.length;
    return len > 16 ? formatG15(Number(d)) : d;
  };
}

function renderDecimal(v: PresentValue): string {
  if (typeof v === 'string') return DEC_RE.test(v) ? v : jsonString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  return renderFallback(v);
}

function renderDouble(v: PresentValue): string {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  if (!Number.isFinite(n)) return typeof v === 'string' ? jsonString(v) : 'null';
  return String(n);
}

/** Shortest decimal text that reads back to the same float32. */
export function float32Text(n: number): string {
  if (!Number.isFinite(n)) return 'null';
  if (n === 0) return '0';
  const f = Math.fround(n);
  for (let p = 1; p <= 9; p++) {
    const c = Number(n.toPrecision(p));
    if (Math.fround(c) === f) return String(c);
  }
  return String(f);
}

function renderFloat(v: PresentValue): string {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  if (!Number.isFinite(n)) return typeof v === 'string' ? jsonString(v) : 'null';
  return float32Text(n);
}

export function hexUpper(b: Buffer): string {
  // Buffer#toString('hex') is native; upper-casing one ASCII string is cheap.
  return b.toString('hex').toUpperCase();
}

function makeBytesRenderer(col: ColumnDef, noHexPrefix: boolean): JsonValueRenderer {
  const prefix = noHexPrefix ? '"' : '"0x';
  const type = col.dataType.toLowerCase();
  const padTo = type === 'binary' && col.charMaxLength ? col.charMaxLength : 0;
  const bitBytes = type === 'bit' ? Math.ceil(bitWidth(col) / 8) : 0;
  return (v) => {
    let b: Buffer;
    if (Buffer.isBuffer(v)) b = v;
    else if (typeof v === 'string') b = Buffer.from(v, 'utf8');
    else {
      // A BIT value handed over as a number: big-endian, ceil(M/8) bytes.
      let x = BigInt(Math.trunc(v));
      const n = bitBytes || 8;
      b = Buffer.alloc(n);
      for (let i = n - 1; i >= 0; i--) { b[i] = Number(x & 0xffn); x >>= 8n; }
    }
    if (padTo && b.length < padTo) {
      const p = Buffer.alloc(padTo);
      b.copy(p);
      b = p;
    }
    return prefix + hexUpper(b) + '"';
  };
}

function renderBool(v: PresentValue): string {
  if (Buffer.isBuffer(v)) {
    for (let i = 0; i < v.length; i++) if (v[i] !== 0) return 'true';
    return 'false';
  }
  if (typeof v === 'number') return v !== 0 ? 'true' : 'false';
  return v !== '' && v !== '0' && v !== '\u0000' ? 'true' : 'false';
}

/** Adjusts the fraction after `[...]HH:MM:SS` to exactly `p` digits (p null: unchanged). */
function normaliseFraction(s: string, p: number | null): string {
  if (p === null) return s;
  const dot = s.indexOf('.');
  if (p === 0) return dot < 0 ? s : s.slice(0, dot);
  if (dot < 0) return s + '.' + '0'.repeat(p);
  const frac = s.slice(dot + 1);
  if (frac.length === p) return s;
  return s.slice(0, dot + 1) + (frac.length > p ? frac.slice(0, p) : frac + '0'.repeat(p - frac.length));
}

function makeDatetimeRenderer(col: ColumnDef): JsonValueRenderer {
  const p = col.datetimePrecision;
  return (v) => {
    if (typeof v !== 'string') return renderFallback(v);
    let s = v;
    if (s.length >= 11 && (s.charCodeAt(10) === 32 || s.charCodeAt(10) === 84)) s = s.slice(0, 10) + 'T' + s.slice(11);
    if (s.endsWith('Z')) s = s.slice(0, -1);
    return '"' + normaliseFraction(s, p) + 'Z"';
  };
}

function makeTimeRenderer(col: ColumnDef): JsonValueRenderer {
  const p = col.datetimePrecision;
  return (v) => (typeof v === 'string' ? jsonString(normaliseFraction(v, p)) : renderFallback(v));
}

function makeEnumRenderer(col: ColumnDef): JsonValueRenderer {
  const labels = col.enumValues ?? [];
  return (v) => {
    if (typeof v === 'number') return jsonString(v >= 1 && v <= labels.length ? labels[v - 1]! : '');
    if (Buffer.isBuffer(v)) return jsonString(v.toString('utf8'));
    return jsonString(v);
  };
}

function makeSetRenderer(col: ColumnDef): JsonValueRenderer {
  const labels = col.enumValues ?? [];
  return (v) => {
    if (typeof v === 'number') {
      const out: string[] = [];
      for (let i = 0; i < labels.length; i++) if (Math.floor(v / 2 ** i) % 2 === 1) out.push(labels[i]!);
      return jsonString(out.join(','));
    }
    if (Buffer.isBuffer(v)) return jsonString(v.toString('utf8'));
    return jsonString(v);
  };
}

function renderString(v: PresentValue): string {
  if (typeof v === 'string') return jsonString(v);
  if (Buffer.isBuffer(v)) return jsonString(v.toString('utf8'));
  return renderFallback(v);
}

function renderFallback(v: PresentValue): string {
  if (typeof v === 'string') return jsonString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  return '"0x' + hexUpper(v) + '"';
}

/** Builds the JSON renderer of one column (do this once per table, not per row). */
export function createValueRenderer(col: ColumnDef, opts: ValueOptions = {}): JsonValueRenderer {
  if (col.pgType !== undefined) return createPgValueRenderer(col, opts);
  switch (valueKind(col)) {
    case 'int':
    case 'year': return renderInt;
    case 'bigint': return makeBigintRenderer(!!opts.useLargeIntegerValue);
    case 'decimal': return renderDecimal;
    case 'float': return renderFloat;
    case 'double': return renderDouble;
    case 'bool': return renderBool;
    case 'bytes': return makeBytesRenderer(col, !!opts.noHexPrefix);
    case 'date': return renderString;
    case 'datetime': return makeDatetimeRenderer(col);
    case 'time': return makeTimeRenderer(col);
    case 'enum': return makeEnumRenderer(col);
    case 'set': return makeSetRenderer(col);
    case 'string': return renderString;
  }
}

/** JSON text of one value; SQL NULL -> `null`. Convenience for non-hot paths. */
export function renderValue(col: ColumnDef, value: SourceValue, opts: ValueOptions = {}): string {
  return value === null || value === undefined ? 'null' : createValueRenderer(col, opts)(value);
}

/**
 * Text of a value as used in a Kinesis partition key: the JSON rendering without quotes,
 * with integers always exact (no scientific notation).
 */
export function createKeyTextRenderer(col: ColumnDef, opts: ValueOptions = {}): (value: PresentValue) => string {
  if (col.pgType !== undefined) return createPgKeyTextRenderer(col, opts);
  const kind = valueKind(col);
  if (kind === 'string' || kind === 'enum' || kind === 'date') {
    const r = createValueRenderer(col, opts);
    return (v) => (typeof v === 'string' ? v : unquote(r(v)));
  }
  const r = createValueRenderer(col, { ...opts, useLargeIntegerValue: true });
  return (v) => unquote(r(v));
}

function unquote(text: string): string {
  return text.charCodeAt(0) === 34 ? (JSON.parse(text) as string) : text;
}
