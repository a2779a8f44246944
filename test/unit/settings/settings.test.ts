import { describe, expect, it } from 'vitest';
import {
  defaultTaskSettings,
  effectiveSettings,
  mergeTaskSettings,
  type JsonObject,
} from '../../../core/settings/index.js';
import { InvalidParameterValueException } from '../../../core/model/errors.js';

function expectInvalid(fn: () => unknown, message: string | RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(InvalidParameterValueException);
  const err = caught as InvalidParameterValueException;
  expect(err.code).toBe('InvalidParameterValueException');
  if (typeof message === 'string') expect(err.message).toBe(message);
  else expect(err.message).toMatch(message);
}

describe('defaultTaskSettings', () => {
  it('has the AWS top-level sections in AWS order', () => {
    expect(Object.keys(defaultTaskSettings())).toEqual([
      'Logging', 'StreamBufferSettings', 'ErrorBehavior', 'TTSettings', 'FullLoadSettings',
      'TargetMetadata', 'BeforeImageSettings', 'ControlTablesSettings', 'LoopbackPreventionSettings',
      'CharacterSetSettings', 'FailTaskWhenCleanTaskResourceFailed', 'ChangeProcessingTuning',
      'ChangeProcessingDdlHandlingPolicy', 'PostProcessingRules',
    ]);
  });

  it('carries the defaults that matter', () => {
    const d = defaultTaskSettings() as Record<string, JsonObject>;
    expect(d.FullLoadSettings).toEqual({
      CommitRate: 10000, StopTaskCachedChangesApplied: false, StopTaskCachedChangesNotApplied: false,
      MaxFullLoadSubTasks: 8, TransactionConsistencyTimeout: 600, CreatePkAfterFullLoad: false,
      TargetTablePrepMode: 'DROP_AND_CREATE',
    });
    expect(d.TargetMetadata.ParallelLoadThreads).toBe(0);
    expect(d.TargetMetadata.ParallelApplyThreads).toBe(0);
    expect(d.Logging.EnableLogging).toBe(false);
    expect((d.Logging.LogComponents as unknown[]).length).toBe(19);
    expect(d.BeforeImageSettings).toBeNull();
    expect(d.ErrorBehavior.DataErrorPolicy).toBe('LOG_ERROR');
    expect(d.ErrorBehavior.TableErrorPolicy).toBe('SUSPEND_TABLE');
    expect(d.ErrorBehavior.TableErrorEscalationPolicy).toBe('STOP_TASK');
  });

  it('returns a fresh copy each time', () => {
    const a = defaultTaskSettings() as Record<string, JsonObject>;
    a.FullLoadSettings.CommitRate = 1;
    expect((defaultTaskSettings() as Record<string, JsonObject>).FullLoadSettings.CommitRate).toBe(10000);
  });
});

describe('mergeTaskSettings', () => {
  it('returns the defaults, compact, when no settings are given', () => {
    for (const input of [undefined, '', '  ']) {
      const r = mergeTaskSettings(input);
      expect(r.document).toEqual(defaultTaskSettings());
      expect(r.json).toBe(JSON.stringify(defaultTaskSettings()));
      expect(r.json).not.toContain('\n');
      expect(r.json.startsWith('{"Logging":{"EnableLogging":false,')).toBe(true);
    }
  });

  it('deep-merges user values and keeps every other default', () => {
    const r = mergeTaskSettings(JSON.stringify({
      FullLoadSettings: { TargetTablePrepMode: 'DO_NOTHING', CommitRate: 50000 },
      TargetMetadata: { ParallelApplyThreads: 4 },
    }));
    const d = r.document as Record<string, JsonObject>;
    expect(d.FullLoadSettings.TargetTablePrepMode).toBe('DO_NOTHING');
    expect(d.FullLoadSettings.CommitRate).toBe(50000);
    expect(d.FullLoadSettings.MaxFullLoadSubTasks).toBe(8);
    expect(d.TargetMetadata.ParallelApplyThreads).toBe(4);
    expect(d.TargetMetadata.LobMaxSize).toBe(32);
    expect(Object.keys(d.FullLoadSettings)).toEqual(Object.keys((defaultTaskSettings() as Record<string, JsonObject>).FullLoadSettings));
    expect(JSON.parse(r.json)).toEqual(r.document);
  });

  it('keeps AWS section order whatever order the user wrote', () => {
    const r = mergeTaskSettings(JSON.stringify({
      ValidationSettings: { EnableValidation: true },
      BeforeImageSettings: { EnableBeforeImage: true, FieldName: 'before-image', ColumnFilter: 'all' },
      Logging: { EnableLogging: true },
    }));
    const keys = Object.keys(r.document);
    expect(keys.indexOf('ValidationSettings')).toBe(keys.indexOf('ErrorBehavior') + 1);
    expect(keys[0]).toBe('Logging');
    expect(r.document.BeforeImageSettings).toEqual({ EnableBeforeImage: true, FieldName: 'before-image', ColumnFilter: 'all' });
  });

  it('merges LogComponents by Id', () => {
    const r = mergeTaskSettings(JSON.stringify({
      Logging: { EnableLogging: true, LogComponents: [{ Id: 'SOURCE_CAPTURE', Severity: 'LOGGER_SEVERITY_DEBUG' }] },
    }));
    const comps = (r.document.Logging as JsonObject).LogComponents as JsonObject[];
    expect(comps).toHaveLength(19);
    expect(comps.find((c) => c.Id === 'SOURCE_CAPTURE')!.Severity).toBe('LOGGER_SEVERITY_DEBUG');
    expect(comps.find((c) => c.Id === 'IO')!.Severity).toBe('LOGGER_SEVERITY_DEFAULT');
  });

  it('merges over a given base (ModifyReplicationTask)', () => {
    const first = mergeTaskSettings(JSON.stringify({ FullLoadSettings: { CommitRate: 500 } }));
    const second = mergeTaskSettings(JSON.stringify({ FullLoadSettings: { MaxFullLoadSubTasks: 2 } }), first.document);
    const full = second.document.FullLoadSettings as JsonObject;
    expect(full.CommitRate).toBe(500);
    expect(full.MaxFullLoadSubTasks).toBe(2);
    // the base is not mutated
    expect((first.document.FullLoadSettings as JsonObject).MaxFullLoadSubTasks).toBe(8);
  });

  it('a null object section falls back to the base', () => {
    const r = mergeTaskSettings(JSON.stringify({ FullLoadSettings: null, BeforeImageSettings: null }));
    expect(r.document).toEqual(defaultTaskSettings());
  });

  it('rejects invalid JSON', () => {
    expectInvalid(() => mergeTaskSettings('{"FullLoadSettings":'), 'Invalid task settings JSON');
    expectInvalid(() => mergeTaskSettings('[1,2]'), 'Invalid task settings JSON');
    expectInvalid(() => mergeTaskSettings('42'), 'Invalid task settings JSON');
  });

  it('rejects unknown top-level keys', () => {
    expectInvalid(() => mergeTaskSettings('{"Foo":{}}'),
      'Replication Settings document error: Unsupported keys were found: Foo');
    expectInvalid(() => mergeTaskSettings('{"Foo":{},"Logging":{},"Bar":1}'),
      'Replication Settings document error: Unsupported keys were found: Foo, Bar');
  });

  it('rejects CloudWatch log group/stream on create only', () => {
    const json = JSON.stringify({ Logging: { CloudWatchLogGroup: 'g', CloudWatchLogStream: 's' } });
    expectInvalid(() => mergeTaskSettings(json, undefined, { create: true }),
      'Task Settings CloudWatchLogGroup or CloudWatchLogStream cannot be set on create.');
    expect(() => mergeTaskSettings(json)).not.toThrow();
    expect(() => mergeTaskSettings(JSON.stringify({ Logging: { CloudWatchLogGroup: null } }), undefined, { create: true })).not.toThrow();
  });

  it.each([
    [{ FullLoadSettings: { CommitRate: 0 } }, /FullLoadSettings\.CommitRate must be an integer from 1 to 50000/],
    [{ FullLoadSettings: { CommitRate: 50001 } }, /CommitRate/],
    [{ FullLoadSettings: { CommitRate: '100' } }, /CommitRate/],
    [{ FullLoadSettings: { CommitRate: 1.5 } }, /CommitRate/],
    [{ FullLoadSettings: { MaxFullLoadSubTasks: 50 } }, /MaxFullLoadSubTasks must be an integer from 1 to 49/],
    [{ FullLoadSettings: { MaxFullLoadSubTasks: 0 } }, /MaxFullLoadSubTasks/],
    [{ FullLoadSettings: { TargetTablePrepMode: 'DROP' } }, /TargetTablePrepMode must be one of DO_NOTHING, DROP_AND_CREATE, TRUNCATE_BEFORE_LOAD/],
    [{ FullLoadSettings: { StopTaskCachedChangesApplied: 'true' } }, /StopTaskCachedChangesApplied must be true or false/],
    [{ FullLoadSettings: { StopTaskCachedChangesNotApplied: 1 } }, /StopTaskCachedChangesNotApplied/],
    [{ TargetMetadata: { ParallelApplyThreads: -1 } }, /ParallelApplyThreads must be an integer of at least 0/],
    [{ BeforeImageSettings: { EnableBeforeImage: true } }, /BeforeImageSettings\.FieldName is required/],
    [{ BeforeImageSettings: { EnableBeforeImage: true, FieldName: '' } }, /FieldName is required/],
    [{ BeforeImageSettings: { EnableBeforeImage: true, FieldName: 'b', ColumnFilter: 'lob' } }, /ColumnFilter must be one of pk-only, non-lob, all/],
    [{ Logging: 'on' }, /Logging must be an object/],
    [{ Logging: { LogComponents: [{ Id: 'IO', Severity: 'LOUD' }] } }, /severity for IO/],
    [{ ErrorBehavior: { TableErrorPolicy: 'LOG_ERROR' } }, /TableErrorPolicy/],
  ])('rejects %j', (input, message) => {
    expectInvalid(() => mergeTaskSettings(JSON.stringify(input)), message);
  });

  it('accepts the bounds', () => {
    expect(() => mergeTaskSettings(JSON.stringify({ FullLoadSettings: { CommitRate: 1, MaxFullLoadSubTasks: 49 } }))).not.toThrow();
    expect(() => mergeTaskSettings(JSON.stringify({ FullLoadSettings: { CommitRate: 50000, MaxFullLoadSubTasks: 1 } }))).not.toThrow();
    expect(() => mergeTaskSettings(JSON.stringify({ BeforeImageSettings: { EnableBeforeImage: false } }))).not.toThrow();
  });
});

describe('effectiveSettings', () => {
  it('maps the defaults', () => {
    const e = effectiveSettings(defaultTaskSettings());
    expect(e).toMatchObject({
      targetTablePrepMode: 'DROP_AND_CREATE',
      commitRate: 10000,
      maxFullLoadSubTasks: 8,
      parallelLoadThreads: 0,
      parallelApplyThreads: 0,
      beforeImage: null,
      stopTaskCachedChangesApplied: false,
      stopTaskCachedChangesNotApplied: false,
      enableLogging: false,
      handleSourceTableAltered: true,
      failOnNoTablesCaptured: true,
      recoverableErrorCount: -1,
      validationEnabled: false,
    });
  });

  it('maps user settings', () => {
    const { document } = mergeTaskSettings(JSON.stringify({
      FullLoadSettings: { TargetTablePrepMode: 'DO_NOTHING', CommitRate: 20, MaxFullLoadSubTasks: 3, StopTaskCachedChangesNotApplied: true },
      TargetMetadata: { ParallelApplyThreads: 8 },
      BeforeImageSettings: { EnableBeforeImage: true, FieldName: 'before' },
    }));
    const e = effectiveSettings(document);
    expect(e.targetTablePrepMode).toBe('DO_NOTHING');
    expect(e.commitRate).toBe(20);
    expect(e.maxFullLoadSubTasks).toBe(3);
    expect(e.stopTaskCachedChangesNotApplied).toBe(true);
    expect(e.parallelApplyThreads).toBe(8);
    expect(e.beforeImage).toEqual({ fieldName: 'before', columnFilter: 'pk-only' });
  });

  it('before image disabled gives null', () => {
    const { document } = mergeTaskSettings(JSON.stringify({
      BeforeImageSettings: { EnableBeforeImage: false, FieldName: 'x', ColumnFilter: 'all' },
    }));
    expect(effectiveSettings(document).beforeImage).toBeNull();
  });
});
