// Task metrics computed from what the runner sees, under AWS DMS's CloudWatch names
// (https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Monitoring.html#CHAP_Monitoring.Metrics.Task):
// CDCLatencySource (s): source commit → change read by the task;
// CDCLatencyTarget (s): source commit → change acknowledged by the target (or, while changes wait,
//   the oldest waiting one's age), as AWS defines it: "the first event timestamp waiting to commit";
// CDCIncomingChanges: changes read but not yet acknowledged by the target;
// CDCThroughputRowsSource/Target, FullLoadThroughputRowsTarget: rows per second.
// The engine calls three counters (one call per source rows event or per acknowledged write, never
// per row); the runner calls `sample` on its heartbeat, which folds them into fixed-interval points.

export const METRIC_NAMES = [
  'CDCLatencySource',
  'CDCLatencyTarget',
  'CDCIncomingChanges',
  'CDCThroughputRowsSource',
  'CDCThroughputRowsTarget',
  'FullLoadThroughputRowsTarget',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** One point: epoch seconds at its end, then the metrics in METRIC_NAMES order (compact for storage). */
export type MetricPoint = [t: number, ...values: number[]];

/** What is stored with the task's progress and shown by the console and `dmslite watch`. */
export interface TaskMetricsDoc {
  /** Seconds each point covers. */
  interval: number;
  /** Oldest first; at most `keep` points. */
  points: MetricPoint[];
}

export const METRIC_UNITS: Record<MetricName, 'Seconds' | 'Count' | 'Count/Second'> = {
  CDCLatencySource: 'Seconds',
  CDCLatencyTarget: 'Seconds',
  CDCIncomingChanges: 'Count',
  CDCThroughputRowsSource: 'Count/Second',
  CDCThroughputRowsTarget: 'Count/Second',
  FullLoadThroughputRowsTarget: 'Count/Second',
};

/** A point as named values. */
export function pointValues(p: MetricPoint): { t: number } & Record<MetricName, number> {
  const out = { t: p[0] } as { t: number } & Record<MetricName, number>;
  METRIC_NAMES.forEach((n, i) => (out[n] = p[i + 1] ?? 0));
  return out;
}

export interface TaskMetricsOptions {
  /** Seconds per point (default 5). */
  interval?: number;
  /** Points kept (default 120: ten minutes at 5 s). */
  keep?: number;
  /** Epoch seconds (default the wall clock). */
  now?: () => number;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export class TaskMetrics {
  private readonly interval: number;
  private readonly keep: number;
  private readonly now: () => number;
  private captured = 0;
  private applied = 0;
  private loaded = 0;
  /** Commit time of the changes read, one entry per distinct commit second: {first change's index, ts}. */
  private readonly pending: { start: number; ts: number }[] = [];
  private pendingHead = 0;
  private maxSourceLatency = 0;
  private maxTargetLatency = 0;
  private windowStart: number;
  private windowCounts = { captured: 0, applied: 0, loaded: 0 };
  private points: MetricPoint[];

  constructor(opts: TaskMetricsOptions = {}, previous?: TaskMetricsDoc) {
    this.interval = opts.interval ?? 5;
    this.keep = opts.keep ?? 120;
    this.now = opts.now ?? (() => Date.now() / 1000);
    this.windowStart = this.now();
    // A resumed run keeps the chart of the previous one.
    this.points = previous?.interval === this.interval ? previous.points.slice(-this.keep) : [];
  }

  /** CDC: `rows` changes committed at `commitTs` (epoch seconds) were read from the source. */
  capturedChanges(rows: number, commitTs: number): void {
    if (rows <= 0) return;
    const last = this.pending[this.pending.length - 1];
    if (this.pending.length === this.pendingHead || last!.ts !== commitTs) this.pending.push({ start: this.captured, ts: commitTs });
    this.captured += rows;
    const lag = this.now() - commitTs;
    if (lag > this.maxSourceLatency) this.maxSourceLatency = lag;
  }

  /** CDC: the target acknowledged the next `rows` changes (in the order they were read). */
  appliedChanges(rows: number): void {
    if (rows <= 0) return;
    this.applied += rows;
    // The last acknowledged change's commit time: the entry covering index applied - 1.
    let ts: number | undefined;
    while (this.pendingHead < this.pending.length && this.pending[this.pendingHead].start < this.applied) {
      ts = this.pending[this.pendingHead].ts;
      const next = this.pending[this.pendingHead + 1];
      if (next && next.start < this.applied) this.pendingHead++;
      else break;
    }
    if (ts !== undefined) {
      const lag = this.now() - ts;
      if (lag > this.maxTargetLatency) this.maxTargetLatency = lag;
    }
    if (this.pendingHead > 1024) {
      this.pending.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
  }

  /** CDC replays from its checkpoint (source reconnect): what was read and not acknowledged is read again. */
  forgetUnacknowledged(): void {
    this.captured = this.applied;
    this.pending.length = 0;
    this.pendingHead = 0;
  }

  /** Full load: the target acknowledged `rows` loaded rows. */
  loadedRows(rows: number): void {
    this.loaded += rows;
  }

  /** Changes read and not yet acknowledged. */
  get incoming(): number {
    return this.captured - this.applied;
  }

  /**
   * Closes the current interval when its time has come; returns the new point (or null).
   * Called on the runner's heartbeat.
   */
  sample(): MetricPoint | null {
    const now = this.now();
    if (now - this.windowStart < this.interval) return null;
    const dt = now - this.windowStart;
    const captured = this.captured - this.windowCounts.captured;
    const applied = this.applied - this.windowCounts.applied;
    const loaded = this.loaded - this.windowCounts.loaded;
    let targetLatency = this.maxTargetLatency;
    if (this.incoming > 0) {
      // Changes still wait: the oldest one's age counts too.
      const oldest = this.oldestWaiting();
      if (oldest !== undefined) targetLatency = Math.max(targetLatency, now - oldest);
    }
    const point: MetricPoint = [
      round(now, 3),
      round(Math.max(0, captured > 0 ? this.maxSourceLatency : 0), 3),
      round(Math.max(0, targetLatency), 3),
      this.incoming,
      round(captured / dt, 2),
      round(applied / dt, 2),
      round(loaded / dt, 2),
    ];
    this.points.push(point);
    if (this.points.length > this.keep) this.points.splice(0, this.points.length - this.keep);
    this.windowStart = now;
    this.windowCounts = { captured: this.captured, applied: this.applied, loaded: this.loaded };
    this.maxSourceLatency = 0;
    this.maxTargetLatency = 0;
    return point;
  }

  private oldestWaiting(): number | undefined {
    for (let i = this.pendingHead; i < this.pending.length; i++) {
      const next = this.pending[i + 1];
      if (!next || next.start > this.applied) return this.pending[i].ts;
    }
    return undefined;
  }

  doc(): TaskMetricsDoc {
    return { interval: this.interval, points: this.points };
  }
}
