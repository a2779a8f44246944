// The ReplicationTaskSettings document AWS DMS stores for a task created
// without settings, as DescribeReplicationTasks returns it (values and key order).
//
// Sources (live DescribeReplicationTasks output published in public repositories):
// - go-to-k/cdk-real-drift#1557: a minimal task created without settings
//   (TTSettings null, TargetTablePrepMode DROP_AND_CREATE, DataMaskingErrorPolicy,
//   ChangeProcessingTuning.RecoveryTimeout);
// - hashicorp/terraform-provider-aws#39756 / #37780: the LogComponents order, the
//   duplicated `historyTimeslotInMinutes`, and the section order.
// AWS does not return a ValidationSettings section unless the task was given one.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
/** A full task settings document (top-level section name → section). */
export type TaskSettingsDocument = JsonObject;

const LOG_COMPONENT_IDS = [
  'DATA_STRUCTURE', 'COMMUNICATION', 'IO', 'COMMON', 'FILE_FACTORY', 'FILE_TRANSFER',
  'REST_SERVER', 'ADDONS', 'TARGET_LOAD', 'TARGET_APPLY', 'SOURCE_UNLOAD', 'SOURCE_CAPTURE',
  'TRANSFORMATION', 'SORTER', 'TASK_MANAGER', 'TABLES_MANAGER', 'METADATA_MANAGER',
  'PERFORMANCE', 'VALIDATOR_EXT',
] as const;

/**
 * Top-level sections AWS accepts, in the order AWS emits them. Sections absent from
 * the default document (ValidationSettings, DataResyncSettings) are emitted in this
 * position only when the user supplied them.
 */
export const TASK_SETTINGS_SECTIONS = [
  'Logging',
  'StreamBufferSettings',
  'ErrorBehavior',
  'ValidationSettings',
  'DataResyncSettings',
  'TTSettings',
  'FullLoadSettings',
  'TargetMetadata',
  'BeforeImageSettings',
  'ControlTablesSettings',
  'LoopbackPreventionSettings',
  'CharacterSetSettings',
  'FailTaskWhenCleanTaskResourceFailed',
  'ChangeProcessingTuning',
  'ChangeProcessingDdlHandlingPolicy',
  'PostProcessingRules',
] as const;

export type TaskSettingsSection = (typeof TASK_SETTINGS_SECTIONS)[number];

/** A fresh copy of the default document; callers may mutate it. */
export function defaultTaskSettings(): TaskSettingsDocument {
  return {
    Logging: {
      EnableLogging: false,
      EnableLogContext: false,
      LogComponents: LOG_COMPONENT_IDS.map((Id) => ({ Severity: 'LOGGER_SEVERITY_DEFAULT', Id })),
      CloudWatchLogGroup: null,
      CloudWatchLogStream: null,
    },
    StreamBufferSettings: {
      StreamBufferCount: 3,
      CtrlStreamBufferSizeInMB: 5,
      StreamBufferSizeInMB: 8,
    },
    ErrorBehavior: {
      FailOnNoTablesCaptured: true,
      ApplyErrorUpdatePolicy: 'LOG_ERROR',
      FailOnTransactionConsistencyBreached: false,
      RecoverableErrorThrottlingMax: 1800,
      DataErrorEscalationPolicy: 'SUSPEND_TABLE',
      ApplyErrorEscalationCount: 0,
      RecoverableErrorStopRetryAfterThrottlingMax: true,
      RecoverableErrorThrottling: true,
      ApplyErrorFailOnTruncationDdl: false,
      DataMaskingErrorPolicy: 'STOP_TASK',
      DataTruncationErrorPolicy: 'LOG_ERROR',
      ApplyErrorInsertPolicy: 'LOG_ERROR',
      EventErrorPolicy: 'IGNORE',
      ApplyErrorEscalationPolicy: 'LOG_ERROR',
      RecoverableErrorCount: -1,
      DataErrorEscalationCount: 0,
      TableErrorEscalationPolicy: 'STOP_TASK',
      RecoverableErrorInterval: 5,
      ApplyErrorDeletePolicy: 'IGNORE_RECORD',
      TableErrorEscalationCount: 0,
      FullLoadIgnoreConflicts: true,
      DataErrorPolicy: 'LOG_ERROR',
      TableErrorPolicy: 'SUSPEND_TABLE',
    },
    TTSettings: null,
    FullLoadSettings: {
      CommitRate: 10000,
      StopTaskCachedChangesApplied: false,
      StopTaskCachedChangesNotApplied: false,
      MaxFullLoadSubTasks: 8,
      TransactionConsistencyTimeout: 600,
      CreatePkAfterFullLoad: false,
      TargetTablePrepMode: 'DROP_AND_CREATE',
    },
    TargetMetadata: {
      ParallelApplyBufferSize: 0,
      ParallelApplyQueuesPerThread: 0,
      ParallelApplyThreads: 0,
      TargetSchema: '',
      InlineLobMaxSize: 0,
      ParallelLoadQueuesPerThread: 0,
      SupportLobs: true,
      LobChunkSize: 64,
      TaskRecoveryTableEnabled: false,
      ParallelLoadThreads: 0,
      LobMaxSize: 32,
      BatchApplyEnabled: false,
      FullLobMode: false,
      LimitedSizeLobMode: true,
      LoadMaxFileSize: 0,
      ParallelLoadBufferSize: 0,
    },
    BeforeImageSettings: null,
    ControlTablesSettings: {
      historyTimeslotInMinutes: 5,
      HistoryTimeslotInMinutes: 5,
      StatusTableEnabled: false,
      SuspendedTablesTableEnabled: false,
      HistoryTableEnabled: false,
      ControlSchema: '',
      FullLoadExceptionTableEnabled: false,
    },
    LoopbackPreventionSettings: null,
    CharacterSetSettings: null,
    FailTaskWhenCleanTaskResourceFailed: false,
    ChangeProcessingTuning: {
      StatementCacheSize: 50,
      CommitTimeout: 1,
      RecoveryTimeout: -1,
      BatchApplyPreserveTransaction: true,
      BatchApplyTimeoutMin: 1,
      BatchSplitSize: 0,
      BatchApplyTimeoutMax: 30,
      MinTransactionSize: 1000,
      MemoryKeepTime: 60,
      BatchApplyMemoryLimit: 500,
      MemoryLimitTotal: 1024,
    },
    ChangeProcessingDdlHandlingPolicy: {
      HandleSourceTableDropped: true,
      HandleSourceTableTruncated: true,
      HandleSourceTableAltered: true,
    },
    PostProcessingRules: null,
  };
}
