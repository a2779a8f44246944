// DMS transformation data types (`data-type` of add-column / change-data-type):
// the target ColumnDef they produce and the value conversion they imply.

import type { ColumnDef, SourceValue } from '../model/table.js';
import type { DmsDataType } from './types.js';

/** A ColumnDef (MySQL vocabulary, as the rest of dmslite expects) for a DMS data type. */
export function columnDefFor(name: string, dt: DmsDataType, base?: ColumnDef): ColumnDef {
  const col: ColumnDef = {
    name,
    dataType: 'varchar',
    columnType: 'varchar(255)',
    unsigned: false,
    nullable: base?.nullable ?? true,
    charMaxLength: null,
    numericPrecision: null,
    numericScale: null,
    datetimePrecision: null,
    collation: null,
  };
  const set = (dataType: string, columnType: string) => {
    col.dataType = dataType;
    col.columnType = columnType;
  };
  const int = (t: string, precision: number, unsigned: boolean) => {
    set(t, unsigned ? `${t} unsigned` : t);
    col.unsigned = unsigned;
    col.numericPrecision = precision;
    col.numericScale = 0;
  };
  switch (dt.type) {
    case 'string':
    case 'wstring': {
      const len = dt.length ?? base?.charMaxLength ?? 255;
      set('varchar', `varchar(${len})`);
      col.charMaxLength = len;
      col.collation = base?.collation ?? 'utf8mb4_general_ci';
      break;
    }
    case 'clob':
    case 'nclob':
      set('longtext', 'longtext');
      col.charMaxLength = 4294967295;
      col.collation = base?.collation ?? 'utf8mb4_general_ci';
      break;
    case 'int1': int('tinyint', 3, false); break;
    case 'int2': int('smallint', 5, false); break;
    case 'int4': int('int', 10, false); break;
    case 'int8': int('bigint', 19, false); break;
    case 'uint1': int('tinyint', 3, true); break;
    case 'uint2': int('smallint', 5, true); break;
    case 'uint4': int('int', 10, true); break;
    case 'uint8': int('bigint', 20, true); break;
    case 'boolean':
      set('tinyint', 'tinyint(1)');
      col.numericPrecision = 3;
      col.numericScale = 0;
      break;
    case 'numeric': {
      const p = dt.precision ?? 38;
      const s = dt.scale ?? 0;
      set('decimal', `decimal(${p},${s})`);
      col.numericPrecision = p;
      col.numericScale = s;
      break;
    }
    case 'real4':
      set('float', 'float');
      col.numericPrecision = 12;
      break;
    case 'real8':
      set('double', 'double');
      col.numericPrecision = 22;
      break;
    case 'date':
      set('date', 'date');
      break;
    case 'time':
      set('time', dt.precision ? `time(${dt.precision})` : 'time');
      col.datetimePrecision = dt.precision ?? 0;
      break;
    case 'datetime':
      set('datetime', dt.precision ? `datetime(${dt.precision})` : 'datetime');
      col.datetimePrecision = dt.precision ?? 0;
      break;
    case 'bytes': {
      const len = dt.length ?? 255;
      set('varbinary', `varbinary(${len})`);
      col.charMaxLength = len;
      break;
    }
    case 'blob':
      set('longblob', 'longblob');
      col.charMaxLength = 4294967295;
      break;
    case 'set':
    case 'list':
    case 'map':
    case 'tuple':
      set('json', 'json');
      break;
  }
  return col;
}

const NUM_PREFIX = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?/;

function toDecimalString(v: SourceValue): string {
  if (v === null) return '0';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '0';
  const s = Buffer.isBuffer(v) ? v.toString('utf8') : v;
  const m = NUM_PREFIX.exec(s);
  if (!m || (m[2] === '' && !m[3])) return '0';
  if (m[4] !== undefined) return String(Number(`${m[1]}${m[2] || '0'}.${m[3] ?? ''}e${m[4]}`));
  const int = (m[2] || '0').replace(/^0+(?=\d)/, '');
  const frac = m[3] ?? '';
  return `${m[1] === '-' ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

function bufferToUnsigned(b: Buffer): bigint {
  let v = 0n;
  for (const byte of b) v = (v << 8n) | BigInt(byte);
  return v;
}

function toInteger(v: Exclude<SourceValue, null>, bitSource: boolean): number | string {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : 0;
  if (Buffer.isBuffer(v) && bitSource) {
    const n = bufferToUnsigned(v);
    return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
  }
  const d = toDecimalString(v);
  if (d.includes('e')) return Math.trunc(Number(d));
  const intPart = d.split('.')[0]!;
  const n = Number(intPart);
  if (Number.isSafeInteger(n)) return n === 0 ? 0 : n;
  return intPart;
}

/** Round a decimal string to `scale` fraction digits (half away from zero). */
function roundDecimal(d: string, scale: number): string {
  if (d.includes('e')) d = Number(d).toFixed(scale);
  const neg = d.startsWith('-');
  const abs = neg ? d.slice(1) : d;
  let [int, frac = ''] = abs.split('.') as [string, string?];
  if (frac.length > scale) {
    const roundUp = frac.charCodeAt(scale) >= 53; // '5'
    frac = frac.slice(0, scale);
    if (roundUp) {
      const digits = (int + frac).split('').map(Number);
      let i = digits.length - 1;
      for (; i >= 0; i--) {
        if (digits[i]! < 9) { digits[i]!++; break; }
        digits[i] = 0;
      }
      let all = digits.join('');
      if (i < 0) all = `1${all}`;
      int = all.slice(0, all.length - scale);
      frac = all.slice(all.length - scale);
    }
  } else {
    frac = frac.padEnd(scale, '0');
  }
  const out = scale > 0 ? `${int || '0'}.${frac}` : int || '0';
  return neg && /[1-9]/.test(out) ? `-${out}` : out;
}

/**
 * Convert a canonical value to the canonical form of a DMS data type, with
 * SQLite CAST-like rules (text → number takes the leading numeric prefix, else 0).
 */
export function convertValue(v: SourceValue, dt: DmsDataType, source?: ColumnDef): SourceValue {
  if (v === null) return null;
  const bitSource = source?.dataType === 'bit';
  if (Buffer.isBuffer(v) && bitSource && dt.type !== 'bytes' && dt.type !== 'blob') {
    // BIT values are numbers (big-endian): convert them as such.
    const n = bufferToUnsigned(v);
    v = n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
  }
  switch (dt.type) {
    case 'string':
    case 'wstring':
    case 'clob':
    case 'nclob':
    case 'set':
    case 'list':
    case 'map':
    case 'tuple':
      if (typeof v === 'string') return v;
      if (typeof v === 'number') return String(v);
      return v.toString('utf8');
    case 'int1': case 'int2': case 'int4': case 'int8':
    case 'uint1': case 'uint2': case 'uint4': case 'uint8':
      return toInteger(v, bitSource);
    case 'boolean': {
      const i = toInteger(v, bitSource);
      return i === 0 || i === '0' ? 0 : 1;
    }
    case 'real4':
    case 'real8':
      return typeof v === 'number' ? v : Number(toDecimalString(v));
    case 'numeric': {
      const d = toDecimalString(v);
      return dt.scale !== undefined ? roundDecimal(d, dt.scale) : d;
    }
    case 'date': {
      const s = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : v.toString('utf8');
      return /^\d{4}-\d{2}-\d{2}[ T]/.test(s) ? s.slice(0, 10) : s;
    }
    case 'datetime': {
      const s = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : v.toString('utf8');
      return /^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s} 00:00:00` : s;
    }
    case 'time':
      return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : v.toString('utf8');
    case 'bytes':
    case 'blob':
      if (Buffer.isBuffer(v)) return v;
      return Buffer.from(typeof v === 'number' ? String(v) : v, 'utf8');
  }
}
