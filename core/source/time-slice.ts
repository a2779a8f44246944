// Time slices for long synchronous work on the event loop (a source decoding a backlog of change
// log: PostgreSQL replication messages, MySQL binlog packets). After `budgetMs` of work without a turn of the event loop the worker pauses until the
// I/O callbacks that arrived meanwhile have run: a PutRecords answer is then handled at once, and
// the sink's single CDC lane does not sit idle while a backlog is being decoded.

/** The slice both sources use: short enough that a PutRecords answer waits at most this long. */
export const DECODE_SLICE_MS = 2;

export interface TimeSliceOptions {
  /** Synchronous work allowed before pausing. */
  budgetMs: number;
  /** Test hooks. */
  now?: () => number;
  /** Resolves once pending I/O callbacks had their turn (default: after the next poll phase). */
  pause?: () => Promise<void>;
}

/**
 * One setImmediate is not enough: work running in an I/O callback's turn (the poll phase) gets its
 * immediate in the same iteration, before the loop polls again. An immediate queued by an immediate
 * runs in the next iteration, after its poll phase has read the sockets.
 */
export const afterPoll = (): Promise<void> => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

export class TimeSlicer {
  private readonly budget: number;
  private readonly now: () => number;
  private readonly pauseFn: () => Promise<void>;
  private started: number;

  constructor(o: TimeSliceOptions) {
    this.budget = o.budgetMs;
    this.now = o.now ?? (() => performance.now());
    this.pauseFn = o.pause ?? afterPoll;
    this.started = this.now();
  }

  /** A new slice starts (the worker was entered from the event loop). */
  restart(): void {
    this.started = this.now();
  }

  /** Whether the current slice used up its budget. */
  expired(): boolean {
    return this.now() - this.started >= this.budget;
  }

  /** Lets the event loop run pending I/O, then starts a new slice. */
  async pause(): Promise<void> {
    await this.pauseFn();
    this.started = this.now();
  }
}
