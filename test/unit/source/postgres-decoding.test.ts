import { describe, expect, it } from 'vitest';
import { parseTestDecoding, pgTimestampToEpoch, UNCHANGED_TOAST } from '../../../core/source/postgres/decoding.js';
import { formatLsn, parseLsn, pgStreamPosition, postgresPositions } from '../../../core/source/postgres/lsn.js';
import { slotNameFor } from '../../../core/source/postgres/source.js';
import { toDollarParams } from '../../../core/source/postgres/snapshot.js';
import { parseDurationMs } from '../../../core/source/postgres/prerequisites.js';

describe('test_decoding parser', () => {
  it('reads BEGIN and COMMIT with xid and time', () => {
    expect(parseTestDecoding('BEGIN 1139')).toEqual({ kind: 'begin', xid: '1139' });
    expect(parseTestDecoding('COMMIT 1139 (at 2024-07-29 00:58:17.97434+00)')).toEqual({ kind: 'commit', xid: '1139', time: '2024-07-29 00:58:17.97434+00' });
    expect(pgTimestampToEpoch('2024-07-29 00:58:17.97434+00')).toBeCloseTo(Date.UTC(2024, 6, 29, 0, 58, 17) / 1000 + 0.97434, 5);
    expect(pgTimestampToEpoch('2024-07-29 02:58:17+02')).toBe(Date.UTC(2024, 6, 29, 0, 58, 17) / 1000);
  });

  it('reads commit times of the same second from its cache exactly as afresh', () => {
    const base = Date.UTC(2024, 6, 29, 0, 58, 17) / 1000;
    // Same second: the fraction and offset of each are read, whatever the previous one had.
    const seq: Array<[string, number]> = [
      ['2024-07-29 00:58:17.5+00', base + 0.5 - 0],
      ['2024-07-29 00:58:17.97434+00', base + 0.97434 - 0],
      ['2024-07-29 00:58:17+00', base],
      ['2024-07-29 00:58:17.25+02', base + 0.25 - 7200],
      ['2024-07-29 00:58:17.25+02:30', base + 0.25 - 9000],
      ['2024-07-29 00:58:17.25-01', base + 0.25 + 3600],
      ['2024-07-29 00:58:18.125+00', base + 1 + 0.125],
    ];
    for (const [text, want] of seq) expect(pgTimestampToEpoch(text), text).toBe(want);
    // Texts the full parse does not accept are not read from the cache either.
    pgTimestampToEpoch('2024-07-29 00:58:17.125+00');
    expect(pgTimestampToEpoch('2024-07-29 00:58:17.125+00 BC')).not.toBe(base + 0.125);
    expect(pgTimestampToEpoch('2024-07-29 00:58:17.+00')).not.toBe(base);
  });

  it('reads quoted names, every literal form, null and unchanged TOAST', () => {
    const m = parseTestDecoding(
      `table "My ""S""".t1: INSERT: id[integer]:1 "Full Name"[text]:'O''Brien it''s' f[double precision]:-1.5e-07 b[boolean]:true bits[bit varying]:B'101' a[integer[]]:'{1,2}' n[text]:null big[text]:unchanged-toast-datum`,
    );
    expect(m).toEqual({
      kind: 'change', schema: 'My "S"', table: 't1', op: 'insert', oldKey: null,
      newTuple: [
        { name: 'id', type: 'integer', value: '1' },
        { name: 'Full Name', type: 'text', value: "O'Brien it's" },
        { name: 'f', type: 'double precision', value: '-1.5e-07' },
        { name: 'b', type: 'boolean', value: 'true' },
        { name: 'bits', type: 'bit varying', value: '101' },
        { name: 'a', type: 'integer[]', value: '{1,2}' },
        { name: 'n', type: 'text', value: null },
        { name: 'big', type: 'text', value: UNCHANGED_TOAST },
      ],
    });
  });

  it('reads old keys of updates and deletes, and tuple-less changes', () => {
    expect(parseTestDecoding(`table public.foo: UPDATE: old-key: id[integer]:1 new-tuple: id[integer]:2 v[text]:'a b'`)).toEqual({
      kind: 'change', schema: 'public', table: 'foo', op: 'update',
      oldKey: [{ name: 'id', type: 'integer', value: '1' }],
      newTuple: [{ name: 'id', type: 'integer', value: '2' }, { name: 'v', type: 'text', value: 'a b' }],
    });
    expect(parseTestDecoding(`table public.foo: DELETE: id[integer]:2`)).toMatchObject({ op: 'delete', oldKey: [{ name: 'id', value: '2' }], newTuple: null });
    expect(parseTestDecoding(`table public.foo: DELETE: (no-tuple-data)`)).toMatchObject({ op: 'delete', oldKey: null, newTuple: null });
    expect(parseTestDecoding(`table public.foo: TRUNCATE: (no-flags)`)).toEqual({ kind: 'truncate', schema: 'public', table: 'foo' });
  });
});

describe('PostgreSQL positions', () => {
  it('LSNs in AWS form, compared as numbers', () => {
    expect(formatLsn(parseLsn('4AF/B00000D0')!)).toBe('000004AF/B00000D0');
    expect(formatLsn(0n)).toBe('00000000/00000000');
    expect(formatLsn(0xffffffffffffffffn)).toBe('FFFFFFFF/FFFFFFFF');
    expect(formatLsn(0x1_00000000n)).toBe('00000001/00000000');
    expect(parseLsn('nope')).toBeNull();
    expect(postgresPositions.compare('0/FF', '1/0')).toBeLessThan(0);
    expect(postgresPositions.compare('00000001/00000000', '1/0')).toBe(0);
    expect(pgStreamPosition(0x27c007178n, 3, 0x27c007178n)).toBe('00000002/7C007178.3.00000002/7C007178');
  });

  it('parses CdcStartPosition: LSN, AWS checkpoint, else AWS-shaped errors', () => {
    expect(postgresPositions.parseStart('checkpoint:V1#34#00000132/0F000E48#0#0#*#0#121')).toEqual({ kind: 'position', position: '00000132/0F000E48' });
    expect(postgresPositions.formatCheckpoint('132/F000E48', 5, '9')).toBe('checkpoint:V1#5#00000132/0F000E48#0#0#*#0#0');
    expect(() => postgresPositions.parseStart('mysql-bin.000001:4')).toThrow(/expected a PostgreSQL LSN/);
    expect(() => postgresPositions.parseStart('checkpoint:V1#1#garbage')).toThrow(/Invalid checkpoint/);
  });
});

describe('PostgreSQL helpers', () => {
  it('slot names are valid identifiers, stable per reader', () => {
    expect(slotNameFor('abc_1')).toBe('abc_1');
    const s = slotNameFor('arn:aws:dms:us-east-1:000000000000:task:ABCDEF');
    expect(s).toMatch(/^[a-z0-9_]{1,63}$/);
    expect(slotNameFor('arn:aws:dms:us-east-1:000000000000:task:ABCDEF')).toBe(s);
    expect(slotNameFor('x'.repeat(100))).toHaveLength(63);
  });

  it('? placeholders outside quotes become $n', () => {
    expect(toDollarParams(`"a?" = ? AND b = '?' AND c IN (?, ?)`)).toBe(`"a?" = $1 AND b = '?' AND c IN ($2, $3)`);
  });

  it('durations of settings', () => {
    expect(parseDurationMs('1min')).toBe(60_000);
    expect(parseDurationMs('5s')).toBe(5000);
    expect(parseDurationMs('0')).toBe(0);
  });
});
