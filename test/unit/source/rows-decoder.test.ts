import { describe, expect, it } from 'vitest';
import { rowBuilder } from '../../../core/source/mysql/rows-decoder.js';

describe('rowBuilder', () => {
  it('builds the row with every column in order, whatever the names hold', () => {
    const names = ['id', 'a"b', "it's", 'back\\slash', 'new\nline', 'ü 😀', 'constructor', 'toString', '0', 'x'];
    const build = rowBuilder(names);
    const values = [1, 'q', null, Buffer.from('b'), 2.5, 'ü', 'c', 't', 'zero', null];
    const row = build(values);
    expect(Object.keys(row)).toEqual(['0', ...names.filter((n) => n !== '0')]); // integer-like keys first, as any object
    for (let i = 0; i < names.length; i++) expect(row[names[i]!]).toBe(values[i]);
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    // a fresh object per call: the values array is scratch
    values[0] = 2;
    expect(build(values).id).toBe(2);
    expect(row.id).toBe(1);
  });

  it('keeps a column named __proto__ as data, not as the prototype', () => {
    const row = rowBuilder(['id', '__proto__'])([7, null]);
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.keys(row)).toEqual(['id', '__proto__']);
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).toBeNull();
    expect(JSON.stringify(row)).toBe('{"id":7,"__proto__":null}');
  });
});
