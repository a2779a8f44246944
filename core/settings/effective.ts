// A typed view of the settings the engine acts on. Takes a document produced by
// mergeTaskSettings (already validated); missing values fall back to AWS defaults.

import { defaultTaskSettings, type JsonObject, type JsonValue, type TaskSettingsDocument } from './defaults.js';

export type TargetTablePrepMode = 'DO_NOTHING' | 'DROP_AND_CREATE' | 'TRUNCATE_BEFORE_LOAD';
export type BeforeImageColumnFilter = 'pk-only' | 'non-lob' | 'all';

export interface BeforeImage {
  fieldName: string;
  columnFilter: BeforeImageColumnFilter;
}

export interface EffectiveSettings {
  targetTablePrepMode: TargetTablePrepMode;
  /** FullLoadSettings.CommitRate: rows per full-load commit batch. */
  commitRate: number;
  /** FullLoadSettings.MaxFullLoadSubTasks: tables loaded in parallel. */
  maxFullLoadSubTasks: number;
  transactionConsistencyTimeout: number;
  stopTaskCachedChangesApplied: boolean;
  stopTaskCachedChangesNotApplied: boolean;
  createPkAfterFullLoad: boolean;
  parallelLoadThreads: number;
  parallelLoadBufferSize: number;
  parallelLoadQueuesPerThread: number;
  parallelApplyThreads: number;
  parallelApplyBufferSize: number;
  parallelApplyQueuesPerThread: number;
  batchApplyEnabled: boolean;
  /** Null unless BeforeImageSettings.EnableBeforeImage is true. */
  beforeImage: BeforeImage | null;
  enableLogging: boolean;
  handleSourceTableDropped: boolean;
  handleSourceTableTruncated: boolean;
  handleSourceTableAltered: boolean;
  failOnNoTablesCaptured: boolean;
  /** -1 = retry forever. */
  recoverableErrorCount: number;
  recoverableErrorInterval: number;
  recoverableErrorThrottling: boolean;
  recoverableErrorThrottlingMax: number;
  dataErrorPolicy: string;
  tableErrorPolicy: string;
  validationEnabled: boolean;
  /** TargetMetadata LobMaxSize in bytes when LOBs are migrated in limited LOB mode (SupportLobs, LimitedSizeLobMode), else null. */
  limitedLobMaxBytes: number | null;
}

const DEFAULTS = defaultTaskSettings();

function obj(v: JsonValue | undefined): JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {};
}

function pick<T extends JsonValue>(doc: TaskSettingsDocument, sectionName: string, key: string, type: 'number' | 'boolean' | 'string'): T {
  const v = obj(doc[sectionName])[key];
  if (typeof v === type) return v as T;
  return obj(DEFAULTS[sectionName])[key] as T;
}

export function effectiveSettings(document: TaskSettingsDocument): EffectiveSettings {
  const num = (s: string, k: string) => pick<number>(document, s, k, 'number');
  const bool = (s: string, k: string) => pick<boolean>(document, s, k, 'boolean');
  const str = (s: string, k: string) => pick<string>(document, s, k, 'string');

  const bi = obj(document.BeforeImageSettings);
  const beforeImage: BeforeImage | null = bi.EnableBeforeImage === true && typeof bi.FieldName === 'string'
    ? {
      fieldName: bi.FieldName,
      columnFilter: (typeof bi.ColumnFilter === 'string' ? bi.ColumnFilter : 'pk-only') as BeforeImageColumnFilter,
    }
    : null;

  return {
    targetTablePrepMode: str('FullLoadSettings', 'TargetTablePrepMode') as TargetTablePrepMode,
    commitRate: num('FullLoadSettings', 'CommitRate'),
    maxFullLoadSubTasks: num('FullLoadSettings', 'MaxFullLoadSubTasks'),
    transactionConsistencyTimeout: num('FullLoadSettings', 'TransactionConsistencyTimeout'),
    stopTaskCachedChangesApplied: bool('FullLoadSettings', 'StopTaskCachedChangesApplied'),
    stopTaskCachedChangesNotApplied: bool('FullLoadSettings', 'StopTaskCachedChangesNotApplied'),
    createPkAfterFullLoad: bool('FullLoadSettings', 'CreatePkAfterFullLoad'),
    parallelLoadThreads: num('TargetMetadata', 'ParallelLoadThreads'),
    parallelLoadBufferSize: num('TargetMetadata', 'ParallelLoadBufferSize'),
    parallelLoadQueuesPerThread: num('TargetMetadata', 'ParallelLoadQueuesPerThread'),
    parallelApplyThreads: num('TargetMetadata', 'ParallelApplyThreads'),
    parallelApplyBufferSize: num('TargetMetadata', 'ParallelApplyBufferSize'),
    parallelApplyQueuesPerThread: num('TargetMetadata', 'ParallelApplyQueuesPerThread'),
    batchApplyEnabled: bool('TargetMetadata', 'BatchApplyEnabled'),
    beforeImage,
    enableLogging: bool('Logging', 'EnableLogging'),
    handleSourceTableDropped: bool('ChangeProcessingDdlHandlingPolicy', 'HandleSourceTableDropped'),
    handleSourceTableTruncated: bool('ChangeProcessingDdlHandlingPolicy', 'HandleSourceTableTruncated'),
    handleSourceTableAltered: bool('ChangeProcessingDdlHandlingPolicy', 'HandleSourceTableAltered'),
    failOnNoTablesCaptured: bool('ErrorBehavior', 'FailOnNoTablesCaptured'),
    recoverableErrorCount: num('ErrorBehavior', 'RecoverableErrorCount'),
    recoverableErrorInterval: num('ErrorBehavior', 'RecoverableErrorInterval'),
    recoverableErrorThrottling: bool('ErrorBehavior', 'RecoverableErrorThrottling'),
    recoverableErrorThrottlingMax: num('ErrorBehavior', 'RecoverableErrorThrottlingMax'),
    dataErrorPolicy: str('ErrorBehavior', 'DataErrorPolicy'),
    tableErrorPolicy: str('ErrorBehavior', 'TableErrorPolicy'),
    validationEnabled: obj(document.ValidationSettings).EnableValidation === true,
    limitedLobMaxBytes: bool('TargetMetadata', 'SupportLobs') && bool('TargetMetadata', 'LimitedSizeLobMode') && !bool('TargetMetadata', 'FullLobMode')
      ? num('TargetMetadata', 'LobMaxSize') * 1024
      : null,
  };
}
