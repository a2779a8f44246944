import { describe, expect, it } from 'vitest';
import { resolveSourceConnection } from '../../../core/model/endpoint-connection.js';
import { DmsFault } from '../../../core/model/errors.js';
import { createSecretBox } from '../../../core/state/secrets.js';

const secrets = createSecretBox('unit-test-key');

describe('resolveSourceConnection', () => {
  it('takes the top-level members and opens the sealed password', () => {
    expect(
      resolveSourceConnection(secrets, {
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

  it('falls back to MySQLSettings members and its password; port 3306 by default', () => {
    expect(
      resolveSourceConnection(secrets, {
        EngineName: 'mysql',
        MySQLSettings: { ServerName: 'h', Username: 'u', DatabaseName: 'd' },
        _settingsPassword: secrets.seal('p'),
      }),
    ).toEqual({ engineName: 'mysql', host: 'h', port: 3306, user: 'u', password: 'p', database: 'd' });
  });

  it('refuses a Secrets Manager endpoint without a password of its own', () => {
    try {
      resolveSourceConnection(secrets, { EngineName: 'mysql', MySQLSettings: { SecretsManagerSecretId: 'sec', SecretsManagerAccessRoleArn: 'role' } });
      throw new Error('expected a fault');
    } catch (e) {
      expect(e).toBeInstanceOf(DmsFault);
      expect((e as DmsFault).code).toBe('InvalidParameterValueException');
      expect((e as DmsFault).message).toBe('dmslite does not read AWS Secrets Manager: give the endpoint ServerName, Port, Username and Password');
    }
  });

  it('a password sealed with another key does not open', () => {
    const other = createSecretBox('another-key');
    expect(() => resolveSourceConnection(secrets, { EngineName: 'mysql', ServerName: 'h', Port: 1, Username: 'u', _password: other.seal('p') })).toThrow();
  });
});
