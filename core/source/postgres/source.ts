// PostgresSource: the Source contract for a PostgreSQL / Aurora PostgreSQL endpoint.
//
// Decoding plugin: test_decoding, always. Why: it is the plugin AWS DMS itself uses whenever
// pglogical is not installed ("If the pglogical plugin is available … DMS creates a replication slot
// using pglogical, otherwise a test_decoding plugin is used"), it needs no publication (AWS documents
// none) and it prints each value as the type's text output, the same text the snapshot reads.
// PluginName maps as follows: `test-decoding` and `no-preference` → test_decoding; `pglogical` → the
// pglogical extension must be installed (AWS's prerequisite, checked by checkPrerequisites), and the
// slot is still decoded with test_decoding (the records are the same; pglogical's own replication
// sets are not created). Cost of test_decoding: the commit time and commit LSN arrive with COMMIT,
// so each transaction is buffered until its COMMIT (the server sends a transaction only once it
// committed, so this adds no latency); one larger than TXN_BUFFER_BYTES is passed on as it comes,
// its rows then carrying the BEGIN's send time and LSN.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { InvalidParameterCombinationException } from '../../model/errors.js';
import type { SourceRow, TableDef } from '../../model/table.js';
import {
  PositionUnavailableError,
  type ChangeEvent,
  type ChangeStream,
  type ChangeStreamOptions,
  type PrerequisiteReport,
  type SnapshotSession,
  type Source,
  type SourcePosition,
  type SourceTableRef,
  type TransactionMeta,
} from '../contract.js';
import { beat, DDL_AUDIT_TABLE, HEARTBEAT_TABLE, installDdlCapture } from './artifacts.js';
import { openClient, PgSourceError, quoteIdent, wrapPgError, type PgEndpointConfig } from './connection.js';
import { parseTestDecoding, pgTimestampToEpoch, UNCHANGED_TOAST, type TdColumn, type TdMessage } from './decoding.js';
import { formatLsn, lsnValue, pgStreamPosition, postgresPositions } from './lsn.js';
import { describePgTable, listSchemas, listTables } from './metadata.js';
import { checkPgPrerequisites } from './prerequisites.js';
import { ReplicationConnection } from './replication.js';
import { byteaValue, openPgSnapshot } from './snapshot.js';

/** Decoded text (characters) of one transaction held until its COMMIT (see the header). */
const TXN_BUFFER_BYTES = 32 * 1024 * 1024;
const GROUP_ROWS = true;
/** At most one keepalive heartbeat event per interval. */
const HEARTBEAT_EVENT_MS = 1000;
/** How long start() waits for a slot still held by a connection that is going away (e.g. a killed runner). */
const ACTIVE_SLOT_WAIT_MS = 60_000;

/** The start position of a change stream is no longer (or never was) readable: fail, do not reconnect. */
export class PgPositionUnavailableError extends PositionUnavailableError {}

/** The slot a task's change stream reads: SlotName when given, else one named after the reader. */
export function slotNameFor(readerId: string): string {
  if (/^[a-z0-9_]{1,63}$/.test(readerId)) return readerId;
  const clean = readerId.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  const hash = createHash('sha1').update(readerId).digest('hex').slice(0, 12);
  return `${clean.slice(0, 63 - 13)}_${hash}`;
}

interface SlotRow {
  slot_name: string;
  plugin: string | null;
  slot_type: string;
  database: string | null;
  active: string;
  active_pid: string | null;
  confirmed_flush_lsn: string | null;
  restart_lsn: string | null;
  wal_status: string | null;
}

export class PostgresSource implements Source {
  readonly engine = 'postgres' as const;
  readonly positions = postgresPositions;
  private meta: pg.Client | null = null;
  private metaOpening: Promise<pg.Client> | null = null;
  private readonly streams = new Set<PgChangeStream>();
  private readonly snapshots = new Set<SnapshotSession>();
  /** relreplident of tables described so far (decoding needs it for tables without a primary key). */
  readonly replicaIdentity = new Map<string, string>();

  constructor(readonly cfg: PgEndpointConfig) {}

  get failTasksOnLobTruncation(): boolean {
    return this.cfg.failTasksOnLobTruncation ?? false;
  }

  /** The shared metadata connection (re-opened when lost). */
  async connection(): Promise<pg.Client> {
    if (this.meta) return this.meta;
    if (!this.metaOpening) {
      this.metaOpening = openClient(this.cfg).then(
        (c) => {
          this.meta = c;
          const drop = () => { if (this.meta === c) this.meta = null; };
          c.on('error', drop);
          c.on('end', drop);
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

  private async withMeta<T>(what: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const c = await this.connection();
    try {
      return await fn(c);
    } catch (err) {
      throw wrapPgError(err, what);
    }
  }

  async version(): Promise<string> {
    return this.withMeta('server version', async (c) => (await c.query<{ v: string }>('SELECT version() AS v')).rows[0]!.v);
  }

  async listSchemas(): Promise<string[]> {
    return this.withMeta('listing schemas', (c) => listSchemas(c));
  }

  async listTables(schemas?: string[]): Promise<SourceTableRef[]> {
    return this.withMeta('listing tables', (c) => listTables(c, schemas));
  }

  async describeTable(schema: string, table: string): Promise<TableDef | null> {
    return this.withMeta(`describing ${schema}.${table}`, async (c) => {
      const info = await describePgTable(c, schema, table, this.cfg);
      if (info) this.replicaIdentity.set(schema + '\u0000' + table, info.replicaIdentity);
      return info?.def ?? null;
    });
  }

  async estimateRows(schema: string, table: string): Promise<number | null> {
    return this.withMeta(`estimating the rows of ${schema}.${table}`, async (c) => {
      // reltuples is -1 until the table is first vacuumed or analyzed (PostgreSQL 14+); a partitioned
      // parent has none of its own: its partitions' estimates add up.
      const { rows } = await c.query<{ n: string | null }>(
        `SELECT CASE WHEN bool_and(k.reltuples >= 0) THEN sum(k.reltuples)::bigint::text END AS n
           FROM pg_class t JOIN pg_namespace ns ON ns.oid = t.relnamespace
           JOIN pg_class k ON CASE WHEN t.relkind = 'p' THEN k.oid IN (SELECT relid FROM pg_partition_tree(t.oid) WHERE isleaf) ELSE k.oid = t.oid END
          WHERE ns.nspname = $1 AND t.relname = $2`,
        [schema, table],
      );
      const n = rows[0]?.n;
      return n === null || n === undefined ? null : Number(n);
    });
  }

  async checkPrerequisites(opts: { cdc: boolean }): Promise<PrerequisiteReport> {
    return this.withMeta('checking prerequisites', (c) => checkPgPrerequisites(c, this.cfg, { cdc: opts.cdc, slotName: this.cfg.slotName }));
  }

  async currentPosition(): Promise<SourcePosition> {
    return this.withMeta('reading the WAL position', async (c) =>
      formatLsn(lsnValue((await c.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0]!.lsn)));
  }

  async positionAt(_epochSeconds: number): Promise<SourcePosition> {
    // "PostgreSQL as a source doesn't support a custom CDC start time" (CHAP_Task.CDC, CHAP_Source.PostgreSQL).
    throw new InvalidParameterCombinationException(
      "PostgreSQL as a source doesn't support a custom CDC start time (CdcStartTime); give CdcStartPosition as an LSN together with SlotName",
    );
  }

  async assertReadable(position: SourcePosition): Promise<void> {
    const end = lsnValue(await this.currentPosition());
    if (lsnValue(position) > end) {
      throw new PgPositionUnavailableError(`LSN ${position} is beyond the end of the source's WAL (${formatLsn(end)})`);
    }
  }

  async openSnapshot(): Promise<SnapshotSession> {
    const s = await openPgSnapshot(this.cfg);
    const cfg = this.cfg;
    const session: SnapshotSession = {
      position: s.position,
      exact: s.exact,
      // Described inside the snapshot, with the endpoint's type settings.
      describeTable: (schema, table) => s.describeTable(schema, table, cfg),
      readTable: s.readTable,
      close: async () => {
        this.snapshots.delete(session);
        await s.close();
      },
    };
    this.snapshots.add(session);
    return session;
  }

  /** The slot of `readerId`, or null. */
  async slot(name: string): Promise<SlotRow | null> {
    return this.withMeta('reading replication slots', async (c) =>
      (await c.query<SlotRow>(
        `SELECT slot_name, plugin, slot_type, database, active::text, active_pid::text, confirmed_flush_lsn::text, restart_lsn::text, wal_status
           FROM pg_replication_slots WHERE slot_name = $1`,
        [name],
      )).rows[0] ?? null);
  }

  slotName(readerId: string): string {
    return this.cfg.slotName || slotNameFor(readerId);
  }

  async retainChanges(readerId: string, opts: { restart?: boolean } = {}): Promise<SourcePosition> {
    const name = this.slotName(readerId);
    // A restart (start-replication, reload-target) recreates the task's own slot: "On restart (not
    // resume) … the replication slot gets recreated" (CHAP_Source.PostgreSQL). Changes made while the
    // task was stopped are then not replayed. A SlotName slot is the user's and is kept.
    if (opts.restart && !this.cfg.slotName) await this.dropTaskResources(readerId);
    let s = await this.slot(name);
    if (!s && this.cfg.slotName) {
      // "If the specified slot doesn't exist or the task doesn't have a valid CdcStartPosition setting, DMS raises an error" (API: SlotName).
      throw new PgPositionUnavailableError(`The replication slot '${name}' named by PostgreSQLSettings SlotName does not exist in database ${this.cfg.database}`);
    }
    if (!s) {
      // A runner killed after creating the slot left it: it is reused (same name), never duplicated.
      await this.withMeta(`creating replication slot ${name}`, async (c) => {
        await c.query(`SELECT pg_create_logical_replication_slot($1, 'test_decoding')`, [name]).catch((e: { code?: string }) => {
          if (e?.code !== '42710') throw e; // created meanwhile
        });
      });
      s = await this.slot(name);
    }
    this.checkSlot(name, s);
    if ((this.cfg.captureDdls ?? true)) await this.withMeta('installing DDL capture', (c) => installDdlCapture(c, this.ddlSchema()));
    return formatLsn(lsnValue(s!.confirmed_flush_lsn!));
  }

  private checkSlot(name: string, s: SlotRow | null): void {
    if (!s) throw new PgPositionUnavailableError(`The replication slot '${name}' of this task no longer exists (it was dropped): the changes since the last checkpoint are lost; restart the task (start-replication) to create a new slot`);
    if (s.slot_type !== 'logical' || s.database !== this.cfg.database) {
      throw new PgPositionUnavailableError(`The replication slot '${name}' is not a logical slot of database ${this.cfg.database}`);
    }
    if (s.plugin !== 'test_decoding') {
      throw new PgPositionUnavailableError(`The replication slot '${name}' uses the output plugin ${s.plugin}; dmslite reads slots of the test_decoding plugin`);
    }
    if (s.wal_status === 'lost') {
      throw new PgPositionUnavailableError(`The WAL needed by replication slot '${name}' was removed (wal_status lost, max_slot_wal_keep_size exceeded): the task cannot continue from its checkpoint`);
    }
  }

  private readonly keyed = new Map<string, boolean>();

  /** Whether a table has a primary key (cached; forgotten on DDL). */
  async hasPrimaryKey(schema: string, table: string): Promise<boolean> {
    const k = schema + '\u0000' + table;
    let v = this.keyed.get(k);
    if (v === undefined) {
      v = await this.withMeta(`describing ${schema}.${table}`, async (c) =>
        (await c.query(`SELECT 1 FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
                         WHERE n.nspname = $1 AND t.relname = $2 AND i.indisprimary`, [schema, table])).rowCount! > 0);
      this.keyed.set(k, v);
    }
    return v;
  }

  forgetTables(): void {
    this.keyed.clear();
  }

  ddlSchema(): string {
    return this.cfg.ddlArtifactsSchema || 'public';
  }

  heartbeatSchema(): string {
    return this.cfg.heartbeatSchema || 'public';
  }

  changes(opts: ChangeStreamOptions): ChangeStream {
    const s = new PgChangeStream(this, opts);
    this.streams.add(s);
    const stop = s.stop.bind(s);
    s.stop = async () => {
      this.streams.delete(s);
      await stop();
    };
    return s;
  }

  async dropTaskResources(readerId: string): Promise<void> {
    // Only a slot the task created: the one SlotName names belongs to the user.
    if (this.cfg.slotName) return;
    const name = slotNameFor(readerId);
    const deadline = Date.now() + ACTIVE_SLOT_WAIT_MS;
    for (;;) {
      const s = await this.slot(name);
      if (!s) return;
      if (s.active !== 'true') {
        await this.withMeta(`dropping replication slot ${name}`, async (c) => {
          await c.query('SELECT pg_drop_replication_slot($1)', [name]).catch((e: { code?: string }) => {
            if (e?.code !== '42704') throw e; // already gone
          });
        });
        return;
      }
      if (Date.now() > deadline) throw new PgSourceError(`replication slot ${name} is still in use by process ${s.active_pid}`);
      await sleep(500);
    }
  }

  quoteIdentifier(name: string): string {
    return quoteIdent(name);
  }

  async close(): Promise<void> {
    await Promise.all([...this.streams].map((s) => s.stop().catch(() => undefined)));
    await Promise.all([...this.snapshots].map((s) => s.close().catch(() => undefined)));
    const m = this.meta;
    this.meta = null;
    if (m) await m.end().catch(() => undefined);
  }
}

interface TxnItem {
  kind: 'row' | 'ddl';
  op?: 'insert' | 'update' | 'delete';
  schema: string;
  table?: string;
  before?: SourceRow | null;
  after?: SourceRow | null;
  lsn: bigint;
  ordinal: number;
  sql?: string;
}

interface OpenTxn {
  xid: string;
  firstLsn: bigint;
  sendTime: number;
  ordinal: number;
  bytes: number;
  items: TxnItem[];
  /** Too large to buffer: items are passed on as they come. */
  streaming: boolean;
  meta: TransactionMeta | null;
}

/**
 * A decoded tuple → a row. An UPDATE that leaves a TOASTed value unchanged does not carry it
 * (test_decoding: `unchanged-toast-datum`). With REPLICA IDENTITY FULL the old tuple (`old`) holds it
 * and the value is taken from there (the column did not change). Otherwise it is NULL, as AWS DMS
 * emits it: "Most CDC tools assume that if a column is missing in the WAL, it must be NULL. This is
 * true for … AWS DMS" (artie.com, "Why TOAST columns break Postgres CDC"); AWS's workaround for
 * missing old values is REPLICA IDENTITY FULL (CHAP_Source.PostgreSQL). So the column is left out
 * of the record, or `null` with IncludeNullAndEmpty.
 */
function toRow(cols: TdColumn[], old?: SourceRow | null): SourceRow {
  const row: SourceRow = {};
  for (const c of cols) {
    const v = c.value;
    if (v === UNCHANGED_TOAST) {
      row[c.name] = old && c.name in old ? old[c.name]! : null;
      continue;
    }
    row[c.name] = v !== null && c.type === 'bytea' ? byteaValue(v) : v;
  }
  return row;
}

class PgChangeStream implements ChangeStream {
  private repl: ReplicationConnection | null = null;
  private txn: OpenTxn | null = null;
  private errored = false;
  private stopped = false;
  private lastHeartbeat = 0;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private heartbeatClient: pg.Client | null = null;
  private inFlight: Promise<void> = Promise.resolve();
  /** Highest position acknowledged by the consumer / carried by an emitted event. */
  private acked = 0n;
  private lastEmitted = 0n;

  constructor(
    private readonly src: PostgresSource,
    private readonly opts: ChangeStreamOptions,
  ) {}

  async start(): Promise<void> {
    const name = this.src.slotName(this.opts.readerId);
    const from = lsnValue(this.opts.from);
    this.acked = from;
    let s = await this.src.slot(name);
    if (!s && this.src.cfg.slotName) {
      throw new PgPositionUnavailableError(`The replication slot '${name}' named by PostgreSQLSettings SlotName does not exist in database ${this.src.cfg.database}`);
    }
    // A slot still held by a connection that is going away (a killed runner's) is waited for.
    const deadline = Date.now() + ACTIVE_SLOT_WAIT_MS;
    while (s && s.active === 'true' && Date.now() < deadline && !this.stopped) {
      await sleep(500);
      s = await this.src.slot(name);
    }
    (this.src as unknown as { checkSlot(n: string, s: SlotRow | null): void }).checkSlot(name, s);
    if (s!.active === 'true') throw new PgSourceError(`replication slot ${name} is in use by process ${s!.active_pid}`);
    const repl = new ReplicationConnection(this.src.cfg, {
      onData: (m) => this.onData(m.lsn, m.sendTime, m.text),
      onKeepalive: (walEnd) => this.onKeepalive(walEnd),
      onError: (err) => this.fail(err),
    });
    this.repl = repl;
    try {
      await repl.start(name, from, { 'include-xids': 'on', 'include-timestamp': 'on', 'skip-empty-xacts': 'on' });
    } catch (err) {
      this.repl = null;
      const e = err as PgSourceError;
      // 42704: slot dropped between the check and START_REPLICATION; 58P01: WAL segment removed.
      if (e.sqlState === '42704' || e.sqlState === '58P01' || /removed|does not exist/.test(e.message)) throw new PgPositionUnavailableError(e.message);
      throw err;
    }
    if (this.src.cfg.heartbeatEnable) this.startHeartbeat();
  }

  private startHeartbeat(): void {
    const everyMs = Math.max(1, this.src.cfg.heartbeatFrequencyMinutes ?? 5) * 60_000;
    this.heartbeatTimer = setInterval(() => {
      void (async () => {
        try {
          this.heartbeatClient ??= await openClient(this.src.cfg);
          await beat(this.heartbeatClient, this.src.heartbeatSchema());
        } catch {
          // The next beat retries on a new connection; a lost source shows in the stream itself.
          await this.heartbeatClient?.end().catch(() => undefined);
          this.heartbeatClient = null;
        }
      })();
    }, everyMs);
    this.heartbeatTimer.unref();
  }

  acknowledge(position: SourcePosition): void {
    const v = lsnValue(position);
    if (v > this.acked) this.acked = v;
    this.repl?.confirm(v);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await this.repl?.stop();
    await this.inFlight.catch(() => undefined);
    await this.heartbeatClient?.end().catch(() => undefined);
    this.heartbeatClient = null;
  }

  private fail(err: Error): void {
    if (this.errored || this.stopped) return;
    this.errored = true;
    this.opts.onError(err);
  }

  /**
   * Hands one event to the consumer. Returns its promise only when the consumer must be waited for
   * (back-pressure): single-row transactions then cost no promise. `lsn` is the event's position
   * as a number, for commit, DDL and heartbeat events.
   */
  private emit(e: ChangeEvent, lsn = 0n): Promise<void> | void {
    if (this.stopped || this.errored) return;
    if (lsn > this.lastEmitted) this.lastEmitted = lsn;
    const r = this.opts.onEvent(e);
    if (r) {
      this.inFlight = r.then(noop, noop);
      return r;
    }
  }

  /** Emits events in order, waiting where the consumer asks to. */
  private emitAll(events: ChangeEvent[], lsn: bigint, from = 0): Promise<void> | void {
    for (let i = from; i < events.length; i++) {
      const e = events[i]!;
      const r = this.emit(e, e.kind === 'begin' || e.kind === 'rows' ? 0n : lsn);
      if (r) return r.then(() => this.emitAll(events, lsn, i + 1));
    }
  }

  private onKeepalive(walEnd: bigint): Promise<void> | void {
    if (this.txn) return;
    // Idle and everything emitted was acknowledged: nothing lies between the acknowledged position and
    // walEnd but WAL without decodable changes, so the slot may move there (an idle source then holds
    // no WAL, and a server shutdown, which waits for the client to confirm what was sent, completes).
    if (this.acked >= this.lastEmitted) this.repl?.confirm(walEnd);
    const now = Date.now();
    if (now - this.lastHeartbeat < HEARTBEAT_EVENT_MS) return;
    this.lastHeartbeat = now;
    return this.emit({ kind: 'heartbeat', position: formatLsn(walEnd) }, walEnd);
  }

  /** One decoded message; synchronous unless the consumer applies back-pressure or a table must be looked up. */
  private onData(lsn: bigint, sendTime: number, text: string): Promise<void> | void {
    const m = parseTestDecoding(text);
    switch (m.kind) {
      case 'begin':
        this.txn = { xid: m.xid, firstLsn: lsn, sendTime, ordinal: 1, bytes: 0, items: [], streaming: false, meta: null };
        return;
      case 'commit':
        return this.onCommit(lsn, m.time ? pgTimestampToEpoch(m.time) : sendTime);
      case 'change':
        break;
      default:
        return; // TRUNCATE is not captured (AWS: "TRUNCATE is not captured"); logical messages ignored
    }
    const t = this.txn;
    if (!t) return;
    t.ordinal++;
    if (m.table === DDL_AUDIT_TABLE && m.schema === this.src.ddlSchema()) {
      if (m.op === 'insert' && m.newTuple && (this.src.cfg.captureDdls ?? true)) {
        const row = toRow(m.newTuple);
        this.src.forgetTables();
        return this.push(t, { kind: 'ddl', schema: String(row.c_schema ?? ''), sql: String(row.c_ddlqry ?? ''), lsn, ordinal: t.ordinal }, text.length);
      }
      return;
    }
    if (m.table === HEARTBEAT_TABLE && m.schema === this.src.heartbeatSchema()) return;
    if (this.opts.includeTable && !this.opts.includeTable(m.schema, m.table)) return;
    if (m.op === 'insert') {
      if (!m.newTuple) return;
      return this.push(t, { kind: 'row', op: m.op, schema: m.schema, table: m.table, before: null, after: toRow(m.newTuple), lsn, ordinal: t.ordinal }, text.length);
    }
    const def = this.opts.tableDef?.(m.schema, m.table) ?? null;
    if (def) return this.onUpdateOrDelete(t, m, def.primaryKey.length > 0, lsn, text.length);
    return this.src.hasPrimaryKey(m.schema, m.table).then((hasKey) => this.onUpdateOrDelete(t, m, hasKey, lsn, text.length));
  }

  private onUpdateOrDelete(t: OpenTxn, m: TdChange, hasKey: boolean, lsn: bigint, bytes: number): Promise<void> | void {
    // "AWS DMS ignores DELETE and UPDATE record operations" of a table without a primary key,
    // unless REPLICA IDENTITY FULL gives the old row (then old-key holds every column).
    if (!hasKey && !m.oldKey) return;
    let before: SourceRow | null;
    let after: SourceRow | null = null;
    if (m.op === 'update') {
      if (!m.newTuple) return;
      // Only the key's old values exist (when the key changed): AWS's before-image is then that, else {}.
      before = m.oldKey ? toRow(m.oldKey) : {};
      after = toRow(m.newTuple, m.oldKey ? before : null);
    } else {
      if (!m.oldKey) return;
      before = toRow(m.oldKey);
    }
    return this.push(t, { kind: 'row', op: m.op, schema: m.schema, table: m.table, before, after, lsn, ordinal: t.ordinal }, bytes);
  }

  private push(t: OpenTxn, item: TxnItem, bytes: number): Promise<void> | void {
    t.bytes += bytes;
    if (t.streaming) return this.emitAll(this.itemEvents(t, [item], formatLsn(t.firstLsn)), t.firstLsn);
    t.items.push(item);
    if (t.bytes > TXN_BUFFER_BYTES) {
      // Too large to hold: pass it on now, with the BEGIN's time and LSN standing in for the commit's.
      t.streaming = true;
      t.meta = { transactionId: t.xid, commitTimestamp: t.sendTime };
      const position = formatLsn(t.firstLsn);
      const events: ChangeEvent[] = [{ kind: 'begin', position, transaction: t.meta }];
      const items = t.items;
      t.items = [];
      return this.emitAll(this.itemEvents(t, items, position, events), t.firstLsn);
    }
  }

  private onCommit(commitEnd: bigint, commitTime: number): Promise<void> | void {
    const t = this.txn;
    this.txn = null;
    if (!t) return;
    const position = formatLsn(commitEnd);
    const events: ChangeEvent[] = [];
    if (!t.streaming && t.items.length > 0) {
      t.meta = { transactionId: t.xid, commitTimestamp: commitTime };
      events.push({ kind: 'begin', position: formatLsn(t.firstLsn), transaction: t.meta });
      this.itemEvents(t, t.items, position, events);
    }
    // A transaction without tracked changes still moves the checkpoint (and so the slot).
    events.push({ kind: 'commit', position, transaction: t.meta ?? { transactionId: t.xid, commitTimestamp: commitTime }, timestamp: commitTime });
    return this.emitAll(events, commitEnd);
  }

  /** Rows in runs of one table and operation, appended to `out`; `position` is the transaction's commit LSN (its end). */
  private itemEvents(t: OpenTxn, items: TxnItem[], position: SourcePosition, out: ChangeEvent[] = []): ChangeEvent[] {
    const meta = t.meta!;
    let i = 0;
    while (i < items.length) {
      const it = items[i]!;
      if (it.kind === 'ddl') {
        out.push({ kind: 'ddl', schema: it.schema, sql: it.sql!, position, timestamp: meta.commitTimestamp });
        i++;
        continue;
      }
      let j = i + 1;
      while (GROUP_ROWS && j < items.length && items[j]!.kind === 'row' && items[j]!.op === it.op && items[j]!.table === it.table && items[j]!.schema === it.schema) j++;
      out.push(rowsEvent(it, i === 0 && j === items.length ? items : items.slice(i, j), t.firstLsn, position, meta));
      i = j;
    }
    return out;
  }
}

type TdChange = Extract<TdMessage, { kind: 'change' }>;

function noop(): void {}

/** The contract's rows event for a run of rows (one table, one operation). */
function rowsEvent(first: TxnItem, run: TxnItem[], firstLsn: bigint, position: SourcePosition, meta: TransactionMeta): ChangeEvent {
  const rows = new Array<{ before: SourceRow | null; after: SourceRow | null }>(run.length);
  for (let i = 0; i < run.length; i++) rows[i] = { before: run[i]!.before ?? null, after: run[i]!.after ?? null };
  return {
    kind: 'rows',
    op: first.op!,
    schema: first.schema,
    table: first.table!,
    rows,
    position,
    // Formatted only when asked for (records carry it only with IncludeTransactionDetails).
    streamPosition: (i) => {
      const r = run[i] ?? run[0]!;
      return pgStreamPosition(firstLsn, r.ordinal, r.lsn);
    },
    transaction: meta,
    timestamp: meta.commitTimestamp,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
