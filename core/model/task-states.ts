// The one replication-task state-transition table. Every status change, by the API or the
// runner, goes through `transition`; a missing entry means the event is not allowed.

export type TaskStatus =
  | 'creating' | 'ready' | 'starting' | 'running' | 'stopping' | 'stopped'
  | 'failed' | 'deleting' | 'modifying' | 'moving' | 'failed-move' | 'testing';

export type TaskEvent =
  | 'created'   // creation finished
  | 'start'     // StartReplicationTask accepted
  | 'claim'     // a runner took the task
  | 'stop'      // StopReplicationTask accepted
  | 'stopped'   // the runner stopped it (or it finished a full load)
  | 'fail'      // the runner failed it
  | 'modify'    // ModifyReplicationTask accepted
  | 'delete';   // DeleteReplicationTask accepted

const TRANSITIONS: Record<TaskEvent, Partial<Record<TaskStatus, TaskStatus>>> = {
  created: { creating: 'ready' },
  start: { ready: 'starting', stopped: 'starting', failed: 'starting' },
  claim: { starting: 'running', running: 'running', stopping: 'stopping' },
  stop: { starting: 'stopping', running: 'stopping' },
  stopped: { starting: 'stopped', running: 'stopped', stopping: 'stopped' },
  fail: { starting: 'failed', running: 'failed', stopping: 'failed' },
  modify: { ready: 'ready', stopped: 'stopped', failed: 'failed' },
  delete: { creating: 'deleting', ready: 'deleting', stopped: 'deleting', failed: 'deleting' },
};

export function transition(from: TaskStatus, event: TaskEvent): TaskStatus | null {
  return TRANSITIONS[event][from] ?? null;
}

/** Statuses in which a runner owns (or should own) the task. */
export const ACTIVE_STATUSES: ReadonlySet<TaskStatus> = new Set(['starting', 'running', 'stopping']);
