export {
  defaultTaskSettings,
  TASK_SETTINGS_SECTIONS,
  type JsonObject,
  type JsonValue,
  type TaskSettingsDocument,
  type TaskSettingsSection,
} from './defaults.js';
export {
  mergeTaskSettings,
  validateTaskSettings,
  TARGET_TABLE_PREP_MODES,
  BEFORE_IMAGE_COLUMN_FILTERS,
  COMMIT_RATE_MIN,
  COMMIT_RATE_MAX,
  MAX_FULL_LOAD_SUBTASKS_MIN,
  MAX_FULL_LOAD_SUBTASKS_MAX,
  type MergeOptions,
  type MergedTaskSettings,
} from './merge.js';
export {
  effectiveSettings,
  type EffectiveSettings,
  type BeforeImage,
  type BeforeImageColumnFilter,
  type TargetTablePrepMode,
} from './effective.js';
