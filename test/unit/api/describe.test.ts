import { describe, expect, it } from 'vitest';
import {
  compileFilters,
  decodeMarker,
  encodeMarker,
  maxRecords,
  notFoundIfEmpty,
  page,
  publicView,
  type Filter,
} from '../../../core/api/describe.js';
import { DmsFault, InvalidParameterValueException, ResourceNotFoundFault } from '../../../core/model/errors.js';
import { dmsFault as fault } from '../../support/faults.js';

interface Item {
  id: string;
  type: string;
  engine?: string;
  arns: string[];
}

const fields = {
  'endpoint-id': (i: Item) => i.id,
  'endpoint-type': (i: Item) => i.type,
  'engine-name': (i: Item) => i.engine,
  'endpoint-arn': (i: Item) => i.arns,
};

const items: Item[] = [
  { id: 'a', type: 'source', engine: 'mysql', arns: ['arn-a', 'arn-shared'] },
  { id: 'b', type: 'source', engine: 'mariadb', arns: ['arn-b'] },
  { id: 'c', type: 'target', engine: 'kinesis', arns: ['arn-c', 'arn-shared'] },
  { id: 'd', type: 'target', arns: [] },
];

const ids = (filters: Filter[] | undefined) => items.filter(compileFilters(filters, fields)).map((i) => i.id);

describe('compileFilters', () => {
  it('matches everything without filters or with an empty list', () => {
    expect(ids(undefined)).toEqual(['a', 'b', 'c', 'd']);
    expect(ids([])).toEqual(['a', 'b', 'c', 'd']);
  });

  it('ORs within Values', () => {
    expect(ids([{ Name: 'endpoint-id', Values: ['a', 'c', 'zzz'] }])).toEqual(['a', 'c']);
  });

  it('ANDs across filter names', () => {
    expect(ids([{ Name: 'endpoint-type', Values: ['source', 'target'] }, { Name: 'engine-name', Values: ['mariadb', 'kinesis'] }])).toEqual(['b', 'c']);
    expect(ids([{ Name: 'endpoint-type', Values: ['source'] }, { Name: 'engine-name', Values: ['kinesis'] }])).toEqual([]);
    // The same name twice: both must hold.
    expect(ids([{ Name: 'endpoint-id', Values: ['a', 'b'] }, { Name: 'endpoint-id', Values: ['b', 'c'] }])).toEqual(['b']);
  });

  it('matches a multi-valued field when any of its values is wanted', () => {
    expect(ids([{ Name: 'endpoint-arn', Values: ['arn-shared'] }])).toEqual(['a', 'c']);
    expect(ids([{ Name: 'endpoint-arn', Values: ['arn-b', 'nope'] }])).toEqual(['b']);
  });

  it('an absent field value never matches', () => {
    expect(ids([{ Name: 'engine-name', Values: ['', 'undefined'] }])).toEqual([]);
  });

  it('is exact and case-sensitive', () => {
    expect(ids([{ Name: 'endpoint-id', Values: ['A'] }])).toEqual([]);
    expect(ids([{ Name: 'endpoint-type', Values: ['sourc'] }])).toEqual([]);
  });

  it('refuses an unknown filter name, naming the valid ones', () => {
    const e = fault(() => compileFilters([{ Name: 'engine-version', Values: ['x'] }], fields));
    expect(e).toBeInstanceOf(InvalidParameterValueException);
    expect(e.code).toBe('InvalidParameterValueException');
    expect(e.message).toBe(
      'The filter name engine-version is not valid. Valid filter names: endpoint-id, endpoint-type, engine-name, endpoint-arn',
    );
  });

  it('refuses empty or missing Values', () => {
    expect(fault(() => compileFilters([{ Name: 'endpoint-id', Values: [] }], fields)).message).toBe(
      'The filter endpoint-id must have at least one value',
    );
    expect(fault(() => compileFilters([{ Name: 'endpoint-id' }], fields)).message).toBe(
      'The filter endpoint-id must have at least one value',
    );
  });

  it('validates every filter even when an earlier one is fine', () => {
    const e = fault(() => compileFilters([{ Name: 'endpoint-id', Values: ['a'] }, { Name: 'bogus', Values: ['a'] }], fields));
    expect(e.message).toMatch(/^The filter name bogus is not valid\./);
  });
});

describe('maxRecords', () => {
  it('defaults to 100 and accepts the bounds', () => {
    expect(maxRecords(undefined)).toBe(100);
    expect(maxRecords(20)).toBe(20);
    expect(maxRecords(100)).toBe(100);
  });
  it('refuses values outside 20..100', () => {
    expect(fault(() => maxRecords(19))).toMatchObject({ code: 'InvalidParameterValueException', message: 'MaxRecords must be between 20 and 100' });
    expect(fault(() => maxRecords(101)).message).toBe('MaxRecords must be between 20 and 100');
    expect(fault(() => maxRecords(0)).message).toBe('MaxRecords must be between 20 and 100');
  });
  it('takes custom bounds (DescribeTableStatistics: up to 500)', () => {
    const opts = { min: 20, max: 500, def: 100 };
    expect(maxRecords(undefined, opts)).toBe(100);
    expect(maxRecords(500, opts)).toBe(500);
    expect(fault(() => maxRecords(501, opts)).message).toBe('MaxRecords must be between 20 and 500');
  });
});

describe('markers', () => {
  it('round-trip any key, including separators and non-ASCII text', () => {
    for (const key of ['arn:aws:dms:us-east-1:000000000000:task:ABC', 'schema\u0000table', 'ünïcödé/+=', 'x']) {
      const m = encodeMarker(key);
      expect(m).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeMarker(m)).toBe(key);
    }
  });
  it('absent or empty means the first page', () => {
    expect(decodeMarker(undefined)).toBeUndefined();
    expect(decodeMarker('')).toBeUndefined();
  });
  it('refuses a marker it did not issue', () => {
    for (const bad of ['!!!', 'Zm9v!', 'Zm9v=', '====', 'a']) {
      expect(fault(() => decodeMarker(bad))).toMatchObject({ code: 'InvalidParameterValueException', message: 'Invalid Marker' });
    }
  });
});

/** A sorted in-memory source like DocumentTable.query: keys strictly after `after`. */
function sourceOf(store: Map<string, number>) {
  return async function* (after: string | undefined) {
    const keys = [...store.keys()].sort();
    for (const k of keys) {
      if (after !== undefined && k <= after) continue;
      if (!store.has(k)) continue;
      yield { sortKey: k, item: store.get(k)! };
    }
  };
}

async function walk(store: Map<string, number>, match: (n: number) => boolean, limit: number, between?: (pageNo: number) => void) {
  const pages: number[][] = [];
  let marker: string | undefined;
  do {
    const out = await page(sourceOf(store), match, marker, limit);
    pages.push(out.items);
    marker = out.marker;
    between?.(pages.length);
  } while (marker);
  return pages;
}

describe('page', () => {
  const key = (n: number) => `k${String(n).padStart(4, '0')}`;
  const storeOf = (n: number) => new Map(Array.from({ length: n }, (_, i) => [key(i), i] as const));

  it('splits into pages of the limit, the last one without a Marker', async () => {
    const pages = await walk(storeOf(45), () => true, 20);
    expect(pages.map((p) => p.length)).toEqual([20, 20, 5]);
    expect(pages.flat()).toEqual(Array.from({ length: 45 }, (_, i) => i));
  });

  it('gives no Marker when the items end exactly at the limit', async () => {
    const out = await page(sourceOf(storeOf(20)), () => true, undefined, 20);
    expect(out.items).toHaveLength(20);
    expect(out.marker).toBeUndefined();
  });

  it('the Marker names the last item returned', async () => {
    const out = await page(sourceOf(storeOf(30)), () => true, undefined, 20);
    expect(decodeMarker(out.marker)).toBe(key(19));
  });

  it('counts only matching items, skipping the others', async () => {
    const pages = await walk(storeOf(100), (n) => n % 7 === 0, 5);
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5]);
    expect(pages.flat()).toEqual([0, 7, 14, 21, 28, 35, 42, 49, 56, 63, 70, 77, 84, 91, 98]);
  });

  it('no Marker when the rest does not match', async () => {
    const out = await page(sourceOf(storeOf(50)), (n) => n < 3, undefined, 3);
    expect(out).toEqual({ items: [0, 1, 2] });
  });

  it('returns an empty page for an empty source', async () => {
    expect(await page(sourceOf(new Map()), () => true, undefined, 20)).toEqual({ items: [] });
  });

  it('returns each item exactly once while items are added and removed between pages', async () => {
    const store = new Map<string, number>();
    for (let i = 0; i < 100; i += 2) store.set(key(i), i);
    const pages = await walk(store, () => true, 10, (pageNo) => {
      // Inserts before and after the walk position, and removal of an item not yet seen.
      store.set(key(pageNo * 20 - 19), 1000 + pageNo);
      store.set(`${key(99)}-${pageNo}`, 2000 + pageNo);
      if (pageNo === 1) store.delete(key(90));
    });
    const seen = pages.flat();
    expect(new Set(seen).size).toBe(seen.length);
    const original = seen.filter((n) => n < 1000);
    expect(original).toEqual(Array.from({ length: 50 }, (_, i) => i * 2).filter((n) => n !== 90));
    // Items inserted behind the walk position are not seen; those ahead of it are.
    expect(seen.filter((n) => n >= 1000 && n < 2000)).toEqual([]);
    expect(seen.filter((n) => n >= 2000).length).toBeGreaterThan(0);
  });

  it('refuses a bad Marker before reading', async () => {
    await expect(page(sourceOf(storeOf(3)), () => true, 'not a marker!', 20)).rejects.toMatchObject({ code: 'InvalidParameterValueException' });
  });
});

describe('notFoundIfEmpty and publicView', () => {
  it('raises ResourceNotFoundFault when filters match nothing; no filters give an empty list', () => {
    const filters = [{ Name: 'replication-task-arn', Values: ['x'] }];
    const e = fault(() => notFoundIfEmpty([], filters, 'No Tasks found matching provided filters'));
    expect(e).toBeInstanceOf(ResourceNotFoundFault);
    expect(e.message).toBe('No Tasks found matching provided filters');
    const list = [1];
    expect(notFoundIfEmpty(list, filters, 'x')).toBe(list);
    expect(notFoundIfEmpty([], undefined, 'x')).toEqual([]);
    expect(notFoundIfEmpty([], [], 'x')).toEqual([]);
  });

  it('drops _-prefixed and undefined members, keeps null, false and 0', () => {
    expect(publicView({ A: 1, _password: 'sealed', _tags: [], B: undefined, C: null, D: false, E: 0 })).toEqual({ A: 1, C: null, D: false, E: 0 });
  });
});
