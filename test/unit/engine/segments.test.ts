import { describe, expect, it } from 'vitest';
import { openSessionGroup, runSegments, Slots, GROUP_ATTEMPTS, type SegmentSession } from '../../../core/engine/segments.js';

function fakeSession(position: number, exact = true, log: string[] = []): SegmentSession<number> {
  return {
    position,
    exact,
    describeTable: async () => null,
    readTable: async () => 0,
    close: async () => {
      log.push(`close ${position}`);
    },
  };
}

const cmp = (a: number, b: number) => a - b;

describe('openSessionGroup', () => {
  it('keeps a group whose sessions share one exact position', async () => {
    const g = await openSessionGroup(fakeSession(5), 2, async () => fakeSession(5), cmp);
    expect([g.sessions.length, g.position, g.consistent]).toEqual([3, 5, true]);
  });

  it('opens the whole group again when a commit slipped between sessions', async () => {
    const log: string[] = [];
    const positions = [6, 5, 7, 7, 7];
    const g = await openSessionGroup(fakeSession(5, true, log), 1, async () => fakeSession(positions.shift()!, true, log), cmp);
    // attempt 1: [5, 6] differ → both closed; attempt 2: [5, 7] differ → closed; attempt 3: [7, 7]
    expect([g.sessions.map((s) => s.position), g.consistent]).toEqual([[7, 7], true]);
    expect(log).toEqual(['close 5', 'close 6', 'close 5', 'close 7']);
  });

  it('settles for the oldest position after the last attempt (CDC starts there: nothing missed)', async () => {
    let n = 10;
    const g = await openSessionGroup(fakeSession(1), 2, async () => fakeSession(n++), cmp);
    expect(g.consistent).toBe(false);
    expect(g.sessions).toHaveLength(3);
    expect(g.position).toBe(Math.min(...g.sessions.map((s) => s.position)));
    expect(n).toBe(10 + 2 + 3 * (GROUP_ATTEMPTS - 1));
  });

  it('an inexact session is never consistent', async () => {
    const g = await openSessionGroup(fakeSession(5, false), 1, async () => fakeSession(5, false), cmp);
    expect(g.consistent).toBe(false);
  });

  it('closes what it opened when a session cannot be opened', async () => {
    const log: string[] = [];
    let i = 0;
    await expect(openSessionGroup(fakeSession(1, true, log), 2, async () => {
      if (i++ === 1) throw new Error('too many connections');
      return fakeSession(2, true, log);
    }, cmp)).rejects.toThrow('too many connections');
    expect(log.sort()).toEqual(['close 1', 'close 2']);
  });
});

describe('runSegments', () => {
  it('uses extra slots when free: segments run at once, never more than the slots', async () => {
    const slots = new Slots(3);
    await slots.acquire(); // the table's own slot
    let running = 0;
    let max = 0;
    const order: number[] = [];
    await runSegments(5, slots, async (i) => {
      running++;
      max = Math.max(max, running);
      order.push(i);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    }, new AbortController().signal);
    slots.release();
    expect(max).toBe(3);
    expect(order.sort()).toEqual([0, 1, 2, 3, 4]);
    // every slot is back
    await Promise.all([slots.acquire(), slots.acquire(), slots.acquire()]);
  });

  it('with no free slot the table reads its segments alone (no deadlock)', async () => {
    const slots = new Slots(1);
    await slots.acquire();
    const order: number[] = [];
    await runSegments(3, slots, async (i) => {
      order.push(i);
    }, new AbortController().signal);
    expect(order).toEqual([0, 1, 2]);
    slots.release();
    await slots.acquire();
  });

  it('stops taking segments after a failure and rejects with it', async () => {
    const slots = new Slots(1);
    await slots.acquire();
    const ran: number[] = [];
    await expect(runSegments(4, slots, async (i) => {
      ran.push(i);
      if (i === 1) throw new Error('segment failed');
    }, new AbortController().signal)).rejects.toThrow('segment failed');
    expect(ran).toEqual([0, 1]);
  });
});
