import { Fifo } from '../fifo.js';
import { InvalidPartitionKeyError, RecordTooLargeError } from '../sink/kinesis/errors.js';
import type { KinesisRecord } from '../sink/kinesis/sink.js';
import type { SourcePosition, SourcePositions } from '../source/contract.js';

// The checkpoint ledger (Debezium's offset context): owns the records in flight, their
// acknowledgements, the safe position at transaction boundaries and the recovery checkpoint.
// A boundary becomes the checkpoint only once every record written before it is acknowledged,
// whatever order the acknowledgements arrive in; a failed write stops the checkpoint before it for
// good (the run replays from there: at-least-once).
//
// With `gather`, everything written during one synchronous run (the binlog reader delivers
// events back to back, yielding between turns) goes to the sink as one call and is one entry: its
// records are acknowledged together, so its last boundary becomes the checkpoint once the call and
// every entry before it are acknowledged. One sink call, promise and checkpoint per turn instead of
// per single-row transaction; ordering and at-least-once are those of the entries.

/** Operation counts per table (schema\0table), added to Applied* once acknowledged. */
export type AppliedCounts = Map<string, { inserts: number; updates: number; deletes: number; ddls: number }>;

export interface LedgerSink {
  /** Resolves once every record of the call is acknowledged by the target. */
  write(records: KinesisRecord[]): Promise<void>;
}

export interface Checkpoint {
  /** Where to resume: everything before it is in the target. */
  position: SourcePosition;
  /** Increases with each checkpoint, across runs. */
  seq: number;
  /** RecoveryCheckpoint in AWS's format (accepted back as CdcStartPosition). */
  recovery: string;
}

export interface CheckpointLedgerOptions {
  sink: LedgerSink;
  positions: SourcePositions;
  /** Sequence number of the last checkpoint of an earlier run (0 at a fresh start). */
  seq?: number;
  /** Each new checkpoint, in order. */
  onCheckpoint?: (c: Checkpoint) => void;
  /** Counts of a transaction or DDL once it is acknowledged. */
  onApplied?: (applied: AppliedCounts) => void;
  /** Records the target refused for good (too large, bad partition key): reported, then treated as delivered. */
  onRefused?: (e: RecordTooLargeError | InvalidPartitionKeyError) => void;
  /** Gathers what is written in one turn of the event loop into one sink call (see the header). */
  gather?: boolean;
}

interface Entry {
  promise: Promise<void>;
  settled: boolean;
  error?: unknown;
  records: number;
  applied?: AppliedCounts;
  boundary?: { position: SourcePosition; transactionId?: string };
}

/** A gathered entry not yet handed to the sink (gather mode). */
interface OpenBatch extends Entry {
  list: KinesisRecord[];
  done: () => void;
}

export class CheckpointLedger {
  private readonly entries = new Fifo<Entry>();
  private readonly o: CheckpointLedgerOptions;
  private seq: number;
  private current: Checkpoint | null = null;
  private open: SourcePosition | null = null;
  private batch: OpenBatch | null = null;
  /** Records written and not yet acknowledged. */
  unacked = 0;
  /** The first failed write: nothing after it is checkpointed. */
  failure: unknown = undefined;

  constructor(o: CheckpointLedgerOptions) {
    this.o = o;
    this.seq = o.seq ?? 0;
  }

  /** The last checkpoint (null until the first boundary is acknowledged). */
  get checkpoint(): Checkpoint | null {
    return this.current;
  }

  /** The position of the transaction being written, if one is open. */
  get openTransaction(): SourcePosition | null {
    return this.open;
  }

  /** A transaction starts at `position`: no boundary until it commits. */
  begin(position: SourcePosition): void {
    this.open = position;
  }

  /** Sends records; the promise settles with their acknowledgement (refusals settle it too). */
  write(records: KinesisRecord[], applied?: AppliedCounts): Promise<void> {
    return this.push(records, applied ? { applied } : {});
  }

  /** The open transaction committed at `position` (the resume point after it). */
  commit(position: SourcePosition, transactionId: string | undefined, applied?: AppliedCounts): Promise<void> {
    this.open = null;
    return this.push([], { boundary: { position, transactionId }, ...(applied ? { applied } : {}) });
  }

  /**
   * A safe position outside any transaction (a start, a DDL, a heartbeat): ignored while a
   * transaction is open. `records` (control records of a DDL) go out first.
   */
  boundary(position: SourcePosition, records: KinesisRecord[] = [], applied?: AppliedCounts): Promise<void> {
    if (this.open !== null) return this.records(records, applied);
    return this.push(records, { boundary: { position }, ...(applied ? { applied } : {}) });
  }

  /** A reconnect: the open transaction will be read again from its start. */
  abandonTransaction(): void {
    this.open = null;
  }

  /** Waits until at most `max` records are unacknowledged (or a write failed). */
  async waitBelow(max: number): Promise<void> {
    while (this.unacked > max && this.entries.size > 0 && this.failure === undefined) {
      await this.entries.peek()!.promise;
      this.drain();
    }
  }

  /** Waits for every write so far to settle. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.entries.toArray().map((e) => e.promise));
    this.drain();
  }

  private records(records: KinesisRecord[], applied?: AppliedCounts): Promise<void> {
    return records.length || applied ? this.push(records, applied ? { applied } : {}) : Promise.resolve();
  }

  private push(records: KinesisRecord[], extra: Pick<Entry, 'applied' | 'boundary'>): Promise<void> {
    if (this.o.gather) return this.gathered(records, extra);
    // A boundary without records rides on the records still in flight (one entry per commit would
    // double the bookkeeping of single-row transactions).
    const tail = this.entries.last();
    if (records.length === 0 && tail && !tail.settled && !tail.boundary && !tail.applied) {
      Object.assign(tail, extra);
      return tail.promise;
    }
    const entry: Entry = { promise: Promise.resolve(), settled: false, records: records.length, ...extra };
    entry.promise = this.settleOn(entry, records.length ? this.o.sink.write(records) : Promise.resolve());
    this.entries.push(entry);
    this.unacked += records.length;
    return entry.promise;
  }

  /** Adds to the current batch (opened, and its sending queued as a microtask, by the first write of a synchronous run). */
  private gathered(records: KinesisRecord[], extra: Pick<Entry, 'applied' | 'boundary'>): Promise<void> {
    let b = this.batch;
    if (!b) {
      let done!: () => void;
      const promise = new Promise<void>((resolve) => { done = resolve; });
      b = this.batch = { promise, done, settled: false, records: 0, list: [] };
      this.entries.push(b);
      queueMicrotask(this.send);
    }
    for (let i = 0; i < records.length; i++) b.list.push(records[i]!);
    b.records += records.length;
    this.unacked += records.length;
    // The latest boundary wins: every record before it is in this batch or an earlier entry.
    if (extra.boundary) b.boundary = extra.boundary;
    if (extra.applied) b.applied = mergeCounts(b.applied, extra.applied);
    return b.promise;
  }

  /** Hands the turn's batch to the sink; it settles with the acknowledgement of all its records. */
  private readonly send = (): void => {
    const b = this.batch;
    if (!b) return;
    this.batch = null;
    if (b.list.length === 0) return this.acknowledged(b);
    void this.settleOn(b, this.o.sink.write(b.list));
  };

  /**
   * The entry settles when its write does: refused records are reported and skipped, any other error
   * stops the checkpoint before the entry. Inline callbacks, not named closures: under tsx/esbuild's
   * keepNames each named closure costs a defineProperty per entry (2 µs an event in bench:cdc-engine's
   * profile).
   */
  private settleOn(entry: Entry | OpenBatch, write: Promise<void>): Promise<void> {
    return write.then(
      () => this.acknowledged(entry),
      (e: unknown) => {
        if (e instanceof RecordTooLargeError || e instanceof InvalidPartitionKeyError) this.o.onRefused?.(e);
        else entry.error = e;
        this.acknowledged(entry);
      },
    );
  }

  /** An entry's records are all acknowledged (or refused): the checkpoint moves past what it can. */
  private acknowledged(entry: Entry | OpenBatch): void {
    entry.settled = true;
    this.drain();
    if ('done' in entry) entry.done();
  }

  /** Moves the checkpoint past every acknowledged entry at the head. */
  private drain(): void {
    while (this.entries.size > 0 && this.entries.peek()!.settled) {
      const head = this.entries.shift()!;
      this.unacked -= head.records;
      if (head.error !== undefined || this.failure !== undefined) {
        this.failure ??= head.error;
        continue;
      }
      if (head.applied) this.o.onApplied?.(head.applied);
      const b = head.boundary;
      if (b && (!this.current || this.o.positions.compare(b.position, this.current.position) >= 0)) {
        this.seq++;
        this.current = { position: b.position, seq: this.seq, recovery: this.o.positions.formatCheckpoint(b.position, this.seq, b.transactionId) };
        this.o.onCheckpoint?.(this.current);
      }
    }
  }
}

/** `add` summed into `into` (a new map when there is none yet; `add` is left as it is). */
function mergeCounts(into: AppliedCounts | undefined, add: AppliedCounts): AppliedCounts {
  const out = into ?? new Map();
  for (const [key, c] of add) {
    const t = out.get(key);
    if (t) {
      t.inserts += c.inserts;
      t.updates += c.updates;
      t.deletes += c.deletes;
      t.ddls += c.ddls;
    } else {
      out.set(key, { ...c });
    }
  }
  return out;
}
