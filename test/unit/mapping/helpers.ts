import type { ColumnDef, TableDef } from '../../../core/model/table.js';

export function col(name: string, dataType = 'int', extra: Partial<ColumnDef> = {}): ColumnDef {
  const isText = ['varchar', 'char', 'text', 'enum', 'set', 'longtext'].includes(dataType);
  return {
    name,
    dataType,
    columnType: dataType,
    unsigned: false,
    nullable: true,
    charMaxLength: isText ? 255 : null,
    numericPrecision: null,
    numericScale: null,
    datetimePrecision: null,
    collation: isText ? 'utf8mb4_general_ci' : null,
    ...extra,
  };
}

export function tableDef(schema: string, table: string, columns: ColumnDef[], primaryKey: string[] = []): TableDef {
  return { schema, table, columns, primaryKey, collation: 'utf8mb4_general_ci' };
}

export function doc(...rules: object[]): string {
  return JSON.stringify({ rules });
}

let nextId = 1;
export function sel(schema: string, table: string, action = 'include', extra: object = {}): object {
  const id = String(nextId++);
  return {
    'rule-type': 'selection', 'rule-id': id, 'rule-name': id,
    'object-locator': { 'schema-name': schema, 'table-name': table },
    'rule-action': action, ...extra,
  };
}

export function tr(action: string, target: string, locator: object, extra: object = {}): object {
  const id = String(nextId++);
  return {
    'rule-type': 'transformation', 'rule-id': id, 'rule-name': id,
    'rule-action': action, 'rule-target': target, 'object-locator': locator, ...extra,
  };
}
