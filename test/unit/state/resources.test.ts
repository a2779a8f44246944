import { describe, expect, it } from 'vitest';
import {
  connectionKey,
  connectionPk,
  identKey,
  resourceKey,
  tableStatsKey,
  tableStatsPk,
  workKey,
} from '../../../core/state/resources.js';

const use1 = { account: '000000000000', region: 'us-east-1' };
const euw1 = { account: '000000000000', region: 'eu-west-1' };
const other = { account: '111111111111', region: 'us-east-1' };

describe('state key layout', () => {
  it('resources are partitioned by kind, account and region, sorted by ARN', () => {
    const arn = 'arn:aws:dms:us-east-1:000000000000:task:X';
    expect(resourceKey('task', use1, arn)).toEqual({ pk: 'res#task#000000000000#us-east-1', sk: arn });
    const pks = new Set([resourceKey('task', use1, arn).pk, resourceKey('task', euw1, arn).pk, resourceKey('task', other, arn).pk, resourceKey('endpoint', use1, arn).pk]);
    expect(pks.size).toBe(4);
  });

  it('identifiers are unique case-insensitively, per kind, account and region', () => {
    expect(identKey('endpoint', use1, 'My-Endpoint')).toEqual({ pk: 'ident#endpoint#000000000000#us-east-1', sk: 'my-endpoint' });
    expect(identKey('endpoint', use1, 'MY-ENDPOINT')).toEqual(identKey('endpoint', use1, 'my-endpoint'));
    expect(identKey('endpoint', euw1, 'x').pk).not.toBe(identKey('endpoint', use1, 'x').pk);
    expect(identKey('task', use1, 'x').pk).not.toBe(identKey('endpoint', use1, 'x').pk);
  });

  it('work, table statistics and connections', () => {
    expect(workKey('arn:t')).toEqual({ pk: 'work', sk: 'arn:t' });
    expect(tableStatsPk('arn:t')).toBe('tstats#arn:t');
    expect(tableStatsKey('arn:t', 'db', 'tbl')).toEqual({ pk: 'tstats#arn:t', sk: 'db\u0000tbl' });
    // schema "a.b" + table "c" and schema "a" + table "b.c" stay distinct.
    expect(tableStatsKey('arn:t', 'a.b', 'c').sk).not.toBe(tableStatsKey('arn:t', 'a', 'b.c').sk);
    expect(connectionKey(use1, 'arn:rep', 'arn:ep')).toEqual({ pk: 'conn#000000000000#us-east-1', sk: 'arn:rep|arn:ep' });
    expect(connectionPk(euw1)).toBe('conn#000000000000#eu-west-1');
    expect(connectionKey(euw1, 'i', 'e').pk).toBe(connectionPk(euw1));
  });
});
