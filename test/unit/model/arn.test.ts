import { describe, expect, it } from 'vitest';
import { buildArn, newResourceId, parseArn, requireArn, resourceIdFrom, validateIdentifier } from '../../../core/model/arn.js';
import { DmsFault } from '../../../core/model/errors.js';
import { fault } from '../../support/faults.js';

const scope = { account: '000000000000', region: 'eu-west-1' };

describe('newResourceId', () => {
  it('is 26 characters of uppercase base32, like AWS DMS ids', () => {
    for (let i = 0; i < 200; i++) expect(newResourceId()).toMatch(/^[A-Z2-7]{26}$/);
  });
  it('is unique and uses the whole alphabet in every position', () => {
    const ids = Array.from({ length: 2000 }, () => newResourceId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const pos of [0, 12, 25]) {
      expect(new Set(ids.map((id) => id[pos])).size).toBe(32);
    }
  });
});

describe('buildArn / parseArn', () => {
  it('builds the AWS shapes', () => {
    expect(buildArn(scope, 'endpoint', 'DZ6OKLFYA5BWVG4RYROQUHXU4E')).toBe('arn:aws:dms:eu-west-1:000000000000:endpoint:DZ6OKLFYA5BWVG4RYROQUHXU4E');
    expect(buildArn(scope, 'rep', 'X')).toBe('arn:aws:dms:eu-west-1:000000000000:rep:X');
    expect(buildArn(scope, 'task', 'X')).toBe('arn:aws:dms:eu-west-1:000000000000:task:X');
    expect(buildArn(scope, 'subgrp', 'default')).toBe('arn:aws:dms:eu-west-1:000000000000:subgrp:default');
    expect(buildArn(scope, 'replication-config', 'X')).toBe('arn:aws:dms:eu-west-1:000000000000:replication-config:X');
  });
  it('parses what it builds', () => {
    expect(parseArn(buildArn(scope, 'replication-config', 'ABC'))).toEqual({ ...scope, type: 'replication-config', id: 'ABC' });
    expect(parseArn('arn:aws-cn:dms:cn-north-1:123456789012:task:my-task')).toEqual({ region: 'cn-north-1', account: '123456789012', type: 'task', id: 'my-task' });
  });
  it('returns null for anything else', () => {
    for (const a of [
      '',
      'DZ6OKLFYA5BWVG4RYROQUHXU4E',
      'arn:aws:kinesis:us-east-1:000000000000:stream/s',
      'arn:aws:dms:us-east-1:00000000000:task:X',
      'arn:aws:dms:us-east-1:000000000000:task:',
      'arn:aws:dms::000000000000:task:X',
      'arn:aws:dms:us-east-1:000000000000:Task:X',
    ]) {
      expect(parseArn(a)).toBeNull();
    }
  });
});

describe('requireArn', () => {
  it('accepts an ARN of the type', () => {
    expect(() => requireArn('EndpointArn', 'arn:aws:dms:us-east-1:000000000000:endpoint:A', 'endpoint')).not.toThrow();
  });
  it('refuses another type or a non-ARN, naming the parameter', () => {
    expect(fault(() => requireArn('EndpointArn', 'arn:aws:dms:us-east-1:000000000000:task:A', 'endpoint'))).toEqual({
      code: 'InvalidParameterValueException',
      message: 'Invalid EndpointArn: arn:aws:dms:us-east-1:000000000000:task:A is not a valid endpoint ARN',
    });
    expect(fault(() => requireArn('ReplicationTaskArn', 'M5CQ7FJE7AG3GULBS2T6GFY7YADUIWWD5WMLYBA', 'task')).message).toBe(
      'Invalid ReplicationTaskArn: M5CQ7FJE7AG3GULBS2T6GFY7YADUIWWD5WMLYBA is not a valid task ARN',
    );
  });
});

describe('resourceIdFrom', () => {
  it('generates an id when none is requested', () => {
    expect(resourceIdFrom(undefined)).toMatch(/^[A-Z2-7]{26}$/);
  });
  it('keeps a valid ResourceIdentifier as given', () => {
    for (const id of ['resourceIdentifier', 'a', 'A1-b2-C3', 'x'.repeat(31)]) expect(resourceIdFrom(id)).toBe(id);
  });
  it('refuses invalid ones', () => {
    const message = 'ResourceIdentifier must be 1 to 31 characters, begin with a letter, contain only ASCII letters, digits and hyphens, and not end with a hyphen or contain two consecutive hyphens.';
    for (const id of ['', '1abc', '-abc', 'abc-', 'a--b', 'a_b', 'a.b', 'ünï', 'x'.repeat(32)]) {
      expect(fault(() => resourceIdFrom(id))).toEqual({ code: 'InvalidParameterValueException', message });
    }
  });
});

describe('validateIdentifier', () => {
  it('accepts letters, digits, single hyphens, up to the maximum length', () => {
    for (const id of ['a', 'src-main', 'My-Instance-1', 'x'.repeat(255)]) expect(() => validateIdentifier('EndpointIdentifier', id)).not.toThrow();
    expect(() => validateIdentifier('ReplicationInstanceIdentifier', 'x'.repeat(63), 63)).not.toThrow();
  });
  it('refuses anything else, naming the parameter', () => {
    const message = (p: string) =>
      `The parameter ${p} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`;
    for (const id of ['', '9lives', 'ends-', 'two--hyphens', 'under_score', 'sp ace', 'x'.repeat(256)]) {
      expect(fault(() => validateIdentifier('EndpointIdentifier', id))).toEqual({ code: 'InvalidParameterValueException', message: message('EndpointIdentifier') });
    }
    expect(fault(() => validateIdentifier('ReplicationInstanceIdentifier', 'x'.repeat(64), 63)).message).toBe(message('ReplicationInstanceIdentifier'));
  });
});
