/** Engines dmslite migrates from (MySQL-compatible); other engines are accepted by the API only. */
export const MYSQL_ENGINES: ReadonlySet<string> = new Set(['mysql', 'mariadb', 'aurora', 'gcp-mysql']);

/** How to reach a MySQL-compatible source endpoint. */
export interface SourceEndpointConnection {
  engineName: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database?: string;
}

// Resolving an endpoint document into these parameters (clear text or Secrets Manager): core/source/credentials.ts.
