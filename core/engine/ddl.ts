import type { ControlOperation } from '../record/formatter.js';

// Classifies a DDL statement from the binlog into what a Kinesis target sees: which table it
// touches and which control records (IncludeTableAlterOperations) it stands for.

export type DdlKind = 'alter' | 'create' | 'drop' | 'rename' | 'truncate' | 'other';

export interface DdlStatement {
  kind: DdlKind;
  /** Tables named by the statement (schema falls back to the event's default database). */
  tables: { schema: string; table: string }[];
  /** For ALTER TABLE: one control operation per column change, in statement order. */
  operations: ControlOperation[];
  /** For RENAME TABLE / ALTER ... RENAME TO: the new names, pairwise with `tables`. */
  renamedTo?: { schema: string; table: string }[];
}

// Backticks (MySQL) or double quotes (PostgreSQL, and MySQL under ANSI_QUOTES) quote a name.
const IDENT = String.raw`(?:\`(?:[^\`]|\`\`)+\`|"(?:[^"]|"")+"|[A-Za-z0-9_$\u0080-\uffff]+)`;
const QUALIFIED = String.raw`(${IDENT})(?:\s*\.\s*(${IDENT}))?`;

function unquote(id: string): string {
  if (id.startsWith('`')) return id.slice(1, -1).replace(/``/g, '`');
  if (id.startsWith('"')) return id.slice(1, -1).replace(/""/g, '"');
  // PostgreSQL folds unquoted names to lower case; MySQL names are case-preserving (unchanged).
  return foldUnquoted ? id.toLowerCase() : id;
}

let foldUnquoted = false;

function qualified(a: string, b: string | undefined, defaultSchema: string) {
  return b === undefined ? { schema: defaultSchema, table: unquote(a) } : { schema: unquote(a), table: unquote(b) };
}

/**
 * Removes comments (keeping the text of executable `/*! ... *\/` and `/*M! ... *\/` comments) and
 * collapses whitespace, outside quotes and backticks: `a#b` in backticks is a name, not a comment.
 */
function normalize(sql: string): string {
  let out = '';
  const space = () => {
    if (out !== '' && !out.endsWith(' ')) out += ' ';
  };
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === "'" || ch === '"' || ch === '`') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === '\\' && ch !== '`') j += 2;
        else if (sql[j] === ch && sql[j + 1] === ch) j += 2;
        else if (sql[j] === ch) break;
        else j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const body = sql.slice(i + 2, end < 0 ? sql.length : end);
      const exec = /^M?!\d*/.exec(body);
      space();
      if (exec) out += normalize(body.slice(exec[0].length));
      space();
      i = end < 0 ? sql.length : end + 2;
    } else if (ch === '#' || (ch === '-' && sql[i + 1] === '-' && (i + 2 >= sql.length || /\s/.test(sql[i + 2])))) {
      const end = sql.indexOf('\n', i);
      space();
      i = end < 0 ? sql.length : end;
    } else if (/\s/.test(ch)) {
      space();
      i++;
    } else {
      out += ch;
      i++;
    }
  }
  return out.trim();
}

/** Splits on commas outside parentheses and quotes. */
function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let cur = '';
  let escaped = false;
  for (const ch of text) {
    if (quote) {
      if (escaped) escaped = false;
      else if (ch === '\\' && quote !== '`') escaped = true;
      else if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

function alterOperation(spec: string): ControlOperation | null {
  const s = spec.toUpperCase();
  if (/^ADD\s+(CONSTRAINT|INDEX|KEY|UNIQUE|PRIMARY|FOREIGN|FULLTEXT|SPATIAL|CHECK|PERIOD|SYSTEM|PARTITION)\b/.test(s)) return null;
  if (/^ADD\b/.test(s)) return 'add-column';
  if (/^DROP\s+(INDEX|KEY|PRIMARY|FOREIGN|CONSTRAINT|CHECK|PARTITION|SYSTEM|PERIOD)\b/.test(s)) return null;
  if (/^DROP\b/.test(s)) return 'drop-column';
  if (/^MODIFY\b/.test(s)) return 'column-type-change';
  // PostgreSQL: ALTER [COLUMN] c [SET DATA] TYPE t (SET/DROP DEFAULT and NOT NULL are no column change).
  if (/^ALTER\s+(?:COLUMN\s+)?(?:"(?:[^"]|"")+"|\S+)\s+(?:SET\s+DATA\s+)?TYPE\b/.test(s)) return 'column-type-change';
  if (/^CHANGE\b/.test(s)) return 'change-columns';
  if (/^RENAME\s+COLUMN\b/.test(s)) return 'rename-column';
  return null;
}

/**
 * `dialect` 'postgres': unquoted names fold to lower case and `ALTER TABLE [IF EXISTS] [ONLY]` is
 * accepted; the statement text is what AWS's DDL event trigger records (current_query()).
 */
export function parseDdl(sqlText: string, defaultSchema: string, dialect: 'mysql' | 'postgres' = 'mysql'): DdlStatement {
  foldUnquoted = dialect === 'postgres';
  try {
    return parse(sqlText.replace(/;\s*$/, ''), defaultSchema);
  } finally {
    foldUnquoted = false;
  }
}

function parse(sqlText: string, defaultSchema: string): DdlStatement {
  const sql = normalize(sqlText);
  let m = new RegExp(String.raw`^ALTER\s+(?:ONLINE\s+|IGNORE\s+)*TABLE\s+(?:IF\s+EXISTS\s+)?${foldUnquoted ? String.raw`(?:ONLY\s+)?` : ''}${QUALIFIED}\s*(?:(?:WAIT\s+\d+|NOWAIT)\s*)?(.*)$`, 'i').exec(sql);
  if (m) {
    const table = qualified(m[1], m[2], defaultSchema);
    const specs = splitTopLevel(m[3] ?? '');
    const rename = specs.map((s) => new RegExp(String.raw`^RENAME\s+(?:TO\s+|AS\s+)?${QUALIFIED}$`, 'i').exec(s)).find((r) => r && !/^RENAME\s+(COLUMN|INDEX|KEY)\b/i.test(r[0]));
    return {
      kind: 'alter',
      tables: [table],
      operations: specs.map(alterOperation).filter((o): o is ControlOperation => o !== null),
      ...(rename ? { renamedTo: [qualified(rename[1], rename[2], table.schema)] } : {}),
    };
  }
  m = new RegExp(String.raw`^CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?${QUALIFIED}`, 'i').exec(sql);
  if (m) return /^CREATE\s+TEMPORARY/i.test(sql) ? { kind: 'other', tables: [], operations: [] } : { kind: 'create', tables: [qualified(m[1], m[2], defaultSchema)], operations: [] };
  m = /^DROP\s+(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+EXISTS\s+)?(.*)$/i.exec(sql);
  if (m) {
    const tables = splitTopLevel(m[1].replace(/\s+(RESTRICT|CASCADE)\s*$/i, '')).map((t) => {
      const q = new RegExp(String.raw`^${QUALIFIED}`).exec(t.replace(/\s*\/\*.*$/, ''));
      return q ? qualified(q[1], q[2], defaultSchema) : { schema: defaultSchema, table: t };
    });
    return { kind: 'drop', tables, operations: [] };
  }
  m = /^RENAME\s+TABLES?\s+(?:IF\s+EXISTS\s+)?(?:(?:WAIT\s+\d+|NOWAIT)\s+)?(.*)$/i.exec(sql);
  if (m) {
    const from: DdlStatement['tables'] = [];
    const to: DdlStatement['tables'] = [];
    for (const pair of splitTopLevel(m[1])) {
      const p = new RegExp(String.raw`^${QUALIFIED}\s+TO\s+${QUALIFIED}$`, 'i').exec(pair);
      if (p) {
        from.push(qualified(p[1], p[2], defaultSchema));
        to.push(qualified(p[3], p[4], defaultSchema));
      }
    }
    return { kind: 'rename', tables: from, operations: [], renamedTo: to };
  }
  m = new RegExp(String.raw`^TRUNCATE\s+(?:TABLE\s+)?${QUALIFIED}`, 'i').exec(sql);
  if (m) return { kind: 'truncate', tables: [qualified(m[1], m[2], defaultSchema)], operations: [] };
  return { kind: 'other', tables: [], operations: [] };
}
