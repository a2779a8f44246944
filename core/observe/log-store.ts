import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { sideClientConfig } from '../aws-clients.js';
import type { TaskDoc } from '../model/task.js';
import { mutate, resourceKey, taskLogKey, type DocumentTable } from '../state/resources.js';
import type { Scope } from '../model/arn.js';
import {
  BufferedTaskLog,
  logFilter,
  NO_TASK_LOG,
  replicationLogGroup,
  replicationLogStream,
  taskLogGroup,
  taskLogStream,
  type LogDestination,
  type LogEvent,
  type TaskLog,
} from './task-log.js';

// Where task log lines go: the task's recent lines and total size in the state table (always:
// DescribeReplicationInstanceTaskLogs and the console read them), and CloudWatch Logs when an
// endpoint for it is configured.

/** The bounded tail kept per task in the state table (a DynamoDB item holds at most 400 KB). */
export const TAIL_MAX_LINES = 500;
export const TAIL_MAX_BYTES = 96 * 1024;

export interface TaskLogTail extends Record<string, unknown> {
  ReplicationTaskArn: string;
  ReplicationInstanceArn: string;
  /** Bytes of every line ever written for the task (what AWS reports as ReplicationInstanceTaskLogSize). */
  size: number;
  lines: string[];
}

export function stateTableDestination(table: DocumentTable, task: TaskDoc): LogDestination {
  return {
    name: 'state table',
    async write(events) {
      const added = events.map((e) => e.message);
      const bytes = added.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
      await mutate<TaskLogTail>(table, taskLogKey(task.ReplicationTaskArn), (current) => {
        const prev = current?.doc;
        const lines = trimTail([...(prev?.lines ?? []), ...added]);
        const doc: TaskLogTail = {
          ReplicationTaskArn: task.ReplicationTaskArn,
          ReplicationInstanceArn: task.ReplicationInstanceArn,
          size: (prev?.size ?? 0) + bytes,
          lines,
        };
        return [current ? { kind: 'put', key: current.key, doc, ifVersion: current.version } : { kind: 'put', key: taskLogKey(task.ReplicationTaskArn), doc, ifAbsent: true }];
      });
    },
  };
}

function trimTail(lines: string[]): string[] {
  let out = lines.length > TAIL_MAX_LINES ? lines.slice(lines.length - TAIL_MAX_LINES) : lines;
  let bytes = out.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  let drop = 0;
  while (bytes > TAIL_MAX_BYTES && drop < out.length - 1) bytes -= Buffer.byteLength(out[drop++]) + 1;
  if (drop > 0) out = out.slice(drop);
  return out;
}

/** The recent lines of a task's log (oldest first) and its total size; empty when it never logged. */
export async function readTaskLogTail(table: DocumentTable, taskArn: string, maxLines = TAIL_MAX_LINES): Promise<{ size: number; lines: string[] }> {
  const found = await table.get<TaskLogTail>(taskLogKey(taskArn));
  if (!found) return { size: 0, lines: [] };
  return { size: found.doc.size, lines: maxLines > 0 ? found.doc.lines.slice(-maxLines) : [] };
}

export async function deleteTaskLogTail(table: DocumentTable, taskArn: string): Promise<void> {
  await table.write([{ kind: 'delete', key: taskLogKey(taskArn) }]);
}

// PutLogEvents limits: 10,000 events and 1,048,576 bytes (message bytes + 26 per event) per call.
const MAX_EVENTS = 10_000;
const MAX_BATCH_BYTES = 1_048_576 - 64 * 1024;

export function cloudWatchDestination(client: CloudWatchLogsClient, group: string, stream: string): LogDestination {
  let ready: Promise<void> | undefined;
  // The SDK is loaded on first use: tasks without logging (and runners without CloudWatch) never need it.
  const sdk = () => import('@aws-sdk/client-cloudwatch-logs');
  const ensure = async () => {
    const { CreateLogGroupCommand, CreateLogStreamCommand } = await sdk();
    await client.send(new CreateLogGroupCommand({ logGroupName: group })).catch(ignoreExists);
    await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream })).catch(ignoreExists);
  };
  return {
    name: `CloudWatch Logs ${group}/${stream}`,
    async write(events: LogEvent[]) {
      ready ??= ensure().catch((e) => {
        ready = undefined;
        throw e;
      });
      await ready;
      const { PutLogEventsCommand } = await sdk();
      let batch: LogEvent[] = [];
      let bytes = 0;
      const send = async () => {
        if (batch.length === 0) return;
        await client.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: batch }));
        batch = [];
        bytes = 0;
      };
      for (const e of events) {
        const size = Buffer.byteLength(e.message) + 26;
        if (batch.length === MAX_EVENTS || bytes + size > MAX_BATCH_BYTES) await send();
        batch.push(e);
        bytes += size;
      }
      await send();
    },
  };
}

function ignoreExists(e: Error): void {
  if (e.name !== 'ResourceAlreadyExistsException') throw e;
}

export interface TaskLogDeps {
  table: DocumentTable;
  /** CloudWatch Logs endpoint; without one, lines stay in the state table only. */
  cloudWatchLogsEndpoint?: string;
  redact?: () => string[];
}

export interface OpenTaskLog extends TaskLog {
  close(): Promise<void>;
}

/** The log of one task run, per its Logging settings; a no-op log when logging is off. */
export async function openTaskLog(deps: TaskLogDeps, scope: Scope, task: TaskDoc): Promise<OpenTaskLog> {
  const filter = logFilter(JSON.parse(task.ReplicationTaskSettings) as Record<string, unknown>);
  if (!filter) return { ...NO_TASK_LOG, close: async () => undefined };
  const destinations: LogDestination[] = [stateTableDestination(deps.table, task)];
  let client: CloudWatchLogsClient | undefined;
  if (deps.cloudWatchLogsEndpoint && task._run && !task.ReplicationInstanceArn) {
    // A serverless replication (no replication instance): its own group, one stream per run.
    const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs');
    client = new CloudWatchLogsClient(sideClientConfig(deps.cloudWatchLogsEndpoint, scope.region, 10_000));
    destinations.push(cloudWatchDestination(client, replicationLogGroup(task.ReplicationTaskArn), replicationLogStream(task._run)));
  } else if (deps.cloudWatchLogsEndpoint) {
    const instance = await deps.table.get<{ ReplicationInstanceIdentifier: string }>(resourceKey('instance', scope, task.ReplicationInstanceArn));
    const identifier = instance?.doc.ReplicationInstanceIdentifier ?? task.ReplicationInstanceArn.split(':').pop()!;
    const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs');
    client = new CloudWatchLogsClient(sideClientConfig(deps.cloudWatchLogsEndpoint, scope.region, 10_000));
    destinations.push(cloudWatchDestination(client, taskLogGroup(identifier), taskLogStream(task.ReplicationTaskArn)));
  }
  const log = new BufferedTaskLog({ filter, destinations, redact: deps.redact });
  return {
    error: (c, m) => log.error(c, m),
    warn: (c, m) => log.warn(c, m),
    info: (c, m) => log.info(c, m),
    debug: (c, m) => log.debug(c, m),
    async close() {
      await log.close();
      client?.destroy();
    },
  };
}
