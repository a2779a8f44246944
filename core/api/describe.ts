import { InvalidParameterValueException, ResourceNotFoundFault } from '../model/errors.js';

// Shared by every Describe*: filters (ANDed across names, ORed within Values), MaxRecords
// bounds and an opaque Marker holding the last key returned (stable under concurrent creates).

/** A Describe* filter; Values is checked here too, as callers outside the API may omit it. */
export interface Filter {
  Name: string;
  Values?: readonly string[];
}

export type FilterFields<T> = Record<string, (item: T) => string | string[] | undefined>;

export function compileFilters<T>(filters: readonly Filter[] | undefined, fields: FilterFields<T>): (item: T) => boolean {
  const checks: ((item: T) => boolean)[] = [];
  for (const f of filters ?? []) {
    const get = Object.hasOwn(fields, f.Name) ? fields[f.Name] : undefined;
    if (!get) {
      throw new InvalidParameterValueException(
        `The filter name ${f.Name} is not valid. Valid filter names: ${Object.keys(fields).join(', ')}`,
      );
    }
    if (!f.Values || f.Values.length === 0) {
      throw new InvalidParameterValueException(`The filter ${f.Name} must have at least one value`);
    }
    const wanted = new Set(f.Values);
    checks.push((item) => {
      const v = get(item);
      if (v === undefined) return false;
      return Array.isArray(v) ? v.some((x) => wanted.has(x)) : wanted.has(v);
    });
  }
  return (item) => checks.every((c) => c(item));
}

export function maxRecords(value: number | undefined, opts: { min?: number; max?: number; def?: number } = {}): number {
  const { min = 20, max = 100, def = 100 } = opts;
  if (value === undefined) return def;
  if (value < min || value > max) {
    throw new InvalidParameterValueException(`MaxRecords must be between ${min} and ${max}`);
  }
  return value;
}

export function encodeMarker(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

export function decodeMarker(marker: string | undefined): string | undefined {
  if (marker === undefined || marker === '') return undefined;
  const text = Buffer.from(marker, 'base64url').toString('utf8');
  if (!text || encodeMarker(text) !== marker) throw new InvalidParameterValueException('Invalid Marker');
  return text;
}

/**
 * Walks items in key order after the marker, keeps those matching, and returns one page
 * plus the Marker for the next page (absent on the last page).
 */
export async function page<T>(
  source: (after: string | undefined) => AsyncIterable<{ sortKey: string; item: T }>,
  match: (item: T) => boolean,
  marker: string | undefined,
  limit: number,
): Promise<{ items: T[]; marker?: string }> {
  const items: T[] = [];
  let last: string | undefined;
  for await (const { sortKey, item } of source(decodeMarker(marker))) {
    if (!match(item)) continue;
    if (items.length === limit) return { items, marker: encodeMarker(last!) };
    items.push(item);
    last = sortKey;
  }
  return { items };
}

/**
 * AWS raises ResourceNotFoundFault when Filters match nothing (the *Deleted waiters rely on it);
 * without filters an empty account gives an empty list.
 */
export function notFoundIfEmpty<T>(items: T[], filters: readonly unknown[] | undefined, message: string): T[] {
  if (items.length === 0 && filters !== undefined && filters.length > 0) throw new ResourceNotFoundFault(message);
  return items;
}

/** Describe* paging members of a request. */
export interface Paging {
  MaxRecords?: number;
  Marker?: string;
}

/** One page of an in-memory list (catalogues, schema names); the Marker is the next index. */
export function paginateList<T>(items: readonly T[], input: Paging): { items: T[]; Marker?: string } {
  const limit = maxRecords(input.MaxRecords);
  const start = input.Marker ? Number(Buffer.from(input.Marker, 'base64url').toString()) : 0;
  if (!Number.isInteger(start) || start < 0) throw new InvalidParameterValueException('Invalid Marker');
  const next = start + limit < items.length ? Buffer.from(String(start + limit)).toString('base64url') : undefined;
  return { items: items.slice(start, start + limit), ...(next ? { Marker: next } : {}) };
}

/** A document without its internal (`_`-prefixed) members: what goes on the wire. */
export type PublicView<T> = { [K in keyof T as K extends `_${string}` ? never : K]: T[K] };

/** Removes internal (`_`-prefixed) and undefined members before a document goes on the wire. */
export function publicView<T extends object>(doc: T): PublicView<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (!k.startsWith('_') && v !== undefined) out[k] = v;
  // Exactly the members PublicView<T> keeps: the loop above drops the `_` ones.
  return out as PublicView<T>;
}
