// Canonical value normalization shared by the snapshot reader and the binlog
// reader (see SourceValue in core/model/table.ts). Pure functions only.
//
// Choices where AWS DMS documents nothing (lossless forms, written down here):
// - FLOAT: the shortest decimal that round-trips through IEEE single precision
//   (3.14, 1.2345678), as a JSON number. The text protocol would print only 6
//   significant digits (1.23457) while the binlog carries all 24 bits, so the
//   snapshot reads FLOAT columns as `col + 0e0` (exact double) and both readers
//   then apply canonicalFloat32.
// - DECIMAL: exact digit string with the column scale (`-12.50`).
// - BIGINT (signed/unsigned): number when |v| <= 2^53-1, else decimal digit string.
// - YEAR: number; YEAR 0000 is 0 (zongji reports it as 1900, which YEAR cannot hold).
// - ENUM: label; the invalid-value index 0 is '' (what SELECT shows).
// - SET: comma-joined labels in declaration order.
// - BIT(n): Buffer of ceil(n/8) bytes, big-endian.
// - TIMESTAMP: UTC text; DATETIME/TIMESTAMP/TIME keep the column's fraction digits.
import type { ColumnDef, SourceRow, SourceValue } from '../../model/table.js';

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);

/** Shortest decimal number that maps to the same float32 as `v`. */
export function canonicalFloat32(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  const f = Math.fround(v);
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(f.toPrecision(p));
    if (Math.fround(candidate) === f) return candidate;
  }
  return f;
}

/** Integer as number when safe, else an exact decimal string. */
export function canonicalInteger(v: unknown): number | string {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') {
    return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  }
  const s = String(v).trim();
  if (/^-?\d+$/.test(s)) {
    const n = Number(s);
    if (Number.isSafeInteger(n)) return n;
    return s.replace(/^(-?)0+(?=\d)/, '$1');
  }
  return s;
}

/**
 * Parses the labels of an ENUM / SET COLUMN_TYPE such as `enum('a','it''s','c\\d')`.
 * Handles '' and backslash escapes as information_schema / SHOW CREATE TABLE write them.
 * Note: MariaDB's information_schema is utf8mb3, so 4-byte characters in labels come
 * back as '?'; the binlog (binlog_row_metadata=FULL) and SELECT results keep them.
 */
export function parseEnumValues(columnType: string): string[] {
  const m = /^\s*(enum|set)\s*\(/i.exec(columnType);
  if (!m) return [];
  const out: string[] = [];
  let i = m[0].length;
  const s = columnType;
  while (i < s.length) {
    const ch = s[i];
    if (ch === ')') break;
    if (ch === ',' || ch === ' ') { i++; continue; }
    if (ch !== "'" && ch !== '"') {
      // Unquoted token (should not happen): read up to the next comma / paren.
      let j = i;
      while (j < s.length && s[j] !== ',' && s[j] !== ')') j++;
      out.push(s.slice(i, j).trim());
      i = j;
      continue;
    }
    const q = ch;
    i++;
    let label = '';
    while (i < s.length) {
      const c = s[i];
      if (c === q) {
        if (s[i + 1] === q) { label += q; i += 2; continue; }
        i++;
        break;
      }
      if (c === '\\' && i + 1 < s.length) {
        const n = s[i + 1];
        label += n === 'n' ? '\n' : n === 'r' ? '\r' : n === 't' ? '\t' : n === '0' ? '\0' : n === 'Z' ? '\x1a' : n;
        i += 2;
        continue;
      }
      label += c;
      i++;
    }
    out.push(label);
  }
  return out;
}

/** SET bitmask -> comma-joined labels (declaration order). */
export function setLabelsFromMask(mask: number | bigint | string, labels: string[]): string {
  let m = BigInt(mask);
  const out: string[] = [];
  for (let i = 0; m > 0n; i++, m >>= 1n) {
    if (m & 1n) out.push(labels[i] ?? '');
  }
  return out.join(',');
}

function toBuffer(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (typeof v === 'number' || typeof v === 'bigint') {
    // BIT given as an integer: 8 bytes big-endian, trimmed by the caller if needed.
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(v));
    return b;
  }
  return Buffer.from(String(v), 'utf8');
}

function genericValue(v: unknown): SourceValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'bigint') return canonicalInteger(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (v instanceof Date) return v.toISOString().replace('T', ' ').replace('Z', '');
  return JSON.stringify(v);
}

/**
 * Binlog (zongji) value -> canonical value, using the current column definition.
 * `copyBuffers` detaches Buffers from zongji's packet buffer (so a queued event
 * does not pin a whole network packet).
 */
export function normalizeBinlogValue(col: ColumnDef | undefined, v: unknown, copyBuffers = true): SourceValue {
  if (!col) {
    const g = genericValue(v);
    return Buffer.isBuffer(g) && copyBuffers ? Buffer.from(g) : g;
  }
  const t = col.dataType;
  if (t === 'enum') {
    if (v === null) return null;
    if (v === undefined) return '';
    if (typeof v === 'number') return v === 0 ? '' : (col.enumValues?.[v - 1] ?? '');
    return String(v);
  }
  if (v === null || v === undefined) return null;
  if (t === 'set') {
    if (typeof v === 'number' || typeof v === 'bigint') return setLabelsFromMask(v, col.enumValues ?? []);
    return String(v);
  }
  if (INTEGER_TYPES.has(t)) return canonicalInteger(v);
  if (t === 'year') {
    const n = Number(v);
    return n === 1900 ? 0 : n;
  }
  if (t === 'float') return canonicalFloat32(Number(v));
  if (t === 'double' || t === 'real') return Number(v);
  if (t === 'decimal' || t === 'numeric') return String(v);
  if (t === 'bit') {
    const b = toBuffer(v);
    const n = Math.max(1, Math.ceil((col.numericPrecision ?? b.length * 8) / 8));
    const out = b.length > n ? b.subarray(b.length - n) : b;
    return copyBuffers ? Buffer.from(out) : out;
  }
  if (t === 'json') return typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : JSON.stringify(v);
  if (t === 'date' || t === 'datetime' || t === 'timestamp' || t === 'time') {
    if (v instanceof Date) return v.toISOString().replace('T', ' ').replace('Z', '');
    return String(v);
  }
  const g = genericValue(v);
  return Buffer.isBuffer(g) && copyBuffers ? Buffer.from(g) : g;
}

/** Normalizes a whole binlog row image against the table definition. */
export function normalizeBinlogRow(cols: Map<string, ColumnDef> | null, row: Record<string, unknown>): SourceRow {
  const out: SourceRow = {};
  for (const name of Object.keys(row)) {
    out[name] = normalizeBinlogValue(cols?.get(name), row[name]);
  }
  return out;
}

/** Columns whose snapshot value needs a fix-up after mysql2 decoding. */
export function snapshotFixups(columns: ColumnDef[]): { name: string; fix: (v: SourceValue) => SourceValue }[] {
  const out: { name: string; fix: (v: SourceValue) => SourceValue }[] = [];
  for (const c of columns) {
    if (c.dataType === 'float') {
      out.push({ name: c.name, fix: (v) => (typeof v === 'number' ? canonicalFloat32(v) : v) });
    } else if (c.dataType === 'double') {
      out.push({ name: c.name, fix: (v) => (typeof v === 'string' ? Number(v) : v) });
    } else if (c.dataType === 'bit') {
      out.push({ name: c.name, fix: (v) => (v === null || Buffer.isBuffer(v) ? v : normalizeBinlogValue(c, v)) });
    } else if (c.dataType === 'json') {
      out.push({ name: c.name, fix: (v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v) });
    }
  }
  return out;
}

/** SELECT-list expression for one column in the snapshot query (already quoted name given). */
export function snapshotSelectExpr(col: ColumnDef, quoted: string): string {
  // FLOAT through the text protocol prints only 6 significant digits; + 0e0 makes it an exact double.
  if (col.dataType === 'float') return `(${quoted} + 0e0) AS ${quoted}`;
  // mysql2's text-protocol float parser can be one ulp off for 16-17 digit values: read the
  // server's own digits and let Number() round them correctly.
  if (col.dataType === 'double') return `CAST(${quoted} AS CHAR) AS ${quoted}`;
  return quoted;
}
