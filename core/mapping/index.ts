// The table-mapping engine: parse/validate TableMappings, select tables, compile
// source filters (SQL pushdown + CDC predicate) and per-table transformation plans.

export * from './types.js';
export {
  parseTableMappings, validateTableMappings,
  MSG_INVALID_JSON, MSG_REQUIRED, MSG_INVALID_DOC, MSG_NO_SELECTION, MSG_NO_INCLUDE,
  duplicateRuleIdMessage, ruleValidationMessage, MSG_TABLE_SETTINGS_WILDCARD, MAX_RANGE_COLUMNS,
} from './parse.js';
export {
  planParallelLoad, parallelLoadRule, rangeSegmentWheres, partitionSegments, rangeSegments,
  type ParallelLoadPlan, type Segment, type SourcePartition,
} from './parallel-load.js';
export {
  selectTables, matchesSelection, selectingRules, explicitTables, NO_TABLES_FOUND_MESSAGE,
  type CandidateTable, type Selected, type SourceTableType, type ExplicitTable,
} from './select.js';
export {
  quoteIdentifier, quoteTableName, compileFilters,
  type SqlFragment, type RowPredicate, type FilterGroup, type CompiledFilters,
} from './filter.js';
export {
  buildTablePlan, applyNameAction,
  type TablePlan, type PartitionKeyChoice, type ObjectMappingPlan, type BuildTablePlanOptions,
} from './plan.js';
export {
  compileExpression, ExpressionError, Real,
  type EvalContext, type CompiledExpression, type ExpressionScope,
} from './expression.js';
export { columnDefFor, convertValue } from './datatype.js';
export { compileWildcard, hasWildcard, wildcardToRegexSource, type NameMatcher } from './wildcard.js';
