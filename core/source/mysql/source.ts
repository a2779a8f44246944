// MySqlSource: the Source contract (core/source/contract.ts) for MySQL, MariaDB, Aurora MySQL and
// Cloud SQL for MySQL endpoints. One shared metadata connection (re-opened when lost), one
// connection per snapshot, one zongji reader per change stream.
import type { SourceEndpointConnection } from '../../model/endpoint-connection.js';
import type { SourceRow, TableDef } from '../../model/table.js';
import { mysqlStreamPositions, mysqlTransactionIdText } from '../../record/formatter.js';
import type {
  ChangeStream,
  ChangeStreamOptions,
  PrerequisiteReport,
  SnapshotReadOptions,
  SnapshotSession,
  SnapshotWhere,
  Source,
  SourceEngine,
  SourcePosition,
  SourceTableRef,
  TransactionMeta,
} from '../contract.js';
import {
  BinlogNotFoundError,
  binlogPositionAtTime,
  createBinlogReader,
  currentBinlogPosition,
  listBinlogs,
  type BinlogEvent,
  type BinlogFile,
  type BinlogReader,
  type BinlogReaderOptions,
} from './binlog.js';
import { quoteId, SourceConnection, type MySqlEndpointConfig } from './connection.js';
import { describeTable, listPartitions, listTables, SYSTEM_SCHEMAS } from './metadata.js';
import { formatBinlogPosition, mysqlPositions, toBinlogPosition, type BinlogPosition } from './positions.js';
import { checkSourcePrerequisites } from './prerequisites.js';
import { closeConsistentSnapshot, openConsistentSnapshot, readTableSnapshot } from './snapshot.js';

export class MySqlSource implements Source {
  readonly engine = 'mysql' as const;
  readonly positions = mysqlPositions;
  readonly cfg: MySqlEndpointConfig;
  private meta: SourceConnection | null = null;
  private metaOpening: Promise<SourceConnection> | null = null;
  private readonly readers = new Set<BinlogReader>();
  private readonly sessions = new Set<SnapshotSession>();

  constructor(cfg: MySqlEndpointConfig) {
    this.cfg = cfg;
  }

  /** Opens the metadata connection at once (fails fast on bad credentials). */
  static async open(cfg: MySqlEndpointConfig): Promise<MySqlSource> {
    const s = new MySqlSource(cfg);
    await s.connection();
    return s;
  }

  /** The shared metadata connection (re-opened if it was lost). */
  async connection(): Promise<SourceConnection> {
    if (this.meta && !this.meta.isClosed) return this.meta;
    if (!this.metaOpening) {
      this.metaOpening = SourceConnection.open(this.cfg).then(
        (c) => {
          this.meta = c;
          c.raw.on('error', () => { if (this.meta === c) this.meta = null; });
          c.raw.on('end', () => { if (this.meta === c) this.meta = null; });
          this.metaOpening = null;
          return c;
        },
        (err) => {
          this.metaOpening = null;
          throw err;
        },
      );
    }
    return this.metaOpening;
  }

  async serverInfo(): Promise<{ version: string; isMariaDb: boolean }> {
    const c = await this.connection();
    return { version: c.serverVersion, isMariaDb: c.isMariaDb };
  }

  async version(): Promise<string> {
    return (await this.connection()).serverVersion;
  }

  async listSchemas(): Promise<string[]> {
    const rows = await (await this.connection()).query<{ Database: string }[]>('SHOW DATABASES');
    return rows.map((r) => r.Database).filter((d) => !SYSTEM_SCHEMAS.includes(d)).sort();
  }

  async listTables(schemas?: string[]): Promise<SourceTableRef[]> {
    return listTables(await this.connection(), schemas);
  }

  async describeTable(schema: string, table: string): Promise<TableDef | null> {
    return describeTable(await this.connection(), schema, table);
  }

  async estimateRows(schema: string, table: string): Promise<number | null> {
    const rows = await (await this.connection()).query<{ n: number | string | null }[]>(
      'SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [schema, table],
    );
    const n = rows[0]?.n;
    return n === null || n === undefined ? null : Number(n);
  }

  async checkPrerequisites(opts: { cdc: boolean }): Promise<PrerequisiteReport> {
    return checkSourcePrerequisites(await this.connection(), opts);
  }

  /** The end of the binlog now, as file and offset. */
  async binlogPosition(): Promise<BinlogPosition> {
    return currentBinlogPosition(await this.connection());
  }

  async currentPosition(): Promise<SourcePosition> {
    return formatBinlogPosition(await this.binlogPosition());
  }

  async listBinlogs(): Promise<BinlogFile[]> {
    return listBinlogs(await this.connection());
  }

  /** CdcStartTime -> binlog position (see binlogPositionAtTime). */
  async binlogPositionAt(epochSeconds: number, serverId?: number): Promise<BinlogPosition> {
    return binlogPositionAtTime(await this.connection(), epochSeconds, { cfg: this.cfg, serverId });
  }

  async positionAt(epochSeconds: number): Promise<SourcePosition> {
    return formatBinlogPosition(await this.binlogPositionAt(epochSeconds));
  }

  /** Error 1236 up front (the file is not in the binlog index), before anything is announced. */
  async assertReadable(position: SourcePosition): Promise<void> {
    const p = toBinlogPosition(position);
    const files = await this.listBinlogs().catch(() => null);
    if (files && !files.some((f) => f.file === p.file)) {
      throw new BinlogNotFoundError(p, 'Could not find first log file name in binary log index file');
    }
  }

  /** One-off snapshot read on a fresh connection, without a pinned position. */
  async snapshot(def: TableDef, where: SnapshotWhere | null, onRows: (rows: SourceRow[]) => Promise<void>, opts?: SnapshotReadOptions): Promise<number> {
    const conn = await SourceConnection.open(this.cfg);
    try {
      await conn.query('SET SESSION net_write_timeout = 3600');
      return await readTableSnapshot(conn, def, where, onRows, opts);
    } finally {
      if (!conn.isClosed) await conn.close().catch(() => conn.destroy());
    }
  }

  /** Opens a consistent snapshot on a new connection, with the binlog position it matches. */
  async openSnapshot(): Promise<SnapshotSession> {
    const conn = await SourceConnection.open(this.cfg);
    let pinned: Awaited<ReturnType<typeof openConsistentSnapshot>>;
    try {
      pinned = await openConsistentSnapshot(conn);
    } catch (err) {
      conn.destroy();
      throw err;
    }
    const sessions = this.sessions;
    const session: SnapshotSession = {
      position: formatBinlogPosition(pinned),
      exact: pinned.exact,
      describeTable: (schema, table) => describeTable(conn, schema, table),
      partitions: (def) => listPartitions(conn, def.schema, def.table),
      readTable: (def, where, onRows, opts) => readTableSnapshot(conn, def, where, onRows, opts),
      async close() {
        sessions.delete(session);
        if (conn.isClosed) return;
        try {
          await closeConsistentSnapshot(conn);
          await conn.close();
        } catch {
          conn.destroy();
        }
      },
    };
    sessions.add(session);
    return session;
  }

  /** A binlog reader on this endpoint (call start(position) on it): the MySQL-level stream. */
  binlogReader(opts: BinlogReaderOptions): BinlogReader {
    const r = createBinlogReader(this.cfg, opts);
    const readers = this.readers;
    readers.add(r);
    const stop = r.stop.bind(r);
    r.stop = async () => {
      readers.delete(r);
      await stop();
    };
    return r;
  }

  /**
   * The contract's change stream over a binlog reader. MySQL has nothing to release on acknowledge;
   * `readerId` is not a server_id (a task resumed by another runner must not kick the old reader
   * off before it stopped), so each stream picks its own.
   */
  changes(opts: ChangeStreamOptions): ChangeStream {
    const translate = binlogToChangeEvents(opts.onEvent);
    const reader = this.binlogReader({
      serverId: 0x4d53_0000 + Math.floor(Math.random() * 0xffff),
      includeSchema: opts.includeTable,
      tableDef: opts.tableDef ?? (() => null),
      updateBeforeImage: opts.updateBeforeImage,
      onEvent: translate,
      onError: opts.onError,
    });
    return {
      start: () => reader.start(toBinlogPosition(opts.from)),
      acknowledge: () => undefined,
      stop: () => reader.stop(),
    };
  }

  quoteIdentifier(name: string): string {
    return quoteId(name);
  }

  /** Stops readers, closes snapshot sessions and the metadata connection. */
  async close(): Promise<void> {
    await Promise.all([...this.readers].map((r) => r.stop().catch(() => undefined)));
    await Promise.all([...this.sessions].map((s) => s.close().catch(() => undefined)));
    const m = this.meta;
    this.meta = null;
    if (m) await m.close().catch(() => m.destroy());
  }
}

/**
 * Binlog reader events → the contract's ChangeEvents: a `begin` before the first delivered row of a
 * transaction, AWS's transaction-id and stream-position, serialised positions. Rotations carry no
 * change and are not passed on (the next commit or heartbeat names the new file).
 */
export function binlogToChangeEvents(onEvent: ChangeStreamOptions['onEvent']): (e: BinlogEvent) => Promise<void> | void {
  let txn: Txn | null = null;
  return (e) => {
    switch (e.kind) {
      case 'rows': {
        const p = e.position;
        if (!txn || txn.position !== p.position || txn.file !== p.file) {
          const id = mysqlTransactionIdText(p.file, p.position);
          txn = {
            file: p.file,
            position: p.position,
            serialised: formatBinlogPosition(p),
            meta: { transactionId: id, commitTimestamp: e.timestamp },
            // The layout AWS's examples show (core/record/README.md); event offsets are those of the
            // transaction start, which is what this reader knows of each row event.
            streamPosition: mysqlStreamPositions({ binlogFile: p.file, eventPosition: p.position, nextPosition: p.position, transactionId: id, tableMapPosition: p.position }),
          };
          const begun = onEvent({ kind: 'begin', position: txn.serialised, transaction: txn.meta });
          if (begun) return begun.then(() => onEvent(rowsEvent(e, txn!)));
        }
        return onEvent(rowsEvent(e, txn));
      }
      case 'commit': {
        const position = formatBinlogPosition(e.position);
        const transaction = txn?.meta ?? { transactionId: mysqlTransactionIdText(e.position.file, e.position.position), commitTimestamp: e.timestamp };
        txn = null;
        return onEvent({ kind: 'commit', position, transaction, timestamp: e.timestamp });
      }
      case 'ddl':
        txn = null;
        return onEvent({ kind: 'ddl', schema: e.schema, sql: e.sql, position: formatBinlogPosition(e.position), timestamp: e.timestamp });
      case 'heartbeat':
        return onEvent({ kind: 'heartbeat', position: formatBinlogPosition(e.position) });
      default:
        return undefined;
    }
  };
}

/** The transaction being read: what each of its rows events carries, rendered once. */
interface Txn {
  file: string;
  position: number;
  serialised: string;
  meta: TransactionMeta;
  streamPosition: (rowIndex: number) => string;
}

function rowsEvent(e: Extract<BinlogEvent, { kind: 'rows' }>, txn: Txn) {
  return {
    kind: 'rows' as const,
    op: e.op,
    schema: e.schema,
    table: e.table,
    rows: e.rows,
    position: txn.serialised,
    streamPosition: txn.streamPosition,
    transaction: txn.meta,
    timestamp: e.timestamp,
  };
}

/** The MySQL-compatible engines' entry in the source registry. */
export const mysqlEngine: SourceEngine = {
  positions: mysqlPositions,
  open(endpoint: SourceEndpointConnection): Source {
    return new MySqlSource({
      host: endpoint.host,
      port: endpoint.port,
      user: endpoint.user,
      password: endpoint.password,
      database: endpoint.database,
      connectTimeoutMs: endpoint.connectTimeoutMs,
    });
  },
};

/** TestConnection helper: connects, runs SELECT 1, closes. Throws the driver's error on failure. */
export async function testSourceConnection(cfg: MySqlEndpointConfig): Promise<{ version: string }> {
  const c = await SourceConnection.open(cfg);
  try {
    await c.query('SELECT 1');
    return { version: c.serverVersion };
  } finally {
    await c.close().catch(() => c.destroy());
  }
}
