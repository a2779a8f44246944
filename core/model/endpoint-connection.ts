import { InvalidParameterValueException } from '../model/errors.js';
import type { SecretBox } from '../state/secrets.js';

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

/** Connection parameters of a MySQL-compatible endpoint; top-level members win over MySQLSettings. */
export function resolveSourceConnection(secrets: SecretBox, endpoint: Record<string, unknown>): SourceEndpointConnection {
  const ms = (endpoint.MySQLSettings as Record<string, unknown> | undefined) ?? {};
  if (ms.SecretsManagerSecretId && !endpoint._password) {
    throw new InvalidParameterValueException(
      'dmslite does not read AWS Secrets Manager: give the endpoint ServerName, Port, Username and Password',
    );
  }
  const sealed = (endpoint._password ?? endpoint._settingsPassword) as string | undefined;
  return {
    engineName: endpoint.EngineName as string,
    host: (endpoint.ServerName ?? ms.ServerName) as string,
    port: Number(endpoint.Port ?? ms.Port ?? 3306),
    user: (endpoint.Username ?? ms.Username) as string,
    password: sealed ? secrets.open(sealed) : '',
    database: (endpoint.DatabaseName ?? ms.DatabaseName) as string | undefined,
  };
}
