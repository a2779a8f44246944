// PostgreSQL columns (ColumnDef.pgType set): their `table-def` types and the JSON text of their
// values in a Kinesis record. Selected per column by core/record (values.ts, dms-types.ts); the
// MySQL path never reaches this file. Input values are the server's text output (UTC, ISO dates,
// IntervalStyle postgres; see core/source/postgres/connection.ts), bytea as a Buffer.
//
// Observed in real AWS output (aws-dms-postgresql.md §4):
// - table-def types INT16/INT32/INT64/FLOAT/DOUBLE/BOOL/DATE32/TIMESTAMP; char(n)/varchar(n) STRING
//   with length n; unbounded varchar STRING length 8000; interval HOUR TO MINUTE STRING length 17;
//   text and jsonb STRING without length.
// - integers as JSON numbers; real with 9 significant digits (`2.20000005`, `4.4000001`); double
//   `20.2`; boolean JSON true/false (DMS 3.6.1 full load with MapBooleanAsBoolean unset); date
//   `2018-01-02`; timestamp/timestamptz `2010-11-01T00:02:00.100000Z` / `2010-11-01T00:00:00Z`
//   (6 fraction digits only when the fraction is not zero); interval as PostgreSQL's text
//   (`-1 days -01:42:30`); bytea `0x80057D942E`; jsonb as a string of its text; CHAR(5) 'B' → "B".
// Documented (CHAP_Source.PostgreSQL): NUMERIC(p≤38) → NUMERIC, p≥39 → STRING, unbounded NUMERIC
// → NUMERIC(28,6) ("0.611111104488373 … converted to 0.611111"); MONEY → NUMERIC(38,4); UUID →
// STRING; ENUM → STRING(64); INET/CIDR → STRING(50); MACADDR → STRING(18); POINT → STRING(255);
// BYTEA → BLOB; timestamp ±infinity → '9999-12-31 23:59:59' / '4713-01-01 00:00:00 BC'.
// Chosen where AWS shows nothing:
// - boolean (MapBooleanAsBoolean, default false): full-load rows carry JSON true/false (the DMS 3.6.1
//   full load above, setting unset); CDC changes carry the decoded text as a string, "true"/"false" (AWS:
//   "By default, PostgreSQL migrates booleans as varchar(5)", 3.4.7 release notes; the data-type table
//   maps BOOLEAN to "CHAR (5) false or true"; a real 3.4.7 CDC insert decoded by pglogical carried "t"),
//   and JSON true/false with MapBooleanAsBoolean (ColumnDef.pgMapAs 'boolean'). table-def stays BOOL.
// - numeric/money: a JSON number with exactly the column's scale digits (money and unbounded
//   numeric rounded half away from zero to 4 / 6 digits); NaN/±Infinity and numeric(p>38) as strings.
// - real/double NaN and ±Infinity → null (JSON has no such numbers), as on the MySQL path.
// - time/timetz, uuid, json, xml, arrays, enums, network types, bit strings, ranges, geometric
//   types: strings holding PostgreSQL's text; table-def STRING (LOB-like ones without length).
// - MapJsonbAsClob → jsonb is CLOB; MapLongVarcharAs clob/nclob → text and unbounded varchar are
//   CLOB/NCLOB (ColumnDef.pgMapAs, set by the source from the endpoint's settings).
import type { ColumnDef } from '../model/table.js';

export interface PgValueOptions {
  noHexPrefix?: boolean;
  useLargeIntegerValue?: boolean;
  /** A CDC change rather than a full-load row. */
  change?: boolean;
}

type Present = number | string | Buffer;

export interface PgDmsColumnType {
  type: string;
  length?: number;
  precision?: number;
  scale?: number;
}

/** Types AWS handles as LOBs (NCLOB/CLOB/BLOB): never in a before image; dropped from tables without a PK. */
export function isPgLobType(pgType: string): boolean {
  return pgType === 'text' || pgType === 'json' || pgType === 'jsonb' || pgType === 'xml' || pgType === 'bytea' || pgType === 'hstore' || pgType.startsWith('_');
}

/** DMS type of one PostgreSQL column in a `table-def`. */
export function pgDmsColumnType(col: ColumnDef): PgDmsColumnType {
  const t = col.pgType!;
  const mapAs = col.pgMapAs;
  switch (t) {
    case 'int2': return { type: 'INT16' };
    case 'int4': case 'oid': return { type: 'INT32' };
    case 'int8': return { type: 'INT64' };
    case 'float4': return { type: 'FLOAT' };
    case 'float8': return { type: 'DOUBLE' };
    case 'bool': return { type: 'BOOL' };
    case 'date': return { type: 'DATE32' };
    case 'timestamp': case 'timestamptz': return { type: 'TIMESTAMP' };
    case 'time': case 'timetz': return { type: 'TIME' };
    case 'numeric': {
      const p = col.numericPrecision;
      if (p == null) return { type: 'NUMERIC', precision: 28, scale: 6 };
      if (p > 38) return { type: 'STRING' };
      return { type: 'NUMERIC', precision: p, scale: col.numericScale ?? 0 };
    }
    case 'money': return { type: 'NUMERIC', precision: 38, scale: 4 };
    case 'bpchar': return col.charMaxLength != null ? { type: 'STRING', length: col.charMaxLength } : { type: 'STRING', length: 1 };
    case 'varchar':
      if (col.charMaxLength != null) return { type: 'STRING', length: col.charMaxLength };
      if (mapAs === 'clob') return { type: 'CLOB' };
      if (mapAs === 'nclob') return { type: 'NCLOB' };
      return { type: 'STRING', length: 8000 };
    case 'text':
      if (mapAs === 'clob') return { type: 'CLOB' };
      if (mapAs === 'nclob') return { type: 'NCLOB' };
      return { type: 'STRING' };
    case 'jsonb': return mapAs === 'clob' ? { type: 'CLOB' } : { type: 'STRING' };
    case 'bytea': return { type: 'BLOB' };
    case 'enum': return { type: 'STRING', length: 64 };
    case 'inet': case 'cidr': return { type: 'STRING', length: 50 };
    case 'macaddr': case 'macaddr8': return { type: 'STRING', length: 18 };
    case 'uuid': return { type: 'STRING', length: 36 };
    case 'point': return { type: 'STRING', length: 255 };
    case 'interval':
      // Observed: INTERVAL HOUR TO MINUTE → 17 (fields mask HOUR|MINUTE in the typmod's upper half).
      return col.columnType.toLowerCase() === 'interval hour to minute' ? { type: 'STRING', length: 17 } : { type: 'STRING' };
    default: return { type: 'STRING' };
  }
}

function jsonString(s: string): string {
  return JSON.stringify(s);
}

/** C printf("%.<p>g") with trailing zeros removed (as %g does). */
export function formatG(x: number, p: number): string {
  if (!Number.isFinite(x)) return 'null';
  if (x === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(x)));
  let s = x.toPrecision(p);
  // %g uses exponent form when exp < -4 or exp >= p.
  const e = s.indexOf('e');
  if (e < 0 && (exp < -4 || exp >= p)) s = x.toExponential(p - 1);
  const ei = s.indexOf('e');
  let mant = ei < 0 ? s : s.slice(0, ei);
  if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
  if (ei < 0) return mant;
  const sign = s[ei + 1] === '-' ? '-' : '+';
  const digits = s.slice(ei + 2);
  return mant + 'e' + sign + (digits.length < 2 ? '0' + digits : digits);
}

const INT_RE = /^-?\d+$/;

function text(v: Present): string {
  return typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

function renderInt(v: Present): string {
  const s = text(v);
  return INT_RE.test(s) ? s : jsonString(s);
}

function makeInt8(useLarge: boolean): (v: Present) => string {
  return (v) => {
    const s = text(v);
    if (!INT_RE.test(s)) return jsonString(s);
    const len = s.charCodeAt(0) === 45 ? s.length - 1 : s.length;
    // Over 16 digits DMS writes scientific notation unless UseLargeIntegerValue (KIN doc).
    return !useLarge && len > 16 ? formatG(Number(s), 15) : s;
  };
}

/** Rounds a plain decimal text to `scale` fraction digits, half away from zero; keeps exactly `scale` digits. */
export function decimalAtScale(s: string, scale: number): string | null {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (m[2] === '' && !m[3])) return null;
  const neg = m[1] === '-';
  let int = m[2] || '0';
  let frac = m[3] ?? '';
  if (frac.length > scale) {
    const roundUp = frac.charCodeAt(scale) >= 53; // '5'
    frac = frac.slice(0, scale);
    if (roundUp) {
      const digits = (int + frac).split('').map(Number);
      let i = digits.length - 1;
      while (i >= 0) {
        if (digits[i]! < 9) { digits[i]!++; break; }
        digits[i] = 0;
        i--;
      }
      let all = digits.join('');
      if (i < 0) all = '1' + all;
      int = all.slice(0, all.length - scale);
      frac = all.slice(all.length - scale);
    }
  } else frac = frac.padEnd(scale, '0');
  int = int.replace(/^0+(?=\d)/, '');
  const out = scale > 0 ? `${int}.${frac}` : int;
  const zero = /^[0.]*$/.test(out);
  return (neg && !zero ? '-' : '') + out;
}

function makeNumeric(col: ColumnDef): (v: Present) => string {
  const p = col.numericPrecision;
  if (p != null && p > 38) return (v) => jsonString(text(v));
  const scale = p == null ? 6 : col.numericScale ?? 0;
  return (v) => {
    const s = text(v);
    const d = decimalAtScale(s, scale);
    return d === null ? jsonString(s) : d;
  };
}

function renderMoney(v: Present): string {
  // lc_monetary=C: `$1,234.56`, `-$1,234.56`.
  const s = text(v);
  const neg = s.includes('-') || s.startsWith('(');
  const digits = s.replace(/[^0-9.]/g, '');
  const d = decimalAtScale((neg ? '-' : '') + digits, 4);
  return d === null ? jsonString(s) : d;
}

function renderFloat4(v: Present): string {
  const n = Number(text(v));
  return Number.isFinite(n) ? formatG(Math.fround(n), 9) : 'null';
}

function renderFloat8(v: Present): string {
  const n = Number(text(v));
  return Number.isFinite(n) ? String(n) : 'null';
}

function renderBool(v: Present): string {
  const s = text(v);
  return s === 't' || s === 'true' || s === '1' ? 'true' : 'false';
}

function renderBoolText(v: Present): string {
  return renderBool(v) === 'true' ? '"true"' : '"false"';
}

function makeBytea(noHexPrefix: boolean): (v: Present) => string {
  const prefix = noHexPrefix ? '"' : '"0x';
  return (v) => {
    if (Buffer.isBuffer(v)) return prefix + v.toString('hex').toUpperCase() + '"';
    const s = text(v);
    return prefix + (s.startsWith('\\x') ? s.slice(2) : Buffer.from(s, 'utf8').toString('hex')).toUpperCase() + '"';
  };
}

/** `2010-11-01 00:02:00.1[+00]` → `2010-11-01T00:02:00.100000Z`; no fraction → `…:00Z`. */
export function pgTimestampText(s: string): string {
  if (s === 'infinity') return '9999-12-31T23:59:59Z';
  if (s === '-infinity' || s.endsWith(' BC')) return s === '-infinity' ? '4713-01-01 00:00:00 BC' : s;
  let body = s;
  // timestamptz: the session is UTC, so the offset is +00 (strip whatever offset is there).
  const off = /[+-]\d{2}(:\d{2}(:\d{2})?)?$/.exec(body.slice(19));
  if (off) body = body.slice(0, 19 + off.index);
  const dot = body.indexOf('.', 19);
  let frac = '';
  if (dot >= 0) {
    frac = body.slice(dot + 1);
    body = body.slice(0, dot);
  }
  body = body.slice(0, 10) + 'T' + body.slice(11);
  return frac && !/^0*$/.test(frac) ? `${body}.${frac.padEnd(6, '0')}Z` : `${body}Z`;
}

function renderTimestamp(v: Present): string {
  return jsonString(pgTimestampText(text(v)));
}

function renderDate(v: Present): string {
  const s = text(v);
  return jsonString(s === 'infinity' ? '9999-12-31' : s);
}

function renderBpchar(v: Present): string {
  // TrimSpaceInChar (default true): CHAR(5) 'B' is "B".
  return jsonString(text(v).replace(/ +$/, ''));
}

function renderString(v: Present): string {
  return jsonString(text(v));
}

/** The JSON renderer of one PostgreSQL column. */
export function createPgValueRenderer(col: ColumnDef, opts: PgValueOptions = {}): (v: Present) => string {
  switch (col.pgType) {
    case 'int2': case 'int4': case 'oid': return renderInt;
    case 'int8': return makeInt8(!!opts.useLargeIntegerValue);
    case 'numeric': return makeNumeric(col);
    case 'money': return renderMoney;
    case 'float4': return renderFloat4;
    case 'float8': return renderFloat8;
    case 'bool': return opts.change && col.pgMapAs !== 'boolean' ? renderBoolText : renderBool;
    case 'bytea': return makeBytea(!!opts.noHexPrefix);
    case 'timestamp': case 'timestamptz': return renderTimestamp;
    case 'date': return renderDate;
    case 'bpchar': return renderBpchar;
    default: return renderString;
  }
}

/** Partition-key text of a PostgreSQL value: its rendering without quotes, integers always exact. */
export function createPgKeyTextRenderer(col: ColumnDef, opts: PgValueOptions = {}): (v: Present) => string {
  const r = createPgValueRenderer(col, { ...opts, useLargeIntegerValue: true });
  return (v) => {
    const t = r(v);
    return t.charCodeAt(0) === 34 ? (JSON.parse(t) as string) : t;
  };
}
