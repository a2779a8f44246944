// parseTableMappings: JSON text → validated TableMappings, failing the way AWS DMS
// fails (InvalidParameterValueException with AWS's message wording).
//
// Messages observed from real AWS (LocalStack's AWS-validated tests, user reports):
//   `Invalid Table Mappings document. Invalid json`           – not JSON
//   `Valid Table mappings is required`                         – JSON without `rules`
//   `Invalid table mappings document.`                         – unknown rule-type / rule-action
//   `Error in mapping rules. Duplicate ruleid 1`
//   `Error in mapping rules. Rule with ruleId = 1 failed validation. object locator cannot be null`
//   `Error in mapping rules. At least one selection rule is required.`
// Every other message below follows the last two patterns (see README.md).
//
// Validation runs in the order AWS's deserialise-then-validate pipeline implies:
//   1. binding: JSON types and enum values      → `Invalid table mappings document.`
//   2. rule-id uniqueness                       → `Duplicate ruleid N`
//   3. per-rule semantic checks, in rule order  → `Rule with ruleId = N failed validation. ...`
//   4. at least one selection rule

import { InvalidParameterValueException } from '../model/errors.js';
import { checkExpressionSyntax, ExpressionError } from './expression.js';
import type {
  AttributeMapping, BeforeImageDef, DmsDataType, DmsDataTypeName, FilterCondition, FilterOperator,
  ObjectLocator, ObjectMappingRule, ParallelLoad, PartitionKeyType, PrimaryKeyDef, Rule,
  SelectionRule, SourceFilter, TableMappings, TableSettingsRule, TableType, TransformationAction,
  TransformationRule, TransformationTarget,
} from './types.js';

export const MSG_INVALID_JSON = 'Invalid Table Mappings document. Invalid json';
export const MSG_REQUIRED = 'Valid Table mappings is required';
export const MSG_INVALID_DOC = 'Invalid table mappings document.';
export const MSG_NO_SELECTION = 'Error in mapping rules. At least one selection rule is required.';
export const MSG_NO_INCLUDE =
  'Error in mapping rules. At least one selection rule with rule-action include or explicit is required.';

export function duplicateRuleIdMessage(id: number): string {
  return `Error in mapping rules. Duplicate ruleid ${id}`;
}

export function ruleValidationMessage(id: number | string, detail: string): string {
  return `Error in mapping rules. Rule with ruleId = ${id} failed validation. ${detail}`;
}

const RULE_TYPES = new Set(['selection', 'transformation', 'table-settings', 'object-mapping']);
const SELECTION_ACTIONS = new Set(['include', 'exclude', 'explicit']);
const TRANSFORMATION_ACTIONS = new Set<TransformationAction>([
  'rename', 'remove-column', 'convert-lowercase', 'convert-uppercase',
  'add-prefix', 'remove-prefix', 'replace-prefix', 'add-suffix', 'remove-suffix', 'replace-suffix',
  'add-column', 'change-data-type', 'define-primary-key', 'add-before-image-columns',
]);
const TRANSFORMATION_TARGETS = new Set<TransformationTarget>([
  'schema', 'table', 'column', 'table-tablespace', 'index-tablespace',
]);
const OBJECT_MAPPING_ACTIONS = new Set(['map-record-to-record', 'map-record-to-document']);
const TABLE_TYPES = new Set<TableType>(['table', 'view', 'all']);
const FILTER_OPERATORS: Record<string, FilterOperator> = {
  eq: 'eq', noteq: 'noteq', lte: 'lte', ste: 'lte', gte: 'gte',
  between: 'between', notbetween: 'notbetween', null: 'null', notnull: 'notnull',
};
const NEGATIVE_OPERATORS = new Set<FilterOperator>(['noteq', 'notbetween', 'notnull']);
const DATA_TYPES = new Set<DmsDataTypeName>([
  'bytes', 'date', 'time', 'datetime', 'int1', 'int2', 'int4', 'int8', 'numeric', 'real4', 'real8',
  'string', 'uint1', 'uint2', 'uint4', 'uint8', 'wstring', 'blob', 'nclob', 'clob', 'boolean',
  'set', 'list', 'map', 'tuple',
]);
const PARTITION_KEY_TYPES = new Set<PartitionKeyType>([
  'schema-table', 'transaction-id', 'primary-key', 'constant', 'attribute-name',
]);
// The guide's parallel-load types (partitions of subpartitions are listed with partitions-list).
const PARALLEL_LOAD_TYPES = new Set(['partitions-auto', 'partitions-list', 'subpartitions-auto', 'ranges', 'none']);
/** The guide: "You can specify up to 10 columns" for ranges. */
export const MAX_RANGE_COLUMNS = 10;
/** The guide's "Wildcards in table-settings are restricted" section. */
export const MSG_TABLE_SETTINGS_WILDCARD = 'Exact schema and table name required when using table settings rule.';
const BEFORE_IMAGE_FILTERS = new Set(['pk-only', 'non-lob', 'all']);

const COLUMN_ONLY_ACTIONS = new Set<TransformationAction>([
  'remove-column', 'add-column', 'change-data-type', 'add-before-image-columns',
]);

class BindingError extends Error {}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON null is treated as absent, as AWS's deserialiser does. */
function get(o: Json, key: string): unknown {
  const v = o[key];
  return v === null ? undefined : v;
}

function bindString(o: Json, key: string): string | undefined {
  const v = get(o, key);
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new BindingError(key);
}

function bindInt(o: Json, key: string): number | undefined {
  const v = get(o, key);
  if (v === undefined) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return Number(v);
  throw new BindingError(key);
}

function bindEnum<T extends string>(o: Json, key: string, allowed: Set<T>): T | undefined {
  const s = bindString(o, key);
  if (s === undefined) return undefined;
  if (!allowed.has(s as T)) throw new BindingError(key);
  return s as T;
}

function bindArray(o: Json, key: string): unknown[] | undefined {
  const v = get(o, key);
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new BindingError(key);
  return v;
}

function bindObject(o: Json, key: string): Json | undefined {
  const v = get(o, key);
  if (v === undefined) return undefined;
  if (!isObject(v)) throw new BindingError(key);
  return v;
}

function bindStringArray(o: Json, key: string): string[] | undefined {
  const a = bindArray(o, key);
  if (a === undefined) return undefined;
  return a.map((x) => {
    if (typeof x === 'string') return x;
    if (typeof x === 'number') return String(x);
    throw new BindingError(key);
  });
}

// ---------------------------------------------------------------------------
// Phase 1: binding. Produces loosely-typed drafts (required fields may be absent).

interface LocatorDraft {
  schema?: string;
  table?: string;
  column?: string;
  tableType?: TableType;
}

interface ConditionDraft {
  operator: FilterOperator;
  value?: string;
  start?: string;
  end?: string;
}

interface FilterDraft {
  column?: string;
  conditions: ConditionDraft[] | undefined;
}

interface Draft {
  raw: Json;
  type: Rule['type'];
  id: number | undefined;
  name: string;
  action?: string;
  target?: TransformationTarget;
  locator?: LocatorDraft;
  loadOrder?: number;
  filters?: FilterDraft[];
  value?: string;
  oldValue?: string;
  expression?: string;
  dataType?: Partial<DmsDataType> & { present: true };
  primaryKeyDef?: { name?: string; origin?: string; columns?: string[] };
  beforeImageDef?: { prefix?: string; suffix?: string; filter?: string };
  parallelLoad?: ParallelLoad;
  lobSettings?: Json;
  mapping?: {
    partitionKeyType?: PartitionKeyType;
    partitionKeyName?: string;
    partitionKeyValue?: string;
    excludeColumns: string[];
    attributeMappings: AttributeMapping[];
  };
  targetTableName?: string;
}

function bindLocator(o: Json): LocatorDraft | undefined {
  const l = bindObject(o, 'object-locator');
  if (!l) return undefined;
  return {
    schema: bindString(l, 'schema-name'),
    table: bindString(l, 'table-name'),
    column: bindString(l, 'column-name'),
    tableType: bindEnum(l, 'table-type', TABLE_TYPES),
  };
}

function bindFilters(o: Json): FilterDraft[] | undefined {
  const a = bindArray(o, 'filters');
  if (!a) return undefined;
  return a.map((f) => {
    if (!isObject(f)) throw new BindingError('filters');
    const ft = bindString(f, 'filter-type');
    if (ft !== undefined && ft !== 'source') throw new BindingError('filter-type');
    const conds = bindArray(f, 'filter-conditions')?.map((c) => {
      if (!isObject(c)) throw new BindingError('filter-conditions');
      const op = bindString(c, 'filter-operator');
      if (op === undefined || !(op in FILTER_OPERATORS)) throw new BindingError('filter-operator');
      return {
        operator: FILTER_OPERATORS[op]!,
        value: bindString(c, 'value'),
        start: bindString(c, 'start-value'),
        end: bindString(c, 'end-value'),
      };
    });
    return { column: bindString(f, 'column-name'), conditions: conds };
  });
}

function bindDataType(o: Json): Draft['dataType'] {
  const d = bindObject(o, 'data-type');
  if (!d) return undefined;
  const type = bindEnum(d, 'type', DATA_TYPES);
  const out: Draft['dataType'] = { present: true };
  if (type !== undefined) out.type = type;
  const length = bindInt(d, 'length');
  const precision = bindInt(d, 'precision');
  const scale = bindInt(d, 'scale');
  if (length !== undefined) out.length = length;
  if (precision !== undefined) out.precision = precision;
  if (scale !== undefined) out.scale = scale;
  return out;
}

function bindAttributeMappings(m: Json): AttributeMapping[] {
  const a = bindArray(m, 'attribute-mappings') ?? [];
  return a.map((x) => {
    if (!isObject(x)) throw new BindingError('attribute-mappings');
    const name = bindString(x, 'target-attribute-name') ?? bindString(x, 'attribute-name');
    if (name === undefined) throw new BindingError('target-attribute-name');
    const attributeType = bindEnum(x, 'attribute-type', new Set(['scalar', 'document'] as const));
    const attributeSubType = bindString(x, 'attribute-sub-type');
    const value = get(x, 'value');
    if (value !== undefined && typeof value !== 'string' && !isObject(value)) {
      throw new BindingError('value');
    }
    const out: AttributeMapping = { name, value: value ?? null };
    if (attributeType !== undefined) out.attributeType = attributeType;
    if (attributeSubType !== undefined) out.attributeSubType = attributeSubType;
    return out;
  });
}

function bindRule(raw: unknown): Draft {
  if (!isObject(raw)) throw new BindingError('rule');
  const type = bindString(raw, 'rule-type');
  if (type === undefined || !RULE_TYPES.has(type)) throw new BindingError('rule-type');
  const draft: Draft = {
    raw,
    type: type as Rule['type'],
    id: bindInt(raw, 'rule-id'),
    name: bindString(raw, 'rule-name') ?? '',
  };
  if (draft.id !== undefined && draft.id < 0) throw new BindingError('rule-id');
  const locator = bindLocator(raw);
  if (locator) draft.locator = locator;

  switch (draft.type) {
    case 'selection': {
      const action = bindEnum(raw, 'rule-action', SELECTION_ACTIONS);
      if (action !== undefined) draft.action = action;
      const lo = bindInt(raw, 'load-order');
      if (lo !== undefined) {
        if (lo < 0 || lo > 2147483647) throw new BindingError('load-order');
        draft.loadOrder = lo;
      }
      const filters = bindFilters(raw);
      if (filters) draft.filters = filters;
      break;
    }
    case 'transformation': {
      const action = bindEnum(raw, 'rule-action', TRANSFORMATION_ACTIONS);
      if (action !== undefined) draft.action = action;
      const target = bindEnum(raw, 'rule-target', TRANSFORMATION_TARGETS);
      if (target !== undefined) draft.target = target;
      const value = bindString(raw, 'value');
      if (value !== undefined) draft.value = value;
      const oldValue = bindString(raw, 'old-value');
      if (oldValue !== undefined) draft.oldValue = oldValue;
      const expression = bindString(raw, 'expression');
      if (expression !== undefined) draft.expression = expression;
      const dt = bindDataType(raw);
      if (dt) draft.dataType = dt;
      const pk = bindObject(raw, 'primary-key-def');
      if (pk) {
        const pkd: NonNullable<Draft['primaryKeyDef']> = {};
        const n = bindString(pk, 'name');
        const origin = bindEnum(pk, 'origin', new Set(['primary-key', 'unique-index']));
        const cols = bindStringArray(pk, 'columns');
        if (n !== undefined) pkd.name = n;
        if (origin !== undefined) pkd.origin = origin;
        if (cols !== undefined) pkd.columns = cols;
        draft.primaryKeyDef = pkd;
      }
      const bi = bindObject(raw, 'before-image-def');
      if (bi) {
        const bid: NonNullable<Draft['beforeImageDef']> = {};
        const p = bindString(bi, 'column-prefix');
        const s = bindString(bi, 'column-suffix');
        const f = bindEnum(bi, 'column-filter', BEFORE_IMAGE_FILTERS);
        if (p !== undefined) bid.prefix = p;
        if (s !== undefined) bid.suffix = s;
        if (f !== undefined) bid.filter = f;
        draft.beforeImageDef = bid;
      }
      break;
    }
    case 'table-settings': {
      const pl = bindObject(raw, 'parallel-load');
      if (pl) {
        const t = bindEnum(pl, 'type', PARALLEL_LOAD_TYPES as Set<ParallelLoad['type']>);
        if (t === undefined) throw new BindingError('parallel-load');
        const p: ParallelLoad = { type: t };
        const partitions = bindStringArray(pl, 'partitions');
        const subpartitions = bindStringArray(pl, 'subpartitions');
        const columns = bindStringArray(pl, 'columns');
        const boundaries = bindArray(pl, 'boundaries');
        const n = bindInt(pl, 'number-of-partitions');
        if (partitions) p.partitions = partitions;
        if (subpartitions) p.subpartitions = subpartitions;
        if (columns) p.columns = columns;
        if (boundaries) {
          // Each boundary is an array of scalar column values (strings as in the guide, or numbers).
          if (!boundaries.every((b) => Array.isArray(b) && b.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'))) {
            throw new BindingError('boundaries');
          }
          p.boundaries = boundaries as unknown[][];
        }
        if (n !== undefined) p.numberOfPartitions = n;
        draft.parallelLoad = p;
      }
      const lob = bindObject(raw, 'lob-settings');
      if (lob) draft.lobSettings = lob;
      break;
    }
    case 'object-mapping': {
      const action = bindEnum(raw, 'rule-action', OBJECT_MAPPING_ACTIONS);
      if (action !== undefined) draft.action = action;
      const ttn = bindString(raw, 'target-table-name');
      if (ttn !== undefined) draft.targetTableName = ttn;
      const mp = bindObject(raw, 'mapping-parameters') ?? {};
      const mapping: NonNullable<Draft['mapping']> = {
        excludeColumns: bindStringArray(mp, 'exclude-columns') ?? [],
        attributeMappings: bindAttributeMappings(mp),
      };
      const pkt = bindEnum(mp, 'partition-key-type', PARTITION_KEY_TYPES);
      if (pkt !== undefined) mapping.partitionKeyType = pkt;
      const pkn = bindString(mp, 'partition-key-name');
      if (pkn !== undefined) mapping.partitionKeyName = pkn;
      const pkObj = bindObject(mp, 'partition-key');
      if (pkObj) {
        const v = bindString(pkObj, 'value');
        if (v !== undefined) mapping.partitionKeyValue = v;
      }
      draft.mapping = mapping;
      break;
    }
  }
  return draft;
}

// ---------------------------------------------------------------------------
// Phase 3: semantic validation, producing final rules.

function requireLocator(d: Draft, id: number): LocatorDraft {
  if (!d.locator) throw new InvalidParameterValueException(ruleValidationMessage(id, 'object locator cannot be null'));
  if (d.locator.schema === undefined || d.locator.schema === '') {
    throw new InvalidParameterValueException(ruleValidationMessage(id, 'schema name cannot be null'));
  }
  return d.locator;
}

function requireTable(loc: LocatorDraft, id: number): string {
  if (loc.table === undefined || loc.table === '') {
    throw new InvalidParameterValueException(ruleValidationMessage(id, 'table name cannot be null'));
  }
  return loc.table;
}

function finishSelection(d: Draft, id: number): SelectionRule {
  if (d.action === undefined) throw new InvalidParameterValueException(ruleValidationMessage(id, 'rule action cannot be null'));
  const loc = requireLocator(d, id);
  const table = requireTable(loc, id);
  const action = d.action as SelectionRule['action'];
  if (action === 'explicit' && (loc.schema!.includes('%') || table.includes('%'))) {
    throw new InvalidParameterValueException(
      ruleValidationMessage(id, 'explicit selection rule cannot contain wildcards in schema name or table name'),
    );
  }
  const filters: SourceFilter[] = [];
  for (const f of d.filters ?? []) {
    if (f.column === undefined || f.column === '') {
      throw new InvalidParameterValueException(ruleValidationMessage(id, 'filter column name cannot be null'));
    }
    if (!f.conditions || f.conditions.length === 0) {
      throw new InvalidParameterValueException(ruleValidationMessage(id, `filter conditions for column ${f.column} cannot be empty`));
    }
    const conds: FilterCondition[] = f.conditions.map((c) => {
      switch (c.operator) {
        case 'eq': case 'noteq': case 'lte': case 'gte':
          if (c.value === undefined) {
            throw new InvalidParameterValueException(ruleValidationMessage(id, `filter operator ${c.operator} requires a value`));
          }
          return { operator: c.operator, value: c.value };
        case 'between': case 'notbetween':
          if (c.start === undefined || c.end === undefined) {
            throw new InvalidParameterValueException(
              ruleValidationMessage(id, `filter operator ${c.operator} requires a start-value and an end-value`),
            );
          }
          return { operator: c.operator, start: c.start, end: c.end };
        default:
          return { operator: c.operator };
      }
    });
    if (conds.length > 1 && conds.some((c) => NEGATIVE_OPERATORS.has(c.operator))) {
      throw new InvalidParameterValueException(
        ruleValidationMessage(id, `filter on column ${f.column} can have only one filter condition when it uses a negative operator (noteq, notbetween, notnull)`),
      );
    }
    filters.push({ column: f.column, conditions: conds });
  }
  return {
    type: 'selection',
    id,
    name: d.name,
    action,
    locator: { schema: loc.schema!, table, tableType: loc.tableType ?? 'table' },
    loadOrder: d.loadOrder ?? 0,
    filters,
  };
}

function finishTransformation(d: Draft, id: number): TransformationRule {
  if (d.action === undefined) throw new InvalidParameterValueException(ruleValidationMessage(id, 'rule action cannot be null'));
  if (d.target === undefined) throw new InvalidParameterValueException(ruleValidationMessage(id, 'rule target cannot be null'));
  const action = d.action as TransformationAction;
  const target = d.target;
  const fail = (msg: string): never => { throw new InvalidParameterValueException(ruleValidationMessage(id, msg)); };

  if (COLUMN_ONLY_ACTIONS.has(action) && target !== 'column') {
    fail(`rule action ${action} is not supported for rule target ${target}`);
  }
  if (action === 'define-primary-key' && target !== 'table') {
    fail(`rule action ${action} is not supported for rule target ${target}`);
  }
  if ((target === 'table-tablespace' || target === 'index-tablespace') && action !== 'rename') {
    fail(`rule action ${action} is not supported for rule target ${target}`);
  }

  const loc = requireLocator(d, id);
  const locator: ObjectLocator = { schema: loc.schema!, tableType: loc.tableType ?? 'table' };
  if (target !== 'schema') locator.table = requireTable(loc, id);
  if (target === 'column') {
    const needsColumn = action !== 'add-column' && action !== 'add-before-image-columns';
    if (needsColumn) {
      if (loc.column === undefined || loc.column === '') fail('column name cannot be null');
      locator.column = loc.column!;
    } else if (loc.column !== undefined && loc.column !== '') {
      locator.column = loc.column;
    }
  }

  const rule: TransformationRule = { type: 'transformation', id, name: d.name, action, target, locator };
  const needsValue = action === 'rename' || action === 'add-prefix' || action === 'remove-prefix'
    || action === 'replace-prefix' || action === 'add-suffix' || action === 'remove-suffix'
    || action === 'replace-suffix' || action === 'add-column';
  if (needsValue) {
    if (d.value === undefined || d.value === '') fail('value cannot be null');
    rule.value = d.value!;
  }
  if (action === 'replace-prefix' || action === 'replace-suffix') {
    if (d.oldValue === undefined || d.oldValue === '') fail('old value cannot be null');
    rule.oldValue = d.oldValue!;
  }
  if (action === 'add-column' || action === 'change-data-type') {
    if (!d.dataType) fail('data type cannot be null');
    if (d.dataType!.type === undefined) fail('data type cannot be null');
    const dt: DmsDataType = { type: d.dataType!.type! };
    if (d.dataType!.length !== undefined) dt.length = d.dataType!.length;
    if (d.dataType!.precision !== undefined) dt.precision = d.dataType!.precision;
    if (d.dataType!.scale !== undefined) dt.scale = d.dataType!.scale;
    rule.dataType = dt;
  }
  if (action === 'add-column' && d.expression !== undefined && d.expression !== '') {
    try {
      checkExpressionSyntax(d.expression);
    } catch (e) {
      if (e instanceof ExpressionError) fail(`invalid expression: ${e.message}`);
      throw e;
    }
    rule.expression = d.expression;
  }
  if (action === 'define-primary-key') {
    const pk = d.primaryKeyDef;
    if (!pk) fail('primary key def cannot be null');
    if (!pk!.columns || pk!.columns.length === 0) fail('primary key def columns cannot be empty');
    const def: PrimaryKeyDef = {
      name: pk!.name ?? '',
      origin: (pk!.origin as PrimaryKeyDef['origin'] | undefined) ?? 'primary-key',
      columns: pk!.columns!,
    };
    rule.primaryKeyDef = def;
  }
  if (action === 'add-before-image-columns') {
    const bi = d.beforeImageDef;
    if (!bi) fail('before image def cannot be null');
    const def: BeforeImageDef = {
      columnPrefix: bi!.prefix ?? 'BI_',
      columnSuffix: bi!.suffix ?? '',
      columnFilter: (bi!.filter as BeforeImageDef['columnFilter'] | undefined) ?? 'pk-only',
    };
    if (def.columnPrefix === '' && def.columnSuffix === '') fail('column prefix and column suffix cannot both be empty');
    rule.beforeImageDef = def;
  }
  return rule;
}

/** Document-only checks (CreateReplicationTask / ModifyReplicationTask). Returns the problem or null. */
function parallelLoadProblem(pl: ParallelLoad): string | null {
  switch (pl.type) {
    case 'ranges': {
      if (!pl.columns || pl.columns.length === 0) return 'parallel load columns cannot be null';
      if (!pl.boundaries || pl.boundaries.length === 0) return 'parallel load boundaries cannot be null';
      if (pl.columns.length > MAX_RANGE_COLUMNS) return `parallel load ranges support up to ${MAX_RANGE_COLUMNS} columns`;
      if (pl.columns.some((c) => c === '')) return 'parallel load column name cannot be empty';
      const seen = new Set<string>();
      for (const c of pl.columns) {
        if (seen.has(c.toLowerCase())) return `parallel load column '${c}' is listed twice`;
        seen.add(c.toLowerCase());
      }
      for (let i = 0; i < pl.boundaries.length; i++) {
        if (pl.boundaries[i]!.length !== pl.columns.length) {
          return `parallel load boundary ${i + 1} has ${pl.boundaries[i]!.length} values but ${pl.columns.length} columns are defined`;
        }
      }
      return null;
    }
    case 'partitions-list':
      if ((pl.partitions?.length ?? 0) === 0 && (pl.subpartitions?.length ?? 0) === 0) {
        return 'parallel load partitions cannot be null';
      }
      return null;
    default:
      return null;
  }
}

const KNOWN_TABLE_SETTINGS_KEYS = new Set([
  'rule-type', 'rule-id', 'rule-name', 'object-locator', 'parallel-load', 'lob-settings', 'rule-action',
]);

function finishTableSettings(d: Draft, id: number): TableSettingsRule {
  const loc = requireLocator(d, id);
  const table = requireTable(loc, id);
  // AWS rejects `%` in a table-settings locator (User Guide, table-settings rules, "Wildcards in
  // table-settings are restricted"). `_` stays literal: table names with underscores are common.
  if (loc.schema!.includes('%') || table.includes('%')) {
    throw new InvalidParameterValueException(ruleValidationMessage(id, MSG_TABLE_SETTINGS_WILDCARD));
  }
  if (d.parallelLoad) {
    const problem = parallelLoadProblem(d.parallelLoad);
    if (problem) throw new InvalidParameterValueException(ruleValidationMessage(id, problem));
  }
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d.raw)) if (!KNOWN_TABLE_SETTINGS_KEYS.has(k)) extra[k] = v;
  const rule: TableSettingsRule = {
    type: 'table-settings',
    id,
    name: d.name,
    locator: { schema: loc.schema!, table, tableType: loc.tableType ?? 'table' },
    extra,
  };
  if (d.parallelLoad) rule.parallelLoad = d.parallelLoad;
  if (d.lobSettings) rule.lobSettings = d.lobSettings;
  return rule;
}

function finishObjectMapping(d: Draft, id: number): ObjectMappingRule {
  if (d.action === undefined) throw new InvalidParameterValueException(ruleValidationMessage(id, 'rule action cannot be null'));
  const loc = requireLocator(d, id);
  const table = requireTable(loc, id);
  const m = d.mapping!;
  let pkt = m.partitionKeyType;
  if (pkt === undefined && m.partitionKeyValue !== undefined) pkt = 'constant';
  if (pkt === 'attribute-name' && (m.partitionKeyName === undefined || m.partitionKeyName === '')) {
    throw new InvalidParameterValueException(ruleValidationMessage(id, 'partition key name cannot be null'));
  }
  if (pkt === 'constant' && m.partitionKeyValue === undefined) {
    throw new InvalidParameterValueException(ruleValidationMessage(id, 'partition key value cannot be null'));
  }
  const rule: ObjectMappingRule = {
    type: 'object-mapping',
    id,
    name: d.name,
    action: d.action as ObjectMappingRule['action'],
    locator: { schema: loc.schema!, table, tableType: loc.tableType ?? 'table' },
    excludeColumns: m.excludeColumns,
    attributeMappings: m.attributeMappings,
  };
  if (d.targetTableName !== undefined) rule.targetTableName = d.targetTableName;
  if (pkt !== undefined) rule.partitionKeyType = pkt;
  if (m.partitionKeyName !== undefined) rule.partitionKeyName = m.partitionKeyName;
  if (m.partitionKeyValue !== undefined) rule.partitionKeyValue = m.partitionKeyValue;
  return rule;
}

// ---------------------------------------------------------------------------

/** Validate an already-decoded table-mapping document. */
export function validateTableMappings(doc: unknown): TableMappings {
  if (!isObject(doc)) {
    throw new InvalidParameterValueException(Array.isArray(doc) ? MSG_INVALID_DOC : MSG_REQUIRED);
  }
  const rulesRaw = get(doc, 'rules');
  if (rulesRaw === undefined) throw new InvalidParameterValueException(MSG_REQUIRED);
  if (!Array.isArray(rulesRaw)) throw new InvalidParameterValueException(MSG_INVALID_DOC);

  // Phase 1
  let drafts: Draft[];
  try {
    drafts = rulesRaw.map(bindRule);
  } catch (e) {
    if (e instanceof BindingError) throw new InvalidParameterValueException(MSG_INVALID_DOC);
    throw e;
  }

  // Phase 2
  const seen = new Set<number>();
  for (const d of drafts) {
    if (d.id === undefined) continue;
    if (seen.has(d.id)) throw new InvalidParameterValueException(duplicateRuleIdMessage(d.id));
    seen.add(d.id);
  }

  // Phase 3
  const rules: Rule[] = drafts.map((d) => {
    if (d.id === undefined) throw new InvalidParameterValueException(ruleValidationMessage('null', 'rule id cannot be null'));
    const id = d.id;
    switch (d.type) {
      case 'selection': return finishSelection(d, id);
      case 'transformation': return finishTransformation(d, id);
      case 'table-settings': return finishTableSettings(d, id);
      case 'object-mapping': return finishObjectMapping(d, id);
    }
  });

  // Phase 4
  const selection = rules.filter((r): r is SelectionRule => r.type === 'selection');
  if (selection.length === 0) throw new InvalidParameterValueException(MSG_NO_SELECTION);
  if (!selection.some((r) => r.action !== 'exclude')) throw new InvalidParameterValueException(MSG_NO_INCLUDE);

  rules.sort((a, b) => a.id - b.id);
  return {
    rules,
    selection: rules.filter((r): r is SelectionRule => r.type === 'selection'),
    transformation: rules.filter((r): r is TransformationRule => r.type === 'transformation'),
    tableSettings: rules.filter((r): r is TableSettingsRule => r.type === 'table-settings'),
    objectMapping: rules.filter((r): r is ObjectMappingRule => r.type === 'object-mapping'),
  };
}

/**
 * Parse and validate a TableMappings JSON document. Throws
 * InvalidParameterValueException with AWS's wording on any problem.
 */
export function parseTableMappings(json: string): TableMappings {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    throw new InvalidParameterValueException(MSG_INVALID_JSON);
  }
  return validateTableMappings(doc);
}
