// A compiler for the SQLite expression subset used by DMS transformation rules
// (`add-column` `expression`). DMS evaluates these with SQLite; this module
// follows SQLite's semantics for what it implements:
//
//   literals     'text' ('' escapes a quote), 12, 1.5, 1e3, x'0A0B', NULL
//   references   $COLUMN (a source column, case-sensitive first, then case-insensitive),
//                ${any column name}, $AR_H_* / $AR_M_* header columns
//   operators    ||  * / %  + -  < <= > >=  = == != <>  IS [NOT]  [NOT] LIKE
//                [NOT] BETWEEN x AND y  [NOT] IN (...)  ISNULL NOTNULL  NOT AND OR
//                unary - +
//   CASE [x] WHEN .. THEN .. [ELSE ..] END,  CAST(x AS INTEGER|REAL|TEXT|NUMERIC|BLOB)
//   functions    lower upper length substr substring trim ltrim rtrim replace instr
//                coalesce ifnull nullif iif abs round hex typeof printf-free
//                date time datetime strftime (no modifiers), hash_sha256,
//                operation_indicator(D, U, I)
//
// The expression is compiled once into closures; evaluating it per row allocates
// only for the values it produces.

import { createHash } from 'node:crypto';
import type { ColumnDef, SourceRow, SourceValue } from '../model/table.js';

/** A SQLite REAL. Integers are plain JS numbers; reals are boxed so 7/2 = 3 but 7/2.0 = 3.5. */
export class Real {
  constructor(readonly v: number) {}
}

export type SqlValue = null | number | Real | string | Buffer;

/** Per-row context: operation and `$AR_H_*` header values supplied by the engine. */
export interface EvalContext {
  /** The change being formatted: `load` (full load), `insert`, `update`, `delete`. */
  operation?: 'load' | 'insert' | 'update' | 'delete';
  /** Values for `$AR_H_*` / `$AR_M_*` references, keyed without the `$`. */
  headers?: Record<string, SourceValue>;
  /** Clock for date('now') and friends (tests); defaults to Date.now(). */
  now?: () => number;
}

export class ExpressionError extends Error {}

/** What an expression may reference. */
export interface ExpressionScope {
  columns: ColumnDef[];
  schema: string;
  table: string;
}

export interface CompiledExpression {
  evaluate(row: SourceRow, ctx?: EvalContext): SourceValue;
  /** Source column names the expression reads. */
  columns: string[];
}

// ---------------------------------------------------------------------------
// Value helpers (SQLite semantics)

const REAL_TYPES = new Set(['float', 'double', 'real']);

function fromSource(v: SourceValue, col: ColumnDef | undefined): SqlValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') {
    if (col && REAL_TYPES.has(col.dataType)) return new Real(v);
    return Number.isInteger(v) ? v : new Real(v);
  }
  return v;
}

export function toSource(v: SqlValue): SourceValue {
  if (v instanceof Real) return v.v;
  return v;
}

function formatReal(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? 'Inf' : n < 0 ? '-Inf' : 'NULL';
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return `${n}.0`;
  let s = n.toPrecision(15);
  if (s.includes('e')) {
    let [m, e] = s.split('e') as [string, string];
    if (m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '.0');
    else m += '.0';
    const sign = e.startsWith('-') ? '-' : '+';
    const digits = e.replace(/^[+-]/, '').padStart(2, '0');
    return `${m}e${sign}${digits}`;
  }
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '.0');
  return s;
}

export function toText(v: SqlValue): string | null {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (v instanceof Real) return formatReal(v.v);
  return v.toString('utf8');
}

const NUMERIC_PREFIX = /^\s*([+-]?)(\d*)(\.\d*)?([eE][+-]?\d+)?/;

/** SQLite text → number conversion: the longest numeric prefix, else 0. */
function textToNumber(s: string): number | Real {
  const m = NUMERIC_PREFIX.exec(s);
  if (!m || (m[2] === '' && (m[3] === undefined || m[3].length <= 1))) return 0;
  const text = `${m[1]}${m[2] || '0'}${m[3] ?? ''}${m[4] ?? ''}`;
  const n = Number(text);
  if (m[3] === undefined && m[4] === undefined && Number.isSafeInteger(n)) return n;
  return new Real(n);
}

/** Numeric value for arithmetic; null stays null. */
function toNumeric(v: SqlValue): number | Real | null {
  if (v === null) return null;
  if (typeof v === 'number' || v instanceof Real) return v;
  if (typeof v === 'string') return textToNumber(v);
  return textToNumber(v.toString('utf8'));
}

function num(v: number | Real): number {
  return typeof v === 'number' ? v : v.v;
}

function isNumeric(v: SqlValue): v is number | Real {
  return typeof v === 'number' || v instanceof Real;
}

function looksNumeric(s: string): boolean {
  return /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/.test(s);
}

/** SQLite comparison; null when either side is NULL. */
function compare(a: SqlValue, b: SqlValue): number | null {
  if (a === null || b === null) return null;
  // Text that looks like a number compares numerically with a number (column affinity).
  if (isNumeric(a) && typeof b === 'string' && looksNumeric(b)) b = textToNumber(b);
  if (isNumeric(b) && typeof a === 'string' && looksNumeric(a)) a = textToNumber(a);
  const rank = (v: SqlValue) => (isNumeric(v) ? 1 : typeof v === 'string' ? 2 : 3);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 1) {
    const x = num(a as number | Real);
    const y = num(b as number | Real);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (ra === 2) {
    const x = a as string;
    const y = b as string;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return Buffer.compare(a as Buffer, b as Buffer);
}

function truthy(v: SqlValue): boolean | null {
  if (v === null) return null;
  const n = toNumeric(v);
  return n !== null && num(n) !== 0;
}

function bool(b: boolean | null): SqlValue {
  return b === null ? null : b ? 1 : 0;
}

function arith(op: string, a: SqlValue, b: SqlValue): SqlValue {
  const x = toNumeric(a);
  const y = toNumeric(b);
  if (x === null || y === null) return null;
  const bothInt = typeof x === 'number' && typeof y === 'number';
  const xv = num(x);
  const yv = num(y);
  switch (op) {
    case '+': return bothInt && Number.isSafeInteger(xv + yv) ? xv + yv : new Real(xv + yv);
    case '-': return bothInt && Number.isSafeInteger(xv - yv) ? xv - yv : new Real(xv - yv);
    case '*': return bothInt && Number.isSafeInteger(xv * yv) ? xv * yv : new Real(xv * yv);
    case '/':
      if (yv === 0) return null;
      return bothInt ? Math.trunc(xv / yv) : new Real(xv / yv);
    case '%': {
      const xi = Math.trunc(xv);
      const yi = Math.trunc(yv);
      if (yi === 0) return null;
      const r = xi % yi;
      return bothInt ? r : new Real(r);
    }
    default: throw new ExpressionError(`unknown operator ${op}`);
  }
}

/** SQLite LIKE: case-insensitive for ASCII, % and _ wildcards. */
function likeToRegex(pattern: string, escape: string | null): RegExp {
  let out = '';
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (escape !== null && c === escape && i + 1 < chars.length) {
      out += chars[++i]!.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
    } else if (c === '%') out += '.*';
    else if (c === '_') out += '.';
    else out += c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 'isu');
}

// ---------------------------------------------------------------------------
// Tokenizer

type Tok =
  | { k: 'num'; v: number | Real }
  | { k: 'str'; v: string }
  | { k: 'blob'; v: Buffer }
  | { k: 'ref'; v: string }
  | { k: 'id'; v: string }      // identifier / keyword, upper-cased in `u`
  | { k: 'op'; v: string }
  | { k: 'eof' };

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= n) throw new ExpressionError('unterminated string literal');
        if (src[i] === "'") {
          if (src[i + 1] === "'") { s += "'"; i += 2; continue; }
          i++;
          break;
        }
        s += src[i++];
      }
      toks.push({ k: 'str', v: s });
      continue;
    }
    if ((c === 'x' || c === 'X') && src[i + 1] === "'") {
      const end = src.indexOf("'", i + 2);
      if (end < 0) throw new ExpressionError('unterminated blob literal');
      const hex = src.slice(i + 2, end);
      if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new ExpressionError('malformed blob literal');
      toks.push({ k: 'blob', v: Buffer.from(hex, 'hex') });
      i = end + 1;
      continue;
    }
    if (c === '$') {
      if (src[i + 1] === '{') {
        const end = src.indexOf('}', i + 2);
        if (end < 0) throw new ExpressionError('unterminated ${...} column reference');
        toks.push({ k: 'ref', v: src.slice(i + 2, end) });
        i = end + 1;
        continue;
      }
      const m = /^[\p{L}\p{N}_$]+/u.exec(src.slice(i + 1));
      if (!m) throw new ExpressionError(`invalid column reference at position ${i}`);
      toks.push({ k: 'ref', v: m[0] });
      i += 1 + m[0].length;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(\d*)(\.\d*)?([eE][+-]?\d+)?/.exec(src.slice(i))!;
      const text = m[0];
      const n2 = Number(text);
      toks.push({ k: 'num', v: m[2] === undefined && m[3] === undefined && Number.isSafeInteger(n2) ? n2 : new Real(n2) });
      i += text.length;
      continue;
    }
    if (/[\p{L}_]/u.test(c)) {
      const m = /^[\p{L}\p{N}_]+/u.exec(src.slice(i))!;
      toks.push({ k: 'id', v: m[0] });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === '`' || c === '[') {
      // Quoted identifiers name functions/keywords only in SQLite expressions here.
      throw new ExpressionError(`unexpected character ${c} at position ${i}`);
    }
    const two = src.slice(i, i + 2);
    if (['||', '<=', '>=', '==', '!=', '<>'].includes(two)) {
      toks.push({ k: 'op', v: two });
      i += 2;
      continue;
    }
    if ('+-*/%<>=(),'.includes(c)) {
      toks.push({ k: 'op', v: c });
      i++;
      continue;
    }
    throw new ExpressionError(`unexpected character ${c} at position ${i}`);
  }
  toks.push({ k: 'eof' });
  return toks;
}

// ---------------------------------------------------------------------------
// Parser → closures

interface Env {
  row: SourceRow;
  ctx: EvalContext | undefined;
}
type Fn = (env: Env) => SqlValue;

class Parser {
  private pos = 0;
  readonly referenced = new Set<string>();

  constructor(
    private readonly toks: Tok[],
    private readonly scope: ExpressionScope,
    /** Syntax check only: accept any reference. */
    private readonly permissive = false,
  ) {}

  private peek(): Tok { return this.toks[this.pos]!; }
  private next(): Tok { return this.toks[this.pos++]!; }

  private isKw(t: Tok, kw: string): boolean {
    return t.k === 'id' && t.v.toUpperCase() === kw;
  }
  private acceptKw(kw: string): boolean {
    if (this.isKw(this.peek(), kw)) { this.pos++; return true; }
    return false;
  }
  private expectKw(kw: string): void {
    if (!this.acceptKw(kw)) throw new ExpressionError(`expected ${kw}`);
  }
  private acceptOp(op: string): boolean {
    const t = this.peek();
    if (t.k === 'op' && t.v === op) { this.pos++; return true; }
    return false;
  }
  private expectOp(op: string): void {
    if (!this.acceptOp(op)) throw new ExpressionError(`expected ${op}`);
  }

  parse(): Fn {
    const e = this.orExpr();
    if (this.peek().k !== 'eof') throw new ExpressionError('unexpected trailing input');
    return e;
  }

  private orExpr(): Fn {
    let l = this.andExpr();
    while (this.acceptKw('OR')) {
      const a = l;
      const b = this.andExpr();
      l = (env) => {
        const x = truthy(a(env));
        if (x === true) return 1;
        const y = truthy(b(env));
        if (y === true) return 1;
        return x === null || y === null ? null : 0;
      };
    }
    return l;
  }

  private andExpr(): Fn {
    let l = this.notExpr();
    while (this.acceptKw('AND')) {
      const a = l;
      const b = this.notExpr();
      l = (env) => {
        const x = truthy(a(env));
        if (x === false) return 0;
        const y = truthy(b(env));
        if (y === false) return 0;
        return x === null || y === null ? null : 1;
      };
    }
    return l;
  }

  private notExpr(): Fn {
    if (this.acceptKw('NOT')) {
      const e = this.notExpr();
      return (env) => {
        const t = truthy(e(env));
        return t === null ? null : t ? 0 : 1;
      };
    }
    return this.equality();
  }

  private equality(): Fn {
    let l = this.relational();
    for (;;) {
      const t = this.peek();
      if (t.k === 'op' && (t.v === '=' || t.v === '==' || t.v === '!=' || t.v === '<>')) {
        this.pos++;
        const a = l;
        const b = this.relational();
        const ne = t.v === '!=' || t.v === '<>';
        l = (env) => {
          const c = compare(a(env), b(env));
          return c === null ? null : bool(ne ? c !== 0 : c === 0);
        };
        continue;
      }
      if (this.isKw(t, 'IS')) {
        this.pos++;
        const not = this.acceptKw('NOT');
        const a = l;
        const b = this.relational();
        l = (env) => {
          const x = a(env);
          const y = b(env);
          const same = x === null || y === null ? x === y : compare(x, y) === 0;
          return bool(not ? !same : same);
        };
        continue;
      }
      if (this.isKw(t, 'ISNULL') || this.isKw(t, 'NOTNULL')) {
        this.pos++;
        const a = l;
        const wantNull = this.isKw(t, 'ISNULL');
        l = (env) => bool((a(env) === null) === wantNull);
        continue;
      }
      // [NOT] LIKE / BETWEEN / IN
      let not = false;
      const save = this.pos;
      if (this.isKw(t, 'NOT')) { this.pos++; not = true; }
      const t2 = this.peek();
      if (this.isKw(t2, 'LIKE')) {
        this.pos++;
        const a = l;
        const p = this.relational();
        let esc: Fn | null = null;
        if (this.acceptKw('ESCAPE')) esc = this.relational();
        const cache = new Map<string, RegExp>();
        l = (env) => {
          const x = a(env);
          const y = p(env);
          if (x === null || y === null) return null;
          const e = esc ? toText(esc(env)) : null;
          const key = `${e ?? ''}\u0000${toText(y)}`;
          let re = cache.get(key);
          if (!re) {
            re = likeToRegex(toText(y)!, e);
            if (cache.size < 64) cache.set(key, re);
          }
          const m = re.test(toText(x)!);
          return bool(not ? !m : m);
        };
        continue;
      }
      if (this.isKw(t2, 'BETWEEN')) {
        this.pos++;
        const a = l;
        const lo = this.relational();
        this.expectKw('AND');
        const hi = this.relational();
        l = (env) => {
          const x = a(env);
          const c1 = compare(x, lo(env));
          const c2 = compare(x, hi(env));
          if (c1 === null || c2 === null) return null;
          const inside = c1 >= 0 && c2 <= 0;
          return bool(not ? !inside : inside);
        };
        continue;
      }
      if (this.isKw(t2, 'IN')) {
        this.pos++;
        this.expectOp('(');
        const items: Fn[] = [];
        if (!this.acceptOp(')')) {
          do items.push(this.orExpr()); while (this.acceptOp(','));
          this.expectOp(')');
        }
        const a = l;
        l = (env) => {
          const x = a(env);
          if (x === null) return null;
          let sawNull = false;
          for (const it of items) {
            const c = compare(x, it(env));
            if (c === null) sawNull = true;
            else if (c === 0) return bool(!not);
          }
          return sawNull ? null : bool(not);
        };
        continue;
      }
      this.pos = save;
      return l;
    }
  }

  private relational(): Fn {
    let l = this.additive();
    for (;;) {
      const t = this.peek();
      if (t.k === 'op' && (t.v === '<' || t.v === '<=' || t.v === '>' || t.v === '>=')) {
        this.pos++;
        const a = l;
        const b = this.additive();
        const op = t.v;
        l = (env) => {
          const c = compare(a(env), b(env));
          if (c === null) return null;
          return bool(op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0);
        };
        continue;
      }
      return l;
    }
  }

  private additive(): Fn {
    let l = this.multiplicative();
    for (;;) {
      const t = this.peek();
      if (t.k === 'op' && (t.v === '+' || t.v === '-')) {
        this.pos++;
        const a = l;
        const b = this.multiplicative();
        const op = t.v;
        l = (env) => arith(op, a(env), b(env));
        continue;
      }
      return l;
    }
  }

  private multiplicative(): Fn {
    let l = this.concat();
    for (;;) {
      const t = this.peek();
      if (t.k === 'op' && (t.v === '*' || t.v === '/' || t.v === '%')) {
        this.pos++;
        const a = l;
        const b = this.concat();
        const op = t.v;
        l = (env) => arith(op, a(env), b(env));
        continue;
      }
      return l;
    }
  }

  private concat(): Fn {
    let l = this.unary();
    while (this.acceptOp('||')) {
      const a = l;
      const b = this.unary();
      l = (env) => {
        const x = toText(a(env));
        if (x === null) return null;
        const y = toText(b(env));
        return y === null ? null : x + y;
      };
    }
    return l;
  }

  private unary(): Fn {
    if (this.acceptOp('-')) {
      const e = this.unary();
      return (env) => {
        const v = toNumeric(e(env));
        if (v === null) return null;
        return typeof v === 'number' ? (v === 0 ? 0 : -v) : new Real(-v.v);
      };
    }
    if (this.acceptOp('+')) return this.unary();
    return this.primary();
  }

  private primary(): Fn {
    const t = this.next();
    switch (t.k) {
      case 'num': { const v = t.v; return () => v; }
      case 'str': { const v = t.v; return () => v; }
      case 'blob': { const v = t.v; return () => v; }
      case 'ref': return this.reference(t.v);
      case 'op':
        if (t.v === '(') {
          const e = this.orExpr();
          this.expectOp(')');
          return e;
        }
        throw new ExpressionError(`unexpected ${t.v}`);
      case 'id': {
        const kw = t.v.toUpperCase();
        if (kw === 'NULL') return () => null;
        if (kw === 'CASE') return this.caseExpr();
        if (kw === 'CAST') return this.castExpr();
        if (kw === 'CURRENT_TIMESTAMP') return (env) => formatDate(nowMs(env), 'datetime');
        if (kw === 'CURRENT_DATE') return (env) => formatDate(nowMs(env), 'date');
        if (kw === 'CURRENT_TIME') return (env) => formatDate(nowMs(env), 'time');
        if (this.acceptOp('(')) {
          const args: Fn[] = [];
          if (!this.acceptOp(')')) {
            do args.push(this.orExpr()); while (this.acceptOp(','));
            this.expectOp(')');
          }
          return this.call(t.v.toLowerCase(), args);
        }
        throw new ExpressionError(`unknown identifier ${t.v} (column references start with $)`);
      }
      case 'eof':
        throw new ExpressionError('unexpected end of expression');
    }
  }

  private reference(name: string): Fn {
    if (this.permissive) return () => null;
    const cols = this.scope.columns;
    const col = cols.find((c) => c.name === name)
      ?? cols.find((c) => c.name.toLowerCase() === name.toLowerCase());
    if (col) {
      const key = col.name;
      this.referenced.add(key);
      return (env) => fromSource(env.row[key] ?? null, col);
    }
    const upper = name.toUpperCase();
    if (upper === 'AR_M_SOURCE_SCHEMA') { const v = this.scope.schema; return () => v; }
    if (upper === 'AR_M_SOURCE_TABLE_NAME') { const v = this.scope.table; return () => v; }
    if (upper.startsWith('AR_H_') || upper.startsWith('AR_M_') || upper.startsWith('AR_V_')) {
      return (env) => {
        const h = env.ctx?.headers;
        if (h && upper in h) return fromSource(h[upper] ?? null, undefined);
        if (upper === 'AR_H_OPERATION') return operationName(env.ctx?.operation);
        if (upper === 'AR_H_TIMESTAMP') return formatDate(nowMs(env), 'datetime6');
        return null;
      };
    }
    throw new ExpressionError(`column ${name} does not exist in source table ${this.scope.schema}.${this.scope.table}`);
  }

  private caseExpr(): Fn {
    let base: Fn | null = null;
    if (!this.isKw(this.peek(), 'WHEN')) base = this.orExpr();
    const arms: [Fn, Fn][] = [];
    while (this.acceptKw('WHEN')) {
      const w = this.orExpr();
      this.expectKw('THEN');
      arms.push([w, this.orExpr()]);
    }
    if (arms.length === 0) throw new ExpressionError('CASE needs at least one WHEN');
    let dflt: Fn = () => null;
    if (this.acceptKw('ELSE')) dflt = this.orExpr();
    this.expectKw('END');
    return (env) => {
      const b = base ? base(env) : null;
      for (const [w, r] of arms) {
        const ok = base ? compare(b, w(env)) === 0 : truthy(w(env)) === true;
        if (ok) return r(env);
      }
      return dflt(env);
    };
  }

  private castExpr(): Fn {
    this.expectOp('(');
    const e = this.orExpr();
    this.expectKw('AS');
    const t = this.next();
    if (t.k !== 'id') throw new ExpressionError('expected a type name in CAST');
    let type = t.v.toUpperCase();
    // Swallow a (length[,scale]) suffix such as VARCHAR(20).
    if (this.acceptOp('(')) {
      while (!this.acceptOp(')')) if (this.next().k === 'eof') throw new ExpressionError('expected )');
    }
    this.expectOp(')');
    if (/INT/.test(type)) type = 'INTEGER';
    else if (/CHAR|CLOB|TEXT/.test(type)) type = 'TEXT';
    else if (/BLOB/.test(type)) type = 'BLOB';
    else if (/REAL|FLOA|DOUB/.test(type)) type = 'REAL';
    else type = 'NUMERIC';
    return (env) => castTo(e(env), type);
  }

  private call(name: string, args: Fn[]): Fn {
    const arity = (min: number, max = min) => {
      if (args.length < min || args.length > max) {
        throw new ExpressionError(`wrong number of arguments to function ${name}()`);
      }
    };
    const a0 = args[0]!;
    const a1 = args[1]!;
    const a2 = args[2]!;
    switch (name) {
      case 'lower': arity(1); return (env) => { const s = toText(a0(env)); return s === null ? null : s.toLowerCase(); };
      case 'upper': arity(1); return (env) => { const s = toText(a0(env)); return s === null ? null : s.toUpperCase(); };
      case 'length': arity(1); return (env) => {
        const v = a0(env);
        if (v === null) return null;
        if (Buffer.isBuffer(v)) return v.length;
        return Array.from(toText(v)!).length;
      };
      case 'substr':
      case 'substring': arity(2, 3); return (env) => {
        const v = a0(env);
        const s = toText(v);
        const p = toNumeric(a1(env));
        const l = args.length === 3 ? toNumeric(a2(env)) : undefined;
        if (s === null || p === null || l === null) return null;
        return sqliteSubstr(Array.from(s), Math.trunc(num(p)), l === undefined ? undefined : Math.trunc(num(l)));
      };
      case 'trim':
      case 'ltrim':
      case 'rtrim': arity(1, 2); return (env) => {
        const s = toText(a0(env));
        if (s === null) return null;
        const chars = args.length === 2 ? toText(a1(env)) : ' ';
        if (chars === null) return null;
        const set = new Set(Array.from(chars));
        let cs = Array.from(s);
        let start = 0;
        let end = cs.length;
        if (name !== 'rtrim') while (start < end && set.has(cs[start]!)) start++;
        if (name !== 'ltrim') while (end > start && set.has(cs[end - 1]!)) end--;
        cs = cs.slice(start, end);
        return cs.join('');
      };
      case 'replace': arity(3); return (env) => {
        const s = toText(a0(env));
        const f = toText(a1(env));
        const r = toText(a2(env));
        if (s === null || f === null || r === null) return null;
        return f === '' ? s : s.split(f).join(r);
      };
      case 'instr': arity(2); return (env) => {
        const s = toText(a0(env));
        const f = toText(a1(env));
        if (s === null || f === null) return null;
        const idx = s.indexOf(f);
        return idx < 0 ? 0 : Array.from(s.slice(0, idx)).length + 1;
      };
      case 'coalesce':
        if (args.length < 2) throw new ExpressionError(`wrong number of arguments to function ${name}()`);
        return (env) => { for (const a of args) { const v = a(env); if (v !== null) return v; } return null; };
      case 'ifnull': arity(2); return (env) => { const v = a0(env); return v !== null ? v : a1(env); };
      case 'nullif': arity(2); return (env) => { const v = a0(env); return compare(v, a1(env)) === 0 ? null : v; };
      case 'iif': arity(3); return (env) => (truthy(a0(env)) === true ? a1(env) : a2(env));
      case 'abs': arity(1); return (env) => {
        const v = toNumeric(a0(env));
        if (v === null) return null;
        return typeof v === 'number' ? Math.abs(v) : new Real(Math.abs(v.v));
      };
      case 'round': arity(1, 2); return (env) => {
        const v = toNumeric(a0(env));
        const d = args.length === 2 ? toNumeric(a1(env)) : 0;
        if (v === null || d === null) return null;
        const digits = Math.max(0, Math.trunc(num(d)));
        const f = 10 ** digits;
        const x = num(v);
        return new Real((Math.sign(x) * Math.round(Math.abs(x) * f)) / f);
      };
      case 'hex': arity(1); return (env) => {
        const v = a0(env);
        if (v === null) return '';
        const b = Buffer.isBuffer(v) ? v : Buffer.from(toText(v)!, 'utf8');
        return b.toString('hex').toUpperCase();
      };
      case 'typeof': arity(1); return (env) => {
        const v = a0(env);
        return v === null ? 'null' : typeof v === 'number' ? 'integer' : v instanceof Real ? 'real' : typeof v === 'string' ? 'text' : 'blob';
      };
      case 'hash_sha256': arity(1); return (env) => {
        const v = a0(env);
        if (v === null) return null;
        const b = Buffer.isBuffer(v) ? v : Buffer.from(toText(v)!, 'utf8');
        return createHash('sha256').update(b).digest('hex');
      };
      case 'date':
      case 'time':
      case 'datetime': arity(1); return (env) => {
        const ms = toEpochMs(a0(env), env);
        return ms === null ? null : formatDate(ms, name);
      };
      case 'strftime': arity(2); return (env) => {
        const f = toText(a0(env));
        const ms = toEpochMs(a1(env), env);
        if (f === null || ms === null) return null;
        return strftime(f, ms);
      };
      case 'operation_indicator': arity(3); return (env) => {
        switch (env.ctx?.operation) {
          case 'delete': return a0(env);
          case 'update': return a1(env);
          case 'insert': return a2(env);
          default: return null;
        }
      };
      default:
        throw new ExpressionError(`no such function: ${name}`);
    }
  }
}

function operationName(op: EvalContext['operation']): SqlValue {
  switch (op) {
    case 'insert': return 'INSERT';
    case 'update': return 'UPDATE';
    case 'delete': return 'DELETE';
    case 'load': return 'INSERT';
    default: return null;
  }
}

function castTo(v: SqlValue, type: string): SqlValue {
  if (v === null) return null;
  switch (type) {
    case 'TEXT': return toText(v);
    case 'BLOB': return Buffer.isBuffer(v) ? v : Buffer.from(toText(v)!, 'utf8');
    case 'INTEGER': { const n = toNumeric(v)!; return Math.trunc(num(n)); }
    case 'REAL': { const n = toNumeric(v)!; return new Real(num(n)); }
    default: {
      const n = toNumeric(v)!;
      if (n instanceof Real && Number.isInteger(n.v) && Math.abs(n.v) < 2 ** 53) return n.v;
      return n;
    }
  }
}

/** SQLite substr() on code points, with its 1-based / negative-start rules. */
function sqliteSubstr(cs: string[], p: number, l: number | undefined): string {
  const len = cs.length;
  let start: number;
  let end: number;
  if (p > 0) start = p - 1;
  else if (p < 0) start = len + p;
  else start = -1; // position 0 is "before the first character"
  if (l === undefined) end = len;
  else if (l >= 0) end = start + l;
  else { end = start; start = start + l; }
  if (p === 0 && l !== undefined && l > 0) end = start + l;
  start = Math.max(0, start);
  end = Math.min(len, end);
  return end > start ? cs.slice(start, end).join('') : '';
}

function nowMs(env: Env): number {
  return env.ctx?.now ? env.ctx.now() : Date.now();
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

function formatDate(ms: number, kind: string): string {
  const d = new Date(ms);
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  switch (kind) {
    case 'date': return date;
    case 'time': return time;
    case 'datetime6': return `${date} ${time}.${pad(d.getUTCMilliseconds(), 3)}000`;
    default: return `${date} ${time}`;
  }
}

/** 'now', 'YYYY-MM-DD[ HH:MM:SS[.fff]]', or a unix epoch number → epoch ms (UTC). */
function toEpochMs(v: SqlValue, env: Env): number | null {
  if (v === null) return null;
  if (isNumeric(v)) return num(v) * 1000;
  const s = toText(v)!.trim();
  if (s.toLowerCase() === 'now') return nowMs(env);
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?(Z)?$/.exec(s);
  if (m) {
    const frac = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
    return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)) + Math.round(frac);
  }
  const t = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  if (t) return Date.UTC(2000, 0, 1, +t[1]!, +t[2]!, +(t[3] ?? 0));
  return null;
}

function strftime(fmt: string, ms: number): string {
  const d = new Date(ms);
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c !== '%' || i + 1 >= fmt.length) { out += c; continue; }
    const f = fmt[++i]!;
    switch (f) {
      case 'Y': out += pad(d.getUTCFullYear(), 4); break;
      case 'm': out += pad(d.getUTCMonth() + 1); break;
      case 'd': out += pad(d.getUTCDate()); break;
      case 'H': out += pad(d.getUTCHours()); break;
      case 'M': out += pad(d.getUTCMinutes()); break;
      case 'S': out += pad(d.getUTCSeconds()); break;
      case 'f': out += `${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`; break;
      case 's': out += String(Math.floor(ms / 1000)); break;
      case 'j': {
        const start = Date.UTC(d.getUTCFullYear(), 0, 1);
        out += pad(Math.floor((ms - start) / 86400000) + 1, 3);
        break;
      }
      case '%': out += '%'; break;
      default: out += `%${f}`;
    }
  }
  return out;
}

/**
 * Compile a DMS/SQLite expression against a source table. Throws ExpressionError
 * on a syntax error, an unknown function or an unknown column.
 */
export function compileExpression(src: string, scope: ExpressionScope): CompiledExpression {
  const parser = new Parser(tokenize(src), scope);
  const fn = parser.parse();
  return {
    evaluate(row, ctx) {
      return toSource(fn({ row, ctx }));
    },
    columns: [...parser.referenced],
  };
}

/** Syntax-only check used at parse time, before any table is known. */
export function checkExpressionSyntax(src: string): void {
  // Unknown columns are only detectable per table; accept every reference here.
  new Parser(tokenize(src), { columns: [], schema: '', table: '' }, true).parse();
}
