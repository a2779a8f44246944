import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KNOWN_DIFFERENCES } from '../../../core/api/differences.js';
import { IMPLEMENTED_OPERATIONS } from '../../../core/api/index.js';
import { README, operationsTable, withOperations } from '../../../scripts/docs.js';

describe('README operations table', () => {
  it('is what the code implements (run `npm run docs` after adding an operation)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(withOperations(readme, operationsTable())).toBe(readme);
  });

  it('notes differences only for implemented operations', () => {
    expect(Object.keys(KNOWN_DIFFERENCES).filter((op) => !IMPLEMENTED_OPERATIONS.includes(op))).toEqual([]);
  });

  it('lists every operation once, sorted', () => {
    const table = operationsTable(['B', 'A'], { A: 'x' });
    expect(table).toContain('| `A` | x |\n| `B` | none known |');
  });
});
