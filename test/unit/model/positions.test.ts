import { describe, expect, it } from 'vitest';
import { DmsFault } from '../../../core/model/errors.js';
import { formatCheckpoint, parseCdcStartPosition, parseCdcStopPosition, parseUtcTime } from '../../../core/model/positions.js';
import { fault } from '../../support/faults.js';

const utc = (...a: [number, number, number, number, number, number, number?]) => Date.UTC(a[0], a[1] - 1, a[2], a[3], a[4], a[5], a[6] ?? 0) / 1000;

describe('parseUtcTime', () => {
  it('reads times without a zone as UTC', () => {
    expect(parseUtcTime('2018-03-08T12:12:12')).toBe(utc(2018, 3, 8, 12, 12, 12));
    expect(parseUtcTime('2018-03-08 12:12:12')).toBe(utc(2018, 3, 8, 12, 12, 12));
  });
  it('accepts a Z suffix and fractional seconds', () => {
    expect(parseUtcTime('2018-03-08T12:12:12Z')).toBe(utc(2018, 3, 8, 12, 12, 12));
    expect(parseUtcTime('2018-03-08T12:12:12.250')).toBe(utc(2018, 3, 8, 12, 12, 12, 250));
    expect(parseUtcTime('2018-03-08T12:12:12.5Z')).toBe(utc(2018, 3, 8, 12, 12, 12, 500));
  });
  it('is null for anything else', () => {
    for (const t of ['', '2018-03-08', '12:12:12', '2018-03-08T12:12', '2018-03-08T12:12:12+01:00', '2018-13-08T12:12:12', 'x2018-03-08T12:12:12', '2018-03-08T12:12:12 ']) {
      expect(parseUtcTime(t)).toBeNull();
    }
  });
});

describe('parseCdcStartPosition', () => {
  it('a native binlog position', () => {
    expect(parseCdcStartPosition('mysql-bin-changelog.000024:373')).toEqual({ kind: 'binlog', file: 'mysql-bin-changelog.000024', position: 373 });
    expect(parseCdcStartPosition('  mysql-bin.000001:4 ')).toEqual({ kind: 'binlog', file: 'mysql-bin.000001', position: 4 });
  });
  it('an AWS checkpoint: the file and position of its third part', () => {
    expect(parseCdcStartPosition('checkpoint:V1#27#mysql-bin-changelog.157832:1975:-1:2002:677883278264080:mysql-bin-changelog.157832:1876#0#0#*#0#93')).toEqual({
      kind: 'binlog',
      file: 'mysql-bin-changelog.157832',
      position: 1975,
    });
  });
  it('a time', () => {
    expect(parseCdcStartPosition('2018-03-08T12:12:12')).toEqual({ kind: 'time', epochSeconds: utc(2018, 3, 8, 12, 12, 12) });
  });
  it('refuses a malformed checkpoint', () => {
    for (const c of ['checkpoint:V2#1#f:1', 'checkpoint:V1#1', 'checkpoint:V1#1#file', 'checkpoint:V1#1#file:abc']) {
      expect(fault(() => parseCdcStartPosition(c))).toEqual({ code: 'InvalidParameterValueException', message: `Invalid checkpoint in CdcStartPosition: ${c}` });
    }
  });
  it('refuses anything else, saying what is expected', () => {
    for (const t of ['', 'mysql-bin.000001', 'mysql-bin.000001:', 'mysql-bin.000001:-4', 'a b:4', 'now']) {
      expect(fault(() => parseCdcStartPosition(t))).toEqual({
        code: 'InvalidParameterValueException',
        message: `Invalid CdcStartPosition '${t}': expected a binlog position (mysql-bin-changelog.000024:373), a checkpoint, or a time (2018-03-08T12:12:12)`,
      });
    }
  });
});

describe('parseCdcStopPosition', () => {
  it('server_time and commit_time', () => {
    expect(parseCdcStopPosition('server_time:2018-02-09T12:12:12')).toEqual({ kind: 'server_time', epochSeconds: utc(2018, 2, 9, 12, 12, 12) });
    expect(parseCdcStopPosition('commit_time:2018-02-09 12:12:12')).toEqual({ kind: 'commit_time', epochSeconds: utc(2018, 2, 9, 12, 12, 12) });
  });
  it('refuses anything else', () => {
    for (const t of ['', '2018-02-09T12:12:12', 'server_time:', 'server_time:tomorrow', 'stop_time:2018-02-09T12:12:12', 'mysql-bin.000001:4']) {
      expect(fault(() => parseCdcStopPosition(t))).toEqual({
        code: 'InvalidParameterValueException',
        message: `Invalid CdcStopPosition '${t}': expected server_time:YYYY-MM-DDTHH:MM:SS or commit_time:YYYY-MM-DDTHH:MM:SS`,
      });
    }
  });
});

describe('formatCheckpoint', () => {
  it("has AWS's shape and parses back to the same position", () => {
    const cp = formatCheckpoint({ file: 'mysql-bin.000003', position: 1975 }, 27, 12884978099n);
    expect(cp).toBe('checkpoint:V1#27#mysql-bin.000003:1975:-1:1975:12884978099:mysql-bin.000003:1975#0#0#*#0#0');
    expect(parseCdcStartPosition(cp)).toEqual({ kind: 'binlog', file: 'mysql-bin.000003', position: 1975 });
  });
});
