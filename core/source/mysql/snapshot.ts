// Full-load reader: streams a table with bounded memory and back-pressure, and
// opens consistent snapshots that pin a binlog position.
import type { SourceRow, TableDef } from '../../model/table.js';
import { MySqlSourceError, quoteId, quoteTable, wrapError, type SourceConnection } from './connection.js';
import { currentBinlogPosition, type BinlogPosition } from './binlog.js';
import { snapshotFixups, snapshotSelectExpr } from './values.js';

export interface SnapshotWhere {
  /** SQL boolean expression (column names already quoted by the caller), `?` placeholders. */
  sql: string;
  params: unknown[];
}

export interface SnapshotOptions {
  /** Rows per onRows call (default 1000). */
  batchSize?: number;
  /** Stop early (between batches) when this signal is aborted; the connection is then destroyed. */
  signal?: AbortSignal;
  /** Read only this partition or subpartition (`FROM t PARTITION (p)`). */
  partition?: string;
}

/** Builds the SELECT of the snapshot (exported for tests). */
export function buildSnapshotQuery(def: TableDef, where: SnapshotWhere | null, partition?: string): { sql: string; params: unknown[] } {
  if (def.columns.length === 0) throw new MySqlSourceError(`table ${def.schema}.${def.table} has no columns`);
  const cols = def.columns.map((c) => snapshotSelectExpr(c, quoteId(c.name))).join(', ');
  let sql = `SELECT ${cols} FROM ${quoteTable(def.schema, def.table)}`;
  if (partition !== undefined) sql += ` PARTITION (${quoteId(partition)})`;
  if (where && where.sql.trim() !== '') sql += ` WHERE ${where.sql}`;
  return { sql, params: where?.params ?? [] };
}

/**
 * Streams every row of `def` (optionally filtered) to `onRows` in batches of
 * `batchSize`. The mysql2 stream is paused while onRows is pending, so at most
 * about one batch plus the stream's highWaterMark is in memory.
 *
 * If onRows throws (or the signal aborts), the query is abandoned and the
 * connection is destroyed (a half-read result set cannot be cancelled cheaply);
 * open a new connection afterwards. Returns the number of rows delivered.
 */
export async function readTableSnapshot(
  conn: SourceConnection,
  def: TableDef,
  where: SnapshotWhere | null,
  onRows: (rows: SourceRow[]) => Promise<void>,
  opts: SnapshotOptions = {},
): Promise<number> {
  const batchSize = Math.max(1, opts.batchSize ?? 1000);
  const { sql, params } = buildSnapshotQuery(def, where, opts.partition);
  const fixups = snapshotFixups(def.columns);
  const query = conn.raw.query({ sql, values: params as any });
  const stream = query.stream({ highWaterMark: Math.min(batchSize, 10_000) });
  let total = 0;
  let batch: SourceRow[] = [];
  let consumerFailed = false;
  const deliver = async (b: SourceRow[]) => {
    try {
      await onRows(b);
    } catch (err) {
      consumerFailed = true;
      throw err;
    }
    total += b.length;
    if (opts.signal?.aborted) {
      consumerFailed = true;
      throw new MySqlSourceError('snapshot aborted');
    }
  };
  try {
    for await (const raw of stream as AsyncIterable<SourceRow>) {
      const row = raw;
      for (const f of fixups) row[f.name] = f.fix(row[f.name] ?? null);
      batch.push(row);
      if (batch.length >= batchSize) {
        const b = batch;
        batch = [];
        await deliver(b);
      }
    }
    if (batch.length > 0) await deliver(batch);
    return total;
  } catch (err) {
    stream.destroy();
    // A result set abandoned half-way cannot be cancelled cheaply: drop the connection.
    // A server error ended the query by itself and leaves the connection usable.
    if (consumerFailed) {
      conn.destroy();
      throw err;
    }
    throw wrapError(err, `full load of ${def.schema}.${def.table} failed`);
  }
}

export interface SnapshotPosition extends BinlogPosition {
  /**
   * True when the position is exactly the snapshot's (MariaDB binlog_snapshot_*,
   * or MySQL under FLUSH TABLES WITH READ LOCK). False when the MySQL user lacks
   * RELOAD: the position was read just before the snapshot started, so changes
   * between the two may be seen twice (at-least-once).
   */
  exact: boolean;
}

/**
 * Starts `START TRANSACTION WITH CONSISTENT SNAPSHOT` on `conn` and returns the
 * binlog position matching it. All snapshot reads must then run on this same
 * connection; end with `closeConsistentSnapshot`. The session's
 * net_write_timeout is raised so a slow consumer does not get the read killed.
 */
export async function openConsistentSnapshot(conn: SourceConnection): Promise<SnapshotPosition> {
  await conn.query('SET SESSION net_write_timeout = 3600');
  await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  if (conn.isMariaDb) {
    await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    const rows = await conn.query<{ Variable_name: string; Value: string }[]>("SHOW STATUS LIKE 'binlog_snapshot_%'");
    const v = Object.fromEntries(rows.map((r) => [r.Variable_name.toLowerCase(), r.Value]));
    const file = v['binlog_snapshot_file'];
    const pos = Number(v['binlog_snapshot_position']);
    if (!file) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw new MySqlSourceError('the binary log is disabled on the source (binlog_snapshot_file is empty); set log_bin');
    }
    return { file, position: pos, exact: true };
  }
  // MySQL: hold a global read lock only while the snapshot and position are taken.
  let locked = false;
  try {
    await conn.query('FLUSH TABLES WITH READ LOCK');
    locked = true;
  } catch {
    locked = false; // needs RELOAD: fall back to position-before-snapshot
  }
  try {
    const before = locked ? null : await currentBinlogPosition(conn);
    await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    const pos = locked ? await currentBinlogPosition(conn) : before!;
    return { ...pos, exact: locked };
  } finally {
    if (locked) await conn.query('UNLOCK TABLES');
  }
}

/** Ends the snapshot transaction. */
export async function closeConsistentSnapshot(conn: SourceConnection): Promise<void> {
  await conn.query('COMMIT');
}
