// table-settings `parallel-load`: validation and the segments a table is read in.
//
// AWS DMS User Guide, "Table and collection settings rules and operations"
// (CHAP_Tasks.CustomizingTasks.TableMapping.SelectionTransformation.Tablesettings):
//   - types: partitions-auto, subpartitions-auto, partitions-list (partitions / subpartitions arrays),
//     ranges (columns + boundaries), none;
//   - ranges: up to 10 columns; not DOUBLE, FLOAT, BLOB, CLOB, NCLOB; each boundary is the upper
//     bound of one segment, one value per column in `columns` order; rows above the last boundary
//     form one more segment; "Records with null values aren't replicated" (the WHERE below is
//     the one the guide prints, so a NULL that makes it unknown drops the row, as on AWS);
//   - partitions: "Parallel load includes partitions or subpartitions only if they are already
//     defined for the table" (a table without partitions loads as one segment).
// Checks that need only the document run at CreateReplicationTask (parse.ts); checks against the
// table's columns run when the task plans the table (buildTablePlan, at task start); partition
// names are checked when the table is loaded (the source lists them inside its snapshot).

import { InvalidParameterValueException } from '../model/errors.js';
import type { ColumnDef, TableDef } from '../model/table.js';
import { quoteIdentifier, type SqlFragment } from './filter.js';
import { ruleValidationMessage } from './parse.js';
import type { ParallelLoad, TableSettingsRule } from './types.js';

/** DMS types the guide forbids as range columns (DOUBLE, FLOAT, BLOB, CLOB, NCLOB), as MySQL types. */
const FORBIDDEN_RANGE_TYPES = new Set([
  'float', 'double', 'real',
  'tinyblob', 'blob', 'mediumblob', 'longblob',
  'tinytext', 'text', 'mediumtext', 'longtext', 'json',
]);

/** The parallel load a table gets: the lowest rule-id table-settings rule that has one (`none`: none). */
export interface ParallelLoadPlan {
  ruleId: number;
  spec: ParallelLoad;
  /** ranges only: one WHERE per segment, in segment order. */
  ranges?: SqlFragment[];
}

/** The matching rule with a `parallel-load` (lowest rule-id, as for other table settings). */
export function parallelLoadRule(rules: TableSettingsRule[]): TableSettingsRule | null {
  for (const r of rules) if (r.parallelLoad) return r;
  return null;
}

function rangeColumn(def: TableDef, name: string, ruleId: number): ColumnDef {
  // MySQL column names are case-insensitive; an exact match wins.
  const col = def.columns.find((c) => c.name === name) ?? def.columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (!col) {
    throw new InvalidParameterValueException(ruleValidationMessage(ruleId,
      `parallel load column '${name}' does not exist in table '${def.schema}'.'${def.table}'`));
  }
  if (FORBIDDEN_RANGE_TYPES.has(col.dataType)) {
    throw new InvalidParameterValueException(ruleValidationMessage(ruleId,
      `parallel load column '${name}' of type ${col.dataType} cannot define segment boundaries`));
  }
  return col;
}

function boundaryParam(v: unknown): unknown {
  return typeof v === 'boolean' ? (v ? 1 : 0) : v;
}

/**
 * `(c1 < b1) OR ((c1 = b1) AND (c2 < b2)) OR ...`: the row sorts before the boundary, column by
 * column (the guide's example WHERE clauses).
 */
function before(cols: string[], boundary: unknown[]): SqlFragment {
  const terms: string[] = [];
  const params: unknown[] = [];
  for (let j = 0; j < cols.length; j++) {
    const parts: string[] = [];
    for (let k = 0; k < j; k++) {
      parts.push(`(${cols[k]} = ?)`);
      params.push(boundaryParam(boundary[k]));
    }
    parts.push(`(${cols[j]} < ?)`);
    params.push(boundaryParam(boundary[j]));
    terms.push(parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`);
  }
  return { sql: `(${terms.join(' OR ')})`, params };
}

/** One WHERE per segment: boundaries.length + 1 segments, the last unbounded above. */
export function rangeSegmentWheres(columns: string[], boundaries: unknown[][], quote: (name: string) => string = quoteIdentifier): SqlFragment[] {
  const cols = columns.map(quote);
  const out: SqlFragment[] = [];
  let previous: SqlFragment | null = null;
  for (const b of boundaries) {
    const upper = before(cols, b);
    out.push(previous
      ? { sql: `NOT ${previous.sql} AND ${upper.sql}`, params: [...previous.params, ...upper.params] }
      : upper);
    previous = upper;
  }
  out.push({ sql: `NOT ${previous!.sql}`, params: [...previous!.params] });
  return out;
}

/**
 * The table's parallel load, checked against its columns (at task start). Throws
 * InvalidParameterValueException (`Rule with ruleId = N failed validation. ...`).
 */
export function planParallelLoad(rules: TableSettingsRule[], def: TableDef, quote?: (name: string) => string): ParallelLoadPlan | undefined {
  const rule = parallelLoadRule(rules);
  if (!rule || rule.parallelLoad!.type === 'none') return undefined;
  const spec = rule.parallelLoad!;
  if (spec.type !== 'ranges') return { ruleId: rule.id, spec };
  const cols = spec.columns!.map((c) => rangeColumn(def, c, rule.id).name);
  return { ruleId: rule.id, spec, ranges: rangeSegmentWheres(cols, spec.boundaries!, quote) };
}

/** A source's partitions of one table, in definition order. */
export interface SourcePartition {
  name: string;
  subpartitions: string[];
}

/** What one segment reads: a WHERE, a partition, or (null) the whole table. */
export type Segment =
  | { kind: 'where'; where: SqlFragment; label: string }
  | { kind: 'partition'; partition: string; label: string };

/**
 * The partition segments of a table from what the source lists (inside the load's snapshot).
 * partitions-auto/subpartitions-auto on a table without (sub)partitions: one whole-table segment
 * (null). partitions-list naming a partition the table lacks: InvalidParameterValueException.
 */
export function partitionSegments(plan: ParallelLoadPlan, def: TableDef, partitions: SourcePartition[]): Segment[] | null {
  const seg = (name: string): Segment => ({ kind: 'partition', partition: name, label: name });
  switch (plan.spec.type) {
    case 'partitions-auto':
      return partitions.length > 0 ? partitions.map((p) => seg(p.name)) : null;
    case 'subpartitions-auto': {
      const subs = partitions.flatMap((p) => p.subpartitions);
      return subs.length > 0 ? subs.map(seg) : null;
    }
    case 'partitions-list': {
      const byName = new Map(partitions.map((p) => [p.name.toLowerCase(), p.name]));
      const subByName = new Map(partitions.flatMap((p) => p.subpartitions).map((s) => [s.toLowerCase(), s]));
      const out: Segment[] = [];
      for (const name of plan.spec.partitions ?? []) {
        const actual = byName.get(name.toLowerCase());
        if (!actual) {
          throw new InvalidParameterValueException(ruleValidationMessage(plan.ruleId,
            `partition '${name}' does not exist in table '${def.schema}'.'${def.table}'`));
        }
        out.push(seg(actual));
      }
      // A subpartition of a listed partition is already read with it (each row once).
      const listed = new Set(out.map((o) => (o as { partition: string }).partition));
      const parentOf = new Map(partitions.flatMap((p) => p.subpartitions.map((sp) => [sp, p.name] as const)));
      for (const name of plan.spec.subpartitions ?? []) {
        const actual = subByName.get(name.toLowerCase());
        if (!actual) {
          throw new InvalidParameterValueException(ruleValidationMessage(plan.ruleId,
            `subpartition '${name}' does not exist in table '${def.schema}'.'${def.table}'`));
        }
        if (!listed.has(parentOf.get(actual)!)) out.push(seg(actual));
      }
      return out;
    }
    default:
      return null;
  }
}

/** Range segments of a plan (null when it is not `ranges`). */
export function rangeSegments(plan: ParallelLoadPlan): Segment[] | null {
  if (!plan.ranges) return null;
  return plan.ranges.map((where, i) => ({ kind: 'where', where, label: `segment ${i + 1}` }));
}
