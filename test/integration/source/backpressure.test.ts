// A slow consumer keeps the binlog reader's queue bounded; a transaction larger
// than the bound is streamed piecewise (the socket paused, or after a long pause
// zongji stopped and restarted mid-transaction) and every row is still delivered
// exactly once, in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { MySqlSource } from '../../../core/source/mysql/source.js';
import type { BinlogEvent, BinlogReader } from '../../../core/source/mysql/binlog.js';
import type { TableDef } from '../../../core/model/table.js';
import { dmsConfig } from './helpers.js';

const MAX = 2000;

describe('binlog back-pressure', { timeout: 50_000 }, () => {
  let db: MariaDb;
  let src: MySqlSource;
  let def: TableDef;

  beforeAll(async () => {
    db = await startMariaDb();
    await db.query('CREATE DATABASE bp; CREATE TABLE bp.t (id int PRIMARY KEY, v varchar(64))');
    src = await MySqlSource.open(dmsConfig(db));
    def = (await src.describeTable('bp', 't'))!;
  }, 60_000);
  afterAll(async () => { await src?.close(); await db?.stop(); });

  /**
   * Runs a reader whose consumer, at the given delivered-row counts, blocks until the
   * reader's queue has overflowed (so the bound is exercised without timing assumptions).
   */
  async function consume(from: { file: string; position: number }, expectedRows: number, expectedCommits: number, gates: number[], maxPauseMs?: number) {
    const ids: number[] = [];
    const positions = new Map<string, number>();
    let commits = 0;
    let reader!: BinlogReader;
    let stopped = false;
    let fail: (e: Error) => void = () => undefined;
    let done: () => void = () => undefined;
    const finished = new Promise<void>((res, rej) => { done = res; fail = rej; });
    const pending = [...gates];
    const onEvent = async (e: BinlogEvent) => {
      if (pending.length > 0 && ids.length >= pending[0]!) {
        pending.shift();
        // wait until the queue overflowed and the reader paused zongji (or the reader was stopped)
        while (!reader.stats().paused && !stopped) await new Promise((r) => setTimeout(r, 2));
        // Restart mode: hold on past maxPauseMs, so the reader's pause timer (set when it paused, so it
        // fires first) turns this pause into a stop even on a loaded machine.
        if (maxPauseMs !== undefined) await new Promise((r) => setTimeout(r, maxPauseMs + 5));
      }
      if (e.kind === 'rows') {
        for (const r of e.rows) ids.push(r.after!.id as number);
        positions.set(`${e.position.file}:${e.position.position}`, (positions.get(`${e.position.file}:${e.position.position}`) ?? 0) + 1);
        await new Promise((r) => setImmediate(r));
      } else if (e.kind === 'commit') {
        commits++;
        if (commits === expectedCommits) done();
      }
    };
    reader = src.binlogReader({
      serverId: 300 + gates.length + (maxPauseMs ?? 1000), maxQueuedRows: MAX, onEvent, onError: (e) => fail(e), maxPauseMs,
      tableDef: () => def,
    });
    await reader.start(from);
    try {
      await finished;
    } finally {
      stopped = true;
    }
    const stats = reader.stats();
    stopped = true;
    await reader.stop();
    expect(ids.length).toBe(expectedRows);
    return { ids, stats, positions, commits };
  }

  // maxPauseMs 0: every pause becomes a stop and a restart from the transaction's start.
  for (const [mode, maxPauseMs] of [['socket paused', undefined], ['pauses turned into restarts', 0]] as const) {
    const restarts = maxPauseMs === 0;
    it(`50,000-row transaction with a slow consumer (${mode}): bounded queue, exactly once, in order`, async () => {
      await db.query('DELETE FROM bp.t');
      const from = await src.binlogPosition();
      await db.query("INSERT INTO bp.t SELECT seq, CONCAT('row-', seq, '-', REPEAT('x', 20)) FROM bp.seq_1_to_50000");
      const { ids, stats, positions } = await consume(from, 50_000, 1, [0, 10_000, 20_000, 30_000], maxPauseMs);
      expect(ids).toEqual(Array.from({ length: 50_000 }, (_, i) => i + 1));
      expect(stats.pauses).toBeGreaterThanOrEqual(4);
      if (restarts) expect(stats.restarts).toBeGreaterThanOrEqual(4);
      else expect(stats.restarts).toBe(0);
      expect(stats.maxRowsPerEvent).toBeLessThan(MAX);
      expect(stats.maxQueuedRowsSeen).toBeGreaterThan(MAX);
      expect(stats.maxQueuedRowsSeen).toBeLessThanOrEqual(MAX + stats.maxRowsPerEvent);
      // every row event of the transaction carries the transaction's start position
      expect([...positions.keys()]).toEqual([`${from.file}:${from.position}`]);
    });

    it(`many small transactions (${mode}): bounded, exactly once, one commit each`, async () => {
      await db.query('DELETE FROM bp.t');
      const from = await src.binlogPosition();
      for (let i = 0; i < 300; i++) {
        await db.query(`INSERT INTO bp.t SELECT seq, 'v' FROM bp.seq_${i * 100 + 1}_to_${i * 100 + 100}`);
      }
      const { ids, stats, commits } = await consume(from, 30_000, 300, [0, 5_000, 15_000], maxPauseMs);
      expect(ids).toEqual(Array.from({ length: 30_000 }, (_, i) => i + 1));
      expect(commits).toBe(300);
      expect(stats.pauses).toBeGreaterThanOrEqual(3);
      if (restarts) expect(stats.restarts).toBeGreaterThanOrEqual(3);
      else expect(stats.restarts).toBe(0);
      expect(stats.maxQueuedRowsSeen).toBeLessThanOrEqual(MAX + stats.maxRowsPerEvent);
    });
  }
});
