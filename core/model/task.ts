import type * as Dms from '@aws-sdk/client-database-migration-service';
import type { Tagged } from './resources.js';
import type { TaskMetricsDoc } from '../observe/metrics.js';
import type { TaskStatus } from './task-states.js';
import type { Wire } from './wire.js';

// The stored replication task: the API shape (ReplicationTask) plus internal members
// prefixed with `_`, which never go on the wire.

export type MigrationType = 'full-load' | 'cdc' | 'full-load-and-cdc';
export type StartType = 'start-replication' | 'resume-processing' | 'reload-target';

export type ReplicationTaskStats = Wire<Dms.ReplicationTaskStats>;

export interface TaskDoc extends Wire<Dms.ReplicationTask>, Tagged {
  ReplicationTaskIdentifier: string;
  SourceEndpointArn: string;
  TargetEndpointArn: string;
  ReplicationInstanceArn: string;
  MigrationType: MigrationType;
  TableMappings: string;
  ReplicationTaskSettings: string;
  Status: TaskStatus;
  LastFailureMessage?: string;
  StopReason?: string;
  ReplicationTaskCreationDate: number;
  ReplicationTaskStartDate?: number;
  CdcStartPosition?: string;
  CdcStopPosition?: string;
  RecoveryCheckpoint?: string;
  ReplicationTaskArn: string;
  ReplicationTaskStats?: ReplicationTaskStats;
  TaskData?: string;

  _readyAt: number;
  _hasRun: boolean;
  _cdcStartTime?: number;
  /** The current start request, set by StartReplicationTask. */
  _run?: { id: string; type: StartType; requestedAt: number };
  /** The runner that owns the task and until when (epoch seconds). */
  _lease?: { owner: string; expires: number };
  _stopRequestedAt?: number;
  /** No runner claims the task before this time (epoch seconds): a serverless replication's provisioning. */
  _notBefore?: number;
  _reloads?: { schema: string; table: string; option: string }[];
  /** Engine progress: completed tables of the current full load, CDC resume position. */
  _progress?: StoredTaskProgress;
  /** CDC latency and throughput points of the recent minutes (core/observe/metrics.ts). */
  _metrics?: TaskMetricsDoc;
}

/** Engine progress of a run; positions are the source's serialised positions (SourcePosition). */
export interface TaskProgress {
  /** Full-load tables (schema\0table) finished in the current run. */
  completedTables?: string[];
  /** Source position to resume CDC from (a transaction boundary everything before which is in Kinesis). */
  cdcResumePosition?: string;
  /** Where the source started keeping changes for this task (Source.retainChanges, e.g. a PostgreSQL slot's start). */
  retainedFrom?: string;
  checkpointSeq?: number;
  /** True once the full load of a full-load-and-cdc task has finished. */
  fullLoadDone?: boolean;
  /** Source position each table's full-load snapshot corresponds to (schema\0table → position). */
  tableSnapshots?: Record<string, string>;
}

/** Progress as stored: documents written before the source contract held MySQL file/offset pairs. */
export interface StoredTaskProgress extends Omit<TaskProgress, 'tableSnapshots'> {
  /** Before the source contract: binlog file and offset of the resume position. Read, never written. */
  cdcFile?: string;
  cdcPosition?: number;
  tableSnapshots?: Record<string, string | { file: string; position: number }>;
}

/** Stored progress in today's shape; the old binlog pairs become MySQL's serialised `file:offset`. */
export function upgradeProgress(stored: StoredTaskProgress): TaskProgress {
  const { cdcFile, cdcPosition, tableSnapshots, ...rest } = stored;
  const out: TaskProgress = { ...rest };
  if (out.cdcResumePosition === undefined && cdcFile && cdcPosition !== undefined) out.cdcResumePosition = `${cdcFile}:${cdcPosition}`;
  if (tableSnapshots) {
    out.tableSnapshots = Object.fromEntries(
      Object.entries(tableSnapshots).map(([k, v]) => [k, typeof v === 'string' ? v : `${v.file}:${v.position}`]),
    );
  }
  return out;
}

export interface TableStatsDoc extends Wire<Dms.TableStatistics> {
  SchemaName: string;
  TableName: string;
  Inserts: number;
  Deletes: number;
  Updates: number;
  Ddls: number;
  AppliedInserts: number;
  AppliedDeletes: number;
  AppliedUpdates: number;
  AppliedDdls: number;
  FullLoadRows: number;
  FullLoadCondtnlChkFailedRows: number;
  FullLoadErrorRows: number;
  FullLoadStartTime?: number;
  FullLoadEndTime?: number;
  FullLoadReloaded?: boolean;
  LastUpdateTime: number;
  TableState: string;
  ValidationPendingRecords: number;
  ValidationFailedRecords: number;
  ValidationSuspendedRecords: number;
  ValidationState: string;
  /** The source catalog's row estimate when the table's load started (progress only; not on the wire). */
  _estimatedRows?: number | null;
}

export const STOP_REASON = {
  normal: 'Stop Reason NORMAL',
  fullLoadOnlyFinished: 'Stop Reason FULL_LOAD_ONLY_FINISHED',
  recoverableError: 'Stop Reason RECOVERABLE_ERROR',
  fatalError: 'Stop Reason FATAL_ERROR',
  afterFullLoad: 'Stop Reason STOPPED_AFTER_FULL_LOAD',
  afterCachedEvents: 'Stop Reason STOPPED_AFTER_CACHED_EVENTS',
  atServerTime: 'Stop Reason STOPPED_AT_SERVER_TIME',
  atCommitTime: 'Stop Reason STOPPED_AT_COMMIT_TIME',
} as const;

export function emptyTaskStats(): ReplicationTaskStats {
  return { FullLoadProgressPercent: 0, ElapsedTimeMillis: 0, TablesLoaded: 0, TablesLoading: 0, TablesQueued: 0, TablesErrored: 0 };
}

/**
 * Status changes that need no worker: `creating` becomes `ready` when its time has come, and a
 * `stopping` task whose runner is gone (no live lease) is `stopped`.
 */
export function settleTask(doc: TaskDoc, now: number): TaskDoc {
  if (doc.Status === 'creating' && now >= doc._readyAt) {
    return { ...doc, Status: 'ready', ReplicationTaskStats: doc.ReplicationTaskStats ?? emptyTaskStats() };
  }
  if (doc.Status === 'stopping' && (!doc._lease || doc._lease.expires < now)) {
    return {
      ...doc,
      Status: 'stopped',
      StopReason: STOP_REASON.normal,
      ReplicationTaskStats: { ...(doc.ReplicationTaskStats ?? {}), StopDate: doc._stopRequestedAt ?? now },
    };
  }
  return doc;
}

export function newTableStats(schema: string, table: string, now: number): TableStatsDoc {
  return {
    SchemaName: schema,
    TableName: table,
    Inserts: 0,
    Deletes: 0,
    Updates: 0,
    Ddls: 0,
    AppliedInserts: 0,
    AppliedDeletes: 0,
    AppliedUpdates: 0,
    AppliedDdls: 0,
    FullLoadRows: 0,
    FullLoadCondtnlChkFailedRows: 0,
    FullLoadErrorRows: 0,
    LastUpdateTime: now,
    TableState: 'Before load',
    ValidationPendingRecords: 0,
    ValidationFailedRecords: 0,
    ValidationSuspendedRecords: 0,
    ValidationState: 'Not enabled',
  };
}
