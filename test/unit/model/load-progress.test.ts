import { describe, expect, it } from 'vitest';
import { rowsLoadPercent, tableLoadPercent } from '../../../core/model/load-progress.js';

describe('tableLoadPercent', () => {
  it('is 0 before the load, 100 once done, rows against the estimate while loading', () => {
    expect(tableLoadPercent({ TableState: 'Before load', estimatedRows: 100 })).toBe(0);
    expect(tableLoadPercent({ TableState: 'Table completed', FullLoadRows: 7, estimatedRows: 100 })).toBe(100);
    expect(tableLoadPercent({ TableState: 'Table error', FullLoadRows: 7 })).toBe(100);
    expect(tableLoadPercent({ TableState: 'Full load', FullLoadRows: 0, estimatedRows: 400 })).toBe(0);
    expect(tableLoadPercent({ TableState: 'Full load', FullLoadRows: 123, estimatedRows: 400 })).toBe(30);
    expect(tableLoadPercent({ TableState: 'Table is being reloaded', FullLoadRows: 399, estimatedRows: 400 })).toBe(99);
  });

  it('stays below 100 % while loading when the estimate was low, and is unknown without one', () => {
    expect(tableLoadPercent({ TableState: 'Full load', FullLoadRows: 900, estimatedRows: 400 })).toBe(99);
    expect(tableLoadPercent({ TableState: 'Full load', FullLoadRows: 10 })).toBeNull();
    expect(tableLoadPercent({ TableState: 'Full load', FullLoadRows: 10, estimatedRows: null })).toBeNull();
    expect(tableLoadPercent({ TableState: 'Full load', FullLoadRows: 10, estimatedRows: 0 })).toBeNull();
    expect(tableLoadPercent({ TableState: 'Full load', FullLoadRows: 0 })).toBe(0);
  });
});

describe('rowsLoadPercent', () => {
  it('weighs tables by their rows: done tables count what they had, the others their estimate', () => {
    expect(
      rowsLoadPercent([
        { TableState: 'Table completed', FullLoadRows: 100, estimatedRows: 90 },
        { TableState: 'Full load', FullLoadRows: 200, estimatedRows: 800 },
        { TableState: 'Before load', estimatedRows: 100 },
      ]),
    ).toBe(30); // (100 + 200) / (100 + 800 + 100)
    // An estimate passed by the rows loaded counts as the rows.
    expect(rowsLoadPercent([{ TableState: 'Full load', FullLoadRows: 500, estimatedRows: 100 }, { TableState: 'Before load', estimatedRows: 500 }])).toBe(50);
    expect(rowsLoadPercent([{ TableState: 'Table completed', FullLoadRows: 5 }])).toBe(99);
  });

  it('is null when a table to load has no estimate, or nothing is expected', () => {
    expect(rowsLoadPercent([{ TableState: 'Table completed', FullLoadRows: 5 }, { TableState: 'Before load' }])).toBeNull();
    expect(rowsLoadPercent([{ TableState: 'Before load', estimatedRows: 0 }])).toBeNull();
    expect(rowsLoadPercent([])).toBeNull();
  });
});
