import { describe, expect, it } from 'vitest';
import { DmsFault } from '../../../core/model/errors.js';
import { mysqlPositions, toBinlogPosition } from '../../../core/source/mysql/positions.js';

// MySQL's SourcePositions: the serialised `file:offset`, its order, AWS's CdcStartPosition forms and
// the RecoveryCheckpoint string (reference §12).

function fault(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DmsFault);
    return { code: (e as DmsFault).code, message: (e as DmsFault).message };
  }
  throw new Error('expected a DmsFault');
}

const utc = (...a: [number, number, number, number, number, number]) => Date.UTC(a[0], a[1] - 1, a[2], a[3], a[4], a[5]) / 1000;
const { compare, parseStart, formatCheckpoint } = mysqlPositions;

describe('compare', () => {
  it('orders by binlog file number first, then by offset', () => {
    expect(compare('mysql-bin.000001:500', 'mysql-bin.000002:4')).toBeLessThan(0);
    expect(compare('mysql-bin.000002:4', 'mysql-bin.000001:500')).toBeGreaterThan(0);
    expect(compare('mysql-bin.000003:120', 'mysql-bin.000003:121')).toBeLessThan(0);
    expect(compare('mysql-bin.000003:121', 'mysql-bin.000003:120')).toBeGreaterThan(0);
    expect(compare('mysql-bin.000003:121', 'mysql-bin.000003:121')).toBe(0);
  });

  it('compares file numbers and offsets numerically, not as text', () => {
    expect(compare('mysql-bin.999999:4', 'mysql-bin.1000000:4')).toBeLessThan(0);
    expect(compare('mysql-bin-changelog.002171:36912135', 'mysql-bin-changelog.010000:4')).toBeLessThan(0);
    expect(compare('mysql-bin.000003:99', 'mysql-bin.000003:100')).toBeLessThan(0);
  });

  it('sorts a list into binlog order', () => {
    const list = ['b.000002:10', 'b.000001:900', 'b.000010:4', 'b.000002:4', 'b.000001:4'];
    expect([...list].sort(compare)).toEqual(['b.000001:4', 'b.000001:900', 'b.000002:4', 'b.000002:10', 'b.000010:4']);
  });

  it('refuses a string that is not a binlog position', () => {
    expect(() => compare('0/16B3748', 'b.000001:4')).toThrow(/not a binlog position/);
    expect(() => toBinlogPosition('b.000001')).toThrow(/not a binlog position/);
  });
});

describe('parseStart', () => {
  it('a native binlog position', () => {
    expect(parseStart('mysql-bin-changelog.000024:373')).toEqual({ kind: 'position', position: 'mysql-bin-changelog.000024:373' });
    expect(parseStart('  mysql-bin.000001:4 ')).toEqual({ kind: 'position', position: 'mysql-bin.000001:4' });
  });
  it('an AWS checkpoint: the file and position of its third part', () => {
    expect(parseStart('checkpoint:V1#27#mysql-bin-changelog.157832:1975:-1:2002:677883278264080:mysql-bin-changelog.157832:1876#0#0#*#0#93')).toEqual({
      kind: 'position',
      position: 'mysql-bin-changelog.157832:1975',
    });
  });
  it('a time', () => {
    expect(parseStart('2018-03-08T12:12:12')).toEqual({ kind: 'time', epochSeconds: utc(2018, 3, 8, 12, 12, 12) });
  });
  it('refuses a malformed checkpoint', () => {
    for (const c of ['checkpoint:V2#1#f:1', 'checkpoint:V1#1', 'checkpoint:V1#1#file', 'checkpoint:V1#1#file:abc']) {
      expect(fault(() => parseStart(c))).toEqual({ code: 'InvalidParameterValueException', message: `Invalid checkpoint in CdcStartPosition: ${c}` });
    }
  });
  it('refuses anything else, saying what is expected', () => {
    for (const t of ['', 'mysql-bin.000001', 'mysql-bin.000001:', 'mysql-bin.000001:-4', 'a b:4', 'now']) {
      expect(fault(() => parseStart(t))).toEqual({
        code: 'InvalidParameterValueException',
        message: `Invalid CdcStartPosition '${t}': expected a binlog position (mysql-bin-changelog.000024:373), a checkpoint, or a time (2018-03-08T12:12:12)`,
      });
    }
  });
});

describe('formatCheckpoint', () => {
  it("has AWS's shape and parses back to the same position", () => {
    const cp = formatCheckpoint('mysql-bin.000003:1975', 27, '12884978099');
    expect(cp).toBe('checkpoint:V1#27#mysql-bin.000003:1975:-1:1975:12884978099:mysql-bin.000003:1975#0#0#*#0#0');
    expect(parseStart(cp)).toEqual({ kind: 'position', position: 'mysql-bin.000003:1975' });
  });
  it('derives the transaction id from the position when none is given', () => {
    expect(formatCheckpoint('mysql-bin.000003:1975', 1)).toBe('checkpoint:V1#1#mysql-bin.000003:1975:-1:1975:12884903863:mysql-bin.000003:1975#0#0#*#0#0');
  });
});
