import { describe, expect, it } from 'vitest';
import { compileExpression, ExpressionError } from '../../../core/mapping/index.js';
import type { EvalContext } from '../../../core/mapping/index.js';
import type { SourceRow } from '../../../core/model/table.js';
import { col } from './helpers.js';

const scope = {
  schema: 'Test',
  table: 'ITEM',
  columns: [col('FIRST_NAME', 'varchar'), col('LAST_NAME', 'varchar'), col('qty', 'int'), col('price', 'decimal'),
    col('ratio', 'double'), col('note', 'varchar'), col('Mixed', 'int')],
};
const row: SourceRow = { FIRST_NAME: 'Randy', LAST_NAME: 'Marsh', qty: 7, price: '12.50', ratio: 2, note: null, Mixed: 3 };
const ev = (src: string, r: SourceRow = row, ctx?: EvalContext) => compileExpression(src, scope).evaluate(r, ctx);

describe('expressions (SQLite subset)', () => {
  it('concatenates columns and literals', () => {
    expect(ev("$FIRST_NAME||'_'||$LAST_NAME")).toBe('Randy_Marsh');
    expect(ev("'it''s ' || $FIRST_NAME")).toBe("it's Randy");
    expect(ev("$qty || 'x'")).toBe('7x');
    expect(ev("$ratio || ''")).toBe('2.0');
    expect(ev("$price || ''")).toBe('12.50');
  });
  it('propagates NULL through || and arithmetic', () => {
    expect(ev("$note || 'x'")).toBeNull();
    expect(ev('$note + 1')).toBeNull();
    expect(ev("coalesce($note, 'none')")).toBe('none');
    expect(ev("ifnull($note, $FIRST_NAME)")).toBe('Randy');
  });
  it('does arithmetic with SQLite integer/real rules and precedence', () => {
    expect(ev('$qty + 1')).toBe(8);
    expect(ev('$qty * 2 + 1')).toBe(15);
    expect(ev('$qty * (2 + 1)')).toBe(21);
    expect(ev('$qty / 2')).toBe(3);
    expect(ev('$qty / 2.0')).toBe(3.5);
    expect(ev('$qty % 4')).toBe(3);
    expect(ev('$qty / 0')).toBeNull();
    expect(ev('$price * 2')).toBe(25);
    expect(ev("'3abc' + 1")).toBe(4);
    expect(ev("'abc' + 1")).toBe(1);
    expect(ev('-$qty - -1')).toBe(-6);
    expect(ev("1 + 2 || 'x'")).toBe(3);
  });
  it('applies || before * and +, as SQLite does', () => {
    expect(ev("1 + 2 || 3")).toBe(24);
  });
  it('supports string functions', () => {
    expect(ev('upper($FIRST_NAME)')).toBe('RANDY');
    expect(ev('lower($LAST_NAME)')).toBe('marsh');
    expect(ev('length($FIRST_NAME)')).toBe(5);
    expect(ev('substr($FIRST_NAME, 2, 3)')).toBe('and');
    expect(ev('substr($FIRST_NAME, 2)')).toBe('andy');
    expect(ev('substr($FIRST_NAME, -3)')).toBe('ndy');
    expect(ev('substr($FIRST_NAME, 0, 2)')).toBe('R');
    expect(ev("trim('  a  ')")).toBe('a');
    expect(ev("ltrim('xxaxx', 'x')")).toBe('axx');
    expect(ev("rtrim('xxaxx', 'x')")).toBe('xxa');
    expect(ev("replace($LAST_NAME, 'a', '4')")).toBe('M4rsh');
    expect(ev("instr($LAST_NAME, 'rs')")).toBe(3);
    expect(ev('hex($FIRST_NAME)')).toBe('52616E6479');
  });
  it('supports comparisons, CASE, CAST and logic', () => {
    expect(ev("CASE WHEN $qty > 5 THEN 'big' ELSE 'small' END")).toBe('big');
    expect(ev("CASE $qty WHEN 1 THEN 'one' WHEN 7 THEN 'seven' END")).toBe('seven');
    expect(ev("CASE WHEN $qty > 50 THEN 'big' END")).toBeNull();
    expect(ev('$qty = 7 AND $note IS NULL')).toBe(1);
    expect(ev('$qty <> 7 OR $note IS NOT NULL')).toBe(0);
    expect(ev('$qty BETWEEN 1 AND 10')).toBe(1);
    expect(ev('$qty IN (1, 2, 3)')).toBe(0);
    expect(ev("$LAST_NAME LIKE 'ma%'")).toBe(1);
    expect(ev("CAST($price AS INTEGER)")).toBe(12);
    expect(ev("CAST($qty AS TEXT) || '!'")).toBe('7!');
    expect(ev("iif($qty > 1, 'y', 'n')")).toBe('y');
    expect(ev("round(2.567, 2)")).toBe(2.57);
    expect(ev('abs(-$qty)')).toBe(7);
  });
  it('resolves column references case-insensitively as a fallback, and ${...}', () => {
    expect(ev('$mixed + 0')).toBe(3);
    expect(ev('${FIRST_NAME} || ${Mixed}')).toBe('Randy3');
  });
  it('header and metadata columns, operation_indicator', () => {
    expect(ev('$AR_M_SOURCE_SCHEMA || \'.\' || $AR_M_SOURCE_TABLE_NAME')).toBe('Test.ITEM');
    expect(ev('$AR_H_OPERATION', row, { operation: 'update' })).toBe('UPDATE');
    expect(ev('$AR_H_STREAM_POSITION', row, { headers: { AR_H_STREAM_POSITION: 'pos1' } })).toBe('pos1');
    expect(ev("operation_indicator('D', 'U', 'I')", row, { operation: 'delete' })).toBe('D');
    expect(ev("operation_indicator('D', 'U', 'I')", row, { operation: 'insert' })).toBe('I');
    expect(ev("operation_indicator('D', 'U', 'I')", row, { operation: 'load' })).toBeNull();
  });
  it('date functions use the supplied clock (UTC)', () => {
    const ctx: EvalContext = { now: () => Date.UTC(2024, 1, 29, 13, 4, 5) };
    expect(ev("datetime('now')", row, ctx)).toBe('2024-02-29 13:04:05');
    expect(ev("date('now')", row, ctx)).toBe('2024-02-29');
    expect(ev("strftime('%Y%m%d', 'now')", row, ctx)).toBe('20240229');
  });
  it('hash_sha256', () => {
    expect(ev("hash_sha256('abc')")).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it('reports errors at compile time', () => {
    expect(() => compileExpression('$nope || 1', scope)).toThrow(ExpressionError);
    expect(() => compileExpression('$nope || 1', scope)).toThrow('column nope does not exist in source table Test.ITEM');
    expect(() => compileExpression('upper($qty', scope)).toThrow('expected )');
    expect(() => compileExpression('upper()', scope)).toThrow('wrong number of arguments to function upper()');
    expect(() => compileExpression('FIRST_NAME', scope)).toThrow('unknown identifier FIRST_NAME');
    expect(() => compileExpression('1 +', scope)).toThrow('unexpected end of expression');
    expect(compileExpression("$FIRST_NAME||'_'||$LAST_NAME", scope).columns).toEqual(['FIRST_NAME', 'LAST_NAME']);
  });
});
