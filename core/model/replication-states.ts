import type { TaskStatus } from './task-states.js';

// A DMS Serverless replication runs through the task state table (task-states.ts): it is a task whose
// capacity AWS manages. What differs is what DescribeReplications shows: the serverless status strings
// (terraform-provider-aws internal/service/dms/consts.go; docs CHAP_Serverless.Components) and the
// provisioning steps AWS walks through between StartReplication and `running`.

export type ReplicationStatus =
  | 'created' | 'initializing' | 'preparing_metadata_resources' | 'testing_connection' | 'fetching_metadata'
  | 'calculating_capacity' | 'provisioning_capacity' | 'replication_starting' | 'running' | 'stopping' | 'stopped'
  | 'failed' | 'deleting';

/**
 * The statuses between StartReplication and `running`. The user guide also lists fetching_metadata, but
 * the AWS-validated LocalStack test saw initializing, preparing_metadata_resources, testing_connection,
 * calculating_capacity, provisioning_capacity, replication_starting (docs/aws-observed.md §2.8; LocalStack
 * counts six status changes before running).
 */
export const PROVISIONING_STEPS = [
  'initializing',
  'preparing_metadata_resources',
  'testing_connection',
  'calculating_capacity',
  'provisioning_capacity',
  'replication_starting',
] as const satisfies readonly ReplicationStatus[];

/** Index of the step in which capacity counts as provisioned (the one after provisioning_capacity). */
export const PROVISIONED_STEP = PROVISIONING_STEPS.indexOf('replication_starting');

export type ProvisionState = 'provisioning' | 'provisioned' | 'deprovisioning' | 'deprovisioned';

/**
 * The serverless status for an internal task status. `starting` is unfolded into the provisioning
 * steps by the time since the start request (`stepSeconds` per step); the runner claims the replication
 * only once `replication_starting` is reached.
 */
export function replicationStatus(status: TaskStatus, sinceStartSeconds: number, stepSeconds: number): ReplicationStatus {
  switch (status) {
    case 'creating':
    case 'ready':
      return 'created';
    case 'starting': {
      const i = stepSeconds <= 0 ? PROVISIONED_STEP : Math.floor(Math.max(0, sinceStartSeconds) / stepSeconds);
      return PROVISIONING_STEPS[Math.min(i, PROVISIONED_STEP)];
    }
    case 'running':
    case 'stopping':
    case 'stopped':
    case 'failed':
    case 'deleting':
      return status;
    default:
      // modifying/moving/testing never happen to a replication (ModifyReplicationConfig is synchronous).
      return 'created';
  }
}

/** Seconds after the start request at which the replication is provisioned and may be claimed. */
export function provisionedAfter(stepSeconds: number): number {
  return PROVISIONED_STEP * Math.max(0, stepSeconds);
}
