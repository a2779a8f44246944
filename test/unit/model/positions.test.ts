import { describe, expect, it } from 'vitest';
import { DmsFault } from '../../../core/model/errors.js';
import { parseCdcStopPosition, parseUtcTime } from '../../../core/model/positions.js';
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
