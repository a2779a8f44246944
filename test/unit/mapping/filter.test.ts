import { describe, expect, it } from 'vitest';
import { InvalidParameterValueException } from '../../../core/model/errors.js';
import { buildTablePlan, parseTableMappings, quoteIdentifier, quoteTableName } from '../../../core/mapping/index.js';
import type { ColumnDef, SourceRow } from '../../../core/model/table.js';
import { col, doc, sel, tableDef } from './helpers.js';

type Cond = Record<string, string>;

function plan(columns: ColumnDef[], filters: { column: string; conds: Cond[] }[], table = 'employee', schema = 'test') {
  const m = parseTableMappings(doc(sel(schema, table, 'include', {
    filters: filters.map((f) => ({ 'filter-type': 'source', 'column-name': f.column, 'filter-conditions': f.conds })),
  })));
  return buildTablePlan(m, tableDef(schema, table, columns));
}

const one = (c: ColumnDef, ...conds: Cond[]) => plan([c], [{ column: c.name, conds }]);
const rows = (name: string, ...vals: SourceRow[keyof SourceRow][]): SourceRow[] => vals.map((v) => ({ [name]: v }));
const keep = (p: ReturnType<typeof one>, rs: SourceRow[]) => rs.filter((r) => p.matches(r)).map((r) => Object.values(r)[0]);

describe('quoteIdentifier', () => {
  it('backtick-quotes and doubles backticks', () => {
    expect(quoteIdentifier('empid')).toBe('`empid`');
    expect(quoteIdentifier('a`b')).toBe('`a``b`');
    expect(quoteIdentifier('x; DROP TABLE y')).toBe('`x; DROP TABLE y`');
    expect(quoteIdentifier('``')).toBe('``````');
    expect(quoteTableName('s`', 't')).toBe('`s```.`t`');
  });
  it('rejects empty names and NUL', () => {
    expect(() => quoteIdentifier('')).toThrow(InvalidParameterValueException);
    expect(() => quoteIdentifier('a\u0000b')).toThrow('Identifier cannot contain the NUL character');
  });
});

describe('filters: SQL pushdown and CDC predicate for every operator', () => {
  const id = col('empid', 'int');
  const ids = rows('empid', null, 5, 10, 11, 49, 50, 60, 75, 76, 100);

  it('eq', () => {
    const p = one(id, { 'filter-operator': 'eq', value: '50' });
    expect(p.where).toEqual({ sql: '(`empid` = ?)', params: [50] });
    expect(keep(p, ids)).toEqual([50]);
  });
  it('noteq', () => {
    const p = one(id, { 'filter-operator': 'noteq', value: '50' });
    expect(p.where).toEqual({ sql: '(`empid` <> ?)', params: [50] });
    expect(keep(p, ids)).toEqual([5, 10, 11, 49, 60, 75, 76, 100]);
  });
  it('lte and its alias ste', () => {
    for (const op of ['lte', 'ste']) {
      const p = one(id, { 'filter-operator': op, value: '10' });
      expect(p.where).toEqual({ sql: '(`empid` <= ?)', params: [10] });
      expect(keep(p, ids)).toEqual([5, 10]);
    }
  });
  it('gte', () => {
    const p = one(id, { 'filter-operator': 'gte', value: '100' });
    expect(p.where).toEqual({ sql: '(`empid` >= ?)', params: [100] });
    expect(keep(p, ids)).toEqual([100]);
  });
  it('between (inclusive)', () => {
    const p = one(id, { 'filter-operator': 'between', 'start-value': '50', 'end-value': '75' });
    expect(p.where).toEqual({ sql: '(`empid` BETWEEN ? AND ?)', params: [50, 75] });
    expect(keep(p, ids)).toEqual([50, 60, 75]);
  });
  it('notbetween', () => {
    const p = one(id, { 'filter-operator': 'notbetween', 'start-value': '50', 'end-value': '75' });
    expect(p.where).toEqual({ sql: '(`empid` NOT BETWEEN ? AND ?)', params: [50, 75] });
    expect(keep(p, ids)).toEqual([5, 10, 11, 49, 76, 100]);
  });
  it('null', () => {
    const p = one(col('dept', 'varchar'), { 'filter-operator': 'null' });
    expect(p.where).toEqual({ sql: '(`dept` IS NULL)', params: [] });
    expect(keep(p, rows('dept', null, 'tech', ''))).toEqual([null]);
  });
  it('notnull', () => {
    const p = one(col('dept', 'varchar'), { 'filter-operator': 'notnull' });
    expect(p.where).toEqual({ sql: '(`dept` IS NOT NULL)', params: [] });
    expect(keep(p, rows('dept', null, 'tech', ''))).toEqual(['tech', '']);
  });
  it('conditions ORed within a filter (the AWS example)', () => {
    const p = one(id,
      { 'filter-operator': 'lte', value: '10' },
      { 'filter-operator': 'between', 'start-value': '50', 'end-value': '75' },
      { 'filter-operator': 'gte', value: '100' });
    expect(p.where).toEqual({ sql: '(`empid` <= ? OR `empid` BETWEEN ? AND ? OR `empid` >= ?)', params: [10, 50, 75, 100] });
    expect(keep(p, ids)).toEqual([5, 10, 50, 60, 75, 100]);
  });
  it('filters ANDed', () => {
    const p = plan([id, col('dept', 'varchar')], [
      { column: 'empid', conds: [{ 'filter-operator': 'noteq', value: '50' }] },
      { column: 'dept', conds: [{ 'filter-operator': 'notnull' }] },
    ]);
    expect(p.where).toEqual({ sql: '(`empid` <> ?) AND (`dept` IS NOT NULL)', params: [50] });
    expect(p.matches({ empid: 1, dept: 'x' })).toBe(true);
    expect(p.matches({ empid: 50, dept: 'x' })).toBe(false);
    expect(p.matches({ empid: 1, dept: null })).toBe(false);
  });
  it('NULL fails every comparison, as in SQL', () => {
    const conds: Cond[] = [
      { 'filter-operator': 'eq', value: '1' }, { 'filter-operator': 'noteq', value: '1' },
      { 'filter-operator': 'lte', value: '1' }, { 'filter-operator': 'gte', value: '1' },
      { 'filter-operator': 'between', 'start-value': '1', 'end-value': '2' },
      { 'filter-operator': 'notbetween', 'start-value': '1', 'end-value': '2' },
    ];
    for (const c of conds) {
      expect(one(id, c).matches({ empid: null })).toBe(false);
      expect(one(id, c).matches({})).toBe(false);
    }
  });
  it('no filters: no WHERE, every row matches', () => {
    const m = parseTableMappings(doc(sel('test', 'employee')));
    const p = buildTablePlan(m, tableDef('test', 'employee', [id]));
    expect(p.where).toBeNull();
    expect(p.matches({ empid: null })).toBe(true);
  });
});

describe('filters: comparison semantics by column type', () => {
  it('numeric columns compare numerically, exactly for big integers and decimals', () => {
    const p = one(col('n', 'bigint'), { 'filter-operator': 'gte', value: '9007199254740993' });
    expect(p.where!.params).toEqual(['9007199254740993']);
    expect(p.matches({ n: '9007199254740993' })).toBe(true);
    expect(p.matches({ n: '9007199254740992' })).toBe(false);
    expect(p.matches({ n: 9007199254740991 })).toBe(false);
    const d = one(col('price', 'decimal'), { 'filter-operator': 'lte', value: '10.5' });
    expect(d.where!.params).toEqual(['10.5']);
    expect(keep(d, rows('price', '9.99', '10.50', '10.51', '-20.00', '100.00'))).toEqual(['9.99', '10.50', '-20.00']);
    const n = one(col('n', 'int'), { 'filter-operator': 'lte', value: '9' });
    expect(keep(n, rows('n', 10, 9, -100))).toEqual([9, -100]); // not '10' < '9' as strings
  });
  it('float columns compare as doubles', () => {
    const p = one(col('f', 'double'), { 'filter-operator': 'between', 'start-value': '0.5', 'end-value': '1.5' });
    expect(keep(p, rows('f', 0.49, 0.5, 1, 1.5, 1.51))).toEqual([0.5, 1, 1.5]);
  });
  it('string columns compare as strings, honouring _ci collations', () => {
    const ci = one(col('dept', 'varchar'), { 'filter-operator': 'eq', value: 'tech' });
    expect(keep(ci, rows('dept', 'tech', 'TECH', 'Téch', 'tech  ', 'techs'))).toEqual(['tech', 'TECH', 'Téch', 'tech  ']);
    const bin = one(col('dept', 'varchar', { collation: 'utf8mb4_bin' }), { 'filter-operator': 'eq', value: 'tech' });
    expect(keep(bin, rows('dept', 'tech', 'TECH', 'tech  '))).toEqual(['tech', 'tech  ']);
    const nopad = one(col('dept', 'varchar', { collation: 'utf8mb4_0900_as_cs' }), { 'filter-operator': 'eq', value: 'tech' });
    expect(keep(nopad, rows('dept', 'tech', 'TECH', 'tech  '))).toEqual(['tech']);
    const s = one(col('code', 'varchar', { collation: 'utf8mb4_bin' }), { 'filter-operator': 'lte', value: '9' });
    expect(s.where!.params).toEqual(['9']);
    expect(keep(s, rows('code', '10', '9', 'a'))).toEqual(['10', '9']);
  });
  it('date and datetime columns compare as temporal values', () => {
    const p = one(col('empstartdate', 'datetime'), { 'filter-operator': 'gte', value: '2002-01-01' });
    expect(p.where).toEqual({ sql: '(`empstartdate` >= ?)', params: ['2002-01-01'] });
    expect(keep(p, rows('empstartdate', '2001-12-31 23:59:59', '2002-01-01 00:00:00', '2002-01-01 10:00:00.5')))
      .toEqual(['2002-01-01 00:00:00', '2002-01-01 10:00:00.5']);
    const eq = one(col('d', 'datetime'), { 'filter-operator': 'eq', value: '2002-01-01' });
    expect(eq.matches({ d: '2002-01-01 00:00:00' })).toBe(true);
    expect(eq.matches({ d: '2002-01-01 00:00:00.000001' })).toBe(false);
    const date = one(col('d', 'date'), { 'filter-operator': 'between', 'start-value': '2020-01-01', 'end-value': '2020-12-31 00:00:00' });
    expect(keep(date, rows('d', '2019-12-31', '2020-01-01', '2020-12-31', '2021-01-01'))).toEqual(['2020-01-01', '2020-12-31']);
  });
  it('time columns compare by duration', () => {
    const p = one(col('t', 'time'), { 'filter-operator': 'lte', value: '10:00:00' });
    expect(keep(p, rows('t', '09:59:59', '10:00:00', '100:00:00', '-01:00:00'))).toEqual(['09:59:59', '10:00:00', '-01:00:00']);
  });
  it('binary and bit columns', () => {
    const b = one(col('b', 'varbinary'), { 'filter-operator': 'eq', value: 'ab' });
    expect(b.matches({ b: Buffer.from('ab') })).toBe(true);
    expect(b.matches({ b: Buffer.from('AB') })).toBe(false);
    const bit = one(col('flag', 'bit'), { 'filter-operator': 'eq', value: '1' });
    expect(bit.matches({ flag: Buffer.from([1]) })).toBe(true);
    expect(bit.matches({ flag: Buffer.from([0]) })).toBe(false);
  });
  it('the filter column name is matched case-sensitively first, then case-insensitively', () => {
    const p = plan([col('EmpId', 'int')], [{ column: 'empid', conds: [{ 'filter-operator': 'eq', value: '1' }] }]);
    expect(p.where!.sql).toBe('(`EmpId` = ?)');
    expect(p.matches({ EmpId: 1 })).toBe(true);
  });
});

describe('filters: several include rules and missing columns', () => {
  it('filter sets of different include rules selecting the same table are ORed', () => {
    const m = parseTableMappings(doc(
      sel('s', 't', 'include', { filters: [{ 'filter-type': 'source', 'column-name': 'a', 'filter-conditions': [{ 'filter-operator': 'eq', value: '1' }] }] }),
      sel('s', 't%', 'include', { filters: [
        { 'filter-type': 'source', 'column-name': 'a', 'filter-conditions': [{ 'filter-operator': 'eq', value: '2' }] },
        { 'filter-type': 'source', 'column-name': 'b', 'filter-conditions': [{ 'filter-operator': 'null' }] },
      ] }),
    ));
    const p = buildTablePlan(m, tableDef('s', 't', [col('a'), col('b')]));
    expect(p.where).toEqual({ sql: '((`a` = ?)) OR ((`a` = ?) AND (`b` IS NULL))', params: [1, 2] });
    expect(p.matches({ a: 1, b: 5 })).toBe(true);
    expect(p.matches({ a: 2, b: null })).toBe(true);
    expect(p.matches({ a: 2, b: 5 })).toBe(false);
  });
  it('an include rule without filters selects every row', () => {
    const m = parseTableMappings(doc(
      sel('s', 't', 'include', { filters: [{ 'filter-type': 'source', 'column-name': 'a', 'filter-conditions': [{ 'filter-operator': 'eq', value: '1' }] }] }),
      sel('s', '%'),
    ));
    const p = buildTablePlan(m, tableDef('s', 't', [col('a')]));
    expect(p.where).toBeNull();
    expect(p.matches({ a: 7 })).toBe(true);
  });
  it('a filter on a missing column fails a literally-named table, and is skipped for wildcard matches', () => {
    const f = { filters: [{ 'filter-type': 'source', 'column-name': 'nope', 'filter-conditions': [{ 'filter-operator': 'eq', value: '1' }] }] };
    const lit = parseTableMappings(doc({ ...sel('s', 't', 'include', f), 'rule-id': '42' }));
    expect(() => buildTablePlan(lit, tableDef('s', 't', [col('a')])))
      .toThrow('Error in mapping rules. Rule with ruleId = 42 failed validation. filter column nope does not exist in table s.t');
    const wild = parseTableMappings(doc(sel('s', '%', 'include', f)));
    const p = buildTablePlan(wild, tableDef('s', 't', [col('a')]));
    expect(p.where).toBeNull();
  });
});

describe('filters: injection attempts', () => {
  it('quotes hostile column names and passes values only as parameters', () => {
    const evil = col('x; DROP TABLE y', 'varchar');
    const tick = col('a`b', 'varchar');
    const p = plan([evil, tick], [
      { column: 'x; DROP TABLE y', conds: [{ 'filter-operator': 'eq', value: "'; DROP TABLE users; --" }] },
      { column: 'a`b', conds: [{ 'filter-operator': 'between', 'start-value': '` OR 1=1 --', 'end-value': '` OR 1=1 --' }] },
    ], 'a`b');
    expect(p.where).toEqual({
      sql: '(`x; DROP TABLE y` = ?) AND (`a``b` BETWEEN ? AND ?)',
      params: ["'; DROP TABLE users; --", '` OR 1=1 --', '` OR 1=1 --'],
    });
    expect(p.matches({ 'x; DROP TABLE y': "'; DROP TABLE users; --", 'a`b': '` OR 1=1 --' })).toBe(true);
  });
});
