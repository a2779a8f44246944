// Merging user task settings (CreateReplicationTask / ModifyReplicationTask
// `ReplicationTaskSettings`) over a base document, with the validation AWS applies
// to the values dmslite acts on.

import { InvalidParameterValueException } from '../model/errors.js';
import {
  defaultTaskSettings,
  TASK_SETTINGS_SECTIONS,
  type JsonObject,
  type JsonValue,
  type TaskSettingsDocument,
} from './defaults.js';

export interface MergeOptions {
  /**
   * True for CreateReplicationTask: AWS refuses CloudWatchLogGroup / CloudWatchLogStream
   * in the user's document on create (they are service-assigned).
   */
  create?: boolean;
}

export interface MergedTaskSettings {
  document: TaskSettingsDocument;
  /** Compact JSON, as DescribeReplicationTasks returns `ReplicationTaskSettings`. */
  json: string;
}

export const TARGET_TABLE_PREP_MODES = ['DO_NOTHING', 'DROP_AND_CREATE', 'TRUNCATE_BEFORE_LOAD'] as const;
export const BEFORE_IMAGE_COLUMN_FILTERS = ['pk-only', 'non-lob', 'all'] as const;
export const LOGGER_SEVERITIES = [
  'LOGGER_SEVERITY_DEFAULT', 'LOGGER_SEVERITY_ERROR', 'LOGGER_SEVERITY_WARNING',
  'LOGGER_SEVERITY_INFO', 'LOGGER_SEVERITY_DEBUG', 'LOGGER_SEVERITY_DETAILED_DEBUG',
] as const;
const DATA_ERROR_POLICIES = ['IGNORE_RECORD', 'LOG_ERROR', 'SUSPEND_TABLE', 'STOP_TASK'] as const;
const TABLE_ERROR_POLICIES = ['SUSPEND_TABLE', 'STOP_TASK'] as const;

export const COMMIT_RATE_MIN = 1;
export const COMMIT_RATE_MAX = 50000;
export const MAX_FULL_LOAD_SUBTASKS_MIN = 1;
export const MAX_FULL_LOAD_SUBTASKS_MAX = 49;

const DOC_ERROR = 'Replication Settings document error: ';

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clone<T extends JsonValue>(v: T): T {
  return structuredClone(v);
}

/** Object merge: base keys keep their order, user-only keys are appended; user values win. */
function mergeObject(base: JsonObject, user: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(base)) out[k] = clone(v);
  for (const [k, v] of Object.entries(user)) {
    const b = base[k];
    out[k] = isObject(b) && isObject(v) ? mergeObject(b, v) : clone(v);
  }
  return out;
}

/** LogComponents are merged by Id (AWS keeps every component, updating the given severities). */
function mergeLogComponents(base: JsonValue | undefined, user: JsonValue): JsonValue {
  if (!Array.isArray(user)) throw new InvalidParameterValueException(`${DOC_ERROR}Logging.LogComponents must be an array`);
  const out: JsonObject[] = Array.isArray(base) ? base.filter(isObject).map((c) => clone(c)) : [];
  for (const c of user) {
    if (!isObject(c) || typeof c.Id !== 'string' || c.Id === '') {
      throw new InvalidParameterValueException(`${DOC_ERROR}each Logging.LogComponents entry needs an Id`);
    }
    if (c.Severity !== undefined && !(LOGGER_SEVERITIES as readonly JsonValue[]).includes(c.Severity)) {
      throw new InvalidParameterValueException(
        `${DOC_ERROR}Logging.LogComponents severity for ${c.Id} must be one of ${LOGGER_SEVERITIES.join(', ')}`);
    }
    const existing = out.find((o) => o.Id === c.Id);
    if (existing) Object.assign(existing, clone(c));
    else out.push(clone(c));
  }
  return out;
}

function mergeSection(name: string, base: JsonValue | undefined, user: JsonValue): JsonValue {
  if (isObject(base)) {
    if (user === null) return clone(base); // AWS fills in the defaults again
    if (!isObject(user)) throw new InvalidParameterValueException(`${DOC_ERROR}${name} must be an object`);
    if (name === 'Logging' && user.LogComponents !== undefined) {
      const { LogComponents, ...rest } = user;
      const merged = mergeObject(base, rest);
      merged.LogComponents = mergeLogComponents(base.LogComponents, LogComponents);
      return merged;
    }
    return mergeObject(base, user);
  }
  return clone(user); // sections that default to null (or scalars): the user's value as given
}

/** Top-level keys in AWS order; unknown ones (only possible from a stored base) last. */
function ordered(doc: JsonObject): TaskSettingsDocument {
  const out: TaskSettingsDocument = {};
  for (const k of TASK_SETTINGS_SECTIONS) if (k in doc) out[k] = doc[k];
  for (const [k, v] of Object.entries(doc)) if (!(k in out)) out[k] = v;
  return out;
}

/**
 * Deep-merges the user's settings JSON over `base` (the defaults on create, the task's
 * current document on modify) and validates the result.
 */
export function mergeTaskSettings(
  userJson: string | undefined,
  base: TaskSettingsDocument = defaultTaskSettings(),
  options: MergeOptions = {},
): MergedTaskSettings {
  let document: TaskSettingsDocument;
  if (userJson === undefined || userJson.trim() === '') {
    document = ordered(clone(base));
  } else {
    let user: unknown;
    try {
      user = JSON.parse(userJson);
    } catch {
      throw new InvalidParameterValueException('Invalid task settings JSON');
    }
    if (!isObject(user)) throw new InvalidParameterValueException('Invalid task settings JSON');

    const known = new Set<string>(TASK_SETTINGS_SECTIONS);
    const unknown = Object.keys(user).filter((k) => !known.has(k));
    if (unknown.length > 0) {
      throw new InvalidParameterValueException(`${DOC_ERROR}Unsupported keys were found: ${unknown.join(', ')}`);
    }
    if (options.create && isObject(user.Logging)
      && ((user.Logging.CloudWatchLogGroup ?? null) !== null || (user.Logging.CloudWatchLogStream ?? null) !== null)) {
      throw new InvalidParameterValueException('Task Settings CloudWatchLogGroup or CloudWatchLogStream cannot be set on create.');
    }

    const merged: JsonObject = clone(base);
    for (const [k, v] of Object.entries(user)) merged[k] = mergeSection(k, base[k], v);
    document = ordered(merged);
  }
  validateTaskSettings(document);
  return { document, json: JSON.stringify(document) };
}

// ---------------------------------------------------------------- validation

function fail(message: string): never {
  throw new InvalidParameterValueException(DOC_ERROR + message);
}

function section(doc: TaskSettingsDocument, name: string): JsonObject | null {
  const s = doc[name];
  if (s === undefined || s === null) return null;
  if (!isObject(s)) fail(`${name} must be an object`);
  return s;
}

function checkInt(sec: JsonObject | null, secName: string, key: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!sec || !(key in sec)) return;
  const v = sec[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer of at least ${min}` : `an integer from ${min} to ${max}`;
    fail(`${secName}.${key} must be ${range}, got ${JSON.stringify(v)}`);
  }
}

function checkBool(sec: JsonObject | null, secName: string, key: string): void {
  if (!sec || !(key in sec)) return;
  if (typeof sec[key] !== 'boolean') fail(`${secName}.${key} must be true or false, got ${JSON.stringify(sec[key])}`);
}

function checkEnum(sec: JsonObject | null, secName: string, key: string, values: readonly string[]): void {
  if (!sec || !(key in sec)) return;
  const v = sec[key];
  if (typeof v !== 'string' || !values.includes(v)) {
    fail(`${secName}.${key} must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
  }
}

/** Validates the values dmslite acts on; throws InvalidParameterValueException. */
export function validateTaskSettings(doc: TaskSettingsDocument): void {
  const full = section(doc, 'FullLoadSettings');
  checkEnum(full, 'FullLoadSettings', 'TargetTablePrepMode', TARGET_TABLE_PREP_MODES);
  checkInt(full, 'FullLoadSettings', 'CommitRate', COMMIT_RATE_MIN, COMMIT_RATE_MAX);
  checkInt(full, 'FullLoadSettings', 'MaxFullLoadSubTasks', MAX_FULL_LOAD_SUBTASKS_MIN, MAX_FULL_LOAD_SUBTASKS_MAX);
  checkInt(full, 'FullLoadSettings', 'TransactionConsistencyTimeout', 0);
  checkBool(full, 'FullLoadSettings', 'StopTaskCachedChangesApplied');
  checkBool(full, 'FullLoadSettings', 'StopTaskCachedChangesNotApplied');
  checkBool(full, 'FullLoadSettings', 'CreatePkAfterFullLoad');

  const tm = section(doc, 'TargetMetadata');
  for (const k of ['ParallelLoadThreads', 'ParallelLoadBufferSize', 'ParallelLoadQueuesPerThread',
    'ParallelApplyThreads', 'ParallelApplyBufferSize', 'ParallelApplyQueuesPerThread']) {
    checkInt(tm, 'TargetMetadata', k, 0);
  }
  checkBool(tm, 'TargetMetadata', 'BatchApplyEnabled');
  checkBool(tm, 'TargetMetadata', 'SupportLobs');

  const logging = section(doc, 'Logging');
  checkBool(logging, 'Logging', 'EnableLogging');
  checkBool(logging, 'Logging', 'EnableLogContext');

  const ddl = section(doc, 'ChangeProcessingDdlHandlingPolicy');
  for (const k of ['HandleSourceTableDropped', 'HandleSourceTableTruncated', 'HandleSourceTableAltered']) {
    checkBool(ddl, 'ChangeProcessingDdlHandlingPolicy', k);
  }

  const eb = section(doc, 'ErrorBehavior');
  checkBool(eb, 'ErrorBehavior', 'FailOnNoTablesCaptured');
  checkInt(eb, 'ErrorBehavior', 'RecoverableErrorCount', -1);
  checkInt(eb, 'ErrorBehavior', 'RecoverableErrorInterval', 0);
  checkBool(eb, 'ErrorBehavior', 'RecoverableErrorThrottling');
  checkInt(eb, 'ErrorBehavior', 'RecoverableErrorThrottlingMax', 0);
  checkEnum(eb, 'ErrorBehavior', 'DataErrorPolicy', DATA_ERROR_POLICIES);
  checkEnum(eb, 'ErrorBehavior', 'DataTruncationErrorPolicy', DATA_ERROR_POLICIES);
  checkEnum(eb, 'ErrorBehavior', 'TableErrorPolicy', TABLE_ERROR_POLICIES);

  const bi = section(doc, 'BeforeImageSettings');
  if (bi) {
    checkBool(bi, 'BeforeImageSettings', 'EnableBeforeImage');
    if (bi.EnableBeforeImage === true) {
      if (typeof bi.FieldName !== 'string' || bi.FieldName.trim() === '') {
        fail('BeforeImageSettings.FieldName is required when EnableBeforeImage is true');
      }
      checkEnum(bi, 'BeforeImageSettings', 'ColumnFilter', BEFORE_IMAGE_COLUMN_FILTERS);
    }
  }

  if ('FailTaskWhenCleanTaskResourceFailed' in doc && typeof doc.FailTaskWhenCleanTaskResourceFailed !== 'boolean') {
    fail('FailTaskWhenCleanTaskResourceFailed must be true or false');
  }
}
