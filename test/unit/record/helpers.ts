import type { ColumnDef, TableDef } from '../../../core/model/table.js';

/** A ColumnDef with information_schema-like defaults derived from `columnType`. */
export function col(name: string, columnType: string, extra: Partial<ColumnDef> = {}): ColumnDef {
  const m = /^(\w+)(?:\(([^)]*)\))?(.*)$/.exec(columnType)!;
  const dataType = m[1]!.toLowerCase();
  const args = m[2] ?? '';
  const unsigned = /unsigned/i.test(m[3] ?? '');
  const c: ColumnDef = {
    name, dataType, columnType, unsigned, nullable: true, charMaxLength: null,
    numericPrecision: null, numericScale: null, datetimePrecision: null, collation: null,
  };
  if (['char', 'varchar', 'binary', 'varbinary'].includes(dataType) && args) c.charMaxLength = Number(args);
  if (dataType === 'decimal') {
    const [p, s] = args.split(',');
    c.numericPrecision = Number(p ?? 10);
    c.numericScale = Number(s ?? 0);
  }
  if (dataType === 'bit') c.numericPrecision = Number(args || 1);
  if (['datetime', 'timestamp', 'time'].includes(dataType)) c.datetimePrecision = Number(args || 0);
  if (dataType === 'enum' || dataType === 'set') {
    c.enumValues = args.split(',').map((s) => s.trim().replace(/^'|'$/g, ''));
    c.charMaxLength = dataType === 'enum' ? Math.max(...c.enumValues.map((s) => s.length)) : c.enumValues.join(',').length;
  }
  return { ...c, ...extra };
}

export function table(schema: string, name: string, columns: ColumnDef[], primaryKey: string[] = [], collation: string | null = null): TableDef {
  return { schema, table: name, columns, primaryKey, collation };
}

/** Builds the expected pretty (`json`) and one-line (`json-unformatted`) texts of one object. */
export function obj(entries: string[], depth: number, pretty: boolean): string {
  if (!pretty) return '{' + entries.join(',') + '}';
  const inner = '\n' + '\t'.repeat(depth + 1);
  return '{' + entries.map((e) => inner + e.replace(/^("(?:[^"\\]|\\.)*"):/, '$1:\t')).join(',') + '\n' + '\t'.repeat(depth) + '}';
}
