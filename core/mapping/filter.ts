// Source filters (selection-rule `filters`), compiled twice from one definition:
//   - a MySQL WHERE fragment for the full-load SELECT (identifiers backtick-quoted,
//     values as `?` placeholders), and
//   - a JS predicate over canonical rows for CDC, with the same semantics:
//     numeric comparison for numeric columns, temporal comparison for date/time
//     columns, byte comparison for binary columns, and collation-aware string
//     comparison otherwise; SQL NULL semantics (a NULL value fails every operator
//     except `null`).
// Conditions inside one filter are ORed; the filters of one rule are ANDed; when
// several include rules select the same table, their filter sets are ORed (a rule
// without filters selects every row).

import { InvalidParameterValueException } from '../model/errors.js';
import type { ColumnDef, SourceRow, SourceValue, TableDef } from '../model/table.js';
import type { FilterCondition, SourceFilter } from './types.js';

export interface SqlFragment {
  sql: string;
  params: unknown[];
}

export type RowPredicate = (row: SourceRow) => boolean;

/** Quote a MySQL identifier: backticks, embedded backticks doubled. */
export function quoteIdentifier(name: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidParameterValueException('Identifier cannot be empty');
  }
  if (name.includes('\u0000')) {
    throw new InvalidParameterValueException('Identifier cannot contain the NUL character');
  }
  return '`' + name.replace(/`/g, '``') + '`';
}

/** `schema`.`table` */
export function quoteTableName(schema: string, table: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
}

// ---------------------------------------------------------------------------
// Column classification

type Kind = 'numeric' | 'float' | 'datetime' | 'time' | 'binary' | 'bit' | 'string';

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'year']);
const DECIMAL_TYPES = new Set(['decimal', 'numeric', 'dec', 'fixed']);
const FLOAT_TYPES = new Set(['float', 'double', 'real', 'double precision']);
const DATETIME_TYPES = new Set(['date', 'datetime', 'timestamp']);
const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'geometry']);

function kindOf(col: ColumnDef): Kind {
  const t = col.dataType.toLowerCase();
  if (INTEGER_TYPES.has(t) || DECIMAL_TYPES.has(t)) return 'numeric';
  if (FLOAT_TYPES.has(t)) return 'float';
  if (DATETIME_TYPES.has(t)) return 'datetime';
  if (t === 'time') return 'time';
  if (t === 'bit') return 'bit';
  if (BINARY_TYPES.has(t)) return 'binary';
  return 'string';
}

// ---------------------------------------------------------------------------
// Exact decimal handling (MySQL string→number: leading numeric prefix, else 0)

interface Dec {
  neg: boolean;
  int: string; // no leading zeros ('' for zero)
  frac: string; // no trailing zeros
}

const DEC_PREFIX = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?/;

function parseDec(s: string): Dec | number {
  const m = DEC_PREFIX.exec(s);
  if (!m || (m[2] === '' && !m[3])) return { neg: false, int: '', frac: '' };
  if (m[4] !== undefined) return Number(`${m[1]}${m[2] || '0'}.${m[3] ?? ''}e${m[4]}`);
  const int = m[2]!.replace(/^0+/, '');
  const frac = (m[3] ?? '').replace(/0+$/, '');
  return { neg: m[1] === '-' && (int !== '' || frac !== ''), int, frac };
}

function decFromNumber(n: number): Dec | number {
  if (!Number.isFinite(n)) return n;
  const s = String(n);
  return s.includes('e') ? n : parseDec(s);
}

function decToNumber(d: Dec | number): number {
  if (typeof d === 'number') return d;
  return Number(`${d.neg ? '-' : ''}${d.int || '0'}.${d.frac || '0'}`);
}

function cmpMagnitude(a: Dec, b: Dec): number {
  if (a.int.length !== b.int.length) return a.int.length < b.int.length ? -1 : 1;
  if (a.int !== b.int) return a.int < b.int ? -1 : 1;
  const len = Math.max(a.frac.length, b.frac.length);
  const fa = a.frac.padEnd(len, '0');
  const fb = b.frac.padEnd(len, '0');
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

function cmpDec(a: Dec | number, b: Dec | number): number {
  if (typeof a === 'number' || typeof b === 'number') {
    const x = decToNumber(a);
    const y = decToNumber(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.neg !== b.neg) return a.neg ? -1 : 1;
  const m = cmpMagnitude(a, b);
  return a.neg ? -m : m;
}

function bufferToDec(b: Buffer): Dec {
  let v = 0n;
  for (const byte of b) v = (v << 8n) | BigInt(byte);
  return { neg: false, int: v === 0n ? '' : v.toString(), frac: '' };
}

// ---------------------------------------------------------------------------
// Temporal normalisation

const DATETIME_RE = /^\s*(\d{1,4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6})\d*)?)?)?\s*Z?\s*$/;

/** 'YYYY-MM-DD[ HH:MM[:SS[.f]]]' → 'YYYY-MM-DD HH:MM:SS.ffffff'; null when not a date. */
function normDateTime(s: string): string | null {
  const m = DATETIME_RE.exec(s);
  if (!m) return null;
  const p = (x: string | undefined, w: number) => (x ?? '0').padStart(w, '0');
  return `${p(m[1], 4)}-${p(m[2], 2)}-${p(m[3], 2)} ${p(m[4], 2)}:${p(m[5], 2)}:${p(m[6], 2)}.${(m[7] ?? '').padEnd(6, '0')}`;
}

const TIME_RE = /^\s*(-)?(\d{1,3}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6})\d*)?)?\s*$/;

/** '[-]HHH:MM[:SS[.f]]' → signed microseconds; null when not a time. */
function timeToMicros(s: string): number | null {
  const m = TIME_RE.exec(s);
  if (!m) return null;
  const secs = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0);
  const micros = secs * 1e6 + Number((m[5] ?? '').padEnd(6, '0'));
  return m[1] ? -micros : micros;
}

// ---------------------------------------------------------------------------
// Per-kind comparators: (row value, non-null) vs a precomputed filter operand

type Operand = unknown;
interface Comparator {
  prepare(v: string): Operand;
  /** <0, 0, >0; null when the value cannot be compared (treated as no match). */
  compare(rowValue: Exclude<SourceValue, null>, operand: Operand): number | null;
}

function numericComparator(): Comparator {
  return {
    prepare: (v) => parseDec(v),
    compare(rv, op) {
      let d: Dec | number;
      if (typeof rv === 'number') d = decFromNumber(rv);
      else if (typeof rv === 'string') d = parseDec(rv);
      else d = bufferToDec(rv);
      return cmpDec(d, op as Dec | number);
    },
  };
}

function floatComparator(): Comparator {
  return {
    prepare: (v) => decToNumber(parseDec(v)),
    compare(rv, op) {
      const x = typeof rv === 'number' ? rv : typeof rv === 'string' ? decToNumber(parseDec(rv)) : decToNumber(bufferToDec(rv));
      const y = op as number;
      return x < y ? -1 : x > y ? 1 : 0;
    },
  };
}

function bitComparator(): Comparator {
  return {
    prepare: (v) => parseDec(v),
    compare(rv, op) {
      const d = Buffer.isBuffer(rv) ? bufferToDec(rv) : typeof rv === 'number' ? decFromNumber(rv) : parseDec(rv);
      return cmpDec(d, op as Dec | number);
    },
  };
}

function datetimeComparator(): Comparator {
  return {
    prepare: (v) => normDateTime(v) ?? v,
    compare(rv, op) {
      const s = typeof rv === 'string' ? rv : Buffer.isBuffer(rv) ? rv.toString('utf8') : String(rv);
      const a = normDateTime(s) ?? s;
      const b = op as string;
      return a < b ? -1 : a > b ? 1 : 0;
    },
  };
}

function timeComparator(): Comparator {
  return {
    prepare: (v) => timeToMicros(v) ?? v,
    compare(rv, op) {
      const s = typeof rv === 'string' ? rv : Buffer.isBuffer(rv) ? rv.toString('utf8') : String(rv);
      const a = timeToMicros(s);
      if (a === null || typeof op !== 'number') {
        const b = String(op);
        return s < b ? -1 : s > b ? 1 : 0;
      }
      return a < op ? -1 : a > op ? 1 : 0;
    },
  };
}

function binaryComparator(): Comparator {
  return {
    prepare: (v) => Buffer.from(v, 'utf8'),
    compare(rv, op) {
      const a = Buffer.isBuffer(rv) ? rv : Buffer.from(String(rv), 'utf8');
      return Buffer.compare(a, op as Buffer);
    },
  };
}

const collators = new Map<string, Intl.Collator>();

function collatorFor(sensitivity: 'base' | 'accent'): Intl.Collator {
  let c = collators.get(sensitivity);
  if (!c) {
    c = new Intl.Collator('en', { sensitivity, usage: 'sort' });
    collators.set(sensitivity, c);
  }
  return c;
}

/**
 * String comparison following the column's MySQL collation:
 *   *_ci (not *_as_ci)  case- and accent-insensitive
 *   *_as_ci             case-insensitive, accent-sensitive
 *   *_cs / *_bin / none binary (code point) comparison
 * PAD SPACE collations (all but the *_0900_* and *_nopad_* ones) ignore trailing spaces.
 */
function stringComparator(collation: string | null): Comparator {
  const c = (collation ?? '').toLowerCase();
  const padSpace = c === '' || !(c.includes('0900') || c.includes('nopad'));
  const strip = padSpace ? (s: string) => s.replace(/ +$/, '') : (s: string) => s;
  let cmp: (a: string, b: string) => number;
  if (c.endsWith('_ci')) {
    const coll = collatorFor(c.includes('_as_') ? 'accent' : 'base');
    cmp = (a, b) => coll.compare(a, b);
  } else {
    cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  }
  return {
    prepare: (v) => strip(v),
    compare(rv, op) {
      const s = typeof rv === 'string' ? rv : Buffer.isBuffer(rv) ? rv.toString('utf8') : String(rv);
      return cmp(strip(s), op as string);
    },
  };
}

function comparatorFor(col: ColumnDef, tableCollation: string | null): Comparator {
  switch (kindOf(col)) {
    case 'numeric': return numericComparator();
    case 'float': return floatComparator();
    case 'bit': return bitComparator();
    case 'datetime': return datetimeComparator();
    case 'time': return timeComparator();
    case 'binary': return binaryComparator();
    case 'string': return stringComparator(col.collation ?? tableCollation);
  }
}

/** SQL parameter for a filter value: a JS number for plain safe integers on numeric columns. */
function sqlParam(col: ColumnDef, v: string): unknown {
  const k = kindOf(col);
  if ((k === 'numeric' || k === 'float') && /^\s*[+-]?\d+\s*$/.test(v)) {
    const n = Number(v);
    if (Number.isSafeInteger(n)) return n;
  }
  return v;
}

// ---------------------------------------------------------------------------

type ValueTest = (v: SourceValue) => boolean;

function compileCondition(c: FilterCondition, cmp: Comparator): ValueTest {
  switch (c.operator) {
    case 'null': return (v) => v === null;
    case 'notnull': return (v) => v !== null;
    case 'eq': case 'noteq': case 'lte': case 'gte': {
      const op = cmp.prepare(c.value!);
      const test =
        c.operator === 'eq' ? (r: number) => r === 0
        : c.operator === 'noteq' ? (r: number) => r !== 0
        : c.operator === 'lte' ? (r: number) => r <= 0
        : (r: number) => r >= 0;
      return (v) => {
        if (v === null) return false;
        const r = cmp.compare(v, op);
        return r !== null && test(r);
      };
    }
    case 'between': case 'notbetween': {
      const lo = cmp.prepare(c.start!);
      const hi = cmp.prepare(c.end!);
      const negate = c.operator === 'notbetween';
      return (v) => {
        if (v === null) return false;
        const a = cmp.compare(v, lo);
        const b = cmp.compare(v, hi);
        if (a === null || b === null) return false;
        const inside = a >= 0 && b <= 0;
        return negate ? !inside : inside;
      };
    }
  }
}

function conditionSql(c: FilterCondition, q: string, col: ColumnDef, params: unknown[]): string {
  switch (c.operator) {
    case 'eq': params.push(sqlParam(col, c.value!)); return `${q} = ?`;
    case 'noteq': params.push(sqlParam(col, c.value!)); return `${q} <> ?`;
    case 'lte': params.push(sqlParam(col, c.value!)); return `${q} <= ?`;
    case 'gte': params.push(sqlParam(col, c.value!)); return `${q} >= ?`;
    case 'between': params.push(sqlParam(col, c.start!), sqlParam(col, c.end!)); return `${q} BETWEEN ? AND ?`;
    case 'notbetween': params.push(sqlParam(col, c.start!), sqlParam(col, c.end!)); return `${q} NOT BETWEEN ? AND ?`;
    case 'null': return `${q} IS NULL`;
    case 'notnull': return `${q} IS NOT NULL`;
  }
}

/** Filters of one selection rule that selected the table. */
export interface FilterGroup {
  ruleId: number;
  /** The rule named the table literally (no wildcard): a missing filter column is an error. */
  literal: boolean;
  filters: SourceFilter[];
}

export interface CompiledFilters {
  where: SqlFragment | null;
  matches: RowPredicate;
}

const ALWAYS: RowPredicate = () => true;

function findColumn(table: TableDef, name: string): ColumnDef | undefined {
  return table.columns.find((c) => c.name === name)
    ?? table.columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
}

/**
 * Compile the filter groups of every include rule selecting `table`.
 * `where` is null and `matches` always true when any group has no filters.
 */
export function compileFilters(groups: FilterGroup[], table: TableDef): CompiledFilters {
  const sqlGroups: string[] = [];
  const params: unknown[] = [];
  const preds: RowPredicate[] = [];
  for (const g of groups) {
    const parts: string[] = [];
    const filterPreds: RowPredicate[] = [];
    for (const f of g.filters) {
      const col = findColumn(table, f.column);
      if (!col) {
        if (g.literal) {
          throw new InvalidParameterValueException(
            `Error in mapping rules. Rule with ruleId = ${g.ruleId} failed validation. filter column ${f.column} does not exist in table ${table.schema}.${table.table}`,
          );
        }
        continue; // wildcard rule: the filter only applies to tables that have the column
      }
      const q = quoteIdentifier(col.name);
      const cmp = comparatorFor(col, table.collation);
      const conds = f.conditions.map((c) => conditionSql(c, q, col, params));
      parts.push(`(${conds.join(' OR ')})`);
      const tests = f.conditions.map((c) => compileCondition(c, cmp));
      const key = col.name;
      filterPreds.push(
        tests.length === 1
          ? ((t) => (row: SourceRow) => t(row[key] ?? null))(tests[0]!)
          : (row: SourceRow) => {
              const v = row[key] ?? null;
              for (const t of tests) if (t(v)) return true;
              return false;
            },
      );
    }
    if (parts.length === 0) {
      // This rule selects every row of the table: no filtering at all.
      return { where: null, matches: ALWAYS };
    }
    sqlGroups.push(parts.join(' AND '));
    preds.push(
      filterPreds.length === 1
        ? filterPreds[0]!
        : (row) => {
            for (const p of filterPreds) if (!p(row)) return false;
            return true;
          },
    );
  }
  if (sqlGroups.length === 0) return { where: null, matches: ALWAYS };
  const sql = sqlGroups.length === 1 ? sqlGroups[0]! : sqlGroups.map((s) => `(${s})`).join(' OR ');
  const matches: RowPredicate = preds.length === 1
    ? preds[0]!
    : (row) => {
        for (const p of preds) if (p(row)) return true;
        return false;
      };
  return { where: { sql, params }, matches };
}
