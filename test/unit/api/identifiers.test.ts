import { describe, expect, it } from 'vitest';
import { IDENTIFIERS, renameIdentifier, rethrowTaken, storedIdentifier } from '../../../core/api/identifiers.js';
import { DmsFault } from '../../../core/model/errors.js';
import type { Key, Stored } from '../../../core/state/dynamo.js';
import { ConditionFailed, identKey } from '../../../core/state/resources.js';
import { dmsFault as fault } from '../../support/faults.js';

const scope = { account: '000000000000', region: 'us-east-1' };
const arn = 'arn:aws:dms:us-east-1:000000000000:task:ME';
const RULES = Object.values(IDENTIFIERS);

describe('storedIdentifier', () => {
  it('validates every kind alike; only replication instances are stored in lower case', () => {
    expect(storedIdentifier(IDENTIFIERS.endpoint, 'My-Endpoint')).toBe('My-Endpoint');
    expect(storedIdentifier(IDENTIFIERS.task, 'My-Task')).toBe('My-Task');
    expect(storedIdentifier(IDENTIFIERS.instance, 'My-Instance')).toBe('my-instance');
    for (const rule of RULES) {
      for (const bad of ['', '1abc', 'a--b', 'a-', 'a_b', 'a'.repeat(rule.maxLength + 1)]) {
        expect(fault(() => storedIdentifier(rule, bad))).toMatchObject({
          code: 'InvalidParameterValueException',
          message: expect.stringContaining(`The parameter ${rule.param} is not a valid identifier.`),
        });
      }
    }
    expect(storedIdentifier(IDENTIFIERS.instance, 'a'.repeat(63))).toHaveLength(63);
    expect(storedIdentifier(IDENTIFIERS.task, 'a'.repeat(255))).toHaveLength(255);
  });
});

describe('renameIdentifier', () => {
  it('absent: unchanged, no writes', () => {
    for (const rule of RULES) expect(renameIdentifier(scope, rule, arn, 'current', undefined)).toEqual({ identifier: 'current', ops: [] });
  });

  it('equal ignoring case: no writes, the new spelling is stored (instances stay lower case)', () => {
    expect(renameIdentifier(scope, IDENTIFIERS.task, arn, 'my-task', 'My-Task')).toEqual({ identifier: 'My-Task', ops: [] });
    expect(renameIdentifier(scope, IDENTIFIERS.endpoint, arn, 'ep', 'ep')).toEqual({ identifier: 'ep', ops: [] });
    expect(renameIdentifier(scope, IDENTIFIERS.instance, arn, 'inst', 'INST')).toEqual({ identifier: 'inst', ops: [] });
  });

  it('changed: claims the new identifier, then releases the old one', () => {
    for (const rule of RULES) {
      const r = renameIdentifier(scope, rule, arn, 'old-one', 'new-one');
      expect(r).toEqual({
        identifier: 'new-one',
        claimed: 'new-one',
        ops: [
          { kind: 'put', key: identKey(rule.kind, scope, 'new-one'), doc: { arn }, ifAbsent: true },
          { kind: 'delete', key: identKey(rule.kind, scope, 'old-one') },
        ],
      });
    }
  });

  it('invalid: InvalidParameterValueException for every kind, even when only the case differs', () => {
    for (const rule of RULES) {
      expect(fault(() => renameIdentifier(scope, rule, arn, 'current', '')).code).toBe('InvalidParameterValueException');
      expect(fault(() => renameIdentifier(scope, rule, arn, 'current', 'bad--id')).code).toBe('InvalidParameterValueException');
    }
  });
});

describe('rethrowTaken', () => {
  const holderArn = 'arn:aws:dms:us-east-1:000000000000:task:HOLDER';
  const table = {
    async get<T>(key: Key): Promise<Stored<T> | null> {
      if (key.sk !== 'taken') return null;
      const doc: unknown = { arn: holderArn };
      return { key, doc: doc as T, version: 1, refs: 0 };
    },
  };
  const ctx = { scope, table };
  const caught = (p: Promise<never>) => p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);

  it('a failed claim (write 1) is ResourceAlreadyExistsFault naming the holder', async () => {
    for (const rule of RULES) {
      expect(await caught(rethrowTaken(ctx, rule, new ConditionFailed(1, []), 'taken'))).toMatchObject({
        code: 'ResourceAlreadyExistsFault',
        message: rule.taken,
        extra: { resourceArn: holderArn },
      });
    }
  });

  it('a transaction conflict counts as taken only for a create', async () => {
    const conflict = new ConditionFailed(null, ['TransactionConflict']);
    expect(await caught(rethrowTaken(ctx, IDENTIFIERS.task, conflict, 'taken', true))).toMatchObject({ code: 'ResourceAlreadyExistsFault' });
    expect(await caught(rethrowTaken(ctx, IDENTIFIERS.task, conflict, 'taken'))).toBe(conflict);
  });

  it('anything else is rethrown as it is', async () => {
    const other = new ConditionFailed(0, []);
    expect(await caught(rethrowTaken(ctx, IDENTIFIERS.endpoint, other, 'taken'))).toBe(other);
    const boom = new Error('boom');
    expect(await caught(rethrowTaken(ctx, IDENTIFIERS.endpoint, boom, 'taken'))).toBe(boom);
    // No identifier was claimed (the rename did not change it): nothing to translate.
    const claim = new ConditionFailed(1, []);
    expect(await caught(rethrowTaken(ctx, IDENTIFIERS.endpoint, claim, undefined))).toBe(claim);
  });
});
