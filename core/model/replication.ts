import type { ComputeConfig, ProvisionData, Replication, ReplicationConfig, ReplicationStats } from '@aws-sdk/client-database-migration-service';
import { InvalidParameterValueException } from './errors.js';
import { PROVISIONING_STEPS, provisionedAfter, replicationStatus, type ProvisionState } from './replication-states.js';
import { emptyTaskStats, settleTask, type TaskDoc } from './task.js';

// A DMS Serverless replication config and its replication, stored as one document: the task shape
// the runner executes (identifier, endpoints, MigrationType = ReplicationType, TableMappings,
// ReplicationTaskSettings = ReplicationSettings, Status, statistics, progress) plus the config's own
// members. DescribeReplicationConfigs and DescribeReplications are two views of it.

/** An SDK output shape as the JSON protocol carries it: timestamps are epoch seconds. */
export type Wire<T> = T extends Date ? number : T extends (infer U)[] ? Wire<U>[] : T extends object ? { [K in keyof T]: Wire<T[K]> } : T;

export interface ReplicationDoc extends TaskDoc {
  ComputeConfig: ComputeConfig;
  SupplementalSettings?: string;
  ReplicationConfigCreateTime: number;
  ReplicationConfigUpdateTime: number;
  /** Marks the document for the runner: a replication, not a task. */
  _serverless: true;
  /** Provisioning step length and deprovisioning delay, fixed when the replication starts. */
  _stepSeconds?: number;
  _deprovisionDelaySeconds?: number;
  /** StartReplicationType as the caller sent it. */
  _startType?: string;
  /** Capacity provisioned for the current (or last) run. */
  _capacity?: number;
  _replicationUpdateTime?: number;
}

/** The task settling rules (a stop whose runner is gone is stopped) applied to a replication. */
export function settleReplication(doc: ReplicationDoc, now: number): ReplicationDoc {
  const settled = settleTask(doc, now);
  return settled === doc ? doc : { ...doc, ...settled };
}

/** botocore ComputeConfig.MaxCapacityUnits documentation: the valid DCU values. */
export const CAPACITY_UNITS = [1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384] as const;

const DAY = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const WINDOW_RE = /^(sun|mon|tue|wed|thu|fri|sat):([01]\d|2[0-3]):([0-5]\d)-(sun|mon|tue|wed|thu|fri|sat):([01]\d|2[0-3]):([0-5]\d)$/i;
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function invalid(message: string): never {
  throw new InvalidParameterValueException(message);
}

/**
 * ComputeConfig as botocore documents it: MaxCapacityUnits is required and, like MinCapacityUnits,
 * one of the DCU values; Min ≤ Max; at most four comma-separated DNS servers; the maintenance window
 * `ddd:hh24:mi-ddd:hh24:mi` of at least 30 minutes. (AWS's exact message texts are not published;
 * these name the parameter and the rule.)
 */
export function validateComputeConfig(cc: ComputeConfig): ComputeConfig {
  if (cc.MaxCapacityUnits === undefined || cc.MaxCapacityUnits === null) {
    invalid('The parameter ComputeConfig.MaxCapacityUnits must be provided.');
  }
  const units = CAPACITY_UNITS.join(', ');
  for (const key of ['MaxCapacityUnits', 'MinCapacityUnits'] as const) {
    const v = cc[key];
    if (v !== undefined && !(CAPACITY_UNITS as readonly number[]).includes(v)) {
      invalid(`Invalid ComputeConfig.${key} value ${v}. Valid values are: ${units}.`);
    }
  }
  if (cc.MinCapacityUnits !== undefined && cc.MinCapacityUnits > cc.MaxCapacityUnits) {
    invalid(`ComputeConfig.MinCapacityUnits (${cc.MinCapacityUnits}) must be less than or equal to ComputeConfig.MaxCapacityUnits (${cc.MaxCapacityUnits}).`);
  }
  if (cc.DnsNameServers !== undefined) {
    const servers = cc.DnsNameServers.split(',').map((s) => s.trim());
    if (servers.length > 4) invalid('ComputeConfig.DnsNameServers can list at most four DNS name servers.');
    const bad = servers.find((s) => !IPV4_RE.test(s));
    if (bad !== undefined) invalid(`Invalid ComputeConfig.DnsNameServers entry '${bad}': expected comma-separated IPv4 addresses.`);
  }
  if (cc.PreferredMaintenanceWindow !== undefined) {
    const m = WINDOW_RE.exec(cc.PreferredMaintenanceWindow);
    if (!m) invalid(`Invalid ComputeConfig.PreferredMaintenanceWindow '${cc.PreferredMaintenanceWindow}': the format is ddd:hh24:mi-ddd:hh24:mi (UTC).`);
    const at = (d: string, h: string, mi: string) => DAY.indexOf(d.toLowerCase()) * 1440 + Number(h) * 60 + Number(mi);
    const minutes = (at(m[4], m[5], m[6]) - at(m[1], m[2], m[3]) + 7 * 1440) % (7 * 1440);
    if (minutes < 30) invalid('ComputeConfig.PreferredMaintenanceWindow must be at least 30 minutes long.');
  }
  return cc;
}

/**
 * ReplicationConfig. AWS returns ReplicationConfigUpdateTime from create, modify and delete but not
 * from DescribeReplicationConfigs (LocalStack's AWS-validated snapshot notes, docs/aws-observed.md §2.8).
 */
export function configView(doc: ReplicationDoc, withUpdateTime = true): Wire<ReplicationConfig> {
  return {
    ReplicationConfigIdentifier: doc.ReplicationTaskIdentifier,
    ReplicationConfigArn: doc.ReplicationTaskArn,
    SourceEndpointArn: doc.SourceEndpointArn,
    TargetEndpointArn: doc.TargetEndpointArn,
    ReplicationType: doc.MigrationType,
    ComputeConfig: doc.ComputeConfig,
    ReplicationSettings: doc.ReplicationTaskSettings,
    ...(doc.SupplementalSettings !== undefined ? { SupplementalSettings: doc.SupplementalSettings } : {}),
    TableMappings: doc.TableMappings,
    ReplicationConfigCreateTime: doc.ReplicationConfigCreateTime,
    ...(withUpdateTime ? { ReplicationConfigUpdateTime: doc.ReplicationConfigUpdateTime } : {}),
    IsReadOnly: false,
  };
}

export interface ReplicationPhase {
  status: ReturnType<typeof replicationStatus>;
  provision?: { state: ProvisionState; provisionedAt?: number; deprovisionAt?: number };
}

/** Where the replication stands now: its serverless status and the state of its capacity. */
export function replicationPhase(doc: ReplicationDoc, now: number): ReplicationPhase {
  const step = doc._stepSeconds ?? 0;
  const since = doc._run ? now - doc._run.requestedAt : 0;
  const status = replicationStatus(doc.Status, since, step);
  if (!doc._hasRun || !doc._run) return { status };
  const readyAt = doc._run.requestedAt + provisionedAfter(step);
  switch (doc.Status) {
    case 'starting':
      return {
        status,
        provision: now >= readyAt
          ? { state: 'provisioned', provisionedAt: readyAt }
          : status === 'provisioning_capacity' ? { state: 'provisioning' } : undefined,
      };
    case 'running':
    case 'stopping':
      return { status, provision: { state: 'provisioned', provisionedAt: readyAt } };
    default: {
      // Stopped or failed: capacity stays for the deprovisioning delay, then goes. A run stopped
      // before its capacity was provisioned (the runner claims only at readyAt) holds none.
      const stoppedAt = doc.ReplicationTaskStats?.StopDate ?? now;
      if (stoppedAt < readyAt) return { status, provision: { state: 'deprovisioned' } };
      const deprovisionAt = stoppedAt + (doc._deprovisionDelaySeconds ?? 0);
      const state: ProvisionState = now < deprovisionAt ? 'provisioned' : now < deprovisionAt + step ? 'deprovisioning' : 'deprovisioned';
      return { status, provision: { state, provisionedAt: readyAt, deprovisionAt } };
    }
  }
}

/** The Replication shape (epoch-second timestamps, as the JSON protocol carries them). */
export function replicationView(doc: ReplicationDoc, now: number): Wire<Replication> {
  const phase = replicationPhase(doc, now);
  const stats = doc.ReplicationTaskStats ?? emptyTaskStats();
  const deprovisioned = phase.provision?.state === 'deprovisioned';
  // Once deprovisioned "the statistics will be reset" (LocalStack's DMS_SERVERLESS_DEPROVISIONING_DELAY
  // docs): the table counters go, the run's dates stay.
  const shownStats: Wire<ReplicationStats> = deprovisioned ? { ...stats, ...emptyTaskStats(), ElapsedTimeMillis: stats.ElapsedTimeMillis ?? 0 } : { ...stats };
  for (const k of Object.keys(shownStats) as (keyof Wire<ReplicationStats>)[]) if (shownStats[k] === undefined) delete shownStats[k];
  const provision: Wire<ProvisionData> | undefined = phase.provision && {
    ProvisionState: phase.provision.state,
    ...(phase.provision.state === 'provisioned' || phase.provision.state === 'deprovisioning' ? { ProvisionedCapacityUnits: doc._capacity } : {}),
    ...(phase.provision.provisionedAt !== undefined ? { DateProvisioned: (phase.provision.provisionedAt) } : {}),
    IsNewProvisioningAvailable: false,
  };
  const out: Wire<Replication> = {
    ReplicationConfigIdentifier: doc.ReplicationTaskIdentifier,
    ReplicationConfigArn: doc.ReplicationTaskArn,
    SourceEndpointArn: doc.SourceEndpointArn,
    TargetEndpointArn: doc.TargetEndpointArn,
    ReplicationType: doc.MigrationType,
    Status: phase.status,
    ...(provision ? { ProvisionData: provision } : {}),
    ...(doc.StopReason !== undefined && (phase.status === 'stopped' || phase.status === 'failed') ? { StopReason: doc.StopReason } : {}),
    ...(doc.LastFailureMessage !== undefined ? { FailureMessages: [doc.LastFailureMessage] } : {}),
    ReplicationStats: shownStats,
    ...(doc._startType !== undefined ? { StartReplicationType: doc._startType } : {}),
    ...(doc.CdcStartPosition !== undefined ? { CdcStartPosition: doc.CdcStartPosition } : {}),
    ...(doc._cdcStartTime !== undefined ? { CdcStartTime: (doc._cdcStartTime) } : {}),
    ...(doc.CdcStopPosition !== undefined ? { CdcStopPosition: doc.CdcStopPosition } : {}),
    ...(doc.RecoveryCheckpoint !== undefined ? { RecoveryCheckpoint: doc.RecoveryCheckpoint } : {}),
    ReplicationCreateTime: (doc.ReplicationConfigCreateTime),
    ReplicationUpdateTime: (doc._replicationUpdateTime ?? doc.ReplicationConfigUpdateTime),
    ...(doc.ReplicationTaskStats?.StopDate !== undefined && (phase.status === 'stopped' || phase.status === 'failed')
      ? { ReplicationLastStopTime: (doc.ReplicationTaskStats.StopDate) }
      : {}),
    ...(phase.provision?.deprovisionAt !== undefined ? { ReplicationDeprovisionTime: (phase.provision.deprovisionAt) } : {}),
    IsReadOnly: false,
  };
  return out;
}

/** True while capacity is held: a replication in this state cannot be deleted (apache/airflow#43988). */
export function holdsCapacity(doc: ReplicationDoc, now: number): boolean {
  const state = replicationPhase(doc, now).provision?.state;
  return state === 'provisioned' || state === 'provisioning' || state === 'deprovisioning';
}

export { PROVISIONING_STEPS };
