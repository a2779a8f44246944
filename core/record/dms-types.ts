// MySQL / MariaDB column -> AWS DMS column type, as written in the `table-def` of
// Kinesis control records (`{"type":"WSTRING","length":255,"nullable":true}`), plus
// the LOB classification used by the before image.
//
// Documented by AWS (MySQL source data types): INT/MEDIUMINT->INT4, BIGINT->INT8,
// TINYINT->INT1, SMALLINT->INT2, unsigned -> UINT1/2/4/8, DECIMAL(p,s)->NUMERIC(p,s),
// BINARY->BYTES, BIT->BOOLEAN, BIT(64)->BYTES(8), BLOB->BYTES(65535),
// TINYBLOB->BYTES(255), MEDIUMBLOB/LONGBLOB->BLOB, DATE->DATE, DATETIME/TIMESTAMP->DATETIME,
// TIME->STRING, YEAR->INT2, DOUBLE->REAL8, FLOAT->"REAL(DOUBLE)", VARCHAR/CHAR->WSTRING,
// TEXT->WSTRING(65535), MEDIUMTEXT/LONGTEXT->NCLOB, ENUM/SET->WSTRING, JSON->CLOB.
//
// Undocumented by AWS; chosen:
// - Key order inside a column entry: type, then length | precision, scale, then nullable
//   (the one AWS example is type, length, nullable).
// - FLOAT -> REAL8 (the AWS table says "REAL(DOUBLE)"); REAL4 is never produced.
// - BIT(1) -> BOOLEAN; BIT(n>1) -> BYTES with length ceil(n/8) (BIT(64) -> BYTES(8) as documented).
// - TINYTEXT -> WSTRING(255); CHAR/VARCHAR/ENUM/SET length = CHARACTER_MAXIMUM_LENGTH (characters).
// - DATETIME/TIMESTAMP/TIME carry no precision/scale member; TIME -> STRING without length.
// - Spatial types and MySQL 9 VECTOR -> BLOB; MariaDB UUID/INET4/INET6 -> WSTRING(36/15/39);
//   anything unknown -> STRING (with length when the column has one).
// - LOB (never in a before image): TINY/MEDIUM/LONG/plain TEXT and BLOB, JSON, spatial, VECTOR.
// - awsdms_apply_exceptions (schema ""): its table-def is the one captured from real AWS
//   output (STRING length 128 / TIMESTAMP / STRING, all not null, no primary-key).

import type { ColumnDef, TableDef } from '../model/table.js';
import { isPgLobType, pgDmsColumnType } from './postgres.js';

export interface DmsColumnType {
  type: string;
  length?: number;
  precision?: number;
  scale?: number;
}

const LOB_TYPES = new Set([
  'tinytext', 'text', 'mediumtext', 'longtext',
  'tinyblob', 'blob', 'mediumblob', 'longblob',
  'json',
  'geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring',
  'multipolygon', 'geometrycollection', 'geomcollection',
  'vector',
]);

/** True for columns AWS DMS handles as LOBs (never part of a before image). */
export function isLobColumn(col: ColumnDef): boolean {
  if (col.pgType !== undefined) return isPgLobType(col.pgType);
  return LOB_TYPES.has(col.dataType.toLowerCase());
}

/** Display width M of a BIT(M) column (1 when unknown). */
export function bitWidth(col: ColumnDef): number {
  if (col.numericPrecision != null && col.numericPrecision > 0) return col.numericPrecision;
  const m = /^bit\((\d+)\)/i.exec(col.columnType);
  return m ? Number(m[1]) : 1;
}

function withLength(type: string, length: number | null | undefined): DmsColumnType {
  return length == null ? { type } : { type, length };
}

/** DMS type of one MySQL/MariaDB column. */
export function dmsColumnType(col: ColumnDef): DmsColumnType {
  if (col.pgType !== undefined) return pgDmsColumnType(col);
  const t = col.dataType.toLowerCase();
  const u = col.unsigned;
  switch (t) {
    case 'tinyint': return { type: u ? 'UINT1' : 'INT1' };
    case 'smallint': return { type: u ? 'UINT2' : 'INT2' };
    case 'mediumint':
    case 'int':
    case 'integer': return { type: u ? 'UINT4' : 'INT4' };
    case 'bigint': return { type: u ? 'UINT8' : 'INT8' };
    case 'decimal':
    case 'numeric':
      return { type: 'NUMERIC', precision: col.numericPrecision ?? 10, scale: col.numericScale ?? 0 };
    case 'float':
    case 'double':
    case 'real': return { type: 'REAL8' };
    case 'bit': {
      const m = bitWidth(col);
      return m === 1 ? { type: 'BOOLEAN' } : { type: 'BYTES', length: Math.ceil(m / 8) };
    }
    case 'date': return { type: 'DATE' };
    case 'datetime':
    case 'timestamp': return { type: 'DATETIME' };
    case 'time': return { type: 'STRING' };
    case 'year': return { type: 'INT2' };
    case 'char':
    case 'varchar':
    case 'enum':
    case 'set': return withLength('WSTRING', col.charMaxLength);
    case 'tinytext': return { type: 'WSTRING', length: 255 };
    case 'text': return { type: 'WSTRING', length: 65535 };
    case 'mediumtext':
    case 'longtext': return { type: 'NCLOB' };
    case 'binary':
    case 'varbinary': return withLength('BYTES', col.charMaxLength);
    case 'tinyblob': return { type: 'BYTES', length: 255 };
    case 'blob': return { type: 'BYTES', length: 65535 };
    case 'mediumblob':
    case 'longblob': return { type: 'BLOB' };
    case 'json': return { type: 'CLOB' };
    case 'uuid': return { type: 'WSTRING', length: 36 };
    case 'inet4': return { type: 'WSTRING', length: 15 };
    case 'inet6': return { type: 'WSTRING', length: 39 };
    default:
      if (LOB_TYPES.has(t)) return { type: 'BLOB' };
      return withLength('STRING', col.charMaxLength);
  }
}

/** One column entry of `table-def.columns`, in AWS key order. */
export interface DmsColumnDef extends DmsColumnType {
  nullable: boolean;
}

export function dmsColumnDef(col: ColumnDef): DmsColumnDef {
  const t = dmsColumnType(col);
  const out: DmsColumnDef = { type: t.type } as DmsColumnDef;
  if (t.length !== undefined) out.length = t.length;
  if (t.precision !== undefined) out.precision = t.precision;
  if (t.scale !== undefined) out.scale = t.scale;
  out.nullable = col.nullable;
  return out;
}

// ---------------------------------------------------------------------------
// awsdms_apply_exceptions: the control table AWS announces at CDC start.

function exCol(name: string, dataType: string, columnType: string, charMaxLength: number | null): ColumnDef {
  return {
    name, dataType, columnType, unsigned: false, nullable: false, charMaxLength,
    numericPrecision: null, numericScale: null, datetimePrecision: dataType === 'timestamp' ? 0 : null,
    collation: dataType === 'timestamp' ? null : 'utf8mb4_general_ci',
  };
}

/** The awsdms_apply_exceptions table (schema-name "") announced by a create-table at CDC start. */
export const AWSDMS_APPLY_EXCEPTIONS: TableDef = Object.freeze({
  schema: '',
  table: 'awsdms_apply_exceptions',
  columns: [
    exCol('TASK_NAME', 'varchar', 'varchar(128)', 128),
    exCol('TABLE_OWNER', 'varchar', 'varchar(128)', 128),
    exCol('TABLE_NAME', 'varchar', 'varchar(128)', 128),
    exCol('ERROR_TIME', 'timestamp', 'timestamp', null),
    exCol('STATEMENT', 'longtext', 'longtext', 4294967295),
    exCol('ERROR', 'longtext', 'longtext', 4294967295),
  ],
  primaryKey: [],
  collation: null,
}) as TableDef;

/** The column types real AWS output shows for awsdms_apply_exceptions. */
const APPLY_EXCEPTIONS_DEFS: Record<string, DmsColumnDef> = {
  TASK_NAME: { type: 'STRING', length: 128, nullable: false },
  TABLE_OWNER: { type: 'STRING', length: 128, nullable: false },
  TABLE_NAME: { type: 'STRING', length: 128, nullable: false },
  ERROR_TIME: { type: 'TIMESTAMP', nullable: false },
  STATEMENT: { type: 'STRING', nullable: false },
  ERROR: { type: 'STRING', nullable: false },
};

export function isApplyExceptionsTable(table: TableDef): boolean {
  return table.schema === '' && table.table === AWSDMS_APPLY_EXCEPTIONS.table;
}

/** Column entries of a table's `table-def`, in column order. */
export function dmsTableColumns(table: TableDef): Array<[string, DmsColumnDef]> {
  const special = isApplyExceptionsTable(table);
  return table.columns.map((c) => [c.name, (special && APPLY_EXCEPTIONS_DEFS[c.name]) || dmsColumnDef(c)]);
}
