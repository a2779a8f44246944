/** Engines dmslite migrates from (MySQL-compatible); other engines are accepted by the API only. */
export const MYSQL_ENGINES: ReadonlySet<string> = new Set(['mysql', 'mariadb', 'aurora', 'gcp-mysql']);

/** PostgreSQL-compatible engines (PostgreSQLSettings). */
export const POSTGRES_ENGINES: ReadonlySet<string> = new Set(['postgres', 'aurora-postgresql']);

/** How to reach a source endpoint. */
export interface SourceEndpointConnection {
  engineName: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database?: string;
  /** The engine's settings member as stored (PostgreSQLSettings for PostgreSQL engines). */
  settings?: Record<string, unknown>;
  /** Connect timeout in ms (source default when absent). */
  connectTimeoutMs?: number;
}

// Resolving an endpoint document into these parameters (clear text or Secrets Manager): core/source/credentials.ts.
