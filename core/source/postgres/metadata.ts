// Catalog of a PostgreSQL source: schemas, tables and their definitions from pg_catalog.
import type pg from 'pg';
import type { ColumnDef, TableDef } from '../../model/table.js';
import { isPgLobType } from '../../record/postgres.js';
import type { SourceTableRef } from '../contract.js';

/** Schemas that are never user data (AWS leaves them out of RefreshSchemas and wildcards). */
const SYSTEM_SCHEMA = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'`;

/** AWS's own artifacts on the source (DDL capture, heartbeat): never migrated (reference §5). */
export const ARTIFACT_TABLES: ReadonlySet<string> = new Set(['awsdms_ddl_audit', 'awsdms_heartbeat']);

export async function listSchemas(c: pg.Client): Promise<string[]> {
  const r = await c.query<{ nspname: string }>(`SELECT n.nspname FROM pg_namespace n WHERE ${SYSTEM_SCHEMA} ORDER BY 1`);
  return r.rows.map((x) => x.nspname);
}

export async function listTables(c: pg.Client, schemas?: string[]): Promise<SourceTableRef[]> {
  const params: unknown[] = [];
  let filter = '';
  if (schemas && schemas.length > 0) {
    params.push(schemas);
    filter = ' AND n.nspname = ANY($1::text[])';
  }
  // Partitioned parents (relkind p) are listed like AWS lists them; their partitions are tables too.
  const r = await c.query<{ schema: string; table: string; kind: string }>(
    `SELECT n.nspname AS schema, c.relname AS table, c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm') AND ${SYSTEM_SCHEMA}${filter} ORDER BY 1, 2`,
    params,
  );
  return r.rows
    .filter((x) => !ARTIFACT_TABLES.has(x.table))
    .map((x) => ({ schema: x.schema, table: x.table, tableType: x.kind === 'v' || x.kind === 'm' ? 'view' : 'table' }));
}

interface ColumnRow {
  name: string;
  notnull: string;
  typmod: string;
  coltype: string;
  typname: string;
  typtype: string;
  typcategory: string;
  enumvalues: string | null;
}

/** The MySQL-vocabulary `dataType` the mapping engine understands for a PostgreSQL base type. */
function mysqlDataType(pgType: string): string {
  switch (pgType) {
    case 'int2': return 'smallint';
    case 'int4': return 'int';
    case 'int8': return 'bigint';
    case 'numeric': case 'money': return 'decimal';
    case 'float4': return 'float';
    case 'float8': return 'double';
    case 'bool': return 'boolean';
    case 'varchar': return 'varchar';
    case 'bpchar': return 'char';
    case 'date': return 'date';
    case 'timestamp': case 'timestamptz': return 'timestamp';
    case 'time': return 'time';
    case 'bytea': return 'varbinary';
    case 'json': case 'jsonb': return 'json';
    default: return 'text';
  }
}

function columnDef(r: ColumnRow): ColumnDef {
  const typmod = Number(r.typmod);
  const pgType = r.typtype === 'e' ? 'enum' : r.typname;
  let charMaxLength: number | null = null;
  let numericPrecision: number | null = null;
  let numericScale: number | null = null;
  let datetimePrecision: number | null = null;
  if ((pgType === 'varchar' || pgType === 'bpchar') && typmod >= 4) charMaxLength = typmod - 4;
  if (pgType === 'numeric' && typmod >= 4) {
    numericPrecision = ((typmod - 4) >> 16) & 0xffff;
    numericScale = (typmod - 4) & 0xffff;
  }
  if (pgType === 'money') { numericPrecision = 38; numericScale = 4; }
  if (['timestamp', 'timestamptz', 'time', 'timetz', 'interval'].includes(pgType)) {
    datetimePrecision = pgType === 'interval' ? (typmod >= 0 ? typmod & 0xffff : null) : typmod >= 0 ? typmod : 6;
    if (datetimePrecision === 0xffff) datetimePrecision = null;
  }
  return {
    name: r.name,
    dataType: mysqlDataType(pgType),
    columnType: r.coltype,
    unsigned: false,
    nullable: r.notnull !== 't',
    charMaxLength,
    numericPrecision,
    numericScale,
    datetimePrecision,
    ...(r.enumvalues ? { enumValues: JSON.parse(r.enumvalues) as string[] } : {}),
    collation: null,
    pgType,
  };
}

export interface PgTableInfo {
  def: TableDef;
  /** pg_class.relreplident: d (default: primary key), f (full), i (index), n (nothing). */
  replicaIdentity: string;
  oid: string;
}

/** A table's definition, or null when it does not exist. LOB columns of a table without a primary key are left out, as AWS does. */
/** Endpoint settings that change a column's table-def type. */
export interface PgTypeSettings {
  mapJsonbAsClob?: boolean;
  mapLongVarcharAs?: string;
  mapBooleanAsBoolean?: boolean;
}

export async function describePgTable(c: pg.Client, schema: string, table: string, settings: PgTypeSettings = {}): Promise<PgTableInfo | null> {
  const rel = await c.query<{ oid: string; replident: string }>(
    `SELECT c.oid, c.relreplident AS replident FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm')`,
    [schema, table],
  );
  const oid = rel.rows[0]?.oid;
  if (!oid) return null;
  const cols = await c.query<ColumnRow>(
    `SELECT a.attname AS name, a.attnotnull AS notnull, a.atttypmod AS typmod, format_type(a.atttypid, a.atttypmod) AS coltype,
            bt.typname, bt.typtype, bt.typcategory,
            CASE WHEN bt.typtype = 'e' THEN (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = bt.oid)::text END AS enumvalues
       FROM pg_attribute a
       JOIN pg_type t ON t.oid = a.atttypid
       JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
      WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [oid],
  );
  const pk = await c.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = $1 AND i.indisprimary ORDER BY k.ord`,
    [oid],
  );
  const primaryKey = pk.rows.map((r) => r.name);
  let columns = cols.rows.map(columnDef);
  const longAs = (settings.mapLongVarcharAs ?? '').toLowerCase();
  for (const col of columns) {
    if (col.pgType === 'jsonb' && settings.mapJsonbAsClob) col.pgMapAs = 'clob';
    if (col.pgType === 'bool' && settings.mapBooleanAsBoolean) col.pgMapAs = 'boolean';
    if ((col.pgType === 'text' || (col.pgType === 'varchar' && col.charMaxLength === null)) && (longAs === 'clob' || longAs === 'nclob')) col.pgMapAs = longAs;
  }
  // "LOB columns of tables without a PK vanish" from table-def and data (reference §6).
  if (primaryKey.length === 0) columns = columns.filter((col) => !isPgLobType(col.pgType!));
  return { def: { schema, table, columns, primaryKey, collation: null }, replicaIdentity: rel.rows[0]!.replident, oid };
}
