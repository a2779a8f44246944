// A PostgreSQL / Aurora PostgreSQL endpoint → the source's configuration: the connection members and
// the PostgreSQLSettings dmslite acts on (botocore dms 2016-01-01 PostgreSQLSettings; defaults from
// its documentation: CaptureDdls true, DdlArtifactsSchema public, ExecuteTimeout 60, HeartbeatEnable
// false, HeartbeatFrequency 5 minutes, HeartbeatSchema public, MapLongVarcharAs wstring).
// FailTasksOnLobTruncation: see core/engine/lob.ts.
import type { SourceEndpointConnection } from '../../model/endpoint-connection.js';
import type { Source, SourceEngine } from '../contract.js';
import type { PgEndpointConfig } from './connection.js';
import { postgresPositions } from './lsn.js';
import { PostgresSource } from './source.js';

function bool(v: unknown): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  return s === 'true' || s === 'y' || s === 'yes' || s === '1';
}

function num(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function str(v: unknown): string | undefined {
  return v === undefined || v === null || v === '' ? undefined : String(v);
}

export function pgEndpointConfig(endpoint: SourceEndpointConnection, connectTimeoutMs?: number): PgEndpointConfig {
  const s = endpoint.settings ?? {};
  return {
    host: endpoint.host,
    port: endpoint.port,
    user: endpoint.user,
    password: endpoint.password,
    database: endpoint.database ?? 'postgres',
    ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}),
    executeTimeoutSeconds: num(s.ExecuteTimeout),
    afterConnectScript: str(s.AfterConnectScript),
    slotName: str(s.SlotName),
    pluginName: str(s.PluginName),
    captureDdls: bool(s.CaptureDdls),
    ddlArtifactsSchema: str(s.DdlArtifactsSchema),
    heartbeatEnable: bool(s.HeartbeatEnable),
    heartbeatFrequencyMinutes: num(s.HeartbeatFrequency),
    heartbeatSchema: str(s.HeartbeatSchema),
    mapJsonbAsClob: bool(s.MapJsonbAsClob),
    mapLongVarcharAs: str(s.MapLongVarcharAs),
    mapBooleanAsBoolean: bool(s.MapBooleanAsBoolean),
    failTasksOnLobTruncation: bool(s.FailTasksOnLobTruncation),
  };
}

/** The PostgreSQL engine family of the source registry. */
export const postgresEngine: SourceEngine = {
  positions: postgresPositions,
  open(endpoint: SourceEndpointConnection): Source {
    return new PostgresSource(pgEndpointConfig(endpoint, endpoint.connectTimeoutMs));
  },
};
