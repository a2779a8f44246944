import { describe, expect, it } from 'vitest';
import { DmsFault } from '../../../core/model/errors.js';
import { configView, holdsCapacity, replicationPhase, replicationView, settleReplication, validateComputeConfig, type ReplicationDoc } from '../../../core/model/replication.js';
import { PROVISIONING_STEPS, replicationStatus } from '../../../core/model/replication-states.js';
import { replicationLogGroup, replicationLogStream, withReplicationLogDestination } from '../../../core/observe/task-log.js';
import { defaultTaskSettings } from '../../../core/settings/index.js';
import { mergeReplicationSettings } from '../../../core/settings/replication.js';

const ARN = 'arn:aws:dms:us-east-1:000000000000:replication-config:ABC';

function doc(over: Partial<ReplicationDoc> = {}): ReplicationDoc {
  return {
    ReplicationTaskIdentifier: 'cfg',
    ReplicationTaskArn: ARN,
    SourceEndpointArn: 'arn:aws:dms:us-east-1:000000000000:endpoint:S',
    TargetEndpointArn: 'arn:aws:dms:us-east-1:000000000000:endpoint:T',
    ReplicationInstanceArn: '',
    MigrationType: 'full-load-and-cdc',
    TableMappings: '{}',
    ReplicationTaskSettings: '{}',
    ComputeConfig: { MaxCapacityUnits: 8, MinCapacityUnits: 2 },
    Status: 'ready',
    ReplicationTaskCreationDate: 1000,
    ReplicationConfigCreateTime: 1000,
    ReplicationConfigUpdateTime: 1000,
    _serverless: true,
    _readyAt: 1000,
    _tags: [],
    _hasRun: false,
    ...over,
  };
}

const started = (over: Partial<ReplicationDoc> = {}) =>
  doc({ Status: 'starting', _hasRun: true, _run: { id: 'r', type: 'start-replication', requestedAt: 2000 }, _stepSeconds: 10, _deprovisionDelaySeconds: 60, _capacity: 2, ...over });

function fault(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof DmsFault) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a fault');
}

describe('validateComputeConfig', () => {
  it('accepts the DCU values and requires MaxCapacityUnits', () => {
    for (const v of [1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384]) expect(() => validateComputeConfig({ MaxCapacityUnits: v, MinCapacityUnits: 1 })).not.toThrow();
    expect(fault(() => validateComputeConfig({ MinCapacityUnits: 2 }))).toEqual({
      code: 'InvalidParameterValueException',
      message: 'The parameter ComputeConfig.MaxCapacityUnits must be provided.',
    });
    for (const v of [0, 3, 5, 96, 512]) expect(fault(() => validateComputeConfig({ MaxCapacityUnits: v })).code).toBe('InvalidParameterValueException');
    expect(fault(() => validateComputeConfig({ MaxCapacityUnits: 4, MinCapacityUnits: 8 })).message).toContain('less than or equal');
  });

  it('checks DNS servers and the maintenance window', () => {
    expect(() => validateComputeConfig({ MaxCapacityUnits: 2, DnsNameServers: '10.0.0.2, 10.0.0.3' })).not.toThrow();
    expect(fault(() => validateComputeConfig({ MaxCapacityUnits: 2, DnsNameServers: 'dns.example.com' })).message).toContain("'dns.example.com'");
    expect(() => validateComputeConfig({ MaxCapacityUnits: 2, PreferredMaintenanceWindow: 'sun:23:45-mon:00:30' })).not.toThrow();
    // Wraps around the week.
    expect(() => validateComputeConfig({ MaxCapacityUnits: 2, PreferredMaintenanceWindow: 'sat:23:45-sun:00:15' })).not.toThrow();
    expect(fault(() => validateComputeConfig({ MaxCapacityUnits: 2, PreferredMaintenanceWindow: 'mon:10:00-mon:10:29' })).message).toContain('at least 30 minutes');
    expect(fault(() => validateComputeConfig({ MaxCapacityUnits: 2, PreferredMaintenanceWindow: 'mon:25:00-mon:26:00' })).code).toBe('InvalidParameterValueException');
  });
});

describe('replication status', () => {
  it('unfolds starting into the provisioning steps, one per step length', () => {
    expect(replicationStatus('ready', 0, 10)).toBe('created');
    const seen = [0, 10, 20, 30, 40, 50, 60, 500].map((t) => replicationStatus('starting', t, 10));
    expect(seen).toEqual([...PROVISIONING_STEPS, 'replication_starting', 'replication_starting']);
    expect(replicationStatus('starting', 0, 0)).toBe('replication_starting');
    for (const s of ['running', 'stopping', 'stopped', 'failed', 'deleting'] as const) expect(replicationStatus(s, 0, 10)).toBe(s);
  });

  it('provisions capacity at replication_starting and deprovisions after the delay', () => {
    expect(replicationPhase(doc(), 5000)).toEqual({ status: 'created' });
    expect(replicationPhase(started(), 2005)).toEqual({ status: 'initializing', provision: undefined });
    expect(replicationPhase(started(), 2045).provision).toEqual({ state: 'provisioning' });
    expect(replicationPhase(started(), 2050)).toEqual({ status: 'replication_starting', provision: { state: 'provisioned', provisionedAt: 2050 } });
    const running = started({ Status: 'running' });
    expect(replicationPhase(running, 3000).provision).toEqual({ state: 'provisioned', provisionedAt: 2050 });
    const stopped = started({ Status: 'stopped', ReplicationTaskStats: { StopDate: 3000 } });
    expect(replicationPhase(stopped, 3059).provision).toEqual({ state: 'provisioned', provisionedAt: 2050, deprovisionAt: 3060 });
    expect(replicationPhase(stopped, 3065).provision!.state).toBe('deprovisioning');
    expect(replicationPhase(stopped, 3070).provision!.state).toBe('deprovisioned');
    expect(holdsCapacity(stopped, 3059)).toBe(true);
    expect(holdsCapacity(stopped, 3070)).toBe(false);
    // Stopped before provisioning finished: nothing to hold.
    const early = started({ Status: 'stopped', ReplicationTaskStats: { StopDate: 2020 } });
    expect(replicationPhase(early, 2021).provision).toEqual({ state: 'deprovisioned' });
  });

  it('a stop whose runner is gone settles to stopped with the request time as stop date', () => {
    const stopping = started({ Status: 'stopping', _stopRequestedAt: 2010 });
    const settled = settleReplication(stopping, 2011);
    expect(settled).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason NORMAL', ComputeConfig: { MaxCapacityUnits: 8 } });
    expect(settled.ReplicationTaskStats!.StopDate).toBe(2010);
  });
});

describe('views', () => {
  it('shows the config without internal members, and without the update time when describing', () => {
    const view = configView(doc({ SupplementalSettings: '{}' }));
    expect(view).toEqual({
      ReplicationConfigIdentifier: 'cfg',
      ReplicationConfigArn: ARN,
      SourceEndpointArn: 'arn:aws:dms:us-east-1:000000000000:endpoint:S',
      TargetEndpointArn: 'arn:aws:dms:us-east-1:000000000000:endpoint:T',
      ReplicationType: 'full-load-and-cdc',
      ComputeConfig: { MaxCapacityUnits: 8, MinCapacityUnits: 2 },
      ReplicationSettings: '{}',
      SupplementalSettings: '{}',
      TableMappings: '{}',
      ReplicationConfigCreateTime: 1000,
      ReplicationConfigUpdateTime: 1000,
      IsReadOnly: false,
    });
    expect(configView(doc(), false)).not.toHaveProperty('ReplicationConfigUpdateTime');
  });

  it('resets the table counters once deprovisioned, keeping the dates', () => {
    const stats = { TablesLoaded: 3, TablesLoading: 0, TablesQueued: 0, TablesErrored: 0, FullLoadProgressPercent: 100, ElapsedTimeMillis: 900, StartDate: 2000, StopDate: 3000 };
    const stopped = started({ Status: 'stopped', StopReason: 'Stop Reason NORMAL', ReplicationTaskStats: stats, RecoveryCheckpoint: 'checkpoint:V1#1#mysql-bin.000001:4:0#0#0#*#0#0' });
    const before = replicationView(stopped, 3001);
    expect(before).toMatchObject({
      Status: 'stopped',
      StopReason: 'Stop Reason NORMAL',
      ProvisionData: { ProvisionState: 'provisioned', ProvisionedCapacityUnits: 2, DateProvisioned: 2050, IsNewProvisioningAvailable: false },
      ReplicationStats: { TablesLoaded: 3 },
      ReplicationLastStopTime: 3000,
      ReplicationDeprovisionTime: 3060,
      RecoveryCheckpoint: 'checkpoint:V1#1#mysql-bin.000001:4:0#0#0#*#0#0',
    });
    const after = replicationView(stopped, 4000);
    expect(after.ProvisionData).toEqual({ ProvisionState: 'deprovisioned', DateProvisioned: 2050, IsNewProvisioningAvailable: false });
    expect(after.ReplicationStats).toMatchObject({ TablesLoaded: 0, FullLoadProgressPercent: 0, StartDate: 2000, StopDate: 3000 });
    expect(replicationView(started({ Status: 'failed', LastFailureMessage: 'boom', ReplicationTaskStats: { StopDate: 2100 } }), 2101).FailureMessages).toEqual(['boom']);
  });
});

describe('mergeReplicationSettings', () => {
  it('merges over the task defaults with the replication-config logging rules', () => {
    const merged = JSON.parse(mergeReplicationSettings(JSON.stringify({ Logging: { EnableLogging: true, EnableLogContext: true } })).json);
    expect(merged.Logging).toMatchObject({ EnableLogging: true, EnableLogContext: true, CloudWatchLogGroup: null });
    expect(merged.FullLoadSettings.CommitRate).toBe(10000);
    expect(fault(() => mergeReplicationSettings(JSON.stringify({ Logging: { CloudWatchLogGroup: 'g' } }))).message).toBe(
      'The parameter Logging.CloudWatchLogGroup is read-only and cannot be set.',
    );
    expect(fault(() => mergeReplicationSettings(JSON.stringify({ Logging: { EnableLogContext: true } }))).message).toBe(
      'The parameter Logging.EnableLogContext is not allowed when Logging.EnableLogging is not set to true.',
    );
    // Explicit nulls are what AWS returns, so they can be sent back.
    expect(() => mergeReplicationSettings(JSON.stringify({ Logging: { CloudWatchLogGroup: null, CloudWatchLogStream: null } }))).not.toThrow();
  });
});

describe('serverless task log names', () => {
  it('names the group after the config resource id and one stream per run, filled only when logging is on', () => {
    const run = { id: '3f2ab9c1-0d4e-4bcd-9e1f-aa55', requestedAt: 1707510629.537 };
    expect(replicationLogGroup(ARN)).toBe('dms-serverless-replication-ABC');
    expect(replicationLogStream(run)).toBe('dms-serverless-serv-res-id-1707510629537-fabc');
    const off = JSON.stringify(defaultTaskSettings());
    expect(JSON.parse(withReplicationLogDestination(off, ARN, run)).Logging).toMatchObject({ CloudWatchLogGroup: null, CloudWatchLogStream: null });
    const on = mergeReplicationSettings(JSON.stringify({ Logging: { EnableLogging: true } })).json;
    const named = withReplicationLogDestination(on, ARN, run);
    expect(JSON.parse(named).Logging).toMatchObject({ CloudWatchLogGroup: 'dms-serverless-replication-ABC', CloudWatchLogStream: 'dms-serverless-serv-res-id-1707510629537-fabc' });
    // A described document sent back unchanged is accepted; other names are not.
    const base = JSON.parse(named);
    expect(() => mergeReplicationSettings(named, base)).not.toThrow();
    expect(fault(() => mergeReplicationSettings(JSON.stringify({ Logging: { CloudWatchLogStream: 'other' } }), base)).message).toBe(
      'The parameter Logging.CloudWatchLogStream is read-only and cannot be set.',
    );
  });
});
