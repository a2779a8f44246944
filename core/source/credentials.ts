import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { sideClientConfig } from '../aws-clients.js';
import type { SourceEndpointConnection } from '../model/endpoint-connection.js';
import type { SecretBox } from '../state/secrets.js';

// The one place that turns a source endpoint document into connection parameters: clear-text
// members (password sealed in the state table), or an AWS Secrets Manager secret read afresh at
// every use (TestConnection, task start, reconnect) and never stored.
// https://docs.aws.amazon.com/dms/latest/userguide/security_iam_secretsmanager.html

/** The engine-specific settings member that carries connection members, per engine. */
export function connectionSettingsMember(engine: string): 'MySQLSettings' | 'PostgreSQLSettings' | null {
  if (['mysql', 'mariadb', 'aurora'].includes(engine)) return 'MySQLSettings';
  if (engine === 'postgres' || engine === 'aurora-postgresql') return 'PostgreSQLSettings';
  return null;
}

const DEFAULT_PORT: Record<string, number> = { MySQLSettings: 3306, PostgreSQLSettings: 5432 };

/** Reads the SecretString of a secret. Region: the secret ARN's, else the endpoint's. */
export interface SecretReader {
  readonly endpoint?: string;
  read(secretId: string, region: string): Promise<string>;
}

/** A failure to obtain credentials; its message names the secret and never holds a secret value. */
export class CredentialsError extends Error {}

export interface SecretReference {
  member: 'MySQLSettings' | 'PostgreSQLSettings';
  secretId: string;
  roleArn: string;
}

export function secretReference(endpoint: Record<string, unknown>): SecretReference | null {
  const member = connectionSettingsMember(String(endpoint.EngineName));
  if (!member) return null;
  const settings = (endpoint[member] as Record<string, unknown> | undefined) ?? {};
  if (typeof settings.SecretsManagerSecretId !== 'string') return null;
  return { member, secretId: settings.SecretsManagerSecretId, roleArn: String(settings.SecretsManagerAccessRoleArn ?? '') };
}

export interface CredentialDeps {
  secrets: SecretBox;
  secretReader: SecretReader;
}

/** Connection parameters of a source endpoint; reads its secret when it has one. */
export async function resolveEndpointConnection(endpoint: Record<string, unknown>, deps: CredentialDeps): Promise<SourceEndpointConnection> {
  const ref = secretReference(endpoint);
  if (!ref) return clearTextConnection(deps.secrets, endpoint);
  const region = regionOf(ref.secretId) ?? regionOf(String(endpoint.EndpointArn ?? '')) ?? 'us-east-1';
  let text: string;
  try {
    text = await deps.secretReader.read(ref.secretId, region);
  } catch (e) {
    const err = e as Error;
    if (err.name === 'ResourceNotFoundException') {
      throw new CredentialsError(`Secrets Manager secret ${ref.secretId} was not found (${ref.member}.SecretsManagerSecretId)`);
    }
    if (err instanceof CredentialsError) throw err;
    const where = deps.secretReader.endpoint ? ` at ${deps.secretReader.endpoint}` : '';
    throw new CredentialsError(`Cannot read Secrets Manager secret ${ref.secretId}${where}: ${err.name}: ${err.message}`);
  }
  return connectionFromSecret(ref, text, endpoint);
}

/**
 * AWS reads `username`, `password`, `host`, `port` (a number, or a string as in AWS's own example)
 * and `dbname`, and ignores other members (RDS-generated secrets add `engine`,
 * `dbInstanceIdentifier`). The endpoint's DatabaseName wins over `dbname`.
 */
export function connectionFromSecret(ref: SecretReference, text: string, endpoint: Record<string, unknown>): SourceEndpointConnection {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CredentialsError(`Secrets Manager secret ${ref.secretId} is not a JSON object with username, password, host and port`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CredentialsError(`Secrets Manager secret ${ref.secretId} is not a JSON object with username, password, host and port`);
  }
  const s = parsed as Record<string, unknown>;
  const missing = ['username', 'password', 'host', 'port'].filter((k) => s[k] === undefined || s[k] === null || s[k] === '');
  if (missing.length > 0) {
    throw new CredentialsError(`Secrets Manager secret ${ref.secretId} lacks the key${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  }
  for (const k of ['username', 'password', 'host']) {
    if (typeof s[k] !== 'string') throw new CredentialsError(`Secrets Manager secret ${ref.secretId}: ${k} must be a string`);
  }
  const port = typeof s.port === 'number' ? s.port : typeof s.port === 'string' && /^\s*\d+\s*$/.test(s.port) ? Number(s.port) : NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new CredentialsError(`Secrets Manager secret ${ref.secretId}: port must be a number between 1 and 65535`);
  }
  const settings = (endpoint[ref.member] as Record<string, unknown> | undefined) ?? {};
  const database = (endpoint.DatabaseName ?? settings.DatabaseName ?? (typeof s.dbname === 'string' ? s.dbname : undefined)) as string | undefined;
  return {
    engineName: String(endpoint.EngineName),
    host: s.host as string,
    port,
    user: s.username as string,
    password: s.password as string,
    ...(database ? { database } : {}),
    ...(ref.member === 'PostgreSQLSettings' ? { settings } : {}),
  };
}

/** Connection parameters from the endpoint's own members; top-level members win over the settings member. */
export function clearTextConnection(secrets: SecretBox, endpoint: Record<string, unknown>): SourceEndpointConnection {
  const member = connectionSettingsMember(String(endpoint.EngineName)) ?? 'MySQLSettings';
  const ms = (endpoint[member] as Record<string, unknown> | undefined) ?? {};
  const sealed = (endpoint._password ?? endpoint._settingsPassword) as string | undefined;
  return {
    engineName: endpoint.EngineName as string,
    host: (endpoint.ServerName ?? ms.ServerName) as string,
    port: Number(endpoint.Port ?? ms.Port ?? DEFAULT_PORT[member]),
    user: (endpoint.Username ?? ms.Username) as string,
    password: sealed ? secrets.open(sealed) : '',
    database: (endpoint.DatabaseName ?? ms.DatabaseName) as string | undefined,
    ...(member === 'PostgreSQLSettings' ? { settings: ms } : {}),
  };
}

function regionOf(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:[a-z-]+:([a-z0-9-]+):/.exec(arn)?.[1] || undefined;
}

/** Secrets Manager through the SDK (loaded on first use: most processes never need it); one client per region. */
export function createSecretsManagerReader(endpoint: string | undefined): SecretReader {
  const clients = new Map<string, SecretsManagerClient>();
  return {
    endpoint,
    async read(secretId, region) {
      const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
      let client = clients.get(region);
      if (!client) clients.set(region, (client = new SecretsManagerClient(sideClientConfig(endpoint, region))));
      const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (out.SecretString === undefined) {
        throw new CredentialsError(`Secrets Manager secret ${secretId} holds binary data; AWS DMS reads a JSON SecretString`);
      }
      return out.SecretString;
    },
  };
}
