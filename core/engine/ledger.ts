import { Fifo } from '../fifo.js';
import { InvalidPartitionKeyError, RecordTooLargeError } from '../sink/kinesis/errors.js';
import type { KinesisRecord } from '../sink/kinesis/sink.js';
import type { SourcePosition, SourcePositions } from '../source/contract.js';

// The checkpoint ledger (Debezium's offset context): owns the records in flight, their
// acknowledgements, the safe position at transaction boundaries and the recovery checkpoint.
// A boundary becomes the checkpoint only once every record written before it is acknowledged,
// whatever order the acknowledgements arrive in; a failed write stops the checkpoint before it for
// good (the run replays from there: at-least-once).

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
}

interface Entry {
  promise: Promise<void>;
  settled: boolean;
  error?: unknown;
  records: number;
  applied?: AppliedCounts;
  boundary?: { position: SourcePosition; transactionId?: string };
}

export class CheckpointLedger {
  private readonly entries = new Fifo<Entry>();
  private readonly o: CheckpointLedgerOptions;
  private seq: number;
  private current: Checkpoint | null = null;
  private open: SourcePosition | null = null;
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
    // A boundary without records rides on the records still in flight (one entry per commit would
    // double the bookkeeping of single-row transactions).
    const tail = this.entries.last();
    if (records.length === 0 && tail && !tail.settled && !tail.boundary && !tail.applied) {
      Object.assign(tail, extra);
      return tail.promise;
    }
    const entry: Entry = { promise: Promise.resolve(), settled: false, records: records.length, ...extra };
    const settle = () => {
      entry.settled = true;
      this.drain();
    };
    entry.promise = (records.length ? this.o.sink.write(records) : Promise.resolve()).then(settle, (e: unknown) => {
      if (e instanceof RecordTooLargeError || e instanceof InvalidPartitionKeyError) this.o.onRefused?.(e);
      else entry.error = e;
      settle();
    });
    this.entries.push(entry);
    this.unacked += records.length;
    return entry.promise;
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
