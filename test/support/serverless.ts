import {
  CreateReplicationConfigCommand,
  DescribeReplicationTableStatisticsCommand,
  DescribeReplicationsCommand,
  type DatabaseMigrationServiceClient,
  type MigrationTypeValue,
  type Replication,
  type TableStatistics,
} from '@aws-sdk/client-database-migration-service';

// Helpers to drive DMS Serverless replications through the API and observe them.

export async function createConfig(
  dms: DatabaseMigrationServiceClient,
  p: { id: string; source: string; target: string; type: MigrationTypeValue; mappings: string; settings?: unknown; min?: number; max?: number },
) {
  const out = await dms.send(
    new CreateReplicationConfigCommand({
      ReplicationConfigIdentifier: p.id,
      SourceEndpointArn: p.source,
      TargetEndpointArn: p.target,
      ReplicationType: p.type,
      TableMappings: p.mappings,
      ComputeConfig: { MaxCapacityUnits: p.max ?? 4, ...(p.min !== undefined ? { MinCapacityUnits: p.min } : {}) },
      ...(p.settings ? { ReplicationSettings: JSON.stringify(p.settings) } : {}),
    }),
  );
  return out.ReplicationConfig!;
}

export async function describeReplication(dms: DatabaseMigrationServiceClient, arn: string): Promise<Replication> {
  const out = await dms.send(new DescribeReplicationsCommand({ Filters: [{ Name: 'replication-config-arn', Values: [arn] }] }));
  return out.Replications![0];
}

/** Polls until `done` holds (bounded); returns the last Replication and every distinct status seen, in order. */
export async function pollReplication(
  dms: DatabaseMigrationServiceClient,
  arn: string,
  done: (r: Replication) => boolean,
  timeoutMs = 60_000,
): Promise<{ replication: Replication; statuses: string[] }> {
  const deadline = Date.now() + timeoutMs;
  const statuses: string[] = [];
  let last: Replication | undefined;
  while (Date.now() < deadline) {
    last = await describeReplication(dms, arn);
    if (statuses.at(-1) !== last.Status) statuses.push(last.Status!);
    if (done(last)) return { replication: last, statuses };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`replication ${arn} did not reach the expected state (seen: ${statuses.join(' > ')}; last: ${JSON.stringify(last)})`);
}

export const waitForReplicationStatus = (dms: DatabaseMigrationServiceClient, arn: string, statuses: string[], timeoutMs?: number) =>
  pollReplication(dms, arn, (r) => statuses.includes(r.Status!), timeoutMs);

export async function replicationTableStatistics(dms: DatabaseMigrationServiceClient, arn: string): Promise<TableStatistics[]> {
  const out = await dms.send(new DescribeReplicationTableStatisticsCommand({ ReplicationConfigArn: arn, MaxRecords: 500 }));
  return out.ReplicationTableStatistics!;
}

/** Polls the table statistics until `done` holds for them (bounded). */
export async function waitForTableStatistics(
  dms: DatabaseMigrationServiceClient,
  arn: string,
  done: (stats: Map<string, TableStatistics>) => boolean,
  timeoutMs = 30_000,
): Promise<Map<string, TableStatistics>> {
  const deadline = Date.now() + timeoutMs;
  let stats = new Map<string, TableStatistics>();
  while (Date.now() < deadline) {
    stats = new Map((await replicationTableStatistics(dms, arn)).map((s) => [s.TableName!, s]));
    if (done(stats)) return stats;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`table statistics of ${arn} did not reach the expected values: ${JSON.stringify([...stats.values()])}`);
}
