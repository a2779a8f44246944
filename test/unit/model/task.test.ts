import { describe, expect, it } from 'vitest';
import { emptyTaskStats, newTableStats, settleTask, STOP_REASON, upgradeProgress, type TaskDoc } from '../../../core/model/task.js';
import type { TaskStatus } from '../../../core/model/task-states.js';

const NOW = 1_700_000_000;

function task(over: Partial<TaskDoc> = {}): TaskDoc {
  return {
    ReplicationTaskIdentifier: 't',
    SourceEndpointArn: 'arn:aws:dms:us-east-1:000000000000:endpoint:S',
    TargetEndpointArn: 'arn:aws:dms:us-east-1:000000000000:endpoint:T',
    ReplicationInstanceArn: 'arn:aws:dms:us-east-1:000000000000:rep:I',
    MigrationType: 'cdc',
    TableMappings: '{"rules":[]}',
    ReplicationTaskSettings: '{}',
    Status: 'creating',
    ReplicationTaskCreationDate: NOW - 10,
    ReplicationTaskArn: 'arn:aws:dms:us-east-1:000000000000:task:X',
    _readyAt: NOW,
    _tags: [],
    _hasRun: false,
    ...over,
  };
}

describe('settleTask', () => {
  it('creating stays creating before its ready time (same document)', () => {
    const doc = task({ _readyAt: NOW + 5 });
    expect(settleTask(doc, NOW)).toBe(doc);
  });

  it('creating becomes ready at its ready time, with zeroed statistics', () => {
    const doc = task();
    const settled = settleTask(doc, NOW);
    expect(settled).toEqual({ ...doc, Status: 'ready', ReplicationTaskStats: emptyTaskStats() });
    expect(settled.ReplicationTaskStats).toEqual({ FullLoadProgressPercent: 0, ElapsedTimeMillis: 0, TablesLoaded: 0, TablesLoading: 0, TablesQueued: 0, TablesErrored: 0 });
    expect(doc.Status).toBe('creating');
  });

  it('keeps statistics a creating task already has', () => {
    const stats = { FullLoadProgressPercent: 42 };
    expect(settleTask(task({ ReplicationTaskStats: stats }), NOW + 1).ReplicationTaskStats).toBe(stats);
  });

  it('stopping without a runner lease is stopped NORMAL, StopDate = when the stop was asked', () => {
    const doc = task({ Status: 'stopping', _stopRequestedAt: NOW - 3, ReplicationTaskStats: { StartDate: NOW - 100, FullLoadProgressPercent: 100 } });
    expect(settleTask(doc, NOW)).toEqual({
      ...doc,
      Status: 'stopped',
      StopReason: 'Stop Reason NORMAL',
      ReplicationTaskStats: { StartDate: NOW - 100, FullLoadProgressPercent: 100, StopDate: NOW - 3 },
    });
  });

  it('stopping with an expired lease is stopped; StopDate defaults to now', () => {
    const settled = settleTask(task({ Status: 'stopping', _lease: { owner: 'r1', expires: NOW - 1 } }), NOW);
    expect(settled.Status).toBe('stopped');
    expect(settled.StopReason).toBe(STOP_REASON.normal);
    expect(settled.ReplicationTaskStats).toEqual({ StopDate: NOW });
  });

  it('stopping with a live lease is left to its runner', () => {
    for (const expires of [NOW, NOW + 30]) {
      const doc = task({ Status: 'stopping', _lease: { owner: 'r1', expires } });
      expect(settleTask(doc, NOW)).toBe(doc);
    }
  });

  it('leaves every other status alone', () => {
    for (const Status of ['ready', 'starting', 'running', 'stopped', 'failed', 'deleting', 'modifying', 'testing'] as TaskStatus[]) {
      const doc = task({ Status, _readyAt: 0 });
      expect(settleTask(doc, NOW)).toBe(doc);
    }
  });
});

describe('stop reasons and table statistics', () => {
  it('stop reasons carry the AWS prefix', () => {
    for (const r of Object.values(STOP_REASON)) expect(r).toMatch(/^Stop Reason [A-Z_]+$/);
    expect(STOP_REASON.fullLoadOnlyFinished).toBe('Stop Reason FULL_LOAD_ONLY_FINISHED');
  });

  it('new table statistics: zero counters, Before load, validation not enabled', () => {
    expect(newTableStats('db', 't1', NOW)).toEqual({
      SchemaName: 'db',
      TableName: 't1',
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
      LastUpdateTime: NOW,
      TableState: 'Before load',
      ValidationPendingRecords: 0,
      ValidationFailedRecords: 0,
      ValidationSuspendedRecords: 0,
      ValidationState: 'Not enabled',
    });
  });
});

describe('upgradeProgress', () => {
  it('reads the MySQL file/offset pairs stored before the source contract as serialised positions', () => {
    expect(
      upgradeProgress({
        completedTables: ['a\u0000t'],
        cdcFile: 'mysql-bin.000003',
        cdcPosition: 1975,
        checkpointSeq: 4,
        fullLoadDone: true,
        tableSnapshots: { 'a\u0000t': { file: 'mysql-bin.000002', position: 120 }, 'a\u0000u': 'mysql-bin.000002:300' },
      }),
    ).toEqual({
      completedTables: ['a\u0000t'],
      cdcResumePosition: 'mysql-bin.000003:1975',
      checkpointSeq: 4,
      fullLoadDone: true,
      tableSnapshots: { 'a\u0000t': 'mysql-bin.000002:120', 'a\u0000u': 'mysql-bin.000002:300' },
    });
  });
  it('keeps progress already in the new shape', () => {
    expect(upgradeProgress({ cdcResumePosition: '0/16B3748', cdcFile: 'old.000001', cdcPosition: 4 })).toEqual({ cdcResumePosition: '0/16B3748' });
    expect(upgradeProgress({})).toEqual({});
  });
});
