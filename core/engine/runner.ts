import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { KinesisSettings } from '../record/formatter.js';
import { logger } from '../logger.js';
import { resolveEndpointConnection, type SecretReader } from '../source/credentials.js';
import { STOP_REASON, settleTask, upgradeProgress, type TableStatsDoc, type TaskDoc } from '../model/task.js';
import { ACTIVE_STATUSES, transition } from '../model/task-states.js';
import type { DocumentTable } from '../state/dynamo.js';
import {
  ConditionFailed,
  WORK_PK,
  mutate,
  resourceKey,
  tableStatsKey,
  tableStatsPk,
  workKey,
  type WriteOp,
} from '../state/resources.js';
import type { SecretBox } from '../state/secrets.js';
import { createMetricsPublisher, taskDimensions, type MetricsPublisher, type TaskDimensions } from '../observe/cloudwatch-metrics.js';
import { TaskMetrics } from '../observe/metrics.js';
import { RunState } from './run-state.js';
import { createTaskObserver, type TaskObserver } from '../observe/run-observer.js';
import type { SourceRegistry } from '../source/contract.js';
import type { RunOutcome, TaskRunEnv } from './context.js';
import { executeTask } from './task-run.js';

// The runner: finds started tasks in DynamoDB, claims each with a lease (owner + expiry, renewed by a
// heartbeat), runs it and records progress. Several runners may share one table: a conditional write
// decides the owner; when an owner dies its lease expires and another runner takes the task over.

export interface RunnerOptions {
  table: DocumentTable;
  secrets: SecretBox;
  /** Secrets Manager, read at every task start and reconnect for secret-based endpoints. */
  secretReader: SecretReader;
  /** EngineName → source (core/source/registry.ts): the engine never names an implementation. */
  sources: SourceRegistry;
  kinesisEndpoint?: string;
  owner?: string;
  /** Lease length (default 10 s); a dead runner's tasks move after this. */
  leaseMs?: number;
  /** How often work is polled and leases renewed (default 500 ms): also the stop latency. */
  heartbeatMs?: number;
  now?: () => number;
  /** A file touched after every successful poll (the container's health check reads its age). */
  healthFile?: string;
  /** Task logs and DMS events of the runs (none by default). */
  observer?: TaskObserver;
  /** Where metric points go (default: CloudWatch when AWS_ENDPOINT_URL_CLOUDWATCH/AWS_ENDPOINT_URL names one). */
  metrics?: MetricsPublisher | null;
}

/** A work item: a started task, or a started serverless replication (kind `repconfig`). */
interface WorkItem {
  arn: string;
  account: string;
  region: string;
  kind?: 'repconfig';
}

interface Execution {
  arn: string;
  kind: 'task' | 'repconfig';
  scope: { account: string; region: string };
  controller: AbortController;
  state: RunState;
  done: Promise<void>;
  /** Set when another runner took the task: this one must not write any more. */
  lost: boolean;
  /** CloudWatch dimensions of its metrics (when metrics are published). */
  dims?: TaskDimensions;
}

const nowSeconds = () => Date.now() / 1000;

export class Runner {
  readonly owner: string;
  private readonly table: DocumentTable;
  private readonly secrets: SecretBox;
  private readonly secretReader: SecretReader;
  private readonly sources: SourceRegistry;
  private readonly kinesisEndpoint?: string;
  private readonly leaseSeconds: number;
  private readonly heartbeatMs: number;
  private readonly now: () => number;
  private readonly executions = new Map<string, Execution>();
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private stopped = false;
  private readonly healthFile?: string;
  private readonly observer: TaskObserver;
  private readonly metrics: MetricsPublisher | null;

  constructor(opts: RunnerOptions) {
    this.table = opts.table;
    this.secrets = opts.secrets;
    this.secretReader = opts.secretReader;
    this.sources = opts.sources;
    this.kinesisEndpoint = opts.kinesisEndpoint;
    this.owner = opts.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.leaseSeconds = (opts.leaseMs ?? 10_000) / 1000;
    this.heartbeatMs = opts.heartbeatMs ?? 500;
    this.now = opts.now ?? nowSeconds;
    this.healthFile = opts.healthFile;
    this.observer = opts.observer ?? createTaskObserver({ table: opts.table });
    this.metrics = opts.metrics === undefined ? createMetricsPublisher() : opts.metrics;
  }

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.ticking = this.tick()
        .catch((e) => logger.error('runner tick failed', { reason: (e as Error).message, error: e as Error }))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.heartbeatMs);
        });
    };
    loop();
    logger.info('runner started', { owner: this.owner });
  }

  /** Stops polling, stops every task it runs without changing their status, and releases the leases. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    const running = [...this.executions.values()];
    for (const ex of running) {
      ex.lost = true; // hand over: no final status write
      ex.controller.abort();
    }
    await Promise.all(running.map((ex) => ex.done));
    await Promise.all(running.map((ex) => this.release(ex).catch(() => undefined)));
    await this.metrics?.flush();
    this.metrics?.close();
    logger.info('runner stopped', { owner: this.owner });
  }

  get runningTasks(): string[] {
    return [...this.executions.keys()];
  }

  /** One poll: renew leases of running tasks, then claim work nobody owns. */
  async tick(): Promise<void> {
    await Promise.all([...this.executions.values()].map((ex) => this.heartbeat(ex).catch((e) => logger.warn('heartbeat failed', { taskArn: ex.arn, reason: (e as Error).message, error: e as Error }))));
    const work = await this.table.all<WorkItem>(WORK_PK);
    for (const item of work) {
      if (this.stopped) return;
      if (this.executions.has(item.doc.arn)) continue;
      await this.tryClaim(item.doc).catch((e) => logger.warn('claim failed', { taskArn: item.doc.arn, reason: (e as Error).message, error: e as Error }));
    }
    if (this.healthFile) writeFileSync(this.healthFile, '');
  }

  private async tryClaim(w: WorkItem): Promise<void> {
    const scope = { account: w.account, region: w.region };
    const kind = w.kind ?? 'task';
    const key = resourceKey(kind, scope, w.arn);
    const current = await this.table.get<TaskDoc>(key);
    const now = this.now();
    if (!current) return this.table.write([{ kind: 'delete', key: workKey(w.arn) }]).catch(() => undefined);
    const task = settleTask(current.doc, now);
    if (!ACTIVE_STATUSES.has(task.Status)) {
      // Settled to stopped (or never active): persist that and drop the work item.
      await this.table
        .write([
          ...(task.Status !== current.doc.Status ? [{ kind: 'put', key, doc: { ...task, _lease: undefined }, ifVersion: current.version } as WriteOp] : []),
          { kind: 'delete', key: workKey(w.arn) },
        ])
        .catch(() => undefined);
      return;
    }
    if (task._lease && task._lease.expires >= now && task._lease.owner !== this.owner) return;
    if (task.Status === 'starting' && task._notBefore !== undefined && now < task._notBefore) return;
    const next = transition(task.Status, 'claim');
    if (!next) return;
    const claimed: TaskDoc = { ...task, Status: next, _lease: { owner: this.owner, expires: now + this.leaseSeconds } };
    try {
      await this.table.write([{ kind: 'put', key, doc: claimed, ifVersion: current.version }]);
    } catch (e) {
      if (e instanceof ConditionFailed) return; // another runner won
      throw e;
    }
    if (claimed.Status === 'stopping') {
      await this.finish({ arn: w.arn, kind, scope, lost: false } as Execution, { status: 'stopped', stopReason: STOP_REASON.normal }, null);
      return;
    }
    logger.info('task claimed', { taskArn: w.arn, owner: this.owner, startType: claimed._run?.type });
    if (task.Status === 'starting') await this.observer.started(scope, claimed).catch(() => undefined);
    // Taken over from a runner that died or handed it over: resume from its last persisted progress.
    const run = task.Status === 'running' && claimed._run ? { ...claimed, _run: { ...claimed._run, type: 'resume-processing' as const } } : claimed;
    await this.launch(w.arn, kind, scope, run);
  }

  private async launch(arn: string, kind: Execution['kind'], scope: { account: string; region: string }, task: TaskDoc): Promise<void> {
    const existing = await this.table.all<TableStatsDoc>(tableStatsPk(arn));
    const fresh = task._run?.type !== 'resume-processing';
    const state = new RunState(fresh ? {} : upgradeProgress(task._progress ?? {}), fresh ? [] : existing.map((s) => s.doc), this.now());
    if (fresh) {
      // A fresh start forgets the previous run's statistics.
      await Promise.all(existing.map((s) => this.table.write([{ kind: 'delete', key: s.key }]).catch(() => undefined)));
    }
    state.metrics = new TaskMetrics({ now: this.now }, task._metrics);
    const controller = new AbortController();
    const ex: Execution = { arn, kind, scope, controller, state, lost: false, done: Promise.resolve() };
    // Serverless replications keep their points too; their CloudWatch dimensions are not known, so only tasks publish.
    if (this.metrics && kind === 'task') ex.dims = await taskDimensions(this.table, scope, task).catch(() => undefined);
    state.persist = () => this.heartbeat(ex);
    this.executions.set(arn, ex);
    ex.done = (async () => {
      let outcome: RunOutcome;
      let password: string | undefined;
      const log = await this.observer.openLog(scope, task, () => (password ? [password] : [])).catch(() => null);
      try {
        const env = await this.environment(scope, task);
        password = env.source.password;
        outcome = await executeTask({ ...env, ...(log ? { log } : {}) }, state, controller.signal);
      } catch (e) {
        outcome = { status: 'failed', message: (e as Error).message };
      }
      if (log) await (ex.lost ? log.close() : this.observer.closeLog(task, outcome, log)).catch(() => undefined);
      try {
        if (!ex.lost) await this.finish(ex, outcome, state).catch((e) => logger.error('task finish failed', { taskArn: arn, reason: (e as Error).message, error: e as Error }));
      } finally {
        // Only now: until the outcome is written, the task still looks claimable (work item present,
        // our own lease) and a tick in between would run it a second time.
        this.executions.delete(arn);
      }
    })();
  }

  private async environment(scope: { account: string; region: string }, task: TaskDoc): Promise<TaskRunEnv> {
    const source = await this.table.get<Record<string, unknown>>(resourceKey('endpoint', scope, task.SourceEndpointArn));
    const target = await this.table.get<Record<string, unknown>>(resourceKey('endpoint', scope, task.TargetEndpointArn));
    if (!source || !target) throw new Error('The source or target endpoint of the task no longer exists');
    if (target.doc.EngineName !== 'kinesis') {
      throw new Error(`dmslite migrates into Amazon Kinesis only; the target endpoint engine is ${target.doc.EngineName}`);
    }
    const sourceEngine = this.sources.forEngine(String(source.doc.EngineName));
    if (!sourceEngine) {
      throw new Error(`dmslite migrates from ${this.sources.engineNames.join(', ')} sources only; the source endpoint engine is ${source.doc.EngineName}`);
    }
    const credentials = () => resolveEndpointConnection(source.doc, { secrets: this.secrets, secretReader: this.secretReader });
    return {
      task,
      source: await credentials(),
      sourceEngine,
      refreshSource: credentials,
      kinesis: target.doc.KinesisSettings as KinesisSettings & { StreamArn: string },
      kinesisEndpoint: this.kinesisEndpoint,
      now: this.now,
    };
  }

  /** Renews the lease, persists progress and statistics, and notices stop requests and lost leases. */
  private async heartbeat(ex: Execution): Promise<void> {
    await this.persistTableStats(ex);
    const point = ex.state.metrics.sample();
    if (point && ex.dims) this.metrics?.publish(ex.dims, point);
    let reloads: NonNullable<TaskDoc['_reloads']> = [];
    await mutate<TaskDoc>(this.table, resourceKey(ex.kind, ex.scope, ex.arn), (current) => {
      if (!current || current.doc._lease?.owner !== this.owner) {
        ex.lost = true;
        ex.controller.abort();
        return null;
      }
      const doc = current.doc;
      if (doc.Status === 'stopping') ex.controller.abort();
      // ReloadTables requests move from the task document to the running execution (after the write).
      reloads = doc._reloads ?? [];
      const now = this.now();
      return [
        {
          kind: 'put',
          key: current.key,
          ifVersion: current.version,
          doc: {
            ...doc,
            _lease: { owner: this.owner, expires: now + this.leaseSeconds },
            _progress: ex.state.progress,
            _metrics: ex.state.metrics.doc(),
            _reloads: [],
            ReplicationTaskStats: ex.state.taskStats(doc.ReplicationTaskStats ?? {}, now),
            // AWS shows the checkpoint of a running CDC task, not only once it stopped.
            ...(ex.state.checkpoint ? { RecoveryCheckpoint: ex.state.checkpoint } : {}),
          },
        },
      ];
    });
    ex.state.reloadRequests.push(...reloads);
  }

  private async persistTableStats(ex: Execution): Promise<void> {
    const dirty = ex.state.takeDirty();
    await Promise.all(dirty.map((s) => this.table.write([{ kind: 'put', key: tableStatsKey(ex.arn, s.SchemaName, s.TableName), doc: s }])));
  }

  /** Writes the outcome: status through the transition table, stop reason, statistics; drops the lease and work item. */
  private async finish(ex: Execution, outcome: RunOutcome, state: RunState | null): Promise<void> {
    if (state) await this.persistTableStats(ex);
    let written: TaskDoc | undefined;
    await mutate<TaskDoc>(this.table, resourceKey(ex.kind, ex.scope, ex.arn), (current) => {
      written = undefined;
      if (!current || current.doc._lease?.owner !== this.owner) return null;
      const doc = current.doc;
      const now = this.now();
      const event = outcome.status === 'failed' ? 'fail' : 'stopped';
      const status = transition(doc.Status, event);
      if (!status) return null;
      // A stop requested by the user is a NORMAL stop, whatever the run was doing.
      const stopReason = outcome.status === 'failed' ? STOP_REASON.fatalError : doc.Status === 'stopping' ? STOP_REASON.normal : outcome.stopReason;
      const stats = state ? state.taskStats(doc.ReplicationTaskStats ?? {}, now) : { ...(doc.ReplicationTaskStats ?? {}) };
      const next: TaskDoc = {
        ...doc,
        Status: status,
        StopReason: stopReason,
        ReplicationTaskStats: { ...stats, StopDate: now },
        ...(state ? { _progress: state.progress, _metrics: state.metrics.doc() } : {}),
        ...(state?.checkpoint ? { RecoveryCheckpoint: state.checkpoint } : {}),
        ...(outcome.status === 'failed' ? { LastFailureMessage: outcome.message } : {}),
      };
      delete next._lease;
      delete next._stopRequestedAt;
      written = next;
      return [
        { kind: 'put', key: current.key, doc: next, ifVersion: current.version },
        { kind: 'delete', key: workKey(ex.arn) },
      ];
    });
    if (written) await this.observer.finished(ex.scope, written, outcome.status === 'failed' ? outcome : { status: 'stopped', stopReason: written.StopReason ?? outcome.stopReason }).catch(() => undefined);
    // Powertools drops a `message` key: the failure's text goes under `reason`.
    if (outcome.status === 'failed') logger.error('task finished', { taskArn: ex.arn, outcome: outcome.status, reason: outcome.message });
    else logger.info('task finished', { taskArn: ex.arn, outcome: outcome.status, stopReason: outcome.stopReason });
  }

  /** Gives the lease up so another runner can take the task at once. */
  private async release(ex: Execution): Promise<void> {
    await this.persistTableStats(ex);
    await mutate<TaskDoc>(this.table, resourceKey(ex.kind, ex.scope, ex.arn), (current) => {
      if (!current || current.doc._lease?.owner !== this.owner) return null;
      return [{ kind: 'put', key: current.key, ifVersion: current.version, doc: { ...current.doc, _progress: ex.state.progress, _metrics: ex.state.metrics.doc(), _lease: undefined } }];
    });
  }
}
