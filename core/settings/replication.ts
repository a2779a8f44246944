import { InvalidParameterValueException } from '../model/errors.js';
import { defaultTaskSettings, type TaskSettingsDocument } from './defaults.js';
import { mergeTaskSettings, type MergedTaskSettings } from './merge.js';

// ReplicationSettings of a DMS Serverless replication config: the task settings document, merged by
// the one task-settings merger, with the two Logging rules AWS applies to replication configs
// (messages as AWS returned them in terraform-provider-aws replication_config_test.go,
// TestAccDMSReplicationConfig_settings_LoggingValidation).

export function mergeReplicationSettings(userJson: string | undefined, base: TaskSettingsDocument = defaultTaskSettings()): MergedTaskSettings {
  if (userJson !== undefined && userJson.trim() !== '') {
    let user: unknown;
    try {
      user = JSON.parse(userJson);
    } catch {
      throw new InvalidParameterValueException('Invalid ReplicationSettings JSON');
    }
    const logging = typeof user === 'object' && user !== null ? (user as Record<string, unknown>).Logging : undefined;
    if (typeof logging === 'object' && logging !== null) {
      const current = (base.Logging ?? {}) as Record<string, unknown>;
      for (const field of ['CloudWatchLogGroup', 'CloudWatchLogStream']) {
        // Sending back the names AWS filled in (a described document) changes nothing and is accepted.
        const value = (logging as Record<string, unknown>)[field] ?? null;
        if (value !== null && value !== (current[field] ?? null)) {
          throw new InvalidParameterValueException(`The parameter Logging.${field} is read-only and cannot be set.`);
        }
      }
    }
  }
  const merged = mergeTaskSettings(userJson, base);
  const logging = merged.document.Logging as Record<string, unknown> | null | undefined;
  if (logging && logging.EnableLogContext === true && logging.EnableLogging !== true) {
    throw new InvalidParameterValueException('The parameter Logging.EnableLogContext is not allowed when Logging.EnableLogging is not set to true.');
  }
  return merged;
}
