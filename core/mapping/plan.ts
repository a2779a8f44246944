// buildTablePlan: everything the engine needs to move one source table —
// target names and columns after transformations, the pushed-down WHERE, the
// CDC row predicate, the per-row transformer, load order and Kinesis partition
// key choice. Everything is compiled here once; per-row work is a tight loop.
//
// Transformation semantics (AWS DMS User Guide, "Transformation rules and actions"):
//   - object-locators match SOURCE names (wildcards allowed, case-sensitive);
//   - one transformation applies per object: when several rules of the same
//     target (schema / table / column) match one object, only the rule with the
//     lowest rule-id applies ("If you specify multiple transformation rules for the
//     same object, AWS DMS applies the transformation rule with the lower rule ID");
//   - add-column rules all apply, in rule-id order, appending columns;
//   - define-primary-key: the lowest matching rule-id applies.

import { InvalidParameterValueException } from '../model/errors.js';
import type { ColumnDef, SourceRow, SourceValue, TableDef } from '../model/table.js';
import { columnDefFor, convertValue } from './datatype.js';
import { compileExpression, ExpressionError, type EvalContext } from './expression.js';
import { compileFilters, type FilterGroup, type SqlFragment } from './filter.js';
import { planParallelLoad, type ParallelLoadPlan } from './parallel-load.js';
import { ruleValidationMessage } from './parse.js';
import { selectingRules, type SourceTableType } from './select.js';
import type {
  AttributeMapping, BeforeImageDef, DmsDataType, ObjectMappingRule, PartitionKeyType, TableMappings,
  TableSettingsRule, TransformationRule,
} from './types.js';
import { compileWildcard, hasWildcard, type NameMatcher } from './wildcard.js';

export interface PartitionKeyChoice {
  type: PartitionKeyType;
  /** attribute-name: the attribute whose value is the key. */
  name?: string;
  /** constant: the key itself. */
  value?: string;
}

export interface ObjectMappingPlan {
  ruleId: number;
  action: ObjectMappingRule['action'];
  targetTableName?: string;
  excludeColumns: string[];
  attributeMappings: AttributeMapping[];
  /**
   * Shape a target row as the Kinesis `data` object: columns not excluded
   * (case-insensitive), nested under `_doc` for map-record-to-document, plus the
   * attribute mappings with `${column}` templates resolved against the target row.
   */
  apply(row: SourceRow): Record<string, unknown>;
}

export interface TablePlan {
  source: TableDef;
  /** Schema/table/column names after transformations, removed/added columns, PK per define-primary-key. */
  target: TableDef;
  /** Pushed-down filters (source column names, quoted); null when every row is selected. */
  where: SqlFragment | null;
  /** The same filters, for CDC rows (source column names). */
  matches(row: SourceRow): boolean;
  /**
   * Keyed by target column names, in target column order; add-column values computed.
   * Returns `row` itself when no column changes (`identity`).
   */
  toTargetRow(row: SourceRow, ctx?: EvalContext): SourceRow;
  loadOrder: number;
  /** From object-mapping, if any. */
  partitionKey?: PartitionKeyChoice;

  /** False when no include/explicit rule selects the table (or an exclude rule does). */
  selected: boolean;
  /** toTargetRow returns its argument unchanged. */
  identity: boolean;
  /** Source column name → target column name, or null when removed. */
  columnMap: Record<string, string | null>;
  /** DMS data types given by add-column / change-data-type, by target column name. */
  targetDataTypes: Record<string, DmsDataType>;
  objectMapping?: ObjectMappingPlan;
  /** Matching table-settings rules, ascending rule-id. */
  tableSettings: TableSettingsRule[];
  /** table-settings parallel-load (lowest rule-id with one), checked against the source columns; absent for `none`. */
  parallelLoad?: ParallelLoadPlan;
  /** From an add-before-image-columns rule (parsed, exposed; not applied by toTargetRow). */
  beforeImage?: BeforeImageDef;
}

export interface BuildTablePlanOptions {
  tableType?: SourceTableType;
}

// ---------------------------------------------------------------------------
// Compiled locators (cached per TableMappings)

interface CompiledTransformation {
  rule: TransformationRule;
  schema: NameMatcher;
  table: NameMatcher;
  column: NameMatcher;
}

interface CompiledLocated<R> {
  rule: R;
  schema: NameMatcher;
  table: NameMatcher;
}

interface CompiledMappings {
  transformations: CompiledTransformation[];
  objectMappings: CompiledLocated<ObjectMappingRule>[];
  tableSettings: CompiledLocated<TableSettingsRule>[];
}

const cache = new WeakMap<TableMappings, CompiledMappings>();
const ANY: NameMatcher = () => true;

function compileMappings(m: TableMappings): CompiledMappings {
  let c = cache.get(m);
  if (!c) {
    c = {
      transformations: m.transformation.map((rule) => ({
        rule,
        schema: compileWildcard(rule.locator.schema),
        table: rule.locator.table === undefined ? ANY : compileWildcard(rule.locator.table),
        column: rule.locator.column === undefined ? ANY : compileWildcard(rule.locator.column),
      })),
      objectMappings: m.objectMapping.map((rule) => ({
        rule, schema: compileWildcard(rule.locator.schema), table: compileWildcard(rule.locator.table!),
      })),
      // table-settings name one table exactly (`%` is rejected at parse time; `_` is literal).
      tableSettings: m.tableSettings.map((rule) => ({
        rule, schema: (s: string) => s === rule.locator.schema, table: (t: string) => t === rule.locator.table,
      })),
    };
    cache.set(m, c);
  }
  return c;
}

// ---------------------------------------------------------------------------
// Name transformations

const NAME_ACTIONS = new Set([
  'rename', 'convert-lowercase', 'convert-uppercase', 'add-prefix', 'remove-prefix', 'replace-prefix',
  'add-suffix', 'remove-suffix', 'replace-suffix',
]);

/** Apply a name-changing action (rename, convert-*, *-prefix, *-suffix) to `name`. */
export function applyNameAction(rule: Pick<TransformationRule, 'action' | 'value' | 'oldValue'>, name: string): string {
  const v = rule.value ?? '';
  const old = rule.oldValue ?? '';
  switch (rule.action) {
    case 'rename': return v;
    case 'convert-lowercase': return name.toLowerCase();
    case 'convert-uppercase': return name.toUpperCase();
    case 'add-prefix': return v + name;
    case 'add-suffix': return name + v;
    case 'remove-prefix': return v !== '' && name.startsWith(v) ? name.slice(v.length) : name;
    case 'remove-suffix': return v !== '' && name.endsWith(v) ? name.slice(0, name.length - v.length) : name;
    case 'replace-prefix': return old !== '' && name.startsWith(old) ? v + name.slice(old.length) : name;
    case 'replace-suffix': return old !== '' && name.endsWith(old) ? name.slice(0, name.length - old.length) + v : name;
    default: return name;
  }
}

// ---------------------------------------------------------------------------
// Object mapping

function lookupCI(row: SourceRow, name: string): SourceValue | undefined {
  if (name in row) return row[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(row)) if (k.toLowerCase() === lower) return row[k];
  return undefined;
}

function valueText(v: SourceValue | undefined): string {
  if (v === null || v === undefined) return '';
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return String(v);
}

const SINGLE_REF = /^\$\{([^}]+)\}$/;
const REF = /\$\{([^}]+)\}/g;

function resolveTemplate(t: unknown, row: SourceRow): unknown {
  if (typeof t === 'string') {
    const single = SINGLE_REF.exec(t);
    if (single) {
      const v = lookupCI(row, single[1]!);
      return v === undefined ? null : v;
    }
    return t.replace(REF, (_, n: string) => valueText(lookupCI(row, n)));
  }
  if (t !== null && typeof t === 'object' && !Array.isArray(t)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(t as Record<string, unknown>)) out[k] = resolveTemplate(v, row);
    return out;
  }
  return t;
}

function buildObjectMapping(rule: ObjectMappingRule, targetColumns: string[]): ObjectMappingPlan {
  const excluded = new Set(rule.excludeColumns.map((c) => c.toLowerCase()));
  const kept = targetColumns.filter((c) => !excluded.has(c.toLowerCase()));
  const attrs = rule.attributeMappings;
  const toDocument = rule.action === 'map-record-to-document';
  const passthrough = !toDocument && attrs.length === 0 && kept.length === targetColumns.length;
  const plan: ObjectMappingPlan = {
    ruleId: rule.id,
    action: rule.action,
    excludeColumns: rule.excludeColumns,
    attributeMappings: attrs,
    apply(row) {
      if (passthrough) return row;
      const base: Record<string, unknown> = {};
      for (const c of kept) {
        const v = row[c];
        if (v !== undefined) base[c] = v;
      }
      const out: Record<string, unknown> = toDocument ? { _doc: base } : base;
      for (const a of attrs) out[a.name] = resolveTemplate(a.value, row);
      return out;
    },
  };
  if (rule.targetTableName !== undefined) plan.targetTableName = rule.targetTableName;
  return plan;
}

// ---------------------------------------------------------------------------

function fail(ruleId: number, detail: string): never {
  throw new InvalidParameterValueException(ruleValidationMessage(ruleId, detail));
}

interface TargetColumn {
  def: ColumnDef;
  /** Source column read, or null for add-column. */
  source: string | null;
  convert: ((v: SourceValue) => SourceValue) | null;
  compute: ((row: SourceRow, ctx?: EvalContext) => SourceValue) | null;
}

/** Build the plan for one selected source table. */
export function buildTablePlan(m: TableMappings, source: TableDef, opts: BuildTablePlanOptions = {}): TablePlan {
  const tableType = opts.tableType ?? 'table';
  const cm = compileMappings(m);
  const { schema, table } = source;

  // Selection: filters and load order from every include/explicit rule selecting the table.
  const selecting = selectingRules(m, schema, table, tableType) ?? [];
  const groups: FilterGroup[] = selecting.map((r) => ({
    ruleId: r.id,
    literal: r.action === 'explicit' || (!hasWildcard(r.locator.schema) && !hasWildcard(r.locator.table!)),
    filters: r.filters,
  }));
  const { where, matches } = compileFilters(groups, source);
  let loadOrder = 0;
  for (const r of selecting) if (r.loadOrder > loadOrder) loadOrder = r.loadOrder;

  // Transformations matching this table (rules are in ascending rule-id order).
  const schemaRules: TransformationRule[] = [];
  const tableRules: TransformationRule[] = [];
  const columnRules: CompiledTransformation[] = [];
  const addColumnRules: TransformationRule[] = [];
  let pkRule: TransformationRule | undefined;
  let beforeImage: BeforeImageDef | undefined;
  for (const t of cm.transformations) {
    if (!t.schema(schema)) continue;
    const r = t.rule;
    if (r.target === 'schema') {
      if (NAME_ACTIONS.has(r.action)) schemaRules.push(r);
      continue;
    }
    if (!t.table(table)) continue;
    if (r.target === 'table') {
      if (r.action === 'define-primary-key') pkRule ??= r;
      else if (NAME_ACTIONS.has(r.action)) tableRules.push(r);
    } else if (r.target === 'column') {
      if (r.action === 'add-column') addColumnRules.push(r);
      else if (r.action === 'add-before-image-columns') beforeImage ??= r.beforeImageDef;
      else columnRules.push(t);
    }
  }
  const targetSchema = schemaRules[0] ? applyNameAction(schemaRules[0], schema) : schema;
  const targetTable = tableRules[0] ? applyNameAction(tableRules[0], table) : table;

  // Columns.
  const targetColumns: TargetColumn[] = [];
  const columnMap: Record<string, string | null> = {};
  const targetDataTypes: Record<string, DmsDataType> = {};
  const owner = new Map<string, number>(); // target column name → rule-id that produced it (0: source)
  const claim = (name: string, ruleId: number) => {
    if (owner.has(name)) fail(ruleId || owner.get(name)!, `column ${name} already exists in table ${targetSchema}.${targetTable}`);
    owner.set(name, ruleId);
  };
  let identity = true;
  for (const col of source.columns) {
    const t = columnRules.find((c) => c.column(col.name));
    const r = t?.rule;
    if (r?.action === 'remove-column') {
      columnMap[col.name] = null;
      identity = false;
      continue;
    }
    if (r && NAME_ACTIONS.has(r.action)) {
      const name = applyNameAction(r, col.name);
      if (name !== col.name) identity = false;
      claim(name, r.id);
      columnMap[col.name] = name;
      targetColumns.push({ def: { ...col, name }, source: col.name, convert: null, compute: null });
      continue;
    }
    if (r?.action === 'change-data-type') {
      const dt = r.dataType!;
      claim(col.name, r.id);
      columnMap[col.name] = col.name;
      targetDataTypes[col.name] = dt;
      identity = false;
      const src = col;
      targetColumns.push({
        def: columnDefFor(col.name, dt, col),
        source: col.name,
        convert: (v) => convertValue(v, dt, src),
        compute: null,
      });
      continue;
    }
    claim(col.name, 0);
    columnMap[col.name] = col.name;
    targetColumns.push({ def: { ...col }, source: col.name, convert: null, compute: null });
  }
  for (const r of addColumnRules) {
    const name = r.value!;
    const dt = r.dataType!;
    claim(name, r.id);
    identity = false;
    targetDataTypes[name] = dt;
    let compute: TargetColumn['compute'];
    if (r.expression !== undefined) {
      let expr;
      try {
        expr = compileExpression(r.expression, { columns: source.columns, schema, table });
      } catch (e) {
        if (e instanceof ExpressionError) fail(r.id, `invalid expression: ${e.message}`);
        throw e;
      }
      compute = (row, ctx) => convertValue(expr.evaluate(row, ctx), dt);
    } else {
      compute = () => null;
    }
    targetColumns.push({ def: columnDefFor(name, dt), source: null, convert: null, compute });
  }

  // Primary key.
  let primaryKey: string[];
  if (pkRule) {
    primaryKey = pkRule.primaryKeyDef!.columns.map((c) => {
      if (owner.has(c)) return c;
      const mapped = columnMap[c];
      if (mapped) return mapped;
      return fail(pkRule!.id, `primary key column ${c} does not exist in table ${targetSchema}.${targetTable}`);
    });
  } else {
    primaryKey = source.primaryKey.map((c) => columnMap[c]).filter((c): c is string => typeof c === 'string');
  }

  const target: TableDef = {
    schema: targetSchema,
    table: targetTable,
    columns: targetColumns.map((c) => c.def),
    primaryKey,
    collation: source.collation,
  };

  // Per-row transformer.
  let toTargetRow: TablePlan['toTargetRow'];
  if (identity) {
    toTargetRow = (row) => row;
  } else {
    const n = targetColumns.length;
    const srcKeys = targetColumns.map((c) => c.source);
    const tgtKeys = targetColumns.map((c) => c.def.name);
    const converts = targetColumns.map((c) => c.convert);
    const computes = targetColumns.map((c) => c.compute);
    toTargetRow = (row, ctx) => {
      const out: SourceRow = {};
      for (let i = 0; i < n; i++) {
        const sk = srcKeys[i];
        if (sk === null) {
          out[tgtKeys[i]!] = computes[i]!(row, ctx);
          continue;
        }
        const v = row[sk!];
        if (v === undefined) continue;
        const conv = converts[i];
        out[tgtKeys[i]!] = conv ? conv(v) : v;
      }
      return out;
    };
  }

  const plan: TablePlan = {
    source,
    target,
    where,
    matches,
    toTargetRow,
    loadOrder,
    selected: selecting.length > 0,
    identity,
    columnMap,
    targetDataTypes,
    tableSettings: cm.tableSettings.filter((t) => t.schema(schema) && t.table(table)).map((t) => t.rule),
  };
  if (beforeImage) plan.beforeImage = beforeImage;
  const parallelLoad = planParallelLoad(plan.tableSettings, source);
  if (parallelLoad) plan.parallelLoad = parallelLoad;

  const om = cm.objectMappings.find((o) => o.schema(schema) && o.table(table))?.rule;
  if (om) {
    plan.objectMapping = buildObjectMapping(om, target.columns.map((c) => c.name));
    if (om.partitionKeyType !== undefined) {
      const pk: PartitionKeyChoice = { type: om.partitionKeyType };
      if (om.partitionKeyName !== undefined) pk.name = om.partitionKeyName;
      if (om.partitionKeyValue !== undefined) pk.value = om.partitionKeyValue;
      plan.partitionKey = pk;
    }
  }
  return plan;
}
