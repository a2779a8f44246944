import { describe, expect, it } from 'vitest';
import { comparePositions } from '../../../core/engine/cdc.js';

const p = (file: string, position: number) => ({ file, position });

describe('comparePositions', () => {
  it('orders by binlog file number first, then by offset', () => {
    expect(comparePositions(p('mysql-bin.000001', 500), p('mysql-bin.000002', 4))).toBeLessThan(0);
    expect(comparePositions(p('mysql-bin.000002', 4), p('mysql-bin.000001', 500))).toBeGreaterThan(0);
    expect(comparePositions(p('mysql-bin.000003', 120), p('mysql-bin.000003', 121))).toBeLessThan(0);
    expect(comparePositions(p('mysql-bin.000003', 121), p('mysql-bin.000003', 120))).toBeGreaterThan(0);
    expect(comparePositions(p('mysql-bin.000003', 121), p('mysql-bin.000003', 121))).toBe(0);
  });

  it('compares file numbers numerically, beyond the zero padding', () => {
    expect(comparePositions(p('mysql-bin.999999', 4), p('mysql-bin.1000000', 4))).toBeLessThan(0);
    expect(comparePositions(p('mysql-bin-changelog.002171', 36912135), p('mysql-bin-changelog.010000', 4))).toBeLessThan(0);
  });

  it('sorts a list into binlog order', () => {
    const list = [p('b.000002', 10), p('b.000001', 900), p('b.000010', 4), p('b.000002', 4), p('b.000001', 4)];
    expect([...list].sort(comparePositions)).toEqual([p('b.000001', 4), p('b.000001', 900), p('b.000002', 4), p('b.000002', 10), p('b.000010', 4)]);
  });
});
