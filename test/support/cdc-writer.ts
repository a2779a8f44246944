// A writer of single-row changes with a known per-table commit order, and the check that a stream
// delivered every change at least once in that order (duplicates only as replays from a checkpoint).
// Engine-neutral: MySQL/MariaDB and PostgreSQL differ only in the connection they write through.
import { expect } from 'vitest';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { seededRandom } from './random.js';
import { summary, type ParsedRecord } from './task-flow.js';

/** A connection the writer sends its statements through (`?` placeholders). */
export interface ChangeConnection {
  run(sql: string, params: unknown[]): Promise<void>;
  end(): Promise<void>;
}

export function mysqlChanges(port: number): () => Promise<ChangeConnection> {
  return async () => {
    const conn = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: '' });
    return { run: async (sql, params) => void (await conn.query(sql, params)), end: () => conn.end() };
  };
}

export function postgresChanges(cfg: { port: number; user: string; password: string; database: string }): () => Promise<ChangeConnection> {
  return async () => {
    const conn = new pg.Client({ host: '127.0.0.1', ...cfg });
    await conn.connect();
    let n = 0;
    return {
      run: async (sql, params) => void (await conn.query(sql.replace(/\?/g, () => `$${++n}`), params).finally(() => { n = 0; })),
      end: () => conn.end(),
    };
  };
}

/**
 * A change as a record shows it: `op:id:seq`, unique (seq is the change number). A MySQL delete
 * carries the old row; a PostgreSQL one only its key (`d:id`; ids are never reused).
 */
export const changeKey = (r: ParsedRecord) => {
  const op = String(r.json.metadata.operation)[0];
  const data = r.json.data!;
  return op === 'd' && data.seq === undefined ? `d:${data.id}` : `${op}:${data.id}:${data.seq}`;
};

export interface Writer {
  /** Per table, the changes in commit order, as `changeKey` shows them. */
  committed: Record<string, string[]>;
  done: Promise<void>;
  readonly changes: number;
}

/**
 * `changes` single-row autocommit inserts, updates and deletes over `schema.<tables>` (each
 * `(id INT PRIMARY KEY, seq INT NOT NULL)`), about 1,000 a second; never more than `allowed()` ahead.
 * `deleteImage`: what a delete record carries (MySQL: the row; PostgreSQL's default replica identity: the key).
 */
export function startWriter(opts: {
  connect: () => Promise<ChangeConnection>;
  schema: string;
  tables: string[];
  changes: number;
  allowed: () => number;
  seed?: number;
  deleteImage?: 'row' | 'key';
}): Writer {
  const r = seededRandom(opts.seed ?? 7);
  const committed: Record<string, string[]> = Object.fromEntries(opts.tables.map((t) => [t, []]));
  const live: Record<string, Map<number, number>> = Object.fromEntries(opts.tables.map((t) => [t, new Map()]));
  let nextId = 1;
  let n = 0;
  const done = (async () => {
    const conn = await opts.connect();
    try {
      while (n < opts.changes) {
        while (n >= opts.allowed()) await new Promise((res) => setTimeout(res, 20));
        n++;
        const table = opts.tables[Math.floor(r() * opts.tables.length)]!;
        const rows = live[table]!;
        const x = r();
        const existing = rows.size > 0 ? [...rows.keys()][Math.floor(r() * Math.min(rows.size, 50))]! : undefined;
        if (existing === undefined || x < 0.5) {
          const id = nextId++;
          await conn.run(`INSERT INTO ${opts.schema}.${table} VALUES (?, ?)`, [id, n]);
          rows.set(id, n);
          committed[table]!.push(`i:${id}:${n}`);
        } else if (x < 0.85) {
          await conn.run(`UPDATE ${opts.schema}.${table} SET seq = ? WHERE id = ?`, [n, existing]);
          rows.set(existing, n);
          committed[table]!.push(`u:${existing}:${n}`);
        } else {
          await conn.run(`DELETE FROM ${opts.schema}.${table} WHERE id = ?`, [existing]);
          committed[table]!.push(opts.deleteImage === 'key' ? `d:${existing}` : `d:${existing}:${rows.get(existing)}`);
          rows.delete(existing);
        }
        if (n % 50 === 0) await new Promise((res) => setTimeout(res, 50));
      }
    } finally {
      await conn.end();
    }
  })();
  return { committed, done, get changes() { return n; } };
}

/** Whether every table's last committed change is among the records. */
export function lastChangesArrived(records: ParsedRecord[], writer: Writer): boolean {
  const keys = new Set(records.filter((r) => r.json.metadata['record-type'] === 'data').map(changeKey));
  return Object.values(writer.committed).every((order) => order.length === 0 || keys.has(order.at(-1)!));
}

/**
 * The delivery a task interrupted `lives - 1` times must show: the tables announced once (each new
 * life resumed, it did not start afresh), then per table every change at least once in commit order,
 * duplicates only as contiguous replays, at most one per life.
 */
export function expectDelivered(records: ParsedRecord[], writer: Writer, opts: { schema: string; lives: number; changes: number }): void {
  const tables = Object.keys(writer.committed);
  expect(summary(records.filter((r) => r.json.metadata['record-type'] === 'control')).sort()).toEqual(
    ['create-table .awsdms_apply_exceptions', ...tables.map((t) => `create-table ${opts.schema}.${t}`)].sort(),
  );
  let delivered = 0;
  for (const t of tables) {
    const keys = records.filter((r) => r.json.metadata['record-type'] === 'data' && r.json.metadata['table-name'] === t).map(changeKey);
    delivered += keys.length;
    const order = writer.committed[t]!;
    // At least once, in commit order: the last copy of each change, in stream order, is the commit order.
    expect(keys.filter((k, i) => keys.lastIndexOf(k) === i)).toEqual(order);
    const { starts, violations } = runs(keys, order);
    expect(violations).toEqual([]);
    expect(starts.length).toBeLessThanOrEqual(opts.lives);
  }
  expect(delivered).toBeGreaterThanOrEqual(opts.changes);
}

/**
 * Splits one table's delivered sequence into runs, each a contiguous slice of the commit order. A
 * new run must start at or before where the previous one stopped (a replay from a checkpoint),
 * never after it (a loss), and never before the previous run's start.
 */
export function runs(delivered: string[], commitOrder: string[]): { starts: number[]; violations: string[] } {
  const index = new Map(commitOrder.map((k, i) => [k, i]));
  const violations: string[] = [];
  const starts: number[] = [];
  let next = 0;
  for (const key of delivered) {
    const i = index.get(key);
    if (i === undefined) {
      violations.push(`not a committed change: ${key}`);
      continue;
    }
    if (i === next) {
      if (starts.length === 0) starts.push(i);
      next++;
      continue;
    }
    if (i > next) violations.push(`gap: ${key} (#${i}) delivered while #${next} (${commitOrder[next]}) was expected`);
    else if (i < starts[starts.length - 1]!) violations.push(`replay from before the previous run's start: ${key} (#${i})`);
    starts.push(i);
    next = i + 1;
  }
  if (next !== commitOrder.length) violations.push(`ends at #${next} of ${commitOrder.length}`);
  return { starts, violations: violations.slice(0, 10) };
}
