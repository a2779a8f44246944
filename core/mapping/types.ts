// Parsed, validated form of a DMS table-mapping document (`{"rules": [...]}`).
// Produced by parseTableMappings(); every other function in core/mapping reads this.

export type RuleType = 'selection' | 'transformation' | 'table-settings' | 'object-mapping';

export type TableType = 'table' | 'view' | 'all';

export type FilterOperator =
  | 'eq' | 'noteq' | 'lte' | 'gte' | 'between' | 'notbetween' | 'null' | 'notnull';

/** One filter condition. `ste` is normalised to `lte` at parse time. */
export interface FilterCondition {
  operator: FilterOperator;
  /** eq / noteq / lte / gte */
  value?: string;
  /** between / notbetween */
  start?: string;
  end?: string;
}

/** One `filters[]` entry: its conditions are ORed; the filters of a rule are ANDed. */
export interface SourceFilter {
  column: string;
  conditions: FilterCondition[];
}

export interface ObjectLocator {
  schema: string;
  /** Absent for schema-level transformation rules. */
  table?: string;
  /** Column-level transformation rules only. */
  column?: string;
  tableType: TableType;
}

interface RuleBase {
  /** Numeric rule-id. */
  id: number;
  name: string;
}

export interface SelectionRule extends RuleBase {
  type: 'selection';
  action: 'include' | 'exclude' | 'explicit';
  locator: ObjectLocator;
  loadOrder: number;
  filters: SourceFilter[];
}

export type TransformationTarget =
  | 'schema' | 'table' | 'column' | 'table-tablespace' | 'index-tablespace';

export type TransformationAction =
  | 'rename' | 'remove-column' | 'convert-lowercase' | 'convert-uppercase'
  | 'add-prefix' | 'remove-prefix' | 'replace-prefix'
  | 'add-suffix' | 'remove-suffix' | 'replace-suffix'
  | 'add-column' | 'change-data-type' | 'define-primary-key' | 'add-before-image-columns';

/** DMS data types accepted in a transformation's `data-type.type`. */
export type DmsDataTypeName =
  | 'bytes' | 'date' | 'time' | 'datetime'
  | 'int1' | 'int2' | 'int4' | 'int8' | 'numeric' | 'real4' | 'real8'
  | 'string' | 'uint1' | 'uint2' | 'uint4' | 'uint8' | 'wstring'
  | 'blob' | 'nclob' | 'clob' | 'boolean' | 'set' | 'list' | 'map' | 'tuple';

export interface DmsDataType {
  type: DmsDataTypeName;
  length?: number;
  precision?: number;
  scale?: number;
}

export interface PrimaryKeyDef {
  name: string;
  origin: 'primary-key' | 'unique-index';
  columns: string[];
}

export interface BeforeImageDef {
  columnPrefix: string;
  columnSuffix: string;
  columnFilter: 'pk-only' | 'non-lob' | 'all';
}

export interface TransformationRule extends RuleBase {
  type: 'transformation';
  action: TransformationAction;
  target: TransformationTarget;
  locator: ObjectLocator;
  value?: string;
  oldValue?: string;
  /** add-column only; raw text, compiled per table by buildTablePlan. */
  expression?: string;
  dataType?: DmsDataType;
  primaryKeyDef?: PrimaryKeyDef;
  beforeImageDef?: BeforeImageDef;
}

export interface ParallelLoad {
  type: 'partitions-auto' | 'partitions-list' | 'subpartitions-auto' | 'ranges' | 'none';
  partitions?: string[];
  subpartitions?: string[];
  columns?: string[];
  boundaries?: unknown[][];
  numberOfPartitions?: number;
}

export interface TableSettingsRule extends RuleBase {
  type: 'table-settings';
  locator: ObjectLocator;
  parallelLoad?: ParallelLoad;
  /** `lob-settings`, kept verbatim. */
  lobSettings?: Record<string, unknown>;
  /** Every other key of the rule, kept verbatim. */
  extra: Record<string, unknown>;
}

export type PartitionKeyType =
  | 'schema-table' | 'transaction-id' | 'primary-key' | 'constant' | 'attribute-name';

export interface AttributeMapping {
  /** `target-attribute-name` (or the older `attribute-name`). */
  name: string;
  attributeType?: 'scalar' | 'document';
  attributeSubType?: string;
  /** A `${column}` template string, or a nested document of templates. */
  value: unknown;
}

export interface ObjectMappingRule extends RuleBase {
  type: 'object-mapping';
  action: 'map-record-to-record' | 'map-record-to-document';
  locator: ObjectLocator;
  targetTableName?: string;
  partitionKeyType?: PartitionKeyType;
  partitionKeyName?: string;
  /** `partition-key: {value}` (constant partition key). */
  partitionKeyValue?: string;
  excludeColumns: string[];
  attributeMappings: AttributeMapping[];
}

export type Rule = SelectionRule | TransformationRule | TableSettingsRule | ObjectMappingRule;

export interface TableMappings {
  /** Every rule, sorted by numeric rule-id. */
  rules: Rule[];
  selection: SelectionRule[];
  transformation: TransformationRule[];
  tableSettings: TableSettingsRule[];
  objectMapping: ObjectMappingRule[];
}
