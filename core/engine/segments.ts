// Parallel full load of one table: its segments (table-settings parallel-load) each read with its own
// query on its own snapshot session, concurrently within FullLoadSettings.MaxFullLoadSubTasks.
//
// Scheduling (AWS: each segment is loaded by its own sub-task; MaxFullLoadSubTasks bounds the
// sub-tasks at once): the whole full load shares `MaxFullLoadSubTasks` slots. A table holds one slot
// and reads its segments one after the other with it; for every further segment it also queues for
// a slot, and a slot obtained while segments are left reads them too. A table never waits for a
// second slot, so tables cannot deadlock one another.
//
// Consistency: every segment is read from its own snapshot session (MariaDB/MySQL cannot share one
// transaction between connections), all opened before any segment is read. When every session
// reports the same exact position they saw the same committed state: the table is read as of one
// instant, exactly as without segments. The sessions are opened concurrently and, if a commit slips
// between them, opened again (a few attempts). If positions still differ, the load goes on and the
// table's snapshot position is the OLDEST of them: CDC then replays from there, so a change between
// two segments' snapshots may reach the stream twice (once in a segment's rows, once from CDC) but
// none is missed — Kinesis consumers apply records per key in order, so the table stays
// reconstructible (at-least-once, as AWS's own full-load-and-cdc is around its snapshot).
//
// Stop, crash, resume: progress is kept per table, not per segment (AWS documents no per-segment
// checkpoint, and a segment's rows are only "done" once the whole table is). A resumed task skips the
// tables it completed and loads any other table again whole, every segment, from a new snapshot;
// FullLoadRows restarts at 0 so it stays exact. ReloadTables loads a segmented table the same way.

import type { SnapshotReadOptions, SnapshotWhere } from '../source/contract.js';
import type { SourceRow, TableDef } from '../model/table.js';
import type { SourcePartition } from '../mapping/parallel-load.js';

/** What the engine needs of one snapshot session (core/source/contract.ts SnapshotSession). */
export interface SegmentSession<P> {
  readonly position: P;
  readonly exact: boolean;
  describeTable(schema: string, table: string): Promise<TableDef | null>;
  partitions?(def: TableDef): Promise<SourcePartition[]>;
  readTable(def: TableDef, where: SnapshotWhere | null, onRows: (rows: SourceRow[]) => Promise<void>, opts?: SnapshotReadOptions): Promise<number>;
  close(): Promise<void>;
}

/** Counting semaphore with FIFO waiters; a wait can be abandoned through its signal. */
export class Slots {
  private free: number;
  private readonly waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(count: number) {
    this.free = Math.max(1, count);
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new Error('aborted'));
    if (this.free > 0 && this.waiters.length === 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const w = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(w);
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next.resolve();
    else this.free++;
  }
}

export interface SessionGroup<P> {
  sessions: SegmentSession<P>[];
  /** The oldest session position (the table's snapshot position for CDC). */
  position: P;
  /** True when every session saw the same instant (same exact position). */
  consistent: boolean;
}

/** Attempts at opening `count` sessions at one position before settling for the oldest. */
export const GROUP_ATTEMPTS = 3;

/**
 * `extra` more sessions beside `first`, all at one position when possible (see header). On failure
 * every session opened here is closed; `first` is closed too when it was replaced.
 */
export async function openSessionGroup<P>(
  first: SegmentSession<P>,
  extra: number,
  open: () => Promise<SegmentSession<P>>,
  compare: (a: P, b: P) => number,
): Promise<SessionGroup<P>> {
  let sessions: SegmentSession<P>[] = [first];
  if (extra <= 0) return { sessions, position: first.position, consistent: first.exact };
  const closeAll = (list: SegmentSession<P>[]) => Promise.all(list.map((s) => s.close().catch(() => undefined)));
  for (let attempt = 1; ; attempt++) {
    const opened = await Promise.allSettled(Array.from({ length: attempt === 1 ? extra : extra + 1 }, open));
    const ok = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await closeAll(ok);
      await closeAll(sessions);
      throw failed.reason;
    }
    const group = attempt === 1 ? [...sessions, ...ok] : ok;
    const same = group.every((s) => s.exact && compare(s.position, group[0]!.position) === 0);
    if (same || attempt >= GROUP_ATTEMPTS) {
      if (attempt > 1) await closeAll(sessions);
      sessions = group;
      const position = sessions.reduce((a, s) => (compare(s.position, a) < 0 ? s.position : a), sessions[0]!.position);
      return { sessions, position, consistent: same };
    }
    // A commit fell between the snapshots: try again with a fresh group (the first one included).
    await closeAll(attempt === 1 ? group : [...sessions, ...group]);
    sessions = [];
  }
}

/**
 * Runs `count` segment jobs: the caller's slot runs them in order, and up to count − 1 helpers each
 * wait for a further slot and then take whatever segments are left. Rejects with the first error
 * (the others are aborted through `signal` by the caller).
 */
export async function runSegments(
  count: number,
  slots: Slots,
  run: (index: number) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  let next = 0;
  let error: unknown;
  let failed = false;
  const done = new AbortController();
  const helperSignal = AbortSignal.any([signal, done.signal]);
  const drain = async () => {
    try {
      while (next < count && !failed && !signal.aborted) await run(next++);
    } catch (e) {
      if (!failed) error = e;
      failed = true;
    }
  };
  const helpers = Array.from({ length: Math.max(0, count - 1) }, async () => {
    try {
      await slots.acquire(helperSignal);
    } catch {
      return; // the table finished (or stopped) before a slot was free
    }
    try {
      await drain();
    } finally {
      slots.release();
    }
  });
  await drain();
  // Helpers still waiting for a slot are not needed; those reading finish their segment.
  done.abort();
  await Promise.all(helpers);
  if (failed) throw error;
}
