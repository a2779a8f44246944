// The streaming replication protocol of a logical slot, over pg's own connection (replication=database):
// START_REPLICATION, XLogData / keepalive messages in, standby status updates out. Nothing is
// confirmed to the server except what the caller acknowledged (`confirm`).
import pg from 'pg';
import { clientConfig, wrapPgError, type PgEndpointConfig } from './connection.js';
import { Fifo } from '../../fifo.js';
import { pgLsnText } from './lsn.js';
import { DECODE_SLICE_MS, TimeSlicer } from '../time-slice.js';

// Microseconds / seconds between the Unix and PostgreSQL (2000-01-01) epochs.
const PG_EPOCH_US = 946_684_800_000_000n;
const PG_EPOCH_S = 946_684_800;

export interface XLogData {
  /** dataStart of the message: the LSN test_decoding attached to it (BEGIN: first, change: its own, COMMIT: end). */
  lsn: bigint;
  walEnd: bigint;
  /** Server clock when sent, epoch seconds. */
  sendTime: number;
  /** test_decoding's text of the message. */
  text: string;
}

interface Keepalive {
  walEnd: bigint;
  sendTime: number;
  replyRequested: boolean;
}

/** A message read from the stream, waiting for its handler. */
type Incoming = { data: XLogData; keepalive: null } | { data: null; keepalive: Keepalive };

export interface ReplicationHandlers {
  /** Returns a promise only when the stream must wait (back-pressure, a lookup): no promise per message. */
  onData(m: XLogData): Promise<void> | void;
  onKeepalive(walEnd: bigint, sendTime: number): Promise<void> | void;
  onError(err: Error): void;
}

/** Messages queued before the socket is paused (each is one decoded change at most). */
const HIGH_WATER = 2000;
/** Interval of unsolicited standby status updates (PostgreSQL's wal_receiver_status_interval default). */
const STATUS_INTERVAL_MS = 10_000;

export class ReplicationConnection {
  private client: pg.Client | null = null;
  private queue = new Fifo<Incoming>();
  /**
   * Synchronous decoding before the drain lets the event loop run (see time-slice.ts): CDC applies
   * through one PutRecords call at a time, and its answer must not wait behind a decoded backlog.
   */
  private readonly slicer = new TimeSlicer({ budgetMs: DECODE_SLICE_MS });
  private draining = false;
  private paused = false;
  private stopped = false;
  private confirmed = 0n;
  private statusTimer: NodeJS.Timeout | null = null;
  private failed = false;
  private idle: Promise<void> = Promise.resolve();
  private idleResolve: (() => void) | null = null;

  constructor(
    private readonly cfg: PgEndpointConfig,
    private readonly handlers: ReplicationHandlers,
  ) {}

  /** Connects and starts streaming the slot from `from` with test_decoding's options; resolves once the server streams. */
  async start(slot: string, from: bigint, pluginOptions: Record<string, string>): Promise<void> {
    const c = new pg.Client(clientConfig(this.cfg, { replication: true }));
    this.client = c;
    c.on('error', (e) => this.fail(wrapPgError(e, 'replication connection lost')));
    try {
      await c.connect();
    } catch (err) {
      this.client = null;
      throw wrapPgError(err, `cannot open a replication connection to ${this.cfg.host}:${this.cfg.port}`);
    }
    const con = (c as unknown as { connection: PgConnection }).connection;
    const opts = Object.entries(pluginOptions).map(([k, v]) => `"${k}" '${v}'`).join(', ');
    const sql = `START_REPLICATION SLOT "${slot.replace(/"/g, '""')}" LOGICAL ${pgLsnText(from)}${opts ? ` (${opts})` : ''}`;
    this.confirmed = from;
    await new Promise<void>((resolve, reject) => {
      let started = false;
      con.once('replicationStart', () => {
        started = true;
        resolve();
      });
      // The chunk is a view of pg's read buffer, which the next socket read overwrites: it is read
      // now (a queued view would decode garbage once the consumer is slow).
      con.on('copyData', (msg: { chunk: Buffer }) => this.enqueue(msg.chunk));
      // The query's promise settles only when the stream ends (error, server shutdown, stop()).
      c.query(sql).then(
        () => {
          if (!started) reject(new Error('replication ended before it started'));
          else if (!this.stopped) this.fail(new Error('the server ended the replication stream'));
        },
        (err: unknown) => {
          const e = wrapPgError(err, `replication from slot ${slot}`);
          if (!started) reject(e);
          else if (!this.stopped) this.fail(e);
        },
      );
    });
    this.statusTimer = setInterval(() => this.sendStatus(false), STATUS_INTERVAL_MS);
    this.statusTimer.unref();
  }

  /** Everything up to `lsn` is safely processed: the slot's confirmed_flush_lsn may move there. */
  confirm(lsn: bigint): void {
    if (lsn <= this.confirmed) return;
    this.confirmed = lsn;
    this.sendStatus(false);
  }

  private enqueue(chunk: Buffer): void {
    if (this.stopped || this.failed) return;
    const tag = chunk[0];
    if (tag === 0x77 /* w: XLogData */) {
      this.queue.push({ data: { lsn: chunk.readBigUInt64BE(1), walEnd: chunk.readBigUInt64BE(9), sendTime: pgTime(chunk, 17), text: chunk.toString('utf8', 25) }, keepalive: null });
    } else if (tag === 0x6b /* k: keepalive */) {
      this.queue.push({ data: null, keepalive: { walEnd: chunk.readBigUInt64BE(1), sendTime: pgTime(chunk, 9), replyRequested: chunk[17] === 1 } });
    } else return;
    if (this.queue.size >= HIGH_WATER && !this.paused) {
      this.paused = true;
      this.stream()?.pause();
    }
    if (!this.draining) {
      // Started once pg has parsed the whole socket read: the drain's slice then covers all of it.
      this.draining = true;
      this.idle = new Promise((r) => (this.idleResolve = r));
      queueMicrotask(() => void this.drain());
    }
  }

  private stream(): { pause(): void; resume(): void } | undefined {
    return (this.client as unknown as { connection?: { stream?: { pause(): void; resume(): void } } })?.connection?.stream;
  }

  /** Hands queued messages to the handlers in order, one at a time, pausing at the end of each time slice. */
  private async drain(): Promise<void> {
    const slicer = this.slicer;
    slicer.restart();
    try {
      while (this.queue.size > 0 && !this.stopped && !this.failed) {
        if (slicer.expired()) {
          await slicer.pause();
          continue;
        }
        const m = this.queue.shift()!;
        let wait: Promise<void> | void;
        if (m.data) wait = this.handlers.onData(m.data);
        else {
          if (m.keepalive.replyRequested) this.sendStatus(false);
          wait = this.handlers.onKeepalive(m.keepalive.walEnd, m.keepalive.sendTime);
        }
        if (wait) await wait;
        if (this.paused && this.queue.size < HIGH_WATER / 4) {
          this.paused = false;
          this.stream()?.resume();
        }
      }
    } catch (err) {
      this.fail(err as Error);
    } finally {
      this.draining = false;
      this.idleResolve?.();
    }
  }

  private sendStatus(replyRequested: boolean): void {
    const con = (this.client as unknown as { connection?: PgConnection })?.connection;
    if (!con || this.stopped) return;
    const b = Buffer.alloc(34);
    b[0] = 0x72; // r
    b.writeBigUInt64BE(this.confirmed, 1); // written
    b.writeBigUInt64BE(this.confirmed, 9); // flushed: what the slot may release
    b.writeBigUInt64BE(this.confirmed, 17); // applied
    b.writeBigInt64BE(BigInt(Date.now()) * 1000n - PG_EPOCH_US, 25);
    b[33] = replyRequested ? 1 : 0;
    try {
      con.sendCopyFromChunk(b);
    } catch {
      /* the connection is going away; its error is reported elsewhere */
    }
  }

  private fail(err: Error): void {
    if (this.failed || this.stopped) return;
    this.failed = true;
    this.handlers.onError(err);
  }

  /** Stops streaming; resolves once no handler call is in flight. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.sendStatus(false);
    this.stopped = true;
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.queue.clear();
    await this.idle;
    const c = this.client;
    this.client = null;
    if (c) {
      // Ending a COPY BOTH stream cleanly needs CopyDone; closing the socket is enough for the server.
      const con = (c as unknown as { connection?: PgConnection }).connection;
      con?.stream?.destroy?.();
      await c.end().catch(() => undefined);
    }
  }
}

interface PgConnection {
  once(event: string, fn: (...a: any[]) => void): void;
  on(event: string, fn: (...a: any[]) => void): void;
  sendCopyFromChunk(b: Buffer): void;
  stream?: { pause(): void; resume(): void; destroy?(): void };
}

/** A protocol timestamp (int64 microseconds since 2000-01-01) at `offset` → epoch seconds. */
function pgTime(buf: Buffer, offset: number): number {
  // Two 32-bit halves: as exact as the bigint it replaces once it is a double, without allocating.
  const us = buf.readInt32BE(offset) * 4294967296 + buf.readUInt32BE(offset + 4);
  return us / 1e6 + PG_EPOCH_S;
}
