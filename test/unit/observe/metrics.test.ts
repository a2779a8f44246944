import { describe, expect, it } from 'vitest';
import { metricData } from '../../../core/observe/cloudwatch-metrics.js';
import { TaskMetrics, pointValues } from '../../../core/observe/metrics.js';

function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (s: number) => (t += s) };
}

describe('TaskMetrics', () => {
  it('gives no point before its interval has passed', () => {
    const c = clock();
    const m = new TaskMetrics({ now: c.now, interval: 5 });
    c.advance(4.9);
    expect(m.sample()).toBeNull();
    c.advance(0.1);
    expect(m.sample()).not.toBeNull();
  });

  it('computes throughput per second from the counters of the interval', () => {
    const c = clock();
    const m = new TaskMetrics({ now: c.now, interval: 5 });
    m.loadedRows(400);
    m.loadedRows(100);
    m.capturedChanges(30, 1_000);
    m.capturedChanges(20, 1_001);
    m.appliedChanges(40);
    c.advance(5);
    const p = pointValues(m.sample()!);
    expect(p.FullLoadThroughputRowsTarget).toBe(100);
    expect(p.CDCThroughputRowsSource).toBe(10);
    expect(p.CDCThroughputRowsTarget).toBe(8);
    expect(p.CDCIncomingChanges).toBe(10);
    // The next interval starts from zero.
    c.advance(5);
    const q = pointValues(m.sample()!);
    expect(q.FullLoadThroughputRowsTarget).toBe(0);
    expect(q.CDCThroughputRowsSource).toBe(0);
  });

  it('source latency is commit → read; target latency commit → acknowledgement, or the oldest waiting change', () => {
    const c = clock(2_000);
    const m = new TaskMetrics({ now: c.now, interval: 5 });
    // Committed at 1999, read at 2000.5: 1.5 s behind the source.
    c.advance(0.5);
    m.capturedChanges(10, 1_999);
    c.advance(1);
    m.capturedChanges(5, 2_001);
    // The first 10 acknowledged at 2002: 3 s after their commit.
    c.advance(0.5);
    m.appliedChanges(10);
    c.advance(3);
    let p = pointValues(m.sample()!);
    expect(p.CDCLatencySource).toBe(1.5);
    // The 5 changes of 2001 still wait at 2005: 4 s.
    expect(p.CDCLatencyTarget).toBe(4);
    expect(p.CDCIncomingChanges).toBe(5);
    // Acknowledged at 2006: 5 s; nothing read in this interval, so no source latency.
    c.advance(1);
    m.appliedChanges(5);
    c.advance(4);
    p = pointValues(m.sample()!);
    expect(p.CDCLatencySource).toBe(0);
    expect(p.CDCLatencyTarget).toBe(5);
    expect(p.CDCIncomingChanges).toBe(0);
    // Idle: both latencies are 0.
    c.advance(5);
    p = pointValues(m.sample()!);
    expect([p.CDCLatencySource, p.CDCLatencyTarget, p.CDCIncomingChanges]).toEqual([0, 0, 0]);
  });

  it('a replay from the checkpoint forgets the unacknowledged backlog', () => {
    const c = clock();
    const m = new TaskMetrics({ now: c.now, interval: 1 });
    m.capturedChanges(7, 1_000);
    m.appliedChanges(2);
    m.forgetUnacknowledged();
    expect(m.incoming).toBe(0);
    m.capturedChanges(5, 1_000);
    m.appliedChanges(5);
    expect(m.incoming).toBe(0);
  });

  it('keeps the last points only, and those of a previous run when resumed', () => {
    const c = clock();
    const m = new TaskMetrics({ now: c.now, interval: 1, keep: 3 });
    for (let i = 0; i < 5; i++) {
      c.advance(1);
      m.sample();
    }
    expect(m.doc().points.map((p) => p[0])).toEqual([1_003, 1_004, 1_005]);
    const resumed = new TaskMetrics({ now: c.now, interval: 1, keep: 3 }, m.doc());
    c.advance(1);
    resumed.sample();
    expect(resumed.doc().points.map((p) => p[0])).toEqual([1_004, 1_005, 1_006]);
  });
});

describe('metricData', () => {
  it('names AWS/DMS metrics with the instance identifier and the task resource id', () => {
    const data = metricData({ instance: 'ri', taskResourceId: 'ABC', region: 'us-east-1' }, [1_700_000_000, 1, 2, 3, 4, 5, 6]);
    expect(data.map((d) => [d.MetricName, d.Value, d.Unit])).toEqual([
      ['CDCLatencySource', 1, 'Seconds'],
      ['CDCLatencyTarget', 2, 'Seconds'],
      ['CDCIncomingChanges', 3, 'Count'],
      ['CDCThroughputRowsSource', 4, 'Count/Second'],
      ['CDCThroughputRowsTarget', 5, 'Count/Second'],
      ['FullLoadThroughputRowsTarget', 6, 'Count/Second'],
    ]);
    expect(data[0].Dimensions).toEqual([
      { Name: 'ReplicationInstanceIdentifier', Value: 'ri' },
      { Name: 'ReplicationTaskIdentifier', Value: 'ABC' },
    ]);
    expect(data[0].Timestamp).toEqual(new Date(1_700_000_000_000));
  });
});
