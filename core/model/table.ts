// Source table metadata and the canonical row form shared by the snapshot reader,
// the binlog reader, the table-mapping engine and the record formatter.

/** One column as read from information_schema.COLUMNS (MySQL/MariaDB). */
export interface ColumnDef {
  name: string;
  /** Lower-case DATA_TYPE: 'int', 'bigint', 'varchar', 'enum', 'datetime', ... */
  dataType: string;
  /** Full COLUMN_TYPE, e.g. `int(10) unsigned`, `enum('a','b')`, `decimal(10,2)`. */
  columnType: string;
  unsigned: boolean;
  nullable: boolean;
  /** CHARACTER_MAXIMUM_LENGTH (characters for text, bytes for binary). */
  charMaxLength: number | null;
  numericPrecision: number | null;
  numericScale: number | null;
  datetimePrecision: number | null;
  /** ENUM / SET labels in declaration order. */
  enumValues?: string[];
  collation: string | null;
  /**
   * PostgreSQL columns only: the base type's pg_type.typname (`int4`, `varchar`, `timestamptz`,
   * `_int4` for arrays, `enum` for enum types). Its presence selects the PostgreSQL value renderer
   * and table-def types in core/record; `dataType` then holds the nearest MySQL-vocabulary name so
   * the mapping engine (filters, expressions) classifies the column the same way.
   */
  pgType?: string;
  /**
   * PostgreSQL text/varchar/jsonb: MapLongVarcharAs / MapJsonbAsClob of the endpoint (table-def type);
   * boolean: MapBooleanAsBoolean (changes carry JSON booleans, not the decoded text).
   */
  pgMapAs?: 'clob' | 'nclob' | 'boolean';
}

export interface TableDef {
  schema: string;
  table: string;
  /** In ordinal order. */
  columns: ColumnDef[];
  /** Primary-key column names in key order (empty when the table has none). */
  primaryKey: string[];
  /** Table default collation, e.g. `utf8mb4_general_ci`. */
  collation: string | null;
}

/**
 * Canonical column value, the same whichever reader produced it:
 * - null
 * - integer types (incl. YEAR): number when within Number.MAX_SAFE_INTEGER, else a decimal digit string
 * - DECIMAL: exact digit string (`-12.50`)
 * - FLOAT / DOUBLE: number
 * - DATE `YYYY-MM-DD`; DATETIME / TIMESTAMP `YYYY-MM-DD HH:MM:SS[.ffffff]` (TIMESTAMP in UTC); TIME `[-]HHH:MM:SS[.ffffff]`
 * - CHAR / VARCHAR / TEXT / ENUM (label) / SET (comma-joined labels) / JSON (its text): string
 * - BINARY / VARBINARY / BLOB / BIT: Buffer
 * PostgreSQL columns (ColumnDef.pgType set): the server's text output of the value (UTC, ISO
 * dates, IntervalStyle postgres), the same from the snapshot and from test_decoding; bytea: Buffer.
 */
export type SourceValue = null | number | string | Buffer;

/** A row keyed by source column name. */
export type SourceRow = Record<string, SourceValue>;
