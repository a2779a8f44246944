import type { ApiError, DmsliteClient } from './client.js';
import { textTable } from './view.js';

// `dmslite status`: instances, endpoints, tasks and serverless replications as one table.

type Doc = Record<string, any>;

export interface StatusRow {
  kind: string;
  identifier: string;
  status: string;
  detail: string;
}

export async function statusRows(client: DmsliteClient): Promise<StatusRow[]> {
  const [instances, endpoints, tasks, replications] = await Promise.all([
    client.describeAll<Doc>('DescribeReplicationInstances', 'ReplicationInstances'),
    client.describeAll<Doc>('DescribeEndpoints', 'Endpoints'),
    client.describeAll<Doc>('DescribeReplicationTasks', 'ReplicationTasks', { WithoutSettings: true }),
    client.describeAll<Doc>('DescribeReplications', 'Replications').catch((e: ApiError) => (e.code === 'UnknownOperationException' ? [] : Promise.reject(e))),
  ]);
  const rows: StatusRow[] = [];
  for (const i of instances) rows.push({ kind: 'instance', identifier: i.ReplicationInstanceIdentifier, status: i.ReplicationInstanceStatus ?? '', detail: i.ReplicationInstanceClass ?? '' });
  for (const e of endpoints) {
    // What it points at; never a password or secret.
    const at = e.KinesisSettings?.StreamArn ?? (e.ServerName ? `${e.ServerName}:${e.Port ?? ''}` : '');
    rows.push({ kind: `${String(e.EndpointType).toLowerCase()} endpoint`, identifier: e.EndpointIdentifier, status: e.Status ?? '', detail: `${e.EngineName} ${at}`.trim() });
  }
  for (const t of tasks) {
    const s = t.ReplicationTaskStats ?? {};
    const detail = [t.MigrationType, `full load ${s.FullLoadProgressPercent ?? 0} %`, t.StopReason, t.LastFailureMessage].filter(Boolean).join(', ');
    rows.push({ kind: 'task', identifier: t.ReplicationTaskIdentifier, status: t.Status, detail });
  }
  for (const r of replications) {
    const detail = [r.ReplicationType, r.StopReason, ...(r.FailureMessages ?? [])].filter(Boolean).join(', ');
    rows.push({ kind: 'replication', identifier: r.ReplicationConfigIdentifier ?? String(r.ReplicationConfigArn).split(':').pop(), status: r.Status ?? '', detail });
  }
  return rows;
}

export function renderStatus(rows: StatusRow[]): string {
  if (rows.length === 0) return 'No DMS resources.';
  return textTable(['KIND', 'IDENTIFIER', 'STATUS', 'DETAIL'], rows.map((r) => [r.kind, r.identifier, r.status, r.detail]));
}
