// Table selection: which source tables (and views) a task migrates, and in what order.
//
//   - include: wildcard match on schema and table names;
//   - explicit: literal names (no wildcards; `_` is an ordinary character);
//   - exclude: wildcard match; an exclude always wins over include/explicit,
//     whatever the rule order.
//   - table-type: `table` (default) matches base tables only, `view` views only,
//     `all` both. Applies to exclude rules too.
//   - load-order: higher loads first (max over the include rules selecting the
//     table); ties are broken by schema name, then table name (code-point order).
// Names are compared case-sensitively.

import { compileLiteral, compileWildcard, hasWildcard, type NameMatcher } from './wildcard.js';
import type { SelectionRule, TableMappings, TableType } from './types.js';

export type SourceTableType = 'table' | 'view';

export interface CandidateTable {
  schema: string;
  table: string;
  tableType: SourceTableType;
}

export interface Selected extends CandidateTable {
  loadOrder: number;
  /** rule-ids of the include/explicit rules that selected the table, ascending. */
  ruleIds: number[];
}

/**
 * The message AWS puts in LastFailureMessage (and StopReason) when the mapping
 * selects no table at all at task start (task setting FailOnNoTablesCaptured, default true).
 */
export const NO_TABLES_FOUND_MESSAGE =
  'Last Error  No tables were found at task initialization. Either the selected table(s) or schemas(s) no longer exist or no match was found for the table selection pattern(s). If you would like to start a Task that does not initially capture any tables, set Task Setting FailOnNoTablesCaptured to false and restart task. Stop Reason FATAL_ERROR Error Level FATAL';

interface CompiledSelection {
  rule: SelectionRule;
  schema: NameMatcher;
  table: NameMatcher;
}

const compiledCache = new WeakMap<TableMappings, CompiledSelection[]>();

function compiled(m: TableMappings): CompiledSelection[] {
  let c = compiledCache.get(m);
  if (!c) {
    c = m.selection.map((rule) => {
      const literal = rule.action === 'explicit';
      const mk = literal ? compileLiteral : compileWildcard;
      return { rule, schema: mk(rule.locator.schema), table: mk(rule.locator.table!) };
    });
    compiledCache.set(m, c);
  }
  return c;
}

function typeMatches(ruleType: TableType, t: SourceTableType): boolean {
  return ruleType === 'all' || ruleType === t;
}

/** The include/explicit rules selecting this table, or null when it is not selected. */
export function selectingRules(
  m: TableMappings, schema: string, table: string, tableType: SourceTableType = 'table',
): SelectionRule[] | null {
  const including: SelectionRule[] = [];
  for (const c of compiled(m)) {
    if (!typeMatches(c.rule.locator.tableType, tableType)) continue;
    if (!c.schema(schema) || !c.table(table)) continue;
    if (c.rule.action === 'exclude') return null;
    including.push(c.rule);
  }
  return including.length > 0 ? including : null;
}

/** True when a (possibly newly created) table is selected by the mapping. */
export function matchesSelection(
  m: TableMappings, schema: string, table: string, tableType: SourceTableType = 'table',
): boolean {
  return selectingRules(m, schema, table, tableType) !== null;
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The selected candidates, in load order. */
export function selectTables(m: TableMappings, candidates: CandidateTable[]): Selected[] {
  const out: Selected[] = [];
  for (const c of candidates) {
    const rules = selectingRules(m, c.schema, c.table, c.tableType);
    if (!rules) continue;
    let loadOrder = 0;
    for (const r of rules) if (r.loadOrder > loadOrder) loadOrder = r.loadOrder;
    out.push({
      schema: c.schema,
      table: c.table,
      tableType: c.tableType,
      loadOrder,
      ruleIds: rules.map((r) => r.id),
    });
  }
  out.sort((a, b) => b.loadOrder - a.loadOrder || cmpStr(a.schema, b.schema) || cmpStr(a.table, b.table));
  return out;
}

export interface ExplicitTable {
  schema: string;
  table: string;
  tableType: TableType;
  ruleId: number;
}

/**
 * Tables the mapping names literally: every `explicit` rule, and every `include`
 * rule whose schema and table names contain no wildcard. An `_` in an include rule
 * counts as a wildcard (it is one for matching), so `order_items` is not listed.
 * Tables also matched by an exclude rule are left out.
 */
export function explicitTables(m: TableMappings): ExplicitTable[] {
  const out: ExplicitTable[] = [];
  const seen = new Set<string>();
  for (const r of m.selection) {
    if (r.action === 'exclude') continue;
    const schema = r.locator.schema;
    const table = r.locator.table!;
    if (r.action === 'include' && (hasWildcard(schema) || hasWildcard(table))) continue;
    const types: SourceTableType[] = r.locator.tableType === 'all' ? ['table', 'view'] : [r.locator.tableType];
    if (!types.some((t) => matchesSelection(m, schema, table, t))) continue;
    const key = JSON.stringify([schema, table]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ schema, table, tableType: r.locator.tableType, ruleId: r.id });
  }
  return out;
}
