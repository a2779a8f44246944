import type { Scope } from '../model/arn.js';
import type { TaskDoc } from '../model/task.js';
import { resourceKey, type DocumentTable } from '../state/resources.js';
import { NO_EVENTS, type EventRecorder } from './events.js';
import { openTaskLog, type OpenTaskLog } from './log-store.js';

// What the runner reports about a task run: its log (opened per run) and the DMS events of its
// state changes. The runner calls these few methods; everything else lives here.

export type RunResult = { status: 'stopped'; stopReason: string } | { status: 'failed'; message: string };

export interface TaskObserver {
  openLog(scope: Scope, task: TaskDoc, redact: () => string[]): Promise<OpenTaskLog>;
  /** A runner took a freshly started task. */
  started(scope: Scope, task: TaskDoc): Promise<void>;
  /** Logs the outcome and closes the log (a bounded wait) before the final status is written. */
  closeLog(task: TaskDoc, result: RunResult, log: OpenTaskLog): Promise<void>;
  /** The final status was written. */
  finished(scope: Scope, task: TaskDoc, result: RunResult): Promise<void>;
}

export interface TaskObserverDeps {
  table: DocumentTable;
  events?: EventRecorder;
  cloudWatchLogsEndpoint?: string;
  /** How long a final log flush may hold the task's final status back (ms). */
  closeTimeoutMs?: number;
}

const MODE: Record<string, string> = { 'full-load': 'full load', cdc: 'CDC only', 'full-load-and-cdc': 'full load and CDC' };

/** `Task '<id>' running full load and CDC in fresh start mode` (observed AWS line, replicationtask.c). */
export function startLine(task: TaskDoc): string {
  const type = task._run?.type ?? 'start-replication';
  const mode = type === 'resume-processing' ? 'resume' : type === 'reload-target' ? 'reload target' : 'fresh start';
  return `Task '${task.ReplicationTaskIdentifier}' running ${MODE[task.MigrationType] ?? task.MigrationType} in ${mode} mode`;
}

export function createTaskObserver(deps: TaskObserverDeps): TaskObserver {
  const events = deps.events ?? NO_EVENTS;
  const instanceId = async (scope: Scope, task: TaskDoc) =>
    (await deps.table.get<{ ReplicationInstanceIdentifier: string }>(resourceKey('instance', scope, task.ReplicationInstanceArn)).catch(() => null))?.doc
      .ReplicationInstanceIdentifier;
  return {
    async openLog(scope, task, redact) {
      const log = await openTaskLog({ table: deps.table, cloudWatchLogsEndpoint: deps.cloudWatchLogsEndpoint, redact }, scope, task);
      log.info('TASK_MANAGER', startLine(task));
      return log;
    },
    async started(scope, task) {
      // DMS task events are for replication tasks; serverless replications have no replication-task events.
      if (!task.ReplicationInstanceArn) return;
      await events.record(scope, { kind: 'task.started', sourceType: 'replication-task', sourceId: task.ReplicationTaskIdentifier, instanceId: await instanceId(scope, task) });
    },
    async closeLog(task, result, log) {
      if (result.status === 'failed') {
        log.error('TASK_MANAGER', `Task '${task.ReplicationTaskIdentifier}' failed. Last Error ${result.message} Stop Reason FATAL_ERROR Error Level FATAL`);
      } else {
        log.info('TASK_MANAGER', `Task '${task.ReplicationTaskIdentifier}' stopped. ${result.stopReason}`);
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([log.close(), new Promise((r) => (timer = setTimeout(r, deps.closeTimeoutMs ?? 5_000)))]);
      clearTimeout(timer);
    },
    async finished(scope, task, result) {
      if (!task.ReplicationInstanceArn) return;
      const base = { sourceType: 'replication-task' as const, sourceId: task.ReplicationTaskIdentifier, instanceId: await instanceId(scope, task) };
      await events.record(scope, result.status === 'failed' ? { ...base, kind: 'task.failed', reason: result.message } : { ...base, kind: 'task.stopped' });
    },
  };
}
