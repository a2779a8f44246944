import { describe, expect, it } from 'vitest';
import {
  clearTextConnection,
  CredentialsError,
  resolveEndpointConnection,
  type SecretReader,
} from '../../../core/source/credentials.js';
import { createSecretBox } from '../../../core/state/secrets.js';

const secrets = createSecretBox('unit-test-key');

function reader(secretsById: Record<string, string>, calls: string[] = []): SecretReader {
  return {
    endpoint: 'http://sm.local',
    async read(id, region) {
      calls.push(`${region} ${id}`);
      if (!(id in secretsById)) throw Object.assign(new Error('Secrets Manager can\'t find the specified secret.'), { name: 'ResourceNotFoundException' });
      return secretsById[id];
    },
  };
}

const secretEndpoint = (id: string, extra: Record<string, unknown> = {}) => ({
  EngineName: 'mariadb',
  EndpointArn: 'arn:aws:dms:eu-west-1:000000000000:endpoint:SRC',
  MySQLSettings: { SecretsManagerSecretId: id, SecretsManagerAccessRoleArn: 'arn:aws:iam::000000000000:role/sm' },
  ...extra,
});

describe('clearTextConnection', () => {
  it('takes the top-level members and opens the sealed password', () => {
    expect(
      clearTextConnection(secrets, {
        EngineName: 'mariadb',
        ServerName: 'db.local',
        Port: 3307,
        Username: 'dms',
        DatabaseName: 'shop',
        _password: secrets.seal('s3cret'),
        MySQLSettings: { ServerName: 'other', Port: 1, Username: 'other' },
      }),
    ).toEqual({ engineName: 'mariadb', host: 'db.local', port: 3307, user: 'dms', password: 's3cret', database: 'shop' });
  });

  it('falls back to the settings member and its password; the engine default port', () => {
    expect(
      clearTextConnection(secrets, { EngineName: 'mysql', MySQLSettings: { ServerName: 'h', Username: 'u', DatabaseName: 'd' }, _settingsPassword: secrets.seal('p') }),
    ).toEqual({ engineName: 'mysql', host: 'h', port: 3306, user: 'u', password: 'p', database: 'd' });
    expect(
      clearTextConnection(secrets, { EngineName: 'postgres', PostgreSQLSettings: { ServerName: 'h', Username: 'u' }, _settingsPassword: secrets.seal('p') }).port,
    ).toBe(5432);
  });

  it('a password sealed with another key does not open', () => {
    const other = createSecretBox('another-key');
    expect(() => clearTextConnection(secrets, { EngineName: 'mysql', ServerName: 'h', Port: 1, Username: 'u', _password: other.seal('p') })).toThrow();
  });
});

describe('resolveEndpointConnection with Secrets Manager', () => {
  it('reads the RDS-generated shape (numeric port, engine, dbInstanceIdentifier) in the endpoint region', async () => {
    const calls: string[] = [];
    const rds = JSON.stringify({ username: 'admin', password: 'pw1', engine: 'mariadb', host: 'db1', port: 3306, dbInstanceIdentifier: 'mydb' });
    const conn = await resolveEndpointConnection(secretEndpoint('rds-secret'), { secrets, secretReader: reader({ 'rds-secret': rds }, calls) });
    expect(conn).toEqual({ engineName: 'mariadb', host: 'db1', port: 3306, user: 'admin', password: 'pw1' });
    expect(calls).toEqual(['eu-west-1 rds-secret']);
  });

  it('reads the CDK shape (every value a string); the secret ARN gives the region; DatabaseName wins over dbname', async () => {
    const arn = 'arn:aws:secretsmanager:us-west-2:000000000000:secret:cdk-AbCdEf';
    const calls: string[] = [];
    const cdk = JSON.stringify({ username: 'u', password: 'p', host: 'h', port: '3307', dbname: 'fromsecret' });
    const sr = reader({ [arn]: cdk }, calls);
    expect(await resolveEndpointConnection(secretEndpoint(arn), { secrets, secretReader: sr })).toMatchObject({ port: 3307, database: 'fromsecret' });
    expect(await resolveEndpointConnection(secretEndpoint(arn, { DatabaseName: 'mine' }), { secrets, secretReader: sr })).toMatchObject({ database: 'mine' });
    expect(calls).toEqual([`us-west-2 ${arn}`, `us-west-2 ${arn}`]);
  });

  it.each([
    ['missing', {}, 'Secrets Manager secret bad was not found (MySQLSettings.SecretsManagerSecretId)'],
    ['not JSON', { bad: 'port=3306 password=hunter2' }, 'Secrets Manager secret bad is not a JSON object with username, password, host and port'],
    ['a JSON array', { bad: '["hunter2"]' }, 'Secrets Manager secret bad is not a JSON object with username, password, host and port'],
    ['lacking keys', { bad: JSON.stringify({ username: 'u', password: 'hunter2' }) }, 'Secrets Manager secret bad lacks the keys host, port'],
    ['a bad port', { bad: JSON.stringify({ username: 'u', password: 'hunter2', host: 'h', port: 'x3306' }) }, 'Secrets Manager secret bad: port must be a number between 1 and 65535'],
  ])('a secret %s fails with a message naming it and no secret value', async (_what, store, message) => {
    const err = await resolveEndpointConnection(secretEndpoint('bad'), { secrets, secretReader: reader(store as Record<string, string>) }).catch((e) => e);
    expect(err).toBeInstanceOf(CredentialsError);
    expect(err.message).toBe(message);
    expect(err.message).not.toContain('hunter2');
  });

  it('an unreachable Secrets Manager names the secret and the endpoint', async () => {
    const sr: SecretReader = { endpoint: 'http://127.0.0.1:1', read: async () => { throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { name: 'Error' }); } };
    const err = await resolveEndpointConnection(secretEndpoint('s'), { secrets, secretReader: sr }).catch((e) => e);
    expect(err.message).toBe('Cannot read Secrets Manager secret s at http://127.0.0.1:1: Error: connect ECONNREFUSED 127.0.0.1:1');
  });

  it('PostgreSQLSettings uses the same code', async () => {
    const ep = { EngineName: 'postgres', EndpointArn: 'arn:aws:dms:us-east-1:000000000000:endpoint:P', PostgreSQLSettings: { SecretsManagerSecretId: 'pg', SecretsManagerAccessRoleArn: 'r' } };
    const conn = await resolveEndpointConnection(ep, { secrets, secretReader: reader({ pg: JSON.stringify({ username: 'u', password: 'p', host: 'h', port: 5432, dbname: 'postgres' }) }) });
    expect(conn).toEqual({ engineName: 'postgres', host: 'h', port: 5432, user: 'u', password: 'p', database: 'postgres', settings: ep.PostgreSQLSettings });
  });
});
