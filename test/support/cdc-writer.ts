// A writer of single-row changes with a known per-table commit order, and the check that a stream
// delivered every change at least once in that order (duplicates only as replays from a checkpoint).
import mysql from 'mysql2/promise';
import type { ParsedRecord } from './task-flow.js';

/** mulberry32: reproducible choices. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A change as a record shows it: `op:id:seq`, unique (seq is the change number; a delete carries the old row). */
export const changeKey = (r: ParsedRecord) => `${String(r.json.metadata.operation)[0]}:${r.json.data!.id}:${r.json.data!.seq}`;

export interface Writer {
  /** Per table, the changes in commit order. */
  committed: Record<string, string[]>;
  done: Promise<void>;
  readonly changes: number;
}

/**
 * `changes` single-row autocommit inserts, updates and deletes over `schema.<tables>` (each
 * `(id INT PRIMARY KEY, seq INT NOT NULL)`), about 1,000 a second; never more than `allowed()` ahead.
 */
export function startWriter(opts: { port: number; schema: string; tables: string[]; changes: number; allowed: () => number; seed?: number }): Writer {
  const r = random(opts.seed ?? 7);
  const committed: Record<string, string[]> = Object.fromEntries(opts.tables.map((t) => [t, []]));
  const live: Record<string, Map<number, number>> = Object.fromEntries(opts.tables.map((t) => [t, new Map()]));
  let nextId = 1;
  let n = 0;
  const done = (async () => {
    const conn = await mysql.createConnection({ host: '127.0.0.1', port: opts.port, user: 'root', password: '' });
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
          await conn.query(`INSERT INTO ${opts.schema}.${table} VALUES (?, ?)`, [id, n]);
          rows.set(id, n);
          committed[table]!.push(`i:${id}:${n}`);
        } else if (x < 0.85) {
          await conn.query(`UPDATE ${opts.schema}.${table} SET seq = ? WHERE id = ?`, [n, existing]);
          rows.set(existing, n);
          committed[table]!.push(`u:${existing}:${n}`);
        } else {
          await conn.query(`DELETE FROM ${opts.schema}.${table} WHERE id = ?`, [existing]);
          committed[table]!.push(`d:${existing}:${rows.get(existing)}`);
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
