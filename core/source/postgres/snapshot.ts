// Full-load reads: one consistent snapshot tied to an exact LSN, tables streamed through a cursor.
//
// The snapshot is the one a temporary logical slot exports (CREATE_REPLICATION_SLOT … TEMPORARY
// LOGICAL test_decoding EXPORT_SNAPSHOT): it sees exactly the transactions that committed before the
// slot's consistent_point, so a change stream that skips, for this table, the transactions
// committing at or before that LSN and applies the later ones is gap-free and applies nothing twice.
// Without the REPLICATION privilege (full load needs only SELECT on AWS) it falls back to a REPEATABLE
// READ snapshot taken after reading the WAL insert position (`exact: false`: changes committed
// between the two may be applied twice, never lost).
import pg from 'pg';
import type { SourceRow, TableDef } from '../../model/table.js';
import type { SnapshotReadOptions, SnapshotSession, SnapshotWhere } from '../contract.js';
import { clientConfig, openClient, quoteIdent, quoteTable, wrapPgError, PgSourceError, type PgEndpointConfig } from './connection.js';
import { formatLsn, lsnValue } from './lsn.js';
import { describePgTable, type PgTypeSettings } from './metadata.js';

/** `?` placeholders (outside quotes) → `$1…`, as pg needs. */
export function toDollarParams(sql: string, offset = 0): string {
  let out = '';
  let n = offset;
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') out += '$' + ++n;
    else out += ch;
  }
  return out;
}

export function buildSnapshotQuery(def: TableDef, where: SnapshotWhere | null): { sql: string; params: unknown[] } {
  if (def.columns.length === 0) throw new PgSourceError(`table ${def.schema}.${def.table} has no columns`);
  const cols = def.columns.map((c) => quoteIdent(c.name)).join(', ');
  let sql = `SELECT ${cols} FROM ${quoteTable(def.schema, def.table)}`;
  if (where && where.sql.trim() !== '') sql += ` WHERE ${toDollarParams(where.sql)}`;
  return { sql, params: where?.params ?? [] };
}

/** bytea columns come as `\x…` text: the canonical value is a Buffer. */
export function byteaColumns(def: TableDef): string[] {
  return def.columns.filter((c) => c.pgType === 'bytea').map((c) => c.name);
}

export function byteaValue(text: string): Buffer {
  return Buffer.from(text.startsWith('\\x') ? text.slice(2) : text, 'hex');
}

let cursorSeq = 0;

async function readTable(
  client: pg.Client,
  def: TableDef,
  where: SnapshotWhere | null,
  onRows: (rows: SourceRow[]) => Promise<void>,
  opts: SnapshotReadOptions = {},
): Promise<number> {
  const batch = Math.max(1, opts.batchSize ?? 1000);
  const { sql, params } = buildSnapshotQuery(def, where);
  const cursor = `dmslite_c${++cursorSeq}`;
  const bytea = byteaColumns(def);
  let total = 0;
  try {
    await client.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${sql}`, params as unknown[]);
  } catch (err) {
    throw wrapPgError(err, `full load of ${def.schema}.${def.table} failed`);
  }
  const fetch = (): Promise<SourceRow[]> => {
    const q = client.query(`FETCH ${batch} FROM ${cursor}`).then(
      (r) => r.rows as SourceRow[],
      (err: unknown) => { throw wrapPgError(err, `full load of ${def.schema}.${def.table} failed`); },
    );
    q.catch(() => undefined); // awaited below, unless the consumer failed first
    return q;
  };
  // One FETCH ahead: the server reads the next batch while the consumer formats and sends this one.
  // Back-pressure holds: at most one batch waits beyond the one the consumer is handling.
  let next = fetch();
  for (;;) {
    if (opts.signal?.aborted) throw new PgSourceError('snapshot aborted');
    const rows = await next;
    if (rows.length === 0) break;
    const more = rows.length === batch;
    if (more) next = fetch();
    if (bytea.length) for (const r of rows) for (const b of bytea) if (typeof r[b] === 'string') r[b] = byteaValue(r[b] as string);
    await onRows(rows);
    total += rows.length;
    if (!more) break;
  }
  await client.query(`CLOSE ${cursor}`).catch(() => undefined);
  return total;
}

/** Opens a consistent snapshot (see the header) on a new connection. */
export interface PgSnapshot extends Omit<SnapshotSession, 'describeTable'> {
  describeTable(schema: string, table: string, settings?: PgTypeSettings): Promise<TableDef | null>;
}

export async function openPgSnapshot(cfg: PgEndpointConfig): Promise<PgSnapshot> {
  const client = await openClient(cfg, { statementTimeout: false });
  let position: string;
  let exact = true;
  let repl: pg.Client | null = null;
  try {
    try {
      repl = new pg.Client(clientConfig(cfg, { replication: true }));
      repl.on('error', () => undefined);
      await repl.connect();
      const name = `dmslite_snap_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
      const r = await repl.query(`CREATE_REPLICATION_SLOT ${name} TEMPORARY LOGICAL test_decoding EXPORT_SNAPSHOT`);
      const row = r.rows[0] as { consistent_point: string; snapshot_name: string };
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(`SET TRANSACTION SNAPSHOT '${row.snapshot_name}'`);
      position = formatLsn(lsnValue(row.consistent_point));
    } catch (err) {
      // No REPLICATION privilege, no free slot, or wal_level below logical: the inexact snapshot.
      await client.query('ROLLBACK').catch(() => undefined);
      const r = await client.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
      position = formatLsn(lsnValue(r.rows[0]!.lsn));
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query('SELECT 1'); // takes the transaction snapshot now
      exact = false;
      void err;
    } finally {
      // The imported snapshot lives on in `client`'s transaction; the temporary slot goes with this connection.
      if (repl) await repl.end().catch(() => undefined);
    }
  } catch (err) {
    await client.end().catch(() => undefined);
    throw wrapPgError(err, 'cannot open a snapshot of the source');
  }
  let closed = false;
  return {
    position,
    exact,
    async describeTable(schema, table, settings) {
      return (await describePgTable(client, schema, table, settings))?.def ?? null;
    },
    readTable: (def, where, onRows, opts) => readTable(client, def, where, onRows, opts),
    async close() {
      if (closed) return;
      closed = true;
      await client.query('COMMIT').catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}
