// CDC reader: the MySQL / MariaDB binary log through zongji, behind a typed,
// back-pressured interface. Row values come out in the same canonical form as
// the snapshot reader (values.ts).
//
// Back-pressure. zongji has none: it emits events as fast as the socket
// delivers them. So:
//   - events are queued and delivered one at a time to onEvent (awaited);
//   - the queue is bounded in ROWS (maxQueuedRows, default 500; a non-row
//     event counts as 1). When it overflows, the binlog socket is paused
//     (mysql2 keeps the packets it already read, unparsed); once the queue has
//     drained below resumeQueuedRows, it is resumed. A transaction larger than
//     the bound is therefore streamed piecewise, never held whole, and read once;
//   - a pause must not last long: the server's dump thread drops the connection
//     after net_write_timeout (raised to 600 s on the binlog session). A pause
//     longer than maxPauseMs (default 30 s) therefore becomes a stop: zongji is
//     stopped, and once the queue has drained a new zongji is started from the
//     last *queued* point: the start of the transaction in progress (the end of
//     the previous commit) plus the number of row events of that transaction
//     already queued, which are skipped on the replay. (Restarting on every
//     overflow instead would re-read a big transaction from its start each time:
//     quadratic in its size.)
// So at most maxQueuedRows + one row event's rows are buffered. Delivery stays
// exactly-once and in order inside one reader; across reader restarts from a
// checkpoint it is at-least-once (resume at a commit position).
//
// Positions. `rows.position` is the start of the row's transaction (end of the
// previous commit), the same for all rows of one transaction and a safe resume
// point that replays the whole transaction. `commit.position` and
// `ddl.position` are the position after the event: the resume point that skips it.
//
// Liveness. The binlog connection asks the server for heartbeats
// (@master_heartbeat_period); if no event and no heartbeat arrives for
// 3 periods while streaming, the reader fails with a "connection lost" error.
import ZongJi, {
  type AnyBinlogEvent,
  type DeleteRowsEvent,
  type HeartbeatEvent,
  type MariadbGtidEvent,
  type QueryEvent,
  type RotateEvent,
  type RowData,
  type TableMapEvent,
  type UpdateRowData,
  type UpdateRowsEvent,
  type WriteRowsEvent,
  type XidEvent,
} from '@vlasky/zongji';
import { Fifo } from '../../fifo.js';
import type { ColumnDef, SourceRow, TableDef } from '../../model/table.js';
import { PositionUnavailableError } from '../contract.js';
import { afterPoll, DECODE_SLICE_MS, TimeSlicer } from '../time-slice.js';
import {
  connectionOptions,
  MySqlSourceError,
  SourceConnection,
  wrapError,
  type MySqlEndpointConfig,
} from './connection.js';
import type { BinlogPosition } from './positions.js';
import { normalizeBinlogRow } from './values.js';
import { compileRowsPlan, decodeRowsBody, readTableId, tableMapNames, MARIADB_GTID_EVENT, ROWS_EVENT_TYPES, TABLE_MAP_EVENT, XID_EVENT, type RowsPlan } from './rows-decoder.js';

export type { BinlogPosition } from './positions.js';
export { binlogFileNumber, parseBinlogPosition } from './positions.js';

/**
 * What a QUERY event's statement means for transaction boundaries; the one classifier the reader
 * and the CdcStartTime scan share. `XA BEGIN` is MariaDB's synonym of `XA START`; ROLLBACK ends a
 * transaction like COMMIT (its rows were never logged).
 */
export function classifyStatement(sql: string): 'begin' | 'end' | 'other' {
  const up = sql.trim().toUpperCase();
  if (up === 'BEGIN' || up.startsWith('XA START') || up.startsWith('XA BEGIN')) return 'begin';
  if (up === 'COMMIT' || up === 'ROLLBACK' || up.startsWith('XA COMMIT') || up.startsWith('XA ROLLBACK')) return 'end';
  return 'other';
}

export type BinlogEvent =
  | {
      kind: 'rows';
      op: 'insert' | 'update' | 'delete';
      schema: string;
      table: string;
      rows: { before: SourceRow | null; after: SourceRow | null }[];
      /** Start of the enclosing transaction (safe resume point replaying it). */
      position: BinlogPosition;
      /** 1-based index of this row event inside its transaction (all tables, filtered ones included). */
      eventIndex: number;
      /** Epoch seconds (binlog header). */
      timestamp: number;
    }
  | { kind: 'commit'; position: BinlogPosition; timestamp: number; xid?: string }
  | { kind: 'ddl'; schema: string; sql: string; position: BinlogPosition; timestamp: number }
  | { kind: 'rotate'; position: BinlogPosition }
  | { kind: 'heartbeat'; position: BinlogPosition };

export interface BinlogReader {
  /** Connects and starts streaming from `from`. Rejects (errno 1236) if the file is not on the server. */
  start(from: BinlogPosition): Promise<void>;
  /** Stops streaming; resolves once no onEvent call is in flight. */
  stop(): Promise<void>;
  stats(): BinlogReaderStats;
}

export interface BinlogReaderStats {
  queuedRows: number;
  queuedEvents: number;
  /** Highest queuedRows observed (bounded by maxQueuedRows + one row event). */
  maxQueuedRowsSeen: number;
  /** Largest single row event (rows) observed. */
  maxRowsPerEvent: number;
  /** Internal zongji restarts caused by back-pressure (pauses longer than maxPauseMs). */
  restarts: number;
  /** Times the binlog socket was paused by back-pressure. */
  pauses: number;
  /** True while back-pressure holds the reader (socket paused, or zongji stopped after a long pause). */
  paused: boolean;
  deliveredEvents: number;
  /** Rows events decoded by rows-decoder.ts (the others by zongji). */
  decodedRowsEvents: number;
  /** Table maps recognised as repeats of the cached ones (not parsed again). */
  repeatedTableMaps: number;
  /** XID commits read by the packet hook (the others by zongji). */
  decodedCommits: number;
  /** MariaDB GTID events read by the packet hook. */
  decodedGtids: number;
  /** Table maps and rows events of tables not captured, dropped by the packet hook undecoded. */
  skippedEvents: number;
}

export interface BinlogReaderOptions {
  /** Replica server id, unique per reader on a server (another dump with the same id is kicked off). */
  serverId: number;
  includeSchema?: (schema: string, table: string) => boolean;
  onEvent: (e: BinlogEvent) => Promise<void> | void;
  /** Called at most once; the reader is stopped after it. */
  onError: (err: Error) => void;
  /** Current column metadata for normalization (ENUM/SET labels, FLOAT, YEAR, BIT...). */
  tableDef: (schema: string, table: string) => TableDef | null;
  maxQueuedRows?: number;
  resumeQueuedRows?: number;
  /** Heartbeat period requested from the server (default 10 s); dead after 3 periods of silence. */
  heartbeatSeconds?: number;
  /** A back-pressure pause of the socket longer than this becomes a stop and a restart (default 30 s). */
  maxPauseMs?: number;
  /** Whether an update's before image is used; when false, rows-decoder.ts skips it (`before: null`). */
  updateBeforeImage?: (schema: string, table: string) => boolean;
  /** Leave every event to zongji's decoder (tests compare both paths). */
  zongjiDecoder?: boolean;
}

/** Error 1236: the requested binlog file/position is not (or no longer) on the server. */
export class BinlogNotFoundError extends PositionUnavailableError {
  readonly position: BinlogPosition;
  readonly errno = 1236;
  readonly sqlCode = 'ER_MASTER_FATAL_ERROR_READING_BINLOG';
  constructor(position: BinlogPosition, serverMessage: string, cause?: unknown) {
    super(
      `Error 1236 reading the binary log from ${position.file}:${position.position}: ${serverMessage}` +
        ' (the binlog was purged or never existed; a new full load or a later CDC start position is needed)',
      { cause },
    );
    this.name = 'BinlogNotFoundError';
    this.position = position;
  }
}

// ---------------------------------------------------------------------------
// Position helpers

/** Current end of the binary log (SHOW MASTER STATUS, or SHOW BINARY LOG STATUS on MySQL 8.4+). */
export async function currentBinlogPosition(conn: SourceConnection): Promise<BinlogPosition> {
  let rows: { File?: string; Position?: number | string }[];
  try {
    rows = await conn.query('SHOW MASTER STATUS');
  } catch (err) {
    try {
      rows = await conn.query('SHOW BINARY LOG STATUS');
    } catch {
      throw err;
    }
  }
  const r = rows[0];
  if (!r || !r.File) throw new MySqlSourceError('the binary log is disabled on the source (log_bin is OFF); AWS DMS CDC requires log_bin=ON');
  return { file: String(r.File), position: Number(r.Position) };
}

export interface BinlogFile {
  file: string;
  size: number;
}

/** SHOW BINARY LOGS, oldest first. */
export async function listBinlogs(conn: SourceConnection): Promise<BinlogFile[]> {
  const rows = await conn.query<{ Log_name: string; File_size: number | string }[]>('SHOW BINARY LOGS');
  return rows.map((r) => ({ file: String(r.Log_name), size: Number(r.File_size) }));
}

function map1236(err: unknown, pos: BinlogPosition): Error {
  const e = err as { errno?: number; message?: string; sqlMessage?: string };
  if (e && e.errno === 1236) return new BinlogNotFoundError(pos, e.sqlMessage ?? e.message ?? 'binlog not available', err);
  return wrapError(err, 'binlog reader');
}

// ---------------------------------------------------------------------------
// Reader

/** A mysql2 packet as zongji's binlog command receives it: the event starts at `offset` (the OK marker). */
interface BinlogPacketData {
  buffer: Buffer;
  offset: number;
  end: number;
}

/** zongji's private members this reader relies on (not in its typings). */
interface ZongJiInternals {
  _fetchTableInfo?: (event: TableMapEvent, next: () => void) => void;
  /** zongji's table filter, asked once per table-map event; true drops the table map and its rows undecoded. */
  _skipSchema?: (schema: string, table: string) => boolean;
  /** The binlog dump command class, made per start() just before 'ready'; binlogData handles each packet. */
  BinlogClass?: { prototype: { binlogData?: (packet: BinlogPacketData, connection: unknown) => unknown } };
  connection?: { pause(): void; resume(): void } | null;
  stopped?: boolean;
  useChecksum?: boolean;
  /** Set by zongji at each table map: its own resume position stays at the transaction start. */
  _positionFrozen?: boolean;
  /** zongji's GTID bookkeeping (its executed-set tracking is off unless asked for). */
  _executedGtids?: unknown;
  _seedGtidsFromStream?: boolean;
  _pendingGtid?: unknown;
  _currentGtid?: unknown;
  options?: { position?: number };
}

/** Header of a binlog event in a dump packet: OK marker, timestamp, type, server id, length, next position, flags. */
const EVENT_HEADER_BYTES = 20;

/** What an event counts for in the queue's bound: its rows (a non-row event counts as 1). */
function weightOf(ev: BinlogEvent): number {
  return ev.kind === 'rows' && ev.rows.length > 1 ? ev.rows.length : 1;
}

/**
 * Rows decoded ahead of delivery. Enough to cover the socket's latency (the reader decodes ~28,000
 * rows/s); more only keeps events alive across young-generation collections, each of which copies
 * them: with 4,000 (and 4,000 records in flight) bench:cdc's CPU per change was ~15 % higher than
 * with 500 (BENCHMARKS.md).
 */
const DEFAULT_MAX_QUEUED_ROWS = 500;

/** zongji keeps no executed GTID set (its option is off): its GTID bookkeeping is then what the hook redoes. */
function zongjiTracksNoGtidSet(internals: ZongJiInternals): internals is ZongJiInternals & { options: { position?: number } } {
  return internals._executedGtids === null && internals._seedGtidsFromStream === false && internals.options !== undefined;
}

/**
 * What zongji does at a transaction group's start or end (XID, GTID): the previous group's GTID is
 * settled (`pending` is the new one's), its resume position unfrozen and moved past the event.
 * Returns the event's next position.
 */
function groupBoundary(internals: ZongJiInternals & { options: { position?: number } }, buf: Buffer, off: number, pending: unknown): number {
  const nextPosition = buf.readUInt32LE(off + 14);
  internals._pendingGtid = pending;
  internals._positionFrozen = false;
  if (nextPosition > 0) internals.options.position = nextPosition;
  return nextPosition;
}

interface ResumePoint {
  file: string;
  position: number;
  skipRowsEvents: number;
}

class ZongjiBinlogReader implements BinlogReader {
  private readonly cfg: MySqlEndpointConfig;
  private readonly o: Required<Pick<BinlogReaderOptions, 'maxQueuedRows' | 'resumeQueuedRows' | 'heartbeatSeconds' | 'maxPauseMs'>> & BinlogReaderOptions;

  private zj: ZongJi | null = null;
  private generation = 0;
  private queue = new Fifo<BinlogEvent>();
  private queuedRows = 0;
  private draining = false;
  private inFlight: Promise<void> | null = null;
  private throttled = false;
  private stopped = false;
  private failed = false;
  private started = false;
  private watchdog: NodeJS.Timeout | null = null;
  private lastActivity = 0;
  /** Set by every event; the watchdog turns it into lastActivity (no clock read per event). */
  private active = false;

  // Stream state of the current zongji instance
  private file = '';
  private safe: BinlogPosition = { file: '', position: 4 };
  private inTxn = false;
  private rowsSeenInTxn = 0;
  private skipRemaining = 0;

  private readonly colCache = new WeakMap<TableDef, Map<string, ColumnDef>>();
  private readonly st: BinlogReaderStats = {
    queuedRows: 0, queuedEvents: 0, maxQueuedRowsSeen: 0, maxRowsPerEvent: 0, restarts: 0, pauses: 0, deliveredEvents: 0, paused: false,
    decodedRowsEvents: 0, repeatedTableMaps: 0, decodedCommits: 0, decodedGtids: 0, skippedEvents: 0,
  };

  constructor(cfg: MySqlEndpointConfig, opts: BinlogReaderOptions) {
    this.cfg = cfg;
    const maxQueuedRows = Math.max(1, opts.maxQueuedRows ?? DEFAULT_MAX_QUEUED_ROWS);
    this.o = {
      ...opts,
      maxQueuedRows,
      resumeQueuedRows: Math.min(maxQueuedRows, Math.max(0, opts.resumeQueuedRows ?? Math.floor(maxQueuedRows / 2))),
      heartbeatSeconds: Math.max(1, opts.heartbeatSeconds ?? 10),
      maxPauseMs: Math.max(0, opts.maxPauseMs ?? 30_000),
    };
  }

  stats(): BinlogReaderStats {
    return { ...this.st, queuedRows: this.queuedRows, queuedEvents: this.queue.size, paused: this.throttled };
  }

  async start(from: BinlogPosition): Promise<void> {
    if (this.started) throw new MySqlSourceError('binlog reader already started');
    this.started = true;
    await this.precheck(from);
    this.file = from.file;
    await this.launch({ file: from.file, position: from.position, skipRowsEvents: 0 }, true);
    this.lastActivity = Date.now();
    const period = this.o.heartbeatSeconds * 1000;
    this.watchdog = setInterval(() => {
      if (this.stopped || this.failed || this.throttled || !this.zj) return;
      if (this.active) {
        this.active = false;
        this.lastActivity = Date.now();
        return;
      }
      if (Date.now() - this.lastActivity > 3 * period) {
        this.fail(new MySqlSourceError(
          `binlog connection lost: no event or heartbeat from ${this.cfg.host}:${this.cfg.port} for ${Math.round((Date.now() - this.lastActivity) / 1000)}s`));
      }
    }, Math.min(period, 5000));
    this.watchdog.unref();
  }

  /** Rejects early, with the server's 1236 wording, when the file is not in the binlog index. */
  private async precheck(from: BinlogPosition): Promise<void> {
    let conn: SourceConnection | null = null;
    try {
      conn = await SourceConnection.open(this.cfg);
      let files: BinlogFile[];
      try {
        files = await listBinlogs(conn);
      } catch (err) {
        const e = err as { errno?: number };
        if (e.errno === 1381) throw new MySqlSourceError('the binary log is disabled on the source (log_bin is OFF); AWS DMS CDC requires log_bin=ON', { errno: 1381, cause: err });
        return; // e.g. no privilege for SHOW BINARY LOGS: let the dump itself report
      }
      if (!files.some((f) => f.file === from.file)) {
        throw new BinlogNotFoundError(from, 'Could not find first log file name in binary log index file');
      }
    } finally {
      await conn?.close().catch(() => undefined);
    }
  }

  private launch(rp: ResumePoint, initial: boolean): Promise<void> {
    const gen = ++this.generation;
    this.inTxn = false;
    this.fetchingTableInfo = false;
    this.rowsSeenInTxn = 0;
    this.skipRemaining = rp.skipRowsEvents;
    this.safe = { file: rp.file, position: rp.position };
    this.file = rp.file;
    const zj = new ZongJi(connectionOptions(this.cfg));
    this.zj = zj;
    // zongji pauses the binlog socket itself while it looks up a table's columns, and resumes it
    // when done: back-pressure must not resume it in between (see maybeResume).
    const internals = zj as unknown as ZongJiInternals;
    // Rows of tables the task does not capture are skipped by zongji before it decodes them (and
    // before it looks up their columns): decoding them was most of the CPU of a stream where
    // untracked tables are busy. The same predicate, asked at the same point (decode time), as
    // onRows' check; skipped rows events are not counted in rowsSeenInTxn, on a restart neither.
    const include = this.o.includeSchema;
    if (include && typeof internals._skipSchema === 'function') internals._skipSchema = (schema, table) => !include(schema, table);
    const fetchTableInfo = internals._fetchTableInfo;
    if (typeof fetchTableInfo === 'function') {
      internals._fetchTableInfo = (event, next) => {
        this.fetchingTableInfo = true;
        fetchTableInfo.call(zj, event, () => {
          this.fetchingTableInfo = false;
          next();
        });
      };
    }
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      this.settleLaunch = () => { ready = true; resolve(); };
      zj.on('ready', () => {
        // zongji made its binlog command class just before 'ready' and starts the dump right after.
        this.hookPackets(zj, gen);
        ready = true;
        resolve();
      });
      zj.on('error', (err: Error) => {
        if (gen !== this.generation) return;
        const mapped = map1236(err, { file: rp.file, position: rp.position });
        if (!ready && initial) {
          ready = true;
          this.generation++;
          this.zj = null;
          try { zj.stop(); } catch { /* ignore */ }
          reject(mapped);
          return;
        }
        this.fail(mapped);
        if (!ready) { ready = true; resolve(); }
      });
      zj.on('binlog', (e) => {
        if (gen !== this.generation || this.stopped || this.failed) return;
        try {
          this.onZongji(e);
        } catch (err) {
          this.fail(wrapError(err, 'binlog decoding failed'));
        }
      });
      zj.start({ serverId: this.o.serverId, filename: rp.file, position: rp.position });
      // Queued on the binlog connection ahead of the dump command (zongji creates the
      // connection synchronously in start() and enqueues the dump after its own queries).
      const conn = zj.connection;
      if (conn) {
        const ns = BigInt(this.o.heartbeatSeconds) * 1_000_000_000n;
        conn.query(`SET @master_heartbeat_period = ${ns.toString()}`, () => undefined);
        conn.query('SET SESSION net_write_timeout = 600', () => undefined);
      }
    });
  }

  private onZongji(e: AnyBinlogEvent): void {
    this.active = true;
    const ts = Math.floor(Number(e.timestamp ?? 0) / 1000);
    // getEventName() does not narrow the union (see zongji's typings): narrow on the instance.
    switch (e.getEventName()) {
      case 'rotate': {
        const r = e as RotateEvent;
        const pos = { file: String(r.binlogName), position: Number(r.position) };
        const changed = pos.file !== this.file;
        this.file = pos.file;
        if (!this.inTxn) this.safe = pos;
        this.rowsSeenInTxn = 0;
        if (changed) this.enqueue({ kind: 'rotate', position: pos });
        return;
      }
      case 'heartbeat': {
        const h = e as HeartbeatEvent;
        const file = h.binlogName ? String(h.binlogName) : this.file;
        const position = Number(h.position ?? h.nextPosition);
        if (!this.inTxn && this.queue.size === 0) this.enqueue({ kind: 'heartbeat', position: { file, position } });
        return;
      }
      case 'mariadbgtid':
        if (!(e as MariadbGtidEvent).standalone) this.inTxn = true; // a non-standalone GTID replaces BEGIN
        return;
      case 'tablemap': {
        this.inTxn = true;
        const tm = e as TableMapEvent;
        this.patchEnumLabels(tm);
        const pending = this.pendingTableMap;
        this.pendingTableMap = null;
        const entry = this.zj?.tableMap?.[tm.tableId];
        if (pending && pending.id === tm.tableId && entry) {
          if (this.tableMapCache.size >= 1000) this.tableMapCache.clear();
          this.tableMapCache.set(tm.tableId, { body: pending.body, entry });
        }
        return;
      }
      case 'xid': {
        const xid = (e as XidEvent).xid;
        this.commit({ file: this.file, position: Number(e.nextPosition) }, ts, xid !== undefined ? String(xid) : undefined);
        return;
      }
      case 'query': {
        const q = e as QueryEvent;
        const sql = String(q.query ?? '').trim();
        const kind = classifyStatement(sql);
        if (kind === 'begin') {
          this.inTxn = true;
          return;
        }
        if (kind === 'end') {
          this.commit({ file: this.file, position: Number(e.nextPosition) }, ts);
          return;
        }
        if (this.inTxn) return; // SAVEPOINT, XA END, statement-based DML inside a transaction: not DDL
        const position = { file: this.file, position: Number(e.nextPosition) };
        this.safe = position;
        this.rowsSeenInTxn = 0;
        this.enqueue({ kind: 'ddl', schema: String(q.schema ?? ''), sql, position, timestamp: ts });
        return;
      }
      case 'writerows':
        this.onRows('insert', e as WriteRowsEvent, ts);
        return;
      case 'updaterows':
        this.onRows('update', e as UpdateRowsEvent, ts);
        return;
      case 'deleterows':
        this.onRows('delete', e as DeleteRowsEvent, ts);
        return;
      default:
        // format, gtid lists, checkpoints, intvar, annotate... Outside a transaction they move the
        // resume point past them: after a rotation the first transaction then starts where it
        // really starts, not at offset 4 (which lies before a snapshot taken at the new file's start).
        if (!this.inTxn) {
          const next = Number(e.nextPosition);
          if (next > 0 && (this.safe.file !== this.file || next > this.safe.position)) this.safe = { file: this.file, position: next };
        }
        return;
    }
  }

  private commit(position: BinlogPosition, timestamp: number, xid?: string): void {
    this.inTxn = false;
    this.rowsSeenInTxn = 0;
    this.safe = position;
    this.skipRemaining = 0;
    this.enqueue(xid !== undefined ? { kind: 'commit', position, timestamp, xid } : { kind: 'commit', position, timestamp });
  }

  /** Bookkeeping every rows event of a captured table gets, decoded or not; false when a restart skips it. */
  private countRowsEvent(): boolean {
    this.inTxn = true;
    this.rowsSeenInTxn++;
    if (this.skipRemaining > 0) {
      this.skipRemaining--;
      return false;
    }
    return true;
  }

  private included(schema: string, table: string): boolean {
    return !this.o.includeSchema || this.o.includeSchema(schema, table);
  }

  private columnsOf(def: TableDef | null): Map<string, ColumnDef> | null {
    if (!def) return null;
    let cols = this.colCache.get(def);
    if (!cols) {
      cols = new Map(def.columns.map((c) => [c.name, c]));
      this.colCache.set(def, cols);
    }
    return cols;
  }

  private onRows(
    op: 'insert' | 'update' | 'delete',
    e: WriteRowsEvent | UpdateRowsEvent | DeleteRowsEvent,
    ts: number,
  ): void {
    if (!this.countRowsEvent()) return;
    const tm = e.tableMap?.[e.tableId];
    if (!tm) return;
    const schema = String(tm.parentSchema);
    const table = String(tm.tableName);
    if (!this.included(schema, table)) return;
    const cols = this.columnsOf(this.o.tableDef(schema, table));
    const rows =
      op === 'update'
        ? (e.rows as UpdateRowData[]).map((r) => ({ before: normalizeBinlogRow(cols, r.before), after: normalizeBinlogRow(cols, r.after) }))
        : op === 'insert'
          ? (e.rows as RowData[]).map((r) => ({ before: null, after: normalizeBinlogRow(cols, r) }))
          : (e.rows as RowData[]).map((r) => ({ before: normalizeBinlogRow(cols, r), after: null }));
    this.enqueueRows(op, schema, table, rows, ts);
  }

  private enqueueRows(
    op: 'insert' | 'update' | 'delete', schema: string, table: string,
    rows: { before: SourceRow | null; after: SourceRow | null }[], ts: number,
  ): void {
    if (rows.length > this.st.maxRowsPerEvent) this.st.maxRowsPerEvent = rows.length;
    this.enqueue({
      kind: 'rows', op, schema, table, rows,
      position: this.safe, eventIndex: this.rowsSeenInTxn, timestamp: ts, // positions are never mutated
    });
  }

  // -------------------------------------------------------------------------
  // Packet hook: rows of captured tables decoded here (rows-decoder.ts), repeated table maps
  // recognised by their bytes, commits (XID) and MariaDB GTIDs read without zongji's event objects,
  // and decoding cut into slices.

  private readonly plans = new WeakMap<object, { def: TableDef | null; plan: RowsPlan | null }>();
  private readonly tableMapCache = new Map<number, { body: Buffer; entry: object }>();
  private pendingTableMap: { id: number; body: Buffer } | null = null;
  private readonly drainSlicer = new TimeSlicer({ budgetMs: DECODE_SLICE_MS });
  private readonly packetSlicer = new TimeSlicer({ budgetMs: DECODE_SLICE_MS });
  private sliceArmed = false;
  private slicePackets = 0;
  private yielding = false;

  /**
   * Wraps the per-instance binlog command's packet handler. An event the hook handles is
   * delivered at the same point of the stream zongji would have delivered it (the handler runs
   * packet by packet, in order); anything else goes to zongji unchanged.
   */
  private hookPackets(zj: ZongJi, gen: number): void {
    const internals = zj as unknown as ZongJiInternals;
    const proto = internals.BinlogClass?.prototype;
    const original = proto?.binlogData;
    if (!proto || typeof original !== 'function') return; // another zongji version: its own path only
    const wrapped = function (this: unknown, packet: BinlogPacketData, connection: unknown): unknown {
      const reader = readerRef;
      let next: unknown = wrapped;
      if (!(gen === reader.generation && !reader.stopped && !reader.failed && !internals.stopped
        && connection === internals.connection && reader.handlePacket(internals, packet))) {
        next = original.call(this, packet, connection);
      }
      reader.afterPacket(zj, gen);
      return next;
    };
    const readerRef = this;
    proto.binlogData = wrapped;
  }

  /** True when the packet was fully handled here. */
  private handlePacket(internals: ZongJiInternals, packet: BinlogPacketData): boolean {
    if (this.o.zongjiDecoder) return false;
    const buf = packet.buffer;
    const off = packet.offset;
    if (buf[off] !== 0 || packet.end - off < EVENT_HEADER_BYTES + 8) return false; // EOF, error, short
    const type = buf[off + 5]!;
    const body = off + EVENT_HEADER_BYTES;
    const end = packet.end - (internals.useChecksum ? 4 : 0);
    if (type === TABLE_MAP_EVENT) return this.repeatedTableMap(internals, buf, body, end);
    if (type === XID_EVENT) return this.xidCommit(internals, buf, off, body, end);
    if (type === MARIADB_GTID_EVENT) return this.mariadbGtid(internals, buf, off, body, end);
    const rt = ROWS_EVENT_TYPES[type];
    if (!rt) return false;
    const tm = this.zj?.tableMap?.[readTableId(buf, body)];
    if (!tm) {
      // A table the task does not capture: zongji would decode nothing and deliver nothing either.
      this.st.skippedEvents++;
      return true;
    }
    const schema = String(tm.parentSchema);
    const table = String(tm.tableName);
    // A plan per table-map entry, made again when the task's definition of the table changes.
    const def = this.o.tableDef(schema, table);
    let entry = this.plans.get(tm);
    if (!entry || entry.def !== def) {
      entry = { def, plan: compileRowsPlan(tm, this.columnsOf(def)) };
      this.plans.set(tm, entry);
    }
    if (!entry.plan) return false;
    this.active = true;
    this.st.decodedRowsEvents++;
    if (!this.countRowsEvent() || !this.included(schema, table)) return true;
    const skipBefore = rt.op === 'update' && this.o.updateBeforeImage !== undefined && !this.o.updateBeforeImage(schema, table);
    const rows = decodeRowsBody(buf, body, end, rt.v2, rt.op, entry.plan, skipBefore);
    this.enqueueRows(rt.op, schema, table, rows, buf.readUInt32LE(off + 1));
    return true;
  }

  /**
   * A table map identical, byte for byte, to the one zongji last turned into this table id's
   * entry needs nothing but what zongji does for every table map (freeze its own resume
   * position) and what onZongji does (a transaction is open). zongji would rebuild the entry
   * (column names, charsets, labels) for every transaction.
   */
  private repeatedTableMap(internals: ZongJiInternals, buf: Buffer, body: number, end: number): boolean {
    const id = readTableId(buf, body);
    const cached = this.tableMapCache.get(id);
    if (cached && this.zj?.tableMap?.[id] === cached.entry && cached.body.length === end - body && cached.body.compare(buf, body, end) === 0) {
      internals._positionFrozen = true;
      this.active = true;
      this.inTxn = true;
      this.st.repeatedTableMaps++;
      return true;
    }
    const include = this.o.includeSchema;
    const names = include ? tableMapNames(buf, body, end) : null;
    if (names && !include!(names.schema, names.table)) {
      // What zongji does for a table its filter drops (binlog_event.js TableMap, sequence/binlog.js):
      // freeze its resume position, forget the table id; nothing is delivered.
      internals._positionFrozen = true;
      if (this.zj?.tableMap) delete this.zj.tableMap[id];
      this.active = true;
      this.st.skippedEvents++;
      return true;
    }
    this.pendingTableMap = { id, body: Buffer.from(buf.subarray(body, end)) };
    return false;
  }

  /**
   * A commit (XID event) without zongji's event object: what zongji does for one (its GTID
   * bookkeeping and resume position, index.js binlogHandler / _trackGtidProgress) and what
   * onZongji does. Left to zongji when it tracks executed GTID sets (this reader never asks it to).
   */
  private xidCommit(internals: ZongJiInternals, buf: Buffer, off: number, body: number, end: number): boolean {
    if (end - body < 8 || !zongjiTracksNoGtidSet(internals)) return false;
    const nextPosition = groupBoundary(internals, buf, off, undefined);
    internals._currentGtid = undefined;
    this.active = true;
    this.st.decodedCommits++;
    this.commit({ file: this.file, position: nextPosition }, buf.readUInt32LE(off + 1), buf.readBigUInt64LE(body).toString());
    return true;
  }

  /**
   * A MariaDB GTID event (a transaction's start) without zongji's event object: zongji's bookkeeping
   * (the current GTID its events carry, its resume position) and onZongji's (a non-standalone GTID
   * opens a transaction). Same conditions as xidCommit.
   */
  private mariadbGtid(internals: ZongJiInternals, buf: Buffer, off: number, body: number, end: number): boolean {
    if (end - body < 13 || !zongjiTracksNoGtidSet(internals)) return false;
    const lo = buf.readUInt32LE(body);
    const hi = buf.readUInt32LE(body + 4);
    const seqNo = hi < 0x200000 ? hi * 4294967296 + lo : buf.readBigUInt64LE(body).toString();
    const domainId = buf.readUInt32LE(body + 8);
    const serverId = buf.readUInt32LE(off + 6);
    groupBoundary(internals, buf, off, { domainId, serverId, seqNo });
    internals._currentGtid = `${domainId}-${serverId}-${seqNo}`;
    this.active = true;
    this.st.decodedGtids++;
    if ((buf[body + 12]! & 0x01) === 0) this.inTxn = true; // FL_STANDALONE: a DDL, no transaction
    return true;
  }

  /**
   * After DECODE_SLICE_MS of back-to-back packets, pause the socket until the event loop has polled
   * again (time-slice.ts); the budget is checked every 16 packets.
   */
  private afterPacket(zj: ZongJi, gen: number): void {
    if (!this.sliceArmed) {
      this.sliceArmed = true;
      this.slicePackets = 0;
      this.packetSlicer.restart();
      setImmediate(() => { this.sliceArmed = false; });
      return;
    }
    if (this.yielding || (++this.slicePackets & 15) !== 0 || !this.packetSlicer.expired()) return;
    const conn = (zj as unknown as ZongJiInternals).connection;
    if (!conn) return;
    this.yielding = true;
    conn.pause();
    void afterPoll().then(() => {
      this.yielding = false;
      if (gen !== this.generation || this.stopped || this.failed || this.zj !== zj) return;
      // Back-pressure and zongji's table lookup resume the socket themselves.
      if (!this.throttled && !this.fetchingTableInfo) conn.resume();
    });
  }

  /**
   * Without binlog_row_metadata=FULL zongji parses ENUM/SET labels out of
   * COLUMN_TYPE naively (wrong for labels with commas or quotes); give it the
   * labels of the TableDef instead. With FULL metadata the binlog's own labels win.
   */
  private patchEnumLabels(e: TableMapEvent): void {
    const tm = this.zj?.tableMap?.[e.tableId];
    if (!tm?.columnSchemas) return;
    let def: TableDef | null | undefined;
    for (const cs of tm.columnSchemas) {
      const ct = String(cs.COLUMN_TYPE ?? '').toLowerCase();
      const isEnum = ct.startsWith('enum(');
      const isSet = ct.startsWith('set(');
      if (!isEnum && !isSet) continue;
      if ((isEnum && cs.ENUM_VALUES) || (isSet && cs.SET_VALUES)) continue;
      if (def === undefined) def = this.o.tableDef(String(tm.parentSchema), String(tm.tableName));
      const col = def?.columns.find((c) => c.name === cs.COLUMN_NAME);
      if (!col?.enumValues) continue;
      if (isEnum) cs.ENUM_VALUES = col.enumValues;
      else cs.SET_VALUES = col.enumValues;
    }
  }

  private enqueue(ev: BinlogEvent): void {
    this.queue.push(ev);
    this.queuedRows += weightOf(ev);
    if (this.queuedRows > this.st.maxQueuedRowsSeen) this.st.maxQueuedRowsSeen = this.queuedRows;
    if (this.queuedRows > this.o.maxQueuedRows) this.throttle();
    this.kick();
  }

  /**
   * Pauses the binlog socket (see header comment). zongji resumes the socket itself after a
   * table-metadata lookup, so the pause is applied again on every event over the bound.
   */
  private throttle(): void {
    if (!this.throttled) {
      this.throttled = true;
      this.st.pauses++;
      this.pauseTimer = setTimeout(() => this.stopWhilePaused(), this.o.maxPauseMs);
      this.pauseTimer.unref();
    }
    this.zj?.connection?.pause();
  }

  /** A pause that lasted too long: stop zongji, remember the last queued point (see header comment). */
  private stopWhilePaused(): void {
    this.pauseTimer = null;
    if (!this.throttled || !this.zj || this.stopped || this.failed) return;
    this.resumeAt = {
      file: this.safe.file,
      position: this.safe.position,
      skipRowsEvents: this.inTxn ? this.rowsSeenInTxn : 0,
    };
    this.generation++;
    const zj = this.zj;
    this.zj = null;
    this.stopZongji(zj);
  }

  private pauseTimer: NodeJS.Timeout | null = null;
  private resumeAt: ResumePoint | null = null;
  /** Resolves a pending launch() promise (used when stopping before 'ready'). */
  private settleLaunch: (() => void) | null = null;

  private maybeResume(): void {
    if (!this.throttled || this.stopped || this.failed) return;
    if (this.queuedRows > this.o.resumeQueuedRows) return;
    this.throttled = false;
    if (this.pauseTimer) {
      clearTimeout(this.pauseTimer);
      this.pauseTimer = null;
    }
    this.lastActivity = Date.now();
    const rp = this.resumeAt;
    if (rp) {
      this.resumeAt = null;
      this.st.restarts++;
      this.launch(rp, false).catch((err) => this.fail(err));
      return;
    }
    // During zongji's own table lookup, zongji resumes the socket once it is done.
    if (!this.fetchingTableInfo) this.zj?.connection?.resume();
  }

  private fetchingTableInfo = false;

  private kick(): void {
    if (this.draining) return;
    this.draining = true;
    this.inFlight = this.drain().finally(() => {
      this.draining = false;
      this.inFlight = null;
      // Events queued after a drain that ran without awaiting finished, but before this callback.
      if (this.queue.size > 0 && !this.stopped && !this.failed) this.kick();
    });
  }

  private async drain(): Promise<void> {
    const slicer = this.drainSlicer;
    slicer.restart();
    let n = 0;
    while (this.queue.size > 0 && !this.stopped && !this.failed) {
      // Yield now and then so acknowledgements (and the sink's next call) are not held back.
      if ((++n & 15) === 0 && slicer.expired()) {
        await slicer.pause();
        if (this.stopped || this.failed) break;
      }
      const ev = this.queue.shift()!;
      this.queuedRows -= weightOf(ev);
      this.maybeResume();
      try {
        // Most events are handled synchronously: await only a returned promise.
        const pending = this.o.onEvent(ev);
        if (pending) await pending;
        this.st.deliveredEvents++;
      } catch (err) {
        this.fail(err instanceof Error ? err : new Error(String(err)));
        return;
      }
    }
    this.maybeResume();
  }

  private fail(err: Error): void {
    if (this.failed || this.stopped) return;
    this.failed = true;
    this.teardown();
    try {
      this.o.onError(err);
    } catch { /* ignore */ }
  }

  private stopZongji(zj: ZongJi): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 3000);
      t.unref();
      zj.once('stopped', () => { clearTimeout(t); resolve(); });
      try { zj.stop(); } catch { clearTimeout(t); resolve(); }
    });
  }

  private teardown(): Promise<void> {
    this.generation++;
    this.settleLaunch?.();
    if (this.watchdog) { clearInterval(this.watchdog); this.watchdog = null; }
    if (this.pauseTimer) { clearTimeout(this.pauseTimer); this.pauseTimer = null; }
    this.queue.clear();
    this.queuedRows = 0;
    const zj = this.zj;
    this.zj = null;
    return zj ? this.stopZongji(zj) : Promise.resolve();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.teardown();
    if (this.inFlight) await this.inFlight.catch(() => undefined);
  }
}

export function createBinlogReader(cfg: MySqlEndpointConfig, opts: BinlogReaderOptions): BinlogReader {
  return new ZongjiBinlogReader(cfg, opts);
}

// ---------------------------------------------------------------------------
// CdcStartTime -> position

interface ScanEvent {
  name: string;
  timestamp: number; // epoch s
  nextPosition: number;
  standalone?: boolean;
  query?: string;
  binlogName?: string;
}

/**
 * Streams the events of one binlog file (row events are not decoded) until
 * `visit` returns true or the file's listed size is reached.
 */
async function scanBinlogFile(
  cfg: MySqlEndpointConfig,
  serverId: number,
  file: BinlogFile,
  visit: (e: ScanEvent) => boolean,
  idleTimeoutMs = 30_000,
): Promise<void> {
  const zj = new ZongJi(connectionOptions(cfg));
  await new Promise<void>((resolve, reject) => {
    let done = false;
    let timer: NodeJS.Timeout | null = null;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      try { zj.stop(); } catch { /* ignore */ }
      if (err) reject(err); else resolve();
    };
    const arm = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => finish(new MySqlSourceError(`timed out scanning binlog ${file.file}`)), idleTimeoutMs);
      timer.unref();
    };
    arm();
    zj.on('error', (err: Error) => finish(map1236(err, { file: file.file, position: 4 })));
    zj.on('binlog', (e) => {
      if (done) return;
      arm();
      const name = e.getEventName();
      if (name === 'rotate' && Number(e.timestamp) === 0) return; // artificial rotate at dump start
      const se: ScanEvent = {
        name,
        timestamp: Math.floor(Number(e.timestamp ?? 0) / 1000),
        nextPosition: Number(e.nextPosition ?? 0),
        standalone: name === 'mariadbgtid' ? (e as MariadbGtidEvent).standalone : undefined,
        query: name === 'query' ? String((e as QueryEvent).query ?? '') : undefined,
        binlogName: name === 'rotate' ? String((e as RotateEvent).binlogName) : undefined,
      };
      if (visit(se)) return finish();
      if (name === 'rotate' || (se.nextPosition > 0 && se.nextPosition >= file.size)) finish();
    });
    zj.start({
      serverId,
      filename: file.file,
      position: 4,
      nonBlock: true,
      includeEvents: ['rotate', 'format', 'xid', 'query', 'mariadbgtid', 'gtid', 'anonymousgtid', 'heartbeat', 'mariadbgtidlist', 'binlogcheckpoint', 'previousgtids'],
    });
  });
}

/**
 * Position of the first transaction that started at or after `epochSeconds`
 * (CdcStartTime). Finds the newest binlog file created at or before that time
 * (its Format_description timestamp), then scans it for the first transaction
 * with a later timestamp. Before the oldest file: the oldest file's start.
 * After everything: the current end of the log.
 */
export async function binlogPositionAtTime(
  conn: SourceConnection,
  epochSeconds: number,
  opts: { cfg: MySqlEndpointConfig; serverId?: number },
): Promise<BinlogPosition> {
  const serverId = opts.serverId ?? 0x5eed_0000 + Math.floor(Math.random() * 0xffff);
  const files = await listBinlogs(conn);
  if (files.length === 0) throw new MySqlSourceError('the binary log is disabled on the source (no binary logs)');
  let chosen = -1;
  for (let i = files.length - 1; i >= 0; i--) {
    let created = 0;
    await scanBinlogFile(opts.cfg, serverId, files[i]!, (e) => {
      if (e.timestamp > 0) { created = e.timestamp; return true; }
      return false;
    });
    if (created > 0 && created <= epochSeconds) { chosen = i; break; }
  }
  if (chosen < 0) return { file: files[0]!.file, position: 4 };
  const f = files[chosen]!;
  let boundary = 4;
  let found: number | null = null;
  let inGroup = false; // between a group start (GTID / BEGIN) and its end (XID / COMMIT / DDL)
  let explicitTxn = false; // the group is a BEGIN..COMMIT transaction (not a standalone DDL)
  const startGroup = (e: ScanEvent, explicit: boolean): boolean => {
    if (!inGroup) {
      if (e.timestamp >= epochSeconds) { found = boundary; return true; }
      inGroup = true;
    }
    explicitTxn = explicitTxn || explicit;
    return false;
  };
  const endGroup = (e: ScanEvent) => {
    boundary = e.nextPosition;
    inGroup = false;
    explicitTxn = false;
  };
  await scanBinlogFile(opts.cfg, serverId, f, (e) => {
    switch (e.name) {
      case 'mariadbgtid':
        return startGroup(e, !e.standalone);
      case 'gtid':
      case 'anonymousgtid':
        return startGroup(e, false);
      case 'xid':
        endGroup(e);
        return false;
      case 'query': {
        const kind = classifyStatement(e.query ?? '');
        if (kind === 'begin') return startGroup(e, true);
        if (kind === 'end') {
          endGroup(e);
          return false;
        }
        if (inGroup && explicitTxn) return false; // SAVEPOINT etc. inside a transaction
        if (!inGroup && startGroup(e, false)) return true; // DDL without a GTID event
        endGroup(e);
        return false;
      }
      default:
        if (!inGroup && e.nextPosition > 0) boundary = e.nextPosition; // format, gtid list, checkpoint
        return false;
    }
  });
  if (found !== null) return { file: f.file, position: found };
  if (chosen < files.length - 1) return { file: files[chosen + 1]!.file, position: 4 };
  return { file: f.file, position: f.size };
}
