import { describe, expect, it } from 'vitest';
import { InvalidParameterValueException } from '../../../core/model/errors.js';
import { parseTableMappings } from '../../../core/mapping/index.js';

function err(json: string): InvalidParameterValueException {
  try {
    parseTableMappings(json);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidParameterValueException);
    return e as InvalidParameterValueException;
  }
  throw new Error('expected parseTableMappings to throw');
}

function msg(value: unknown): string {
  return err(typeof value === 'string' ? value : JSON.stringify(value)).message;
}

const sel = (over: Record<string, unknown> = {}) => ({
  'rule-type': 'selection',
  'rule-id': '1',
  'rule-name': 'rule1',
  'object-locator': { 'schema-name': 'testdb', 'table-name': 'Table%' },
  'rule-action': 'include',
  ...over,
});

const tr = (over: Record<string, unknown>) => ({
  'rule-type': 'transformation',
  'rule-id': '2',
  'rule-name': '2',
  'object-locator': { 'schema-name': 'testdb', 'table-name': 't' },
  ...over,
});

const withSel = (...rules: object[]) => ({ rules: [sel(), ...rules] });

describe('parseTableMappings: AWS error messages', () => {
  it('rejects text that is not JSON', () => {
    expect(msg('{"rules": }')).toBe('Invalid Table Mappings document. Invalid json');
    expect(msg('')).toBe('Invalid Table Mappings document. Invalid json');
    const e = err('nope');
    expect(e.code).toBe('InvalidParameterValueException');
  });

  it('rejects JSON without rules', () => {
    expect(msg({ hello: 'world' })).toBe('Valid Table mappings is required');
    expect(msg({ rules: null })).toBe('Valid Table mappings is required');
    expect(msg('null')).toBe('Valid Table mappings is required');
  });

  it('rejects wrong shapes', () => {
    expect(msg({ rules: 'x' })).toBe('Invalid table mappings document.');
    expect(msg({ rules: {} })).toBe('Invalid table mappings document.');
    expect(msg({ rules: ['x'] })).toBe('Invalid table mappings document.');
    expect(msg([])).toBe('Invalid table mappings document.');
    expect(msg({ rules: [sel({ 'object-locator': 'x' })] })).toBe('Invalid table mappings document.');
    expect(msg({ rules: [sel({ filters: {} })] })).toBe('Invalid table mappings document.');
  });

  it('requires at least one selection rule', () => {
    expect(msg({ rules: [] })).toBe('Error in mapping rules. At least one selection rule is required.');
    expect(msg({ rules: [tr({ 'rule-id': '1', 'rule-action': 'convert-lowercase', 'rule-target': 'table' })] }))
      .toBe('Error in mapping rules. At least one selection rule is required.');
    expect(msg({ rules: [sel({ 'rule-action': 'exclude' })] }))
      .toBe('Error in mapping rules. At least one selection rule with rule-action include or explicit is required.');
  });

  it('rejects an unknown rule-type', () => {
    expect(msg({ rules: [sel({ 'rule-type': 'select' })] })).toBe('Invalid table mappings document.');
    expect(msg({ rules: [sel({ 'rule-type': undefined })] })).toBe('Invalid table mappings document.');
  });

  it('rejects an unknown rule-action', () => {
    expect(msg({ rules: [sel({ 'rule-action': 'including' })] })).toBe('Invalid table mappings document.');
    expect(msg(withSel(tr({ 'rule-action': 'explode', 'rule-target': 'table' })))).toBe('Invalid table mappings document.');
    expect(msg(withSel({
      'rule-type': 'object-mapping', 'rule-id': '2', 'rule-name': '2', 'rule-action': 'map-it',
      'object-locator': { 'schema-name': 's', 'table-name': 't' },
    }))).toBe('Invalid table mappings document.');
  });

  it('rejects duplicate rule-ids, numerically', () => {
    const dup = { rules: [sel(), sel({ 'rule-action': 'exclude', 'object-locator': { 'schema-name': 'testdb', 'table-name': 'TableB' } })] };
    expect(msg(dup)).toBe('Error in mapping rules. Duplicate ruleid 1');
    expect(msg({ rules: [sel({ 'rule-id': '7' }), sel({ 'rule-id': 7 })] })).toBe('Error in mapping rules. Duplicate ruleid 7');
  });

  it('accepts a duplicate rule-name (AWS validates only the rule-id) and integer rule-ids', () => {
    const m = parseTableMappings(JSON.stringify({ rules: [sel(), sel({ 'rule-id': 2, 'rule-action': 'exclude' })] }));
    expect(m.selection.map((r) => [r.id, r.name])).toEqual([[1, 'rule1'], [2, 'rule1']]);
  });

  it('rejects a non-numeric or missing rule-id', () => {
    expect(msg({ rules: [sel({ 'rule-id': 'abc' })] })).toBe('Invalid table mappings document.');
    expect(msg({ rules: [sel({ 'rule-id': 1.5 })] })).toBe('Invalid table mappings document.');
    expect(msg({ rules: [sel({ 'rule-id': '-1' })] })).toBe('Invalid table mappings document.');
    expect(msg({ rules: [sel({ 'rule-id': undefined })] }))
      .toBe('Error in mapping rules. Rule with ruleId = null failed validation. rule id cannot be null');
  });

  it('requires an object-locator with schema and table names', () => {
    expect(msg({ rules: [sel({ 'object-locator': undefined })] }))
      .toBe('Error in mapping rules. Rule with ruleId = 1 failed validation. object locator cannot be null');
    expect(msg({ rules: [sel({ 'object-locator': { 'table-name': 't' } })] }))
      .toBe('Error in mapping rules. Rule with ruleId = 1 failed validation. schema name cannot be null');
    expect(msg({ rules: [sel({ 'object-locator': { 'schema-name': 's' } })] }))
      .toBe('Error in mapping rules. Rule with ruleId = 1 failed validation. table name cannot be null');
    expect(msg({ rules: [sel({ 'rule-action': undefined })] }))
      .toBe('Error in mapping rules. Rule with ruleId = 1 failed validation. rule action cannot be null');
  });

  it('rejects wildcards in explicit rules but not underscores', () => {
    expect(msg({ rules: [sel({ 'rule-action': 'explicit' })] }))
      .toBe('Error in mapping rules. Rule with ruleId = 1 failed validation. explicit selection rule cannot contain wildcards in schema name or table name');
    expect(msg({ rules: [sel({ 'rule-action': 'explicit', 'object-locator': { 'schema-name': '%', 'table-name': 't' } })] }))
      .toBe('Error in mapping rules. Rule with ruleId = 1 failed validation. explicit selection rule cannot contain wildcards in schema name or table name');
    const m = parseTableMappings(JSON.stringify({
      rules: [sel({ 'rule-action': 'explicit', 'object-locator': { 'schema-name': 'my_db', 'table-name': 'order_items' } })],
    }));
    expect(m.selection[0]!.action).toBe('explicit');
  });

  it('rejects bad table-type and load-order', () => {
    expect(msg({ rules: [sel({ 'object-locator': { 'schema-name': 's', 'table-name': 't', 'table-type': 'index' } })] }))
      .toBe('Invalid table mappings document.');
    expect(msg({ rules: [sel({ 'load-order': 'first' })] })).toBe('Invalid table mappings document.');
    expect(msg({ rules: [sel({ 'load-order': -1 })] })).toBe('Invalid table mappings document.');
  });

  describe('filters', () => {
    const f = (filter: object) => ({ rules: [sel({ filters: [filter] })] });
    it('rejects a bad filter operator or filter type', () => {
      expect(msg(f({ 'filter-type': 'source', 'column-name': 'a', 'filter-conditions': [{ 'filter-operator': 'lt', value: '1' }] })))
        .toBe('Invalid table mappings document.');
      expect(msg(f({ 'filter-type': 'target', 'column-name': 'a', 'filter-conditions': [{ 'filter-operator': 'eq', value: '1' }] })))
        .toBe('Invalid table mappings document.');
      expect(msg(f({ 'filter-type': 'source', 'column-name': 'a', 'filter-conditions': [{ value: '1' }] })))
        .toBe('Invalid table mappings document.');
    });
    it('requires column name, conditions and values', () => {
      expect(msg(f({ 'filter-type': 'source', 'filter-conditions': [{ 'filter-operator': 'eq', value: '1' }] })))
        .toBe('Error in mapping rules. Rule with ruleId = 1 failed validation. filter column name cannot be null');
      expect(msg(f({ 'filter-type': 'source', 'column-name': 'a', 'filter-conditions': [] })))
        .toBe('Error in mapping rules. Rule with ruleId = 1 failed validation. filter conditions for column a cannot be empty');
      expect(msg(f({ 'filter-type': 'source', 'column-name': 'a', 'filter-conditions': [{ 'filter-operator': 'eq' }] })))
        .toBe('Error in mapping rules. Rule with ruleId = 1 failed validation. filter operator eq requires a value');
      expect(msg(f({ 'filter-type': 'source', 'column-name': 'a', 'filter-conditions': [{ 'filter-operator': 'between', 'start-value': '1' }] })))
        .toBe('Error in mapping rules. Rule with ruleId = 1 failed validation. filter operator between requires a start-value and an end-value');
    });
    it('allows only one condition in a filter with a negative operator', () => {
      expect(msg(f({
        'filter-type': 'source', 'column-name': 'a',
        'filter-conditions': [{ 'filter-operator': 'noteq', value: '1' }, { 'filter-operator': 'eq', value: '2' }],
      }))).toBe('Error in mapping rules. Rule with ruleId = 1 failed validation. filter on column a can have only one filter condition when it uses a negative operator (noteq, notbetween, notnull)');
    });
    it('normalises ste to lte and keeps the condition values', () => {
      const m = parseTableMappings(JSON.stringify(f({
        'filter-type': 'source', 'column-name': 'empid',
        'filter-conditions': [{ 'filter-operator': 'ste', value: '10' }, { 'filter-operator': 'between', 'start-value': '50', 'end-value': '75' }],
      })));
      expect(m.selection[0]!.filters).toEqual([{
        column: 'empid',
        conditions: [{ operator: 'lte', value: '10' }, { operator: 'between', start: '50', end: '75' }],
      }]);
    });
  });

  describe('transformations', () => {
    const t = (over: Record<string, unknown>) => msg(withSel(tr(over)));
    const v = (detail: string) => `Error in mapping rules. Rule with ruleId = 2 failed validation. ${detail}`;
    it('rejects an unknown rule-target and a missing one', () => {
      expect(t({ 'rule-action': 'rename', 'rule-target': 'database', value: 'x' })).toBe('Invalid table mappings document.');
      expect(t({ 'rule-action': 'rename', value: 'x' })).toBe(v('rule target cannot be null'));
    });
    it('requires value and old-value', () => {
      for (const action of ['rename', 'add-prefix', 'remove-prefix', 'add-suffix', 'remove-suffix']) {
        expect(t({ 'rule-action': action, 'rule-target': 'table' })).toBe(v('value cannot be null'));
      }
      expect(t({ 'rule-action': 'replace-prefix', 'rule-target': 'table', value: 'a' })).toBe(v('old value cannot be null'));
      expect(t({ 'rule-action': 'replace-suffix', 'rule-target': 'table', value: 'a' })).toBe(v('old value cannot be null'));
      expect(t({ 'rule-action': 'rename', 'rule-target': 'table', value: null })).toBe(v('value cannot be null'));
    });
    it('checks action/target combinations and column locators', () => {
      expect(t({ 'rule-action': 'remove-column', 'rule-target': 'table' })).toBe(v('rule action remove-column is not supported for rule target table'));
      expect(t({ 'rule-action': 'define-primary-key', 'rule-target': 'column', 'primary-key-def': { name: 'pk', columns: ['a'] } }))
        .toBe(v('rule action define-primary-key is not supported for rule target column'));
      expect(t({ 'rule-action': 'remove-column', 'rule-target': 'column' })).toBe(v('column name cannot be null'));
      expect(msg(withSel(tr({ 'rule-action': 'rename', 'rule-target': 'table', value: 'x', 'object-locator': { 'schema-name': 's' } }))))
        .toBe(v('table name cannot be null'));
    });
    it('validates add-column and change-data-type', () => {
      expect(t({ 'rule-action': 'add-column', 'rule-target': 'column', 'data-type': { type: 'string' } })).toBe(v('value cannot be null'));
      expect(t({ 'rule-action': 'add-column', 'rule-target': 'column', value: 'c' })).toBe(v('data type cannot be null'));
      expect(t({ 'rule-action': 'change-data-type', 'rule-target': 'column', 'object-locator': { 'schema-name': 's', 'table-name': 't', 'column-name': 'c' } }))
        .toBe(v('data type cannot be null'));
      expect(t({ 'rule-action': 'add-column', 'rule-target': 'column', value: 'c', 'data-type': { type: 'varchar2' } }))
        .toBe('Invalid table mappings document.');
      expect(t({ 'rule-action': 'add-column', 'rule-target': 'column', value: 'c', 'data-type': { type: 'string', length: 'long' } }))
        .toBe('Invalid table mappings document.');
      expect(t({ 'rule-action': 'add-column', 'rule-target': 'column', value: 'c', 'data-type': { type: 'string' }, expression: "$a || 'x" }))
        .toBe(v('invalid expression: unterminated string literal'));
      expect(t({ 'rule-action': 'add-column', 'rule-target': 'column', value: 'c', 'data-type': { type: 'string' }, expression: 'nosuchfn($a)' }))
        .toBe(v('invalid expression: no such function: nosuchfn'));
    });
    it('validates define-primary-key', () => {
      expect(t({ 'rule-action': 'define-primary-key', 'rule-target': 'table' })).toBe(v('primary key def cannot be null'));
      expect(t({ 'rule-action': 'define-primary-key', 'rule-target': 'table', 'primary-key-def': { name: 'pk', columns: [] } }))
        .toBe(v('primary key def columns cannot be empty'));
    });
    it('parses a full transformation', () => {
      const m = parseTableMappings(JSON.stringify(withSel(tr({
        'rule-action': 'add-column', 'rule-target': 'column', value: 'FULL_NAME',
        expression: "$FIRST_NAME||'_'||$LAST_NAME", 'data-type': { type: 'string', length: 50 },
      }))));
      expect(m.transformation[0]).toMatchObject({
        id: 2, action: 'add-column', target: 'column', value: 'FULL_NAME',
        expression: "$FIRST_NAME||'_'||$LAST_NAME", dataType: { type: 'string', length: 50 },
        locator: { schema: 'testdb', table: 't', tableType: 'table' },
      });
    });
    it('treats JSON nulls as absent (console-generated documents)', () => {
      const m = parseTableMappings(JSON.stringify(withSel(tr({
        'rule-action': 'convert-lowercase', 'rule-target': 'table', value: null, 'load-order': null,
        'before-image-def': null, 'tag-set': null,
      }))));
      expect(m.transformation[0]!.action).toBe('convert-lowercase');
    });
  });

  describe('object-mapping and table-settings', () => {
    it('parses an object-mapping rule', () => {
      const m = parseTableMappings(JSON.stringify(withSel({
        'rule-type': 'object-mapping', 'rule-id': '3', 'rule-name': 'TransformToKinesis',
        'rule-action': 'map-record-to-record', 'target-table-name': 'CustomerData',
        'object-locator': { 'schema-name': 'Test', 'table-name': 'Customers' },
        'mapping-parameters': {
          'partition-key-type': 'attribute-name', 'partition-key-name': 'CustomerName',
          'exclude-columns': ['firstname', 'lastname'],
          'attribute-mappings': [{
            'target-attribute-name': 'CustomerName', 'attribute-type': 'scalar', 'attribute-sub-type': 'string',
            value: '${lastname}, ${firstname}',
          }],
        },
      })));
      expect(m.objectMapping[0]).toEqual({
        type: 'object-mapping', id: 3, name: 'TransformToKinesis', action: 'map-record-to-record',
        locator: { schema: 'Test', table: 'Customers', tableType: 'table' }, targetTableName: 'CustomerData',
        partitionKeyType: 'attribute-name', partitionKeyName: 'CustomerName', excludeColumns: ['firstname', 'lastname'],
        attributeMappings: [{ name: 'CustomerName', attributeType: 'scalar', attributeSubType: 'string', value: '${lastname}, ${firstname}' }],
      });
    });
    it('validates object-mapping parameters', () => {
      const om = (params: object) => withSel({
        'rule-type': 'object-mapping', 'rule-id': '3', 'rule-name': '3', 'rule-action': 'map-record-to-record',
        'object-locator': { 'schema-name': 's', 'table-name': 't' }, 'mapping-parameters': params,
      });
      expect(msg(om({ 'partition-key-type': 'random' }))).toBe('Invalid table mappings document.');
      expect(msg(om({ 'partition-key-type': 'attribute-name' })))
        .toBe('Error in mapping rules. Rule with ruleId = 3 failed validation. partition key name cannot be null');
      expect(msg(om({ 'exclude-columns': 'a' }))).toBe('Invalid table mappings document.');
      const m = parseTableMappings(JSON.stringify(om({ 'partition-key': { value: 'ConstantPartitionKey' } })));
      expect(m.objectMapping[0]).toMatchObject({ partitionKeyType: 'constant', partitionKeyValue: 'ConstantPartitionKey' });
    });
    it('parses table-settings and keeps unknown keys', () => {
      const m = parseTableMappings(JSON.stringify(withSel({
        'rule-type': 'table-settings', 'rule-id': '4', 'rule-name': '4',
        'object-locator': { 'schema-name': 's', 'table-name': 't' },
        'parallel-load': { type: 'ranges', columns: ['id'], boundaries: [['100'], ['200']] },
        'lob-settings': { mode: 'limited', 'bulk-max-size': '16' },
        'filter-operation': 'x',
      })));
      expect(m.tableSettings[0]).toEqual({
        type: 'table-settings', id: 4, name: '4', locator: { schema: 's', table: 't', tableType: 'table' },
        parallelLoad: { type: 'ranges', columns: ['id'], boundaries: [['100'], ['200']] },
        lobSettings: { mode: 'limited', 'bulk-max-size': '16' },
        extra: { 'filter-operation': 'x' },
      });
      expect(msg(withSel({
        'rule-type': 'table-settings', 'rule-id': '4', 'rule-name': '4',
        'object-locator': { 'schema-name': 's', 'table-name': 't' }, 'parallel-load': { type: 'fast' },
      }))).toBe('Invalid table mappings document.');
    });
  });

  it('sorts rules by numeric rule-id', () => {
    const m = parseTableMappings(JSON.stringify({
      rules: [sel({ 'rule-id': '10' }), sel({ 'rule-id': '9' }), sel({ 'rule-id': '100' })],
    }));
    expect(m.rules.map((r) => r.id)).toEqual([9, 10, 100]);
  });
});
