import type { Scope } from '../model/arn.js';
import type { DocumentTable, Stored } from './dynamo.js';
import { identKey, resourceKey, type ResourceKind } from './resources.js';

// Describe* sources. A filter on ARNs or identifiers names the documents directly: they are read
// with GetItem (identifiers through their uniqueness item), never by reading the whole partition.
// The caller still applies every filter to what comes back.

export interface ResourceLookup {
  kind: ResourceKind;
  scope: Scope;
  /** The request's Filters (already validated by compileFilters). */
  filters: unknown;
  /** Filter names whose values are ARNs / identifiers of this kind. */
  arnFilter: string;
  idFilter?: string;
  /** DynamoDB page size for a partition read (the Describe page plus one). */
  pageSize?: number;
}

interface Filter {
  Name: string;
  Values: string[];
}

/** The ARNs the filters pin down, or null when they do not name documents directly. */
export async function pinnedArns(table: DocumentTable, l: ResourceLookup): Promise<string[] | null> {
  const filters = Array.isArray(l.filters) ? (l.filters as Filter[]) : [];
  const byArn = filters.find((f) => f.Name === l.arnFilter);
  if (byArn) return [...new Set(byArn.Values)];
  const byId = l.idFilter ? filters.find((f) => f.Name === l.idFilter) : undefined;
  if (!byId) return null;
  const found = await Promise.all([...new Set(byId.Values)].map((id) => table.get<{ arn: string }>(identKey(l.kind, l.scope, id))));
  return [...new Set(found.flatMap((s) => (s ? [s.doc.arn] : [])))];
}

/** Documents of one resource kind in key order after `after`: direct reads when pinned, else a Query. */
export async function* lookupResources<T>(table: DocumentTable, l: ResourceLookup, after: string | undefined): AsyncGenerator<Stored<T>> {
  const arns = await pinnedArns(table, l);
  if (arns === null) {
    yield* table.query<T>(resourceKey(l.kind, l.scope, '').pk, after, l.pageSize);
    return;
  }
  const wanted = arns.filter((a) => after === undefined || a > after).sort();
  // Bounded fan-out: a filter may list many values.
  for (let i = 0; i < wanted.length; i += 25) {
    const docs = await Promise.all(wanted.slice(i, i + 25).map((arn) => table.get<T>(resourceKey(l.kind, l.scope, arn))));
    for (const d of docs) if (d) yield d;
  }
}
