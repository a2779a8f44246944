import { describe, expect, it } from 'vitest';
import { InvalidParameterValueException } from '../../../core/model/errors.js';
import { applyNameAction, buildTablePlan, parseTableMappings } from '../../../core/mapping/index.js';
import type { TableDef } from '../../../core/model/table.js';
import { col, doc, sel, tableDef, tr } from './helpers.js';

const actor = (): TableDef => tableDef('test', 'Actor', [
  col('id', 'int'), col('first_name', 'varchar'), col('last_name', 'varchar'), col('col1', 'int'), col('col2', 'varchar'),
], ['id']);

const planFor = (source: TableDef, ...rules: object[]) =>
  buildTablePlan(parseTableMappings(doc(sel(source.schema, '%'), ...rules)), source);

const row = { id: 1, first_name: 'Penelope', last_name: 'Guiness', col1: 5, col2: 'x' };

describe('applyNameAction', () => {
  const a = (action: string, name: string, value?: string, oldValue?: string) =>
    applyNameAction({ action: action as never, value, oldValue } as never, name);
  it('covers every name action', () => {
    expect(a('rename', 'Actor', 'Actor1')).toBe('Actor1');
    expect(a('convert-lowercase', 'ACTOR')).toBe('actor');
    expect(a('convert-uppercase', 'actor')).toBe('ACTOR');
    expect(a('add-prefix', 'actor', 'DMS_')).toBe('DMS_actor');
    expect(a('add-suffix', 'actor', '_DMS')).toBe('actor_DMS');
    expect(a('remove-prefix', 'DMS_actor', 'DMS_')).toBe('actor');
    expect(a('remove-prefix', 'actor', 'DMS_')).toBe('actor');
    expect(a('remove-suffix', 'actor_DMS', '_DMS')).toBe('actor');
    expect(a('remove-suffix', 'actor', '_DMS')).toBe('actor');
    expect(a('replace-prefix', 'Pre_col', 'NewPre_', 'Pre_')).toBe('NewPre_col');
    expect(a('replace-prefix', 'col', 'NewPre_', 'Pre_')).toBe('col');
    expect(a('replace-suffix', 'col_old', '_new', '_old')).toBe('col_new');
    expect(a('remove-prefix', 'dms_actor', 'DMS_')).toBe('dms_actor');
  });
});

describe('buildTablePlan: schema and table names', () => {
  it('renames schema and table; locators use source names, case-sensitively', () => {
    const p = planFor(actor(),
      tr('rename', 'schema', { 'schema-name': 'test' }, { value: 'test1' }),
      tr('rename', 'table', { 'schema-name': 'test', 'table-name': 'Actor' }, { value: 'Actor1' }));
    expect([p.target.schema, p.target.table]).toEqual(['test1', 'Actor1']);
    expect(p.identity).toBe(true);
    const miss = planFor(actor(), tr('rename', 'table', { 'schema-name': 'test', 'table-name': 'actor' }, { value: 'x' }));
    expect(miss.target.table).toBe('Actor');
  });
  it('applies prefix/suffix/case rules with wildcard locators', () => {
    expect(planFor(actor(), tr('add-prefix', 'table', { 'schema-name': 'test', 'table-name': '%' }, { value: 'DMS_' })).target.table).toBe('DMS_Actor');
    expect(planFor(actor(), tr('convert-uppercase', 'schema', { 'schema-name': '%' })).target.schema).toBe('TEST');
    expect(planFor(actor(), tr('convert-lowercase', 'table', { 'schema-name': '%', 'table-name': 'A%' })).target.table).toBe('actor');
    expect(planFor(actor(), tr('add-suffix', 'table', { 'schema-name': '%', 'table-name': '%' }, { value: '_v2' })).target.table).toBe('Actor_v2');
  });
  it('only the lowest rule-id applies to one object', () => {
    const p = planFor(actor(),
      tr('convert-lowercase', 'table', { 'schema-name': '%', 'table-name': '%' }),
      tr('rename', 'table', { 'schema-name': 'test', 'table-name': 'Actor' }, { value: 'Renamed' }));
    expect(p.target.table).toBe('actor');
    const q = buildTablePlan(parseTableMappings(doc(
      sel('test', '%'),
      { ...tr('rename', 'table', { 'schema-name': 'test', 'table-name': 'Actor' }, { value: 'Renamed' }), 'rule-id': '500' },
      { ...tr('convert-lowercase', 'table', { 'schema-name': '%', 'table-name': '%' }), 'rule-id': '600' },
    )), actor());
    expect(q.target.table).toBe('Renamed');
  });
});

describe('buildTablePlan: columns', () => {
  it('fast path: no column change returns the row itself', () => {
    const p = planFor(actor());
    expect(p.identity).toBe(true);
    expect(p.toTargetRow(row)).toBe(row);
    expect(p.target.columns.map((c) => c.name)).toEqual(['id', 'first_name', 'last_name', 'col1', 'col2']);
  });
  it('rename column', () => {
    const p = planFor(actor(), tr('rename', 'column', { 'schema-name': 'test', 'table-name': 'Actor', 'column-name': 'first_name' }, { value: 'fname' }));
    expect(p.identity).toBe(false);
    expect(p.target.columns.map((c) => c.name)).toEqual(['id', 'fname', 'last_name', 'col1', 'col2']);
    const out = p.toTargetRow(row);
    expect(out).toEqual({ id: 1, fname: 'Penelope', last_name: 'Guiness', col1: 5, col2: 'x' });
    expect(Object.keys(out)).toEqual(['id', 'fname', 'last_name', 'col1', 'col2']);
    expect(p.columnMap).toMatchObject({ first_name: 'fname', id: 'id' });
  });
  it('remove-column with a wildcard column-name', () => {
    const p = planFor(actor(), tr('remove-column', 'column', { 'schema-name': 'test', 'table-name': 'Actor', 'column-name': 'col%' }));
    expect(p.target.columns.map((c) => c.name)).toEqual(['id', 'first_name', 'last_name']);
    expect(p.toTargetRow(row)).toEqual({ id: 1, first_name: 'Penelope', last_name: 'Guiness' });
    expect(p.columnMap.col1).toBeNull();
  });
  it('convert-uppercase / lowercase on all columns', () => {
    const up = planFor(actor(), tr('convert-uppercase', 'column', { 'schema-name': '%', 'table-name': '%', 'column-name': '%' }));
    expect(Object.keys(up.toTargetRow(row))).toEqual(['ID', 'FIRST_NAME', 'LAST_NAME', 'COL1', 'COL2']);
    expect(up.target.primaryKey).toEqual(['ID']);
    const src = tableDef('s', 't', [col('A'), col('b')]);
    const low = planFor(src, tr('convert-lowercase', 'column', { 'schema-name': '%', 'table-name': '%', 'column-name': '%' }));
    expect(low.toTargetRow({ A: 1, b: 2 })).toEqual({ a: 1, b: 2 });
  });
  it('prefix and suffix actions on columns', () => {
    const src = tableDef('s', 't', [col('Pre_a'), col('b_old'), col('c')]);
    const p = planFor(src,
      tr('replace-prefix', 'column', { 'schema-name': '%', 'table-name': '%', 'column-name': 'Pre[_]%' }, { value: 'NewPre_', 'old-value': 'Pre_' }),
      tr('replace-suffix', 'column', { 'schema-name': '%', 'table-name': '%', 'column-name': '%[_]old' }, { value: '_new', 'old-value': '_old' }),
      tr('add-prefix', 'column', { 'schema-name': '%', 'table-name': '%', 'column-name': 'c' }, { value: 'x_' }));
    expect(p.toTargetRow({ Pre_a: 1, b_old: 2, c: 3 })).toEqual({ NewPre_a: 1, b_new: 2, x_c: 3 });
    const q = planFor(tableDef('s', 't', [col('a_DMS'), col('DMS_b')]),
      tr('remove-suffix', 'column', { 'schema-name': '%', 'table-name': '%', 'column-name': '%' }, { value: '_DMS' }));
    expect(Object.keys(q.toTargetRow({ a_DMS: 1, DMS_b: 2 }))).toEqual(['a', 'DMS_b']);
    const r = planFor(tableDef('s', 't', [col('DMS_b'), col('a_DMS')]),
      tr('remove-prefix', 'column', { 'schema-name': '%', 'table-name': '%', 'column-name': '%' }, { value: 'DMS_' }),
      tr('add-suffix', 'column', { 'schema-name': '%', 'table-name': '%', 'column-name': 'a%' }, { value: '_z' }));
    expect(Object.keys(r.toTargetRow({ DMS_b: 1, a_DMS: 2 }))).toEqual(['b', 'a_DMS']);
  });
  it('change-data-type converts values and the target column definition', () => {
    const src = tableDef('dbo', 'dms', [col('id'), col('SALE_AMOUNT', 'decimal', { numericPrecision: 10, numericScale: 2 }), col('code', 'int'), col('flag', 'bit')]);
    const p = planFor(src,
      tr('change-data-type', 'column', { 'schema-name': 'dbo', 'table-name': 'dms', 'column-name': 'SALE_AMOUNT' }, { 'data-type': { type: 'int8' } }),
      tr('change-data-type', 'column', { 'schema-name': 'dbo', 'table-name': 'dms', 'column-name': 'code' }, { 'data-type': { type: 'string', length: 20 } }),
      tr('change-data-type', 'column', { 'schema-name': 'dbo', 'table-name': 'dms', 'column-name': 'flag' }, { 'data-type': { type: 'int4' } }));
    expect(p.toTargetRow({ id: 1, SALE_AMOUNT: '-12.75', code: 42, flag: Buffer.from([1, 0]) })).toEqual({ id: 1, SALE_AMOUNT: -12, code: '42', flag: 256 });
    expect(p.target.columns[1]).toMatchObject({ name: 'SALE_AMOUNT', dataType: 'bigint', columnType: 'bigint' });
    expect(p.target.columns[2]).toMatchObject({ name: 'code', dataType: 'varchar', charMaxLength: 20 });
    expect(p.targetDataTypes).toEqual({ SALE_AMOUNT: { type: 'int8' }, code: { type: 'string', length: 20 }, flag: { type: 'int4' } });
    const n = planFor(tableDef('s', 't', [col('v', 'varchar')]),
      tr('change-data-type', 'column', { 'schema-name': '%', 'table-name': '%', 'column-name': 'v' }, { 'data-type': { type: 'numeric', precision: 10, scale: 2 } }));
    expect(['1.005', '2', '-0.004', '9.999', null].map((v) => n.toTargetRow({ v }).v)).toEqual(['1.01', '2.00', '0.00', '10.00', null]);
  });
  it('detects a transformation that makes two columns collide', () => {
    const src = tableDef('s', 't', [col('a'), col('B')]);
    expect(() => planFor(src, tr('convert-uppercase', 'column', { 'schema-name': '%', 'table-name': '%', 'column-name': 'a' }), { ...tr('convert-uppercase', 'column', { 'schema-name': '%', 'table-name': '%', 'column-name': 'a' }), 'rule-id': '90' }))
      .not.toThrow();
    const clash = tableDef('s', 't', [col('a'), col('A')]);
    const e = (() => { try { planFor(clash, { ...tr('convert-uppercase', 'column', { 'schema-name': '%', 'table-name': '%', 'column-name': 'a' }), 'rule-id': '77' }); } catch (x) { return x; } })();
    expect(e).toBeInstanceOf(InvalidParameterValueException);
    expect((e as Error).message).toBe('Error in mapping rules. Rule with ruleId = 77 failed validation. column A already exists in table s.t');
  });
});

describe('buildTablePlan: add-column', () => {
  const item = () => tableDef('Test', 'ITEM', [col('ID'), col('FIRST_NAME', 'varchar'), col('LAST_NAME', 'varchar')], ['ID']);
  it('computes the AWS example expression', () => {
    const p = planFor(item(), tr('add-column', 'column', { 'schema-name': 'Test', 'table-name': 'ITEM' }, {
      value: 'FULL_NAME', expression: "$FIRST_NAME||'_'||$LAST_NAME", 'data-type': { type: 'string', length: 50 },
    }));
    expect(p.toTargetRow({ ID: 1, FIRST_NAME: 'Randy', LAST_NAME: 'Marsh' })).toEqual({ ID: 1, FIRST_NAME: 'Randy', LAST_NAME: 'Marsh', FULL_NAME: 'Randy_Marsh' });
    expect(p.target.columns[3]).toMatchObject({ name: 'FULL_NAME', dataType: 'varchar', columnType: 'varchar(50)', charMaxLength: 50 });
    expect(p.targetDataTypes.FULL_NAME).toEqual({ type: 'string', length: 50 });
  });
  it('adds columns in rule-id order, converts to the data type, and defaults to NULL without expression', () => {
    const p = planFor(item(),
      tr('add-column', 'column', { 'schema-name': '%', 'table-name': '%' }, { value: 'last_updated', 'data-type': { type: 'datetime', precision: 6 } }),
      tr('add-column', 'column', { 'schema-name': '%', 'table-name': '%' }, { value: 'double_id', expression: '$ID * 2', 'data-type': { type: 'string', length: 10 } }),
      tr('add-column', 'column', { 'schema-name': '%', 'table-name': '%' }, { value: 'op', expression: "operation_indicator('D','U','I')", 'data-type': { type: 'string', length: 1 } }));
    expect(p.toTargetRow({ ID: 21, FIRST_NAME: 'a', LAST_NAME: 'b' }, { operation: 'delete' }))
      .toEqual({ ID: 21, FIRST_NAME: 'a', LAST_NAME: 'b', last_updated: null, double_id: '42', op: 'D' });
    expect(p.target.columns.map((c) => c.name)).toEqual(['ID', 'FIRST_NAME', 'LAST_NAME', 'last_updated', 'double_id', 'op']);
    expect(p.target.columns[3]).toMatchObject({ dataType: 'datetime', datetimePrecision: 6 });
  });
  it('reads source columns even when they are renamed or removed', () => {
    const p = planFor(item(),
      tr('remove-column', 'column', { 'schema-name': '%', 'table-name': '%', 'column-name': 'FIRST_NAME' }),
      tr('add-column', 'column', { 'schema-name': '%', 'table-name': '%' }, { value: 'initial', expression: 'substr($FIRST_NAME, 1, 1)', 'data-type': { type: 'string', length: 1 } }));
    expect(p.toTargetRow({ ID: 1, FIRST_NAME: 'Randy', LAST_NAME: 'M' })).toEqual({ ID: 1, LAST_NAME: 'M', initial: 'R' });
  });
  it('fails on an unknown column or a name clash', () => {
    expect(() => planFor(item(), { ...tr('add-column', 'column', { 'schema-name': '%', 'table-name': '%' }, { value: 'x', expression: '$NOPE', 'data-type': { type: 'string' } }), 'rule-id': '55' }))
      .toThrow('Error in mapping rules. Rule with ruleId = 55 failed validation. invalid expression: column NOPE does not exist in source table Test.ITEM');
    expect(() => planFor(item(), { ...tr('add-column', 'column', { 'schema-name': '%', 'table-name': '%' }, { value: 'ID', 'data-type': { type: 'int4' } }), 'rule-id': '56' }))
      .toThrow('Error in mapping rules. Rule with ruleId = 56 failed validation. column ID already exists in table Test.ITEM');
  });
});

describe('buildTablePlan: define-primary-key', () => {
  it('replaces the target primary key', () => {
    const src = tableDef('inventory', 'ITEM', [col('id'), col('ITEM-NAME', 'varchar'), col('BOM-MODEL-NUM'), col('BOM-PART-NUM')], ['id']);
    const p = planFor(src, tr('define-primary-key', 'table', { 'schema-name': 'inventory', 'table-name': 'ITEM' }, {
      'primary-key-def': { name: 'ITEM-primary-key', columns: ['ITEM-NAME', 'BOM-MODEL-NUM', 'BOM-PART-NUM'] },
    }));
    expect(p.target.primaryKey).toEqual(['ITEM-NAME', 'BOM-MODEL-NUM', 'BOM-PART-NUM']);
    expect(p.source.primaryKey).toEqual(['id']);
    expect(p.identity).toBe(true);
  });
  it('accepts source names of renamed columns and rejects unknown ones', () => {
    const src = tableDef('s', 't', [col('a'), col('b')]);
    const p = planFor(src,
      tr('rename', 'column', { 'schema-name': '%', 'table-name': '%', 'column-name': 'b' }, { value: 'bb' }),
      tr('define-primary-key', 'table', { 'schema-name': '%', 'table-name': '%' }, { 'primary-key-def': { name: 'pk', columns: ['b', 'a'] } }));
    expect(p.target.primaryKey).toEqual(['bb', 'a']);
    expect(() => planFor(src, { ...tr('define-primary-key', 'table', { 'schema-name': '%', 'table-name': '%' }, { 'primary-key-def': { name: 'pk', columns: ['z'] } }), 'rule-id': '61' }))
      .toThrow('Error in mapping rules. Rule with ruleId = 61 failed validation. primary key column z does not exist in table s.t');
  });
  it('without it, the source key follows renames and removals', () => {
    const src = tableDef('s', 't', [col('a'), col('b'), col('c')], ['a', 'b']);
    const p = planFor(src,
      tr('rename', 'column', { 'schema-name': '%', 'table-name': '%', 'column-name': 'a' }, { value: 'A1' }),
      tr('remove-column', 'column', { 'schema-name': '%', 'table-name': '%', 'column-name': 'b' }));
    expect(p.target.primaryKey).toEqual(['A1']);
  });
});

describe('buildTablePlan: selection data, settings, object mapping', () => {
  it('load order, selected flag and table-settings', () => {
    const m = parseTableMappings(doc(
      sel('s', 't', 'include', { 'load-order': 5 }),
      { 'rule-type': 'table-settings', 'rule-id': '900', 'rule-name': 'ts', 'object-locator': { 'schema-name': 's', 'table-name': 't' }, 'parallel-load': { type: 'partitions-auto' } },
    ));
    const p = buildTablePlan(m, tableDef('s', 't', [col('a')]));
    expect(p.loadOrder).toBe(5);
    expect(p.selected).toBe(true);
    expect(p.tableSettings.map((t) => t.parallelLoad)).toEqual([{ type: 'partitions-auto' }]);
    expect(buildTablePlan(m, tableDef('s', 'other', [col('a')])).selected).toBe(false);
  });
  it('exposes the partition key and shapes records per object-mapping', () => {
    const src = tableDef('Test', 'Customers', [col('FirstName', 'varchar'), col('LastName', 'varchar'), col('StoreId'), col('HomeAddress', 'varchar')]);
    const m = parseTableMappings(doc(sel('Test', '%'), {
      'rule-type': 'object-mapping', 'rule-id': '2', 'rule-name': 'TransformToKinesis', 'rule-action': 'map-record-to-record',
      'object-locator': { 'schema-name': 'Test', 'table-name': 'Customers' },
      'mapping-parameters': {
        'partition-key-type': 'attribute-name', 'partition-key-name': 'CustomerName',
        'exclude-columns': ['firstname', 'lastname', 'homeaddress'],
        'attribute-mappings': [
          { 'target-attribute-name': 'CustomerName', 'attribute-type': 'scalar', 'attribute-sub-type': 'string', value: '${lastname}, ${firstname}' },
          { 'target-attribute-name': 'ContactDetails', 'attribute-type': 'document', 'attribute-sub-type': 'json', value: { Home: { Address: '${HomeAddress}' } } },
          { 'target-attribute-name': 'Store', value: '${StoreId}' },
        ],
      },
    }));
    const p = buildTablePlan(m, src);
    expect(p.partitionKey).toEqual({ type: 'attribute-name', name: 'CustomerName' });
    const data = p.objectMapping!.apply(p.toTargetRow({ FirstName: 'Randy', LastName: 'Marsh', StoreId: 5, HomeAddress: '221B Baker Street' }));
    expect(data).toEqual({ StoreId: 5, CustomerName: 'Marsh, Randy', ContactDetails: { Home: { Address: '221B Baker Street' } }, Store: 5 });
  });
  it('map-record-to-document nests kept columns under _doc; constant partition key', () => {
    const src = tableDef('Test', 'Customer', [col('FirstName', 'varchar'), col('DateOfBirth', 'varchar')]);
    const m = parseTableMappings(doc(sel('Test', '%'), {
      'rule-type': 'object-mapping', 'rule-id': '2', 'rule-name': '2', 'rule-action': 'map-record-to-document',
      'object-locator': { 'schema-name': 'Test', 'table-name': 'Customer' },
      'mapping-parameters': { 'partition-key': { value: 'ConstantPartitionKey' }, 'exclude-columns': ['FirstName'] },
    }));
    const p = buildTablePlan(m, src);
    expect(p.partitionKey).toEqual({ type: 'constant', value: 'ConstantPartitionKey' });
    expect(p.objectMapping!.apply({ FirstName: 'R', DateOfBirth: '02/29/1988' })).toEqual({ _doc: { DateOfBirth: '02/29/1988' } });
  });
  it('no object-mapping: no partition key choice', () => {
    const p = planFor(actor());
    expect(p.partitionKey).toBeUndefined();
    expect(p.objectMapping).toBeUndefined();
  });
});

// Speed is measured by `npm run bench:full-load`, never by a timed assertion; this checks the compiled
// plan keeps giving the same rows over many calls (it caches per-row work).
describe('buildTablePlan: many rows', () => {
  it('transforms 100k rows, each with the renamed columns and the computed one', () => {
    const src = tableDef('s', 't', Array.from({ length: 10 }, (_, i) => col(`c${i}`)), ['c0']);
    const p = planFor(src,
      tr('convert-uppercase', 'column', { 'schema-name': '%', 'table-name': '%', 'column-name': '%' }),
      tr('add-column', 'column', { 'schema-name': '%', 'table-name': '%' }, { value: 'sum', expression: '$c1 + $c2', 'data-type': { type: 'int8' } }));
    let n = 0;
    for (let i = 0; i < 100_000; i++) {
      const r: Record<string, number> = {};
      for (let c = 0; c < 10; c++) r[`c${c}`] = i + c;
      const out = p.toTargetRow(r);
      n += Object.keys(out).length;
      if (i % 9973 === 0) expect(out).toMatchObject({ C0: i, C9: i + 9, sum: 2 * i + 3 });
    }
    expect(n).toBe(1_100_000);
  });
});
