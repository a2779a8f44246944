// Source catalogue from information_schema: tables/views and column metadata.
import type { ColumnDef, TableDef } from '../../model/table.js';
import type { SourceConnection } from './connection.js';
import { parseEnumValues } from './values.js';

export const SYSTEM_SCHEMAS: readonly string[] = ['mysql', 'information_schema', 'performance_schema', 'sys'];

export interface SourceTableRef {
  schema: string;
  table: string;
  tableType: 'table' | 'view';
}

function isSystemSchema(s: string): boolean {
  return SYSTEM_SCHEMAS.includes(s.toLowerCase());
}

/**
 * Base tables and views of the source, system schemas excluded. `schemas`
 * restricts the result to those schema names (exact match).
 * MariaDB SYSTEM VERSIONED tables count as tables; SEQUENCEs and temporary tables are skipped.
 */
export async function listTables(conn: SourceConnection, schemas?: string[]): Promise<SourceTableRef[]> {
  const params: unknown[] = [...SYSTEM_SCHEMAS];
  let sql =
    'SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, TABLE_TYPE AS ty FROM information_schema.TABLES ' +
    `WHERE TABLE_SCHEMA NOT IN (${SYSTEM_SCHEMAS.map(() => '?').join(',')}) ` +
    "AND TABLE_TYPE IN ('BASE TABLE','VIEW','SYSTEM VERSIONED')";
  if (schemas) {
    if (schemas.length === 0) return [];
    sql += ` AND TABLE_SCHEMA IN (${schemas.map(() => '?').join(',')})`;
    params.push(...schemas);
  }
  sql += ' ORDER BY TABLE_SCHEMA, TABLE_NAME';
  const rows = await conn.query<{ s: string; t: string; ty: string }[]>(sql, params);
  return rows
    .filter((r) => !isSystemSchema(r.s))
    .map((r) => ({ schema: r.s, table: r.t, tableType: r.ty === 'VIEW' ? 'view' : 'table' }));
}

interface ColumnRow {
  name: string;
  dataType: string;
  columnType: string;
  nullable: string;
  charMax: number | string | null;
  numPrec: number | string | null;
  numScale: number | string | null;
  dtPrec: number | string | null;
  collation: string | null;
}

function numOrNull(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Turns one information_schema.COLUMNS row into a ColumnDef (pure; unit-tested). */
export function columnDefFromRow(r: ColumnRow): ColumnDef {
  const dataType = String(r.dataType).toLowerCase();
  const columnType = String(r.columnType);
  const def: ColumnDef = {
    name: r.name,
    dataType,
    columnType,
    unsigned: /\bunsigned\b/i.test(columnType),
    nullable: String(r.nullable).toUpperCase() === 'YES',
    charMaxLength: numOrNull(r.charMax),
    numericPrecision: numOrNull(r.numPrec),
    numericScale: numOrNull(r.numScale),
    datetimePrecision: numOrNull(r.dtPrec),
    collation: r.collation ?? null,
  };
  if (dataType === 'enum' || dataType === 'set') def.enumValues = parseEnumValues(columnType);
  if (dataType === 'bit' && def.numericPrecision === null) {
    const m = /^bit\((\d+)\)/i.exec(columnType);
    def.numericPrecision = m ? Number(m[1]) : 1;
  }
  return def;
}

/** Column metadata, primary key and collation of one table or view; null when it does not exist. */
export async function describeTable(conn: SourceConnection, schema: string, table: string): Promise<TableDef | null> {
  const t = await conn.query<{ coll: string | null }[]>(
    'SELECT TABLE_COLLATION AS coll FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [schema, table],
  );
  if (t.length === 0) return null;
  const cols = await conn.query<ColumnRow[]>(
    'SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType, IS_NULLABLE AS nullable, ' +
      'CHARACTER_MAXIMUM_LENGTH AS charMax, NUMERIC_PRECISION AS numPrec, NUMERIC_SCALE AS numScale, ' +
      'DATETIME_PRECISION AS dtPrec, COLLATION_NAME AS collation ' +
      'FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
    [schema, table],
  );
  if (cols.length === 0) return null;
  const pk = await conn.query<{ c: string }[]>(
    'SELECT COLUMN_NAME AS c FROM information_schema.STATISTICS ' +
      "WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX",
    [schema, table],
  );
  return {
    schema,
    table,
    columns: cols.map(columnDefFromRow),
    primaryKey: pk.map((r) => r.c),
    collation: t[0]!.coll ?? null,
  };
}

/** A table's partitions and their subpartitions, in definition order (empty when not partitioned). */
export async function listPartitions(conn: SourceConnection, schema: string, table: string): Promise<{ name: string; subpartitions: string[] }[]> {
  const rows = await conn.query<{ p: string | null; sp: string | null }[]>(
    'SELECT PARTITION_NAME AS p, SUBPARTITION_NAME AS sp FROM information_schema.PARTITIONS ' +
      'WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND PARTITION_NAME IS NOT NULL ' +
      'ORDER BY PARTITION_ORDINAL_POSITION, SUBPARTITION_ORDINAL_POSITION',
    [schema, table],
  );
  const out: { name: string; subpartitions: string[] }[] = [];
  for (const r of rows) {
    let last = out[out.length - 1];
    if (!last || last.name !== r.p) out.push(last = { name: r.p!, subpartitions: [] });
    if (r.sp) last.subpartitions.push(r.sp);
  }
  return out;
}
