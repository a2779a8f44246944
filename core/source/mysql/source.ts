// MySqlSource: the one object the engine talks to for a MySQL / MariaDB source endpoint.
import type { SourceRow, TableDef } from '../../model/table.js';
import {
  binlogPositionAtTime,
  createBinlogReader,
  currentBinlogPosition,
  listBinlogs,
  type BinlogFile,
  type BinlogPosition,
  type BinlogReader,
  type BinlogReaderOptions,
} from './binlog.js';
import { SourceConnection, type MySqlEndpointConfig } from './connection.js';
import { describeTable, listTables, type SourceTableRef } from './metadata.js';
import { checkSourcePrerequisites, type PrerequisiteReport } from './prerequisites.js';
import {
  closeConsistentSnapshot,
  openConsistentSnapshot,
  readTableSnapshot,
  type SnapshotOptions,
  type SnapshotPosition,
  type SnapshotWhere,
} from './snapshot.js';

/** A dedicated connection holding one consistent snapshot (REPEATABLE READ transaction). */
export interface SnapshotSession {
  /** Binlog position matching the snapshot: start CDC here to see exactly the later changes. */
  readonly position: SnapshotPosition;
  /** Reads one table inside the snapshot (tables are read one after the other on this session). */
  readTable(def: TableDef, where: SnapshotWhere | null, onRows: (rows: SourceRow[]) => Promise<void>, opts?: SnapshotOptions): Promise<number>;
  /** Commits the snapshot transaction and closes the connection. */
  close(): Promise<void>;
}

export class MySqlSource {
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

  async listTables(schemas?: string[]): Promise<SourceTableRef[]> {
    return listTables(await this.connection(), schemas);
  }

  async describeTable(schema: string, table: string): Promise<TableDef | null> {
    return describeTable(await this.connection(), schema, table);
  }

  async checkPrerequisites(opts: { cdc: boolean }): Promise<PrerequisiteReport> {
    return checkSourcePrerequisites(await this.connection(), opts);
  }

  async currentPosition(): Promise<BinlogPosition> {
    return currentBinlogPosition(await this.connection());
  }

  async listBinlogs(): Promise<BinlogFile[]> {
    return listBinlogs(await this.connection());
  }

  /** CdcStartTime -> binlog position (see binlogPositionAtTime). */
  async positionAtTime(epochSeconds: number, serverId?: number): Promise<BinlogPosition> {
    return binlogPositionAtTime(await this.connection(), epochSeconds, { cfg: this.cfg, serverId });
  }

  /** One-off snapshot read on a fresh connection, without a pinned position. */
  async snapshot(def: TableDef, where: SnapshotWhere | null, onRows: (rows: SourceRow[]) => Promise<void>, opts?: SnapshotOptions): Promise<number> {
    const conn = await SourceConnection.open(this.cfg);
    try {
      await conn.query('SET SESSION net_write_timeout = 3600');
      return await readTableSnapshot(conn, def, where, onRows, opts);
    } finally {
      if (!conn.isClosed) await conn.close().catch(() => conn.destroy());
    }
  }

  /** Opens a consistent snapshot on a new connection and returns its binlog position. */
  async openSnapshot(): Promise<SnapshotSession> {
    const conn = await SourceConnection.open(this.cfg);
    let position: SnapshotPosition;
    try {
      position = await openConsistentSnapshot(conn);
    } catch (err) {
      conn.destroy();
      throw err;
    }
    const sessions = this.sessions;
    const session: SnapshotSession = {
      position,
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

  /** A binlog reader on this endpoint (call start(position) on it). */
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

  /** Stops readers, closes snapshot sessions and the metadata connection. */
  async close(): Promise<void> {
    await Promise.all([...this.readers].map((r) => r.stop().catch(() => undefined)));
    await Promise.all([...this.sessions].map((s) => s.close().catch(() => undefined)));
    const m = this.meta;
    this.meta = null;
    if (m) await m.close().catch(() => m.destroy());
  }
}

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
