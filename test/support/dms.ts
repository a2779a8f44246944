import {
  CreateEndpointCommand,
  type CreateEndpointCommandInput,
  CreateReplicationInstanceCommand,
  CreateReplicationTaskCommand,
  type DatabaseMigrationServiceClient,
} from '@aws-sdk/client-database-migration-service';

// Small builders for DMS resources used across tests.

export const ROLE_ARN = 'arn:aws:iam::000000000000:role/dms-kinesis';

export function streamArn(name: string, region = 'us-east-1'): string {
  return `arn:aws:kinesis:${region}:000000000000:stream/${name}`;
}

export async function createKinesisTarget(dms: DatabaseMigrationServiceClient, id: string, stream: string, settings: Record<string, unknown> = {}) {
  const out = await dms.send(
    new CreateEndpointCommand({
      EndpointIdentifier: id,
      EndpointType: 'target',
      EngineName: 'kinesis',
      KinesisSettings: { StreamArn: streamArn(stream), ServiceAccessRoleArn: ROLE_ARN, MessageFormat: 'json', ...settings },
    }),
  );
  return out.Endpoint!;
}

/** A source endpoint on 127.0.0.1 with the given engine and extra CreateEndpoint members. */
async function createSourceEndpoint(
  dms: DatabaseMigrationServiceClient,
  id: string,
  engine: string,
  db: { port: number; user: string; password: string; database?: string },
  extra: Partial<CreateEndpointCommandInput> = {},
) {
  const out = await dms.send(
    new CreateEndpointCommand({
      EndpointIdentifier: id,
      EndpointType: 'source',
      EngineName: engine,
      ServerName: '127.0.0.1',
      Port: db.port,
      Username: db.user,
      Password: db.password,
      ...(db.database ? { DatabaseName: db.database } : {}),
      ...extra,
    }),
  );
  return out.Endpoint!;
}

export async function createMySqlSource(
  dms: DatabaseMigrationServiceClient,
  id: string,
  db: { port: number; user: string; password: string; database?: string },
  engine = 'mariadb',
) {
  return createSourceEndpoint(dms, id, engine, db);
}

/** A PostgreSQL source endpoint (DatabaseName required), optionally with PostgreSQLSettings. */
export async function createPostgresSource(
  dms: DatabaseMigrationServiceClient,
  id: string,
  db: { port: number; user: string; password: string; database: string },
  settings: Record<string, unknown> = {},
  engine = 'postgres',
) {
  return createSourceEndpoint(dms, id, engine, db, Object.keys(settings).length ? { PostgreSQLSettings: settings } : {});
}

export async function createInstance(dms: DatabaseMigrationServiceClient, id: string) {
  const out = await dms.send(new CreateReplicationInstanceCommand({ ReplicationInstanceIdentifier: id, ReplicationInstanceClass: 'dms.t3.micro' }));
  return out.ReplicationInstance!;
}

export function selectionMappings(schema: string, table = '%', extra: unknown[] = []): string {
  return JSON.stringify({
    rules: [
      { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': '1', 'object-locator': { 'schema-name': schema, 'table-name': table }, 'rule-action': 'include' },
      ...extra,
    ],
  });
}

export async function createTask(
  dms: DatabaseMigrationServiceClient,
  p: { id: string; source: string; target: string; instance: string; type?: 'full-load' | 'cdc' | 'full-load-and-cdc'; mappings: string; settings?: unknown; cdcStartPosition?: string },
) {
  const out = await dms.send(
    new CreateReplicationTaskCommand({
      ReplicationTaskIdentifier: p.id,
      SourceEndpointArn: p.source,
      TargetEndpointArn: p.target,
      ReplicationInstanceArn: p.instance,
      MigrationType: p.type ?? 'full-load',
      TableMappings: p.mappings,
      ...(p.settings ? { ReplicationTaskSettings: JSON.stringify(p.settings) } : {}),
      ...(p.cdcStartPosition ? { CdcStartPosition: p.cdcStartPosition } : {}),
    }),
  );
  return out.ReplicationTask!;
}

/** The AWS error code and message of a failed call. */
export async function awsError(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message };
  }
  throw new Error('expected the call to fail');
}

export const FAST_WAITER = { maxWaitTime: 30, minDelay: 1, maxDelay: 1 };
