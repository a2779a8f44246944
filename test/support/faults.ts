import { expect } from 'vitest';
import { DmsFault } from '../../core/model/errors.js';

/** The DmsFault `fn` throws; the test fails when it throws nothing or something else. */
export function dmsFault(fn: () => unknown): DmsFault {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DmsFault);
    return e as DmsFault;
  }
  throw new Error('expected a DmsFault');
}

/** The code and message of the DmsFault `fn` throws, to compare with toEqual. */
export function fault(fn: () => unknown): { code: string; message: string } {
  const e = dmsFault(fn);
  return { code: e.code, message: e.message };
}
