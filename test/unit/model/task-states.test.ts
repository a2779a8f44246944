import { describe, expect, it } from 'vitest';
import { ACTIVE_STATUSES, transition, type TaskEvent, type TaskStatus } from '../../../core/model/task-states.js';

const STATUSES: TaskStatus[] = [
  'creating', 'ready', 'starting', 'running', 'stopping', 'stopped',
  'failed', 'deleting', 'modifying', 'moving', 'failed-move', 'testing',
];
const EVENTS: TaskEvent[] = ['created', 'start', 'claim', 'stop', 'stopped', 'fail', 'modify', 'delete'];

// The whole table: every (status, event) pair not listed here is refused.
const ALLOWED: Record<TaskEvent, Partial<Record<TaskStatus, TaskStatus>>> = {
  // CreateReplicationTask finished.
  created: { creating: 'ready' },
  // StartReplicationTask: a ready task, or one that stopped or failed (resume / reload).
  start: { ready: 'starting', stopped: 'starting', failed: 'starting' },
  // A runner takes the task; taking it again (lease renewal, takeover) keeps its status.
  claim: { starting: 'running', running: 'running', stopping: 'stopping' },
  // StopReplicationTask: only while it is starting or running.
  stop: { starting: 'stopping', running: 'stopping' },
  // The runner stopped it, or a full load finished.
  stopped: { starting: 'stopped', running: 'stopped', stopping: 'stopped' },
  fail: { starting: 'failed', running: 'failed', stopping: 'failed' },
  // ModifyReplicationTask: not while running ("cannot be modified while it is running state").
  modify: { ready: 'ready', stopped: 'stopped', failed: 'failed' },
  // DeleteReplicationTask: not while starting/running/stopping.
  delete: { creating: 'deleting', ready: 'deleting', stopped: 'deleting', failed: 'deleting' },
};

describe('task state transitions', () => {
  for (const event of EVENTS) {
    for (const from of STATUSES) {
      const expected = ALLOWED[event][from] ?? null;
      it(`${from} --${event}--> ${expected ?? 'refused'}`, () => {
        expect(transition(from, event)).toBe(expected);
      });
    }
  }

  it('no event leaves the transient or terminal statuses deleting, moving, failed-move, testing, modifying', () => {
    for (const from of ['deleting', 'moving', 'failed-move', 'testing', 'modifying'] as TaskStatus[]) {
      expect(EVENTS.map((e) => transition(from, e))).toEqual(EVENTS.map(() => null));
    }
  });

  it('every status reachable from ready by start/claim/stop/stopped can be started again or deleted', () => {
    const seen = new Set<TaskStatus>(['ready']);
    const queue: TaskStatus[] = ['ready'];
    while (queue.length) {
      const s = queue.shift()!;
      for (const e of ['start', 'claim', 'stop', 'stopped', 'fail'] as TaskEvent[]) {
        const n = transition(s, e);
        if (n && !seen.has(n)) {
          seen.add(n);
          queue.push(n);
        }
      }
    }
    expect([...seen].sort()).toEqual(['failed', 'ready', 'running', 'starting', 'stopped', 'stopping']);
    for (const s of seen) {
      if (ACTIVE_STATUSES.has(s)) continue;
      expect(transition(s, 'start')).toBe('starting');
      expect(transition(s, 'delete')).toBe('deleting');
    }
  });

  it('the active statuses are exactly those a runner owns', () => {
    expect([...ACTIVE_STATUSES].sort()).toEqual(['running', 'starting', 'stopping']);
    for (const s of ACTIVE_STATUSES) {
      expect(transition(s, 'delete')).toBeNull();
      expect(transition(s, 'modify')).toBeNull();
      expect(transition(s, 'start')).toBeNull();
    }
  });
});
