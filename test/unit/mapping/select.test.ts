import { describe, expect, it } from 'vitest';
import {
  compileWildcard, explicitTables, hasWildcard, matchesSelection, NO_TABLES_FOUND_MESSAGE, parseTableMappings,
  selectTables, type CandidateTable,
} from '../../../core/mapping/index.js';
import { doc, sel } from './helpers.js';

describe('wildcards', () => {
  const m = (p: string, n: string) => compileWildcard(p)(n);

  it('% matches any run, including empty', () => {
    expect(m('%', '')).toBe(true);
    expect(m('%', 'anything')).toBe(true);
    expect(m('DMS%', 'DMS')).toBe(true);
    expect(m('DMS%', 'DMS_T1')).toBe(true);
    expect(m('DMS%', 'XDMS')).toBe(false);
    expect(m('%log%', 'audit_log_2024')).toBe(true);
    expect(m('a%%b', 'ab')).toBe(true);
  });

  it('_ matches exactly one character (a code point)', () => {
    expect(m('t_', 't1')).toBe(true);
    expect(m('t_', 't')).toBe(false);
    expect(m('t_', 't12')).toBe(false);
    expect(m('t_', 'té')).toBe(true);
    expect(m('t_', 't😀')).toBe(true);
    expect(m('order_items', 'orderXitems')).toBe(true);
  });

  it('[_] is a literal underscore', () => {
    expect(m('order[_]items', 'order_items')).toBe(true);
    expect(m('order[_]items', 'orderXitems')).toBe(false);
    expect(m('TEST[_]T%', 'TEST_T1')).toBe(true);
    expect(m('TEST[_]T%', 'TESTxT1')).toBe(false);
    expect(m('[%]x', '%x')).toBe(true);
    expect(m('[%]x', 'ax')).toBe(false);
  });

  it('supports [ab] sets and [a-d] ranges', () => {
    expect(m('t[ab]', 'ta')).toBe(true);
    expect(m('t[ab]', 'tc')).toBe(false);
    expect(m('t[a-d]', 'tc')).toBe(true);
    expect(m('t[a-d]', 'te')).toBe(false);
    expect(m('t[a-]', 't-')).toBe(true);
  });

  it('treats regex metacharacters and unclosed brackets literally', () => {
    expect(m('a.b', 'a.b')).toBe(true);
    expect(m('a.b_', 'axb1')).toBe(false);
    expect(m('a+(b)_', 'a+(b)1')).toBe(true);
    expect(m('x[y', 'x[y')).toBe(true);
    expect(m('x[]_', 'x[]1')).toBe(true);
    expect(m('$^\\|{}_', '$^\\|{}z')).toBe(true);
  });

  it('is case-sensitive', () => {
    expect(m('Test', 'test')).toBe(false);
    expect(m('T%', 'test')).toBe(false);
    expect(m('t%', 'test')).toBe(true);
  });

  it('hasWildcard', () => {
    expect(hasWildcard('plain')).toBe(false);
    expect(hasWildcard('a%')).toBe(true);
    expect(hasWildcard('a_b')).toBe(true);
    expect(hasWildcard('a[b]')).toBe(true);
    expect(hasWildcard('a[')).toBe(false);
  });
});

const T = (schema: string, table: string, tableType: 'table' | 'view' = 'table'): CandidateTable => ({ schema, table, tableType });

describe('selection', () => {
  it('include with wildcards; exclude wins regardless of rule order', () => {
    const m = parseTableMappings(doc(sel('Test', 'DMS%', 'exclude'), sel('Test', '%')));
    const got = selectTables(m, [T('Test', 'a'), T('Test', 'DMS_x'), T('Other', 'a'), T('Test', 'b')]);
    expect(got.map((s) => s.table)).toEqual(['a', 'b']);
    expect(matchesSelection(m, 'Test', 'DMSfoo')).toBe(false);
    expect(matchesSelection(m, 'Test', 'created_later')).toBe(true);
    expect(matchesSelection(m, 'test', 'created_later')).toBe(false);
  });

  it('explicit selects exactly one literal table; _ is not a wildcard there', () => {
    const m = parseTableMappings(doc(sel('NewCust', 'cust_1', 'explicit')));
    expect(matchesSelection(m, 'NewCust', 'cust_1')).toBe(true);
    expect(matchesSelection(m, 'NewCust', 'custX1')).toBe(false);
    expect(matchesSelection(m, 'newcust', 'cust_1')).toBe(false);
  });

  it('exclude also beats explicit', () => {
    const m = parseTableMappings(doc(sel('s', 't', 'explicit'), sel('s', '%', 'exclude')));
    expect(matchesSelection(m, 's', 't')).toBe(false);
  });

  it('table-type: table (default), view, all', () => {
    const tables = parseTableMappings(doc(sel('s', '%')));
    const views = parseTableMappings(doc(sel('s', 'v%', 'include', { 'object-locator': { 'schema-name': 's', 'table-name': 'v%', 'table-type': 'view' } })));
    const all = parseTableMappings(doc(sel('s', '%', 'include', { 'object-locator': { 'schema-name': 's', 'table-name': '%', 'table-type': 'all' } })));
    const cands = [T('s', 't1'), T('s', 'v1', 'view'), T('s', 'x', 'view')];
    expect(selectTables(tables, cands).map((s) => s.table)).toEqual(['t1']);
    expect(selectTables(views, cands).map((s) => s.table)).toEqual(['v1']);
    expect(selectTables(all, cands).map((s) => s.table)).toEqual(['t1', 'v1', 'x']);
    expect(matchesSelection(tables, 's', 'v1', 'view')).toBe(false);
    expect(matchesSelection(all, 's', 'v1', 'view')).toBe(true);
  });

  it('an exclude rule only excludes its table-type', () => {
    const m = parseTableMappings(doc(
      sel('s', '%', 'include', { 'object-locator': { 'schema-name': 's', 'table-name': '%', 'table-type': 'all' } }),
      sel('s', 'x%', 'exclude'),
    ));
    expect(selectTables(m, [T('s', 'x1'), T('s', 'x2', 'view')]).map((s) => s.table)).toEqual(['x2']);
  });

  it('load-order: higher first, ties by schema then table name', () => {
    const m = parseTableMappings(doc(
      sel('Test', 'loadsecond', 'include', { 'load-order': '1' }),
      sel('Test', 'loadfirst', 'include', { 'load-order': '2' }),
      sel('Test', '%'),
      sel('A', '%'),
    ));
    const got = selectTables(m, [T('Test', 'zzz'), T('Test', 'loadsecond'), T('Test', 'aaa'), T('Test', 'loadfirst'), T('A', 'zzz')]);
    expect(got.map((s) => `${s.schema}.${s.table}:${s.loadOrder}`)).toEqual([
      'Test.loadfirst:2', 'Test.loadsecond:1', 'A.zzz:0', 'Test.aaa:0', 'Test.zzz:0',
    ]);
    expect(got[0]!.ruleIds.length).toBe(2);
  });

  it('explicitTables lists literal names only, minus excluded ones', () => {
    const m = parseTableMappings(doc(
      sel('s', 'exact'),
      sel('s', 'order_items'),
      sel('s', 'order[_]lines'),
      sel('s', 'one_', 'explicit'),
      sel('s', 'gone', 'explicit'),
      sel('s', 'gone', 'exclude'),
      sel('s', 'p%'),
    ));
    expect(explicitTables(m).map((t) => t.table)).toEqual(['exact', 'one_']);
  });

  it('exports the AWS message for a task that selects no table', () => {
    expect(NO_TABLES_FOUND_MESSAGE).toContain('No tables were found at task initialization.');
  });
});
