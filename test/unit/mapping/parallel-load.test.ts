import { describe, expect, it } from 'vitest';
import { InvalidParameterValueException } from '../../../core/model/errors.js';
import {
  buildTablePlan, parseTableMappings, partitionSegments, rangeSegmentWheres, rangeSegments,
} from '../../../core/mapping/index.js';
import { col, doc, sel, tableDef } from './helpers.js';

const ts = (parallelLoad: unknown, locator: object = { 'schema-name': 's', 'table-name': 't' }, id = '902') => ({
  'rule-type': 'table-settings', 'rule-id': id, 'rule-name': id, 'object-locator': locator, 'parallel-load': parallelLoad,
});

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidParameterValueException);
    return (e as Error).message;
  }
  throw new Error('expected a throw');
}

const parse = (...rules: object[]) => parseTableMappings(doc(sel('s', '%'), ...rules));
const V = (detail: string, id = 902) => `Error in mapping rules. Rule with ruleId = ${id} failed validation. ${detail}`;

describe('parallel-load: CreateReplicationTask checks', () => {
  it('accepts every documented type', () => {
    for (const pl of [
      { type: 'partitions-auto' }, { type: 'subpartitions-auto' }, { type: 'none' },
      { type: 'partitions-list', partitions: ['p0', 'p1'] },
      { type: 'partitions-list', subpartitions: ['s0'] },
      { type: 'ranges', columns: ['id', 'region'], boundaries: [['1000', 'NORTH'], [3000, 'WEST']] },
    ]) expect(parse(ts(pl)).tableSettings[0]!.parallelLoad).toMatchObject(pl);
  });
  it('rejects an unknown type or badly typed fields as AWS binds them', () => {
    expect(message(() => parse(ts({ type: 'fast' })))).toBe('Invalid table mappings document.');
    expect(message(() => parse(ts({ type: 'subpartitions-list', subpartitions: ['a'] })))).toBe('Invalid table mappings document.');
    expect(message(() => parse(ts({})))).toBe('Invalid table mappings document.');
    expect(message(() => parse(ts({ type: 'ranges', columns: 'id', boundaries: [['1']] })))).toBe('Invalid table mappings document.');
    expect(message(() => parse(ts({ type: 'ranges', columns: ['id'], boundaries: ['1'] })))).toBe('Invalid table mappings document.');
    expect(message(() => parse(ts({ type: 'ranges', columns: ['id'], boundaries: [[{ a: 1 }]] })))).toBe('Invalid table mappings document.');
  });
  it('rejects ranges without columns or boundaries, or with mismatched boundaries', () => {
    expect(message(() => parse(ts({ type: 'ranges', boundaries: [['1']] })))).toBe(V('parallel load columns cannot be null'));
    expect(message(() => parse(ts({ type: 'ranges', columns: [], boundaries: [['1']] })))).toBe(V('parallel load columns cannot be null'));
    expect(message(() => parse(ts({ type: 'ranges', columns: ['id'] })))).toBe(V('parallel load boundaries cannot be null'));
    expect(message(() => parse(ts({ type: 'ranges', columns: ['id', 'r'], boundaries: [['1', 'a'], ['2']] }))))
      .toBe(V('parallel load boundary 2 has 1 values but 2 columns are defined'));
    const eleven = Array.from({ length: 11 }, (_, i) => `c${i}`);
    expect(message(() => parse(ts({ type: 'ranges', columns: eleven, boundaries: [eleven.map(() => '1')] }))))
      .toBe(V('parallel load ranges support up to 10 columns'));
    expect(message(() => parse(ts({ type: 'ranges', columns: ['id', 'ID'], boundaries: [['1', '2']] }))))
      .toBe(V("parallel load column 'ID' is listed twice"));
  });
  it('rejects partitions-list without partitions', () => {
    expect(message(() => parse(ts({ type: 'partitions-list' })))).toBe(V('parallel load partitions cannot be null'));
    expect(message(() => parse(ts({ type: 'partitions-list', partitions: [] })))).toBe(V('parallel load partitions cannot be null'));
  });
  it('rejects % in a table-settings locator with the message of the AWS guide', () => {
    expect(message(() => parse(ts({ type: 'partitions-auto' }, { 'schema-name': 's', 'table-name': '%' }))))
      .toBe(V('Exact schema and table name required when using table settings rule.'));
    expect(message(() => parse(ts({ type: 'partitions-auto' }, { 'schema-name': '%', 'table-name': 't' }))))
      .toBe(V('Exact schema and table name required when using table settings rule.'));
  });
});

describe('parallel-load: task-start checks and segments', () => {
  const def = tableDef('s', 't', [col('id', 'int'), col('region', 'varchar'), col('price', 'double'), col('body', 'text')], ['id']);

  it('builds the WHERE clauses the AWS guide prints for ranges', () => {
    const w = rangeSegmentWheres(['COL1', 'COL2', 'COL3'], [[10, 30, 105], [20, 20, 120], [100, 12, 99]], (n) => n);
    expect(w.map((x) => x.sql)).toEqual([
      '((COL1 < ?) OR ((COL1 = ?) AND (COL2 < ?)) OR ((COL1 = ?) AND (COL2 = ?) AND (COL3 < ?)))',
      'NOT ((COL1 < ?) OR ((COL1 = ?) AND (COL2 < ?)) OR ((COL1 = ?) AND (COL2 = ?) AND (COL3 < ?))) AND ((COL1 < ?) OR ((COL1 = ?) AND (COL2 < ?)) OR ((COL1 = ?) AND (COL2 = ?) AND (COL3 < ?)))',
      'NOT ((COL1 < ?) OR ((COL1 = ?) AND (COL2 < ?)) OR ((COL1 = ?) AND (COL2 = ?) AND (COL3 < ?))) AND ((COL1 < ?) OR ((COL1 = ?) AND (COL2 < ?)) OR ((COL1 = ?) AND (COL2 = ?) AND (COL3 < ?)))',
      'NOT ((COL1 < ?) OR ((COL1 = ?) AND (COL2 < ?)) OR ((COL1 = ?) AND (COL2 = ?) AND (COL3 < ?)))',
    ]);
    expect(w[0]!.params).toEqual([10, 10, 30, 10, 30, 105]);
    expect(w[1]!.params).toEqual([10, 10, 30, 10, 30, 105, 20, 20, 20, 20, 20, 120]);
    expect(w[3]!.params).toEqual([100, 100, 12, 100, 12, 99]);
  });

  it('plans ranges against the table columns (quoted, actual case)', () => {
    const p = buildTablePlan(parse(ts({ type: 'ranges', columns: ['ID'], boundaries: [['20000'], ['40000']] })), def);
    const segs = rangeSegments(p.parallelLoad!)!;
    expect(segs.map((s) => s.kind === 'where' && s.where.sql)).toEqual([
      '((`id` < ?))', 'NOT ((`id` < ?)) AND ((`id` < ?))', 'NOT ((`id` < ?))',
    ]);
    expect(segs.map((s) => s.kind === 'where' && s.where.params)).toEqual([['20000'], ['20000', '40000'], ['40000']]);
  });

  it('segments partition a set of rows: each row in exactly one segment (NULLs dropped, as AWS documents)', () => {
    // Evaluate the generated SQL on rows with a tiny interpreter of the shapes it emits.
    const segs = rangeSegmentWheres(['a', 'b'], [[2, 5], [4, 0]], (n) => n);
    const evalSql = (sql: string, params: unknown[], row: Record<string, number | null>): boolean | null => {
      let i = 0;
      const js = sql.replace(/\((\w+) ([<=]) \?\)/g, (_m, c: string, op: string) => {
        const v = row[c];
        const p = params[i++] as number;
        return v === null ? 'null' : String(op === '<' ? v < p : v === p);
      });
      // three-valued logic: map to a JS expression over true/false/null
      const tv = js.replace(/NOT /g, '!').replace(/ AND /g, ' && ').replace(/ OR /g, ' || ');
      // eslint-disable-next-line no-new-func
      return Function(`"use strict"; const n = null; return (${tv.replace(/null/g, 'NaN')}) ? true : false;`)() as boolean;
    };
    const rows: Record<string, number | null>[] = [];
    for (let a = 0; a <= 6; a++) for (let b = -1; b <= 6; b++) rows.push({ a, b });
    for (const r of rows) {
      const hits = segs.filter((s) => evalSql(s.sql, s.params, r)).length;
      expect(hits, JSON.stringify(r)).toBe(1);
    }
  });

  it('rejects a range column the table lacks, or a FLOAT/DOUBLE/LOB column, at task start', () => {
    const m = parse(ts({ type: 'ranges', columns: ['nope'], boundaries: [['1']] }));
    expect(message(() => buildTablePlan(m, def))).toBe(V("parallel load column 'nope' does not exist in table 's'.'t'"));
    expect(message(() => buildTablePlan(parse(ts({ type: 'ranges', columns: ['price'], boundaries: [['1']] })), def)))
      .toBe(V("parallel load column 'price' of type double cannot define segment boundaries"));
    expect(message(() => buildTablePlan(parse(ts({ type: 'ranges', columns: ['body'], boundaries: [['1']] })), def)))
      .toBe(V("parallel load column 'body' of type text cannot define segment boundaries"));
  });

  it('the lowest rule-id with a parallel-load applies; none means one segment', () => {
    const m = parse(
      ts({ type: 'none' }, undefined, '903'),
      ts({ type: 'ranges', columns: ['id'], boundaries: [['5']] }, undefined, '904'),
    );
    expect(buildTablePlan(m, def).parallelLoad).toBeUndefined();
    const other = tableDef('s', 'tXt', [col('id', 'int')]);
    expect(buildTablePlan(parse(ts({ type: 'partitions-auto' }, { 'schema-name': 's', 'table-name': 't_t' })), other).parallelLoad)
      .toBeUndefined();
  });

  it('partition segments: auto, sub-auto, list; unknown names fail; no partitions = whole table', () => {
    const parts = [{ name: 'p0', subpartitions: ['p0sp0', 'p0sp1'] }, { name: 'p1', subpartitions: ['p1sp0', 'p1sp1'] }];
    const planOf = (pl: object) => buildTablePlan(parse(ts(pl)), def).parallelLoad!;
    const names = (s: ReturnType<typeof partitionSegments>) => s?.map((x) => (x.kind === 'partition' ? x.partition : '?')) ?? null;
    expect(names(partitionSegments(planOf({ type: 'partitions-auto' }), def, parts))).toEqual(['p0', 'p1']);
    expect(names(partitionSegments(planOf({ type: 'partitions-auto' }), def, []))).toBeNull();
    expect(names(partitionSegments(planOf({ type: 'subpartitions-auto' }), def, parts))).toEqual(['p0sp0', 'p0sp1', 'p1sp0', 'p1sp1']);
    expect(names(partitionSegments(planOf({ type: 'partitions-list', partitions: ['P1'], subpartitions: ['p0sp1', 'p1sp0'] }), def, parts)))
      .toEqual(['p1', 'p0sp1']);
    expect(message(() => partitionSegments(planOf({ type: 'partitions-list', partitions: ['p9'] }), def, parts)))
      .toBe(V("partition 'p9' does not exist in table 's'.'t'"));
  });
});
