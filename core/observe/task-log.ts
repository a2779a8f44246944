import { logger } from '../logger.js';

// Task logs (Logging.EnableLogging): lines in AWS DMS's format, filtered by Logging.LogComponents,
// buffered and written in batches to destinations (CloudWatch Logs, the state table) off the data
// path. The engine only sees the small TaskLog interface.
// Format (UG CHAP_Monitoring): `00362696: 2023-02-22T10:09:29 [SOURCE_CAPTURE  ]I:  message  (file.c:line)`.
// dmslite has no C source position to give: lines end after the message.

export const LOG_COMPONENTS = [
  'DATA_STRUCTURE', 'COMMUNICATION', 'IO', 'COMMON', 'FILE_FACTORY', 'FILE_TRANSFER', 'REST_SERVER', 'ADDONS',
  'TARGET_LOAD', 'TARGET_APPLY', 'SOURCE_UNLOAD', 'SOURCE_CAPTURE', 'TRANSFORMATION', 'SORTER', 'TASK_MANAGER',
  'TABLES_MANAGER', 'METADATA_MANAGER', 'PERFORMANCE', 'VALIDATOR', 'VALIDATOR_EXT',
] as const;
export type LogComponent = (typeof LOG_COMPONENTS)[number];

/** Level letters AWS prints: E, W, I, D (debug), T (trace / detailed debug). */
export type LogLetter = 'E' | 'W' | 'I' | 'D' | 'T';

export interface TaskLog {
  error(component: LogComponent, message: string): void;
  warn(component: LogComponent, message: string): void;
  info(component: LogComponent, message: string): void;
  debug(component: LogComponent, message: string): void;
}

export const NO_TASK_LOG: TaskLog = { error() {}, warn() {}, info() {}, debug() {} };

const LETTER_RANK: Record<LogLetter, number> = { E: 0, W: 1, I: 2, D: 3, T: 4 };
// LOGGER_SEVERITY_DEFAULT logs what INFO logs (UG CHAP_Tasks.CustomizingTasks.TaskSettings.Logging).
const SEVERITY_RANK: Record<string, number> = {
  LOGGER_SEVERITY_ERROR: 0,
  LOGGER_SEVERITY_WARNING: 1,
  LOGGER_SEVERITY_INFO: 2,
  LOGGER_SEVERITY_DEFAULT: 2,
  LOGGER_SEVERITY_DEBUG: 3,
  LOGGER_SEVERITY_DETAILED_DEBUG: 4,
};

/** Which lines a task's Logging section lets through; null when logging is off. */
export function logFilter(settings: Record<string, unknown>): ((component: LogComponent, letter: LogLetter) => boolean) | null {
  const logging = (settings.Logging ?? {}) as { EnableLogging?: unknown; LogComponents?: unknown };
  if (logging.EnableLogging !== true) return null;
  const ranks = new Map<string, number>();
  for (const c of Array.isArray(logging.LogComponents) ? logging.LogComponents : []) {
    const { Id, Severity } = c as { Id?: string; Severity?: string };
    if (Id) ranks.set(Id, SEVERITY_RANK[Severity ?? 'LOGGER_SEVERITY_DEFAULT'] ?? 2);
  }
  return (component, letter) => LETTER_RANK[letter] <= (ranks.get(component) ?? 2);
}

/** One line as AWS writes it: thread id, UTC time without zone, the component in 16-wide brackets. */
export function formatLogLine(timeMs: number, threadId: number, component: LogComponent, letter: LogLetter, message: string): string {
  const time = new Date(timeMs).toISOString().slice(0, 19);
  return `${String(threadId % 1e8).padStart(8, '0')}: ${time} [${component.padEnd(16)}]${letter}:  ${message}`;
}

/** The CloudWatch Logs group and stream AWS uses for a task (UG security-iam-awsmanpol; observed names). */
export function taskLogGroup(replicationInstanceIdentifier: string): string {
  return `dms-tasks-${replicationInstanceIdentifier}`;
}
export function taskLogStream(taskArn: string): string {
  return `dms-task-${taskArn.split(':').pop()}`;
}

/**
 * DMS Serverless: group `dms-serverless-replication-<config resource id>`, task-log stream
 * `dms-serverless-serv-res-id-<unique id>` (CHAP_Serverless.Components; an observed config held
 * `dms-serverless-serv-res-id-1707510629537-mttz`: here the run's start time in ms and 4 letters of its id).
 */
export function replicationLogGroup(configArn: string): string {
  return `dms-serverless-replication-${configArn.split(':').pop()}`;
}
export function replicationLogStream(run: { id: string; requestedAt: number }): string {
  return `dms-serverless-serv-res-id-${Math.round(run.requestedAt * 1000)}-${run.id.replace(/[^a-z]/g, '').padEnd(4, 'x').slice(0, 4)}`;
}

/**
 * Fills Logging.CloudWatchLogGroup / CloudWatchLogStream of a settings document as AWS does when
 * logging is enabled, and clears them when it is not (AWS refuses them on create: they are AWS's).
 */
export function withLogDestination(settingsJson: string, replicationInstanceIdentifier: string, taskArn: string): string {
  return withLogNames(settingsJson, taskLogGroup(replicationInstanceIdentifier), taskLogStream(taskArn));
}

/** The same for a serverless replication's run (an observed config held both names after a logged run). */
export function withReplicationLogDestination(settingsJson: string, configArn: string, run: { id: string; requestedAt: number }): string {
  return withLogNames(settingsJson, replicationLogGroup(configArn), replicationLogStream(run));
}

function withLogNames(settingsJson: string, groupName: string, streamName: string): string {
  const doc = JSON.parse(settingsJson) as Record<string, unknown>;
  const logging = doc.Logging as Record<string, unknown> | undefined;
  if (!logging) return settingsJson;
  const enabled = logging.EnableLogging === true;
  const group = enabled ? groupName : null;
  const stream = enabled ? streamName : null;
  if (logging.CloudWatchLogGroup === group && logging.CloudWatchLogStream === stream) return settingsJson;
  logging.CloudWatchLogGroup = group;
  logging.CloudWatchLogStream = stream;
  return JSON.stringify(doc);
}

export interface LogEvent {
  timestamp: number;
  message: string;
}

/** Where buffered lines go; `write` gets them in time order and may be slow or fail. */
export interface LogDestination {
  readonly name: string;
  write(events: LogEvent[]): Promise<void>;
}

export interface BufferedTaskLogOptions {
  filter: (component: LogComponent, letter: LogLetter) => boolean;
  destinations: LogDestination[];
  /** Strings never to write (the source password): replaced by asterisks. */
  redact?: () => string[];
  flushMs?: number;
  /** Lines kept while destinations are slow; the oldest are dropped beyond it (counted, reported). */
  maxPending?: number;
  threadId?: number;
  nowMs?: () => number;
}

/** A TaskLog that never blocks its caller: lines are queued and written every `flushMs`. */
export class BufferedTaskLog implements TaskLog {
  private pending: LogEvent[] = [];
  private dropped = 0;
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly threadId: number;

  constructor(private readonly opts: BufferedTaskLogOptions) {
    this.threadId = opts.threadId ?? process.pid;
  }

  error(c: LogComponent, m: string) { this.add(c, 'E', m); }
  warn(c: LogComponent, m: string) { this.add(c, 'W', m); }
  info(c: LogComponent, m: string) { this.add(c, 'I', m); }
  debug(c: LogComponent, m: string) { this.add(c, 'D', m); }

  private add(component: LogComponent, letter: LogLetter, message: string): void {
    if (this.closed || !this.opts.filter(component, letter)) return;
    let text = message;
    for (const s of this.opts.redact?.() ?? []) if (s && text.includes(s)) text = text.split(s).join('********');
    const now = (this.opts.nowMs ?? Date.now)();
    this.pending.push({ timestamp: now, message: formatLogLine(now, this.threadId, component, letter, text) });
    const max = this.opts.maxPending ?? 5_000;
    if (this.pending.length > max) {
      this.dropped += this.pending.length - max;
      this.pending.splice(0, this.pending.length - max);
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.opts.flushMs ?? 1_000);
  }

  /** Writes what is queued; one write at a time, so lines stay in order. Never throws. */
  flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (this.pending.length === 0) return;
      const batch = this.pending;
      this.pending = [];
      if (this.dropped > 0) {
        const now = batch[0].timestamp;
        batch.unshift({ timestamp: now, message: formatLogLine(now, this.threadId, 'COMMON', 'W', `${this.dropped} log lines were dropped: the log destination is too slow`) });
        this.dropped = 0;
      }
      await Promise.all(
        this.opts.destinations.map((d) =>
          d.write(batch).catch((e) => logger.warn('task log write failed', { destination: d.name, error: e as Error })),
        ),
      );
    });
    return this.writing;
  }

  /** Flushes and stops accepting lines. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    this.closed = true;
  }
}
