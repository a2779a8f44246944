// Parser of the text the `test_decoding` output plugin writes for each change (options
// include-xids, include-timestamp, skip-empty-xacts):
//   BEGIN 1234
//   table public.foo: INSERT: id[integer]:1 name[text]:'Jane' t[boolean]:true b[bit]:B'101'
//   table public.foo: UPDATE: old-key: id[integer]:1 new-tuple: id[integer]:2 ...
//   table public.foo: DELETE: id[integer]:2            (or `(no-tuple-data)`)
//   table public.foo: TRUNCATE: (no-flags)
//   COMMIT 1234 (at 2024-07-29 00:58:17.97434+00)
// Names are quote_identifier()'d, types are format_type_be() (no typmod), values are the type's
// output text: unquoted for integers, floats and numeric, `true`/`false` for boolean, B'…' for bit
// strings, `null`, `unchanged-toast-datum`, and '…' with '' doubled for everything else.

/** A column whose TOASTed value did not change (test_decoding does not send it). */
export const UNCHANGED_TOAST: unique symbol = Symbol('unchanged-toast-datum');

export interface TdColumn {
  name: string;
  /** format_type_be() of the column's type, e.g. `character varying`, `integer[]`. */
  type: string;
  value: string | null | typeof UNCHANGED_TOAST;
}

export type TdMessage =
  | { kind: 'begin'; xid: string }
  | { kind: 'commit'; xid: string; time: string | null }
  | { kind: 'change'; schema: string; table: string; op: 'insert' | 'update' | 'delete'; oldKey: TdColumn[] | null; newTuple: TdColumn[] | null }
  | { kind: 'truncate'; schema: string; table: string }
  | { kind: 'other'; text: string };

export class DecodeError extends Error {}

/** Reads an identifier at i (quoted or bare, ending before `stop`): [name, next index]. */
function readIdent(s: string, i: number, stop: string): [string, number] {
  if (s.charCodeAt(i) === 34 /* " */) {
    let out = '';
    let j = i + 1;
    for (;;) {
      const q = s.indexOf('"', j);
      if (q < 0) throw new DecodeError(`unterminated identifier in: ${s.slice(0, 200)}`);
      out += s.slice(j, q);
      if (s.charCodeAt(q + 1) === 34) {
        out += '"';
        j = q + 2;
        continue;
      }
      return [out, q + 1];
    }
  }
  let j = i;
  while (j < s.length && !stop.includes(s[j]!)) j++;
  return [s.slice(i, j), j];
}

/** Parses `name[type]:value name[type]:value ...` from i to the end or to a ` new-tuple:` marker. */
function readTuple(s: string, i: number): [TdColumn[], number] {
  const cols: TdColumn[] = [];
  const n = s.length;
  while (i < n) {
    if (s.startsWith('new-tuple:', i)) break;
    const [name, a] = readIdent(s, i, '[');
    if (s.charCodeAt(a) !== 91 /* [ */) throw new DecodeError(`expected [ after column ${name}: ${s.slice(0, 200)}`);
    const close = s.indexOf(']:', a + 1);
    if (close < 0) throw new DecodeError(`expected ]: after column ${name}`);
    const type = s.slice(a + 1, close);
    let j = close + 2;
    let value: TdColumn['value'];
    const c = s.charCodeAt(j);
    if (c === 39 /* ' */) {
      let out = '';
      let k = j + 1;
      for (;;) {
        const q = s.indexOf("'", k);
        if (q < 0) throw new DecodeError(`unterminated literal of column ${name}`);
        out += s.slice(k, q);
        if (s.charCodeAt(q + 1) === 39) {
          out += "'";
          k = q + 2;
          continue;
        }
        j = q + 1;
        break;
      }
      value = out;
    } else if (c === 66 /* B */ && s.charCodeAt(j + 1) === 39) {
      const q = s.indexOf("'", j + 2);
      value = s.slice(j + 2, q);
      j = q + 1;
    } else {
      let k = s.indexOf(' ', j);
      if (k < 0) k = n;
      const tok = s.slice(j, k);
      j = k;
      value = tok === 'null' ? null : tok === 'unchanged-toast-datum' ? UNCHANGED_TOAST : tok;
    }
    cols.push({ name, type, value });
    if (s.charCodeAt(j) === 32) j++;
    i = j;
  }
  return [cols, i];
}

export function parseTestDecoding(s: string): TdMessage {
  if (s.startsWith('table ')) {
    const [schema, a] = readIdent(s, 6, '.');
    if (s.charCodeAt(a) !== 46) throw new DecodeError(`expected schema.table: ${s.slice(0, 200)}`);
    const [table, b] = readIdent(s, a + 1, ':');
    if (!s.startsWith(': ', b)) throw new DecodeError(`expected ': ' after table name: ${s.slice(0, 200)}`);
    const opEnd = s.indexOf(':', b + 2);
    const op = s.slice(b + 2, opEnd);
    let i = opEnd + 2;
    if (op === 'TRUNCATE') return { kind: 'truncate', schema, table };
    const kind = op === 'INSERT' ? 'insert' : op === 'UPDATE' ? 'update' : op === 'DELETE' ? 'delete' : null;
    if (!kind) return { kind: 'other', text: s };
    if (s.startsWith('(no-tuple-data)', i)) return { kind: 'change', schema, table, op: kind, oldKey: null, newTuple: null };
    let oldKey: TdColumn[] | null = null;
    if (s.startsWith('old-key: ', i)) {
      [oldKey, i] = readTuple(s, i + 9);
      if (s.startsWith('new-tuple: ', i)) i += 11;
    }
    if (kind === 'delete') {
      const [cols] = readTuple(s, i);
      return { kind: 'change', schema, table, op: kind, oldKey: cols, newTuple: null };
    }
    const [cols] = readTuple(s, i);
    return { kind: 'change', schema, table, op: kind, oldKey, newTuple: cols };
  }
  if (s.startsWith('BEGIN')) return { kind: 'begin', xid: s.slice(6).trim() };
  if (s.startsWith('COMMIT')) {
    const m = /^COMMIT(?: (\d+))?(?: \(at (.+)\))?$/.exec(s);
    return { kind: 'commit', xid: m?.[1] ?? '', time: m?.[2] ?? null };
  }
  return { kind: 'other', text: s };
}

/** The date-time and offset parts of the last commit time parsed, and their values (see below). */
let lastPrefix = '';
let lastOffsetText = '';
let lastBase = 0;
let lastOffset = 0;

/** PostgreSQL timestamptz text (`2024-07-29 00:58:17.97434+00`) → epoch seconds. */
export function pgTimestampToEpoch(text: string): number {
  // Commits come in time order: most share the previous one's second and offset, and only the
  // fraction needs reading.
  if (lastPrefix !== '' && text.startsWith(lastPrefix)) {
    let i = 19;
    if (text.charCodeAt(i) === 46 /* . */) {
      i++;
      while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    }
    if (i > 20 || i === 19) {
      if (text.length - i === lastOffsetText.length && text.endsWith(lastOffsetText)) {
        const frac = i > 19 ? Number('0' + text.slice(19, i)) : 0;
        return lastBase + frac - lastOffset;
      }
    }
  }
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2})(?::?(\d{2}))?(?::?(\d{2}))?$/.exec(text);
  if (!m) {
    const t = Date.parse(text);
    return Number.isNaN(t) ? Date.now() / 1000 : t / 1000;
  }
  const base = Date.parse(`${m[1]}T${m[2]}Z`) / 1000;
  const frac = m[3] ? Number(`0${m[3]}`) : 0;
  const sign = m[4]!.startsWith('-') ? -1 : 1;
  const off = sign * (Math.abs(Number(m[4])) * 3600 + Number(m[5] ?? 0) * 60 + Number(m[6] ?? 0));
  if (!Number.isNaN(base)) {
    lastPrefix = text.slice(0, 19);
    lastOffsetText = text.slice(19 + (m[3]?.length ?? 0));
    lastBase = base;
    lastOffset = off;
  }
  return base + frac - off;
}
