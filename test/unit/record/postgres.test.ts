import { describe, expect, it } from 'vitest';
import type { ColumnDef } from '../../../core/model/table.js';
import { createPgValueRenderer, decimalAtScale, formatG, pgDmsColumnType, pgTimestampText } from '../../../core/record/postgres.js';
import { createValueRenderer, dmsColumnType, isLobColumn } from '../../../core/record/index.js';

function col(pgType: string, extra: Partial<ColumnDef> = {}): ColumnDef {
  return { name: 'c', dataType: 'text', columnType: pgType, unsigned: false, nullable: true, charMaxLength: null, numericPrecision: null, numericScale: null, datetimePrecision: null, collation: null, pgType, ...extra };
}

describe('PostgreSQL values (AWS renderings)', () => {
  it('real with 9 significant digits, double shortest, as in AWS output', () => {
    const r = createPgValueRenderer(col('float4'));
    expect(r('2.2')).toBe('2.20000005');
    expect(r('4.4')).toBe('4.4000001');
    expect(r('55')).toBe('55');
    expect(r('NaN')).toBe('null');
    expect(createPgValueRenderer(col('float8'))('20.2')).toBe('20.2');
    expect(formatG(1e-7, 9)).toBe('1.00000001e-07'.replace('1.00000001', '1'));
  });

  it('timestamps always end in Z, 6 fraction digits only when not zero', () => {
    expect(pgTimestampText('2010-11-01 00:02:00.1')).toBe('2010-11-01T00:02:00.100000Z');
    expect(pgTimestampText('2010-11-01 00:00:00')).toBe('2010-11-01T00:00:00Z');
    expect(pgTimestampText('2017-05-29 11:01:31.000401+00')).toBe('2017-05-29T11:01:31.000401Z');
    expect(pgTimestampText('infinity')).toBe('9999-12-31T23:59:59Z');
  });

  it('numeric at the column scale, unbounded as NUMERIC(28,6), wide as a string; money as NUMERIC(38,4)', () => {
    expect(decimalAtScale('0.611111104488373', 6)).toBe('0.611111');
    expect(decimalAtScale('-9.9999995', 6)).toBe('-10.000000');
    expect(decimalAtScale('-0.0000001', 6)).toBe('0.000000');
    expect(createPgValueRenderer(col('numeric', { numericPrecision: 10, numericScale: 2 }))('12.50')).toBe('12.50');
    expect(createPgValueRenderer(col('numeric', { numericPrecision: 40, numericScale: 0 }))('1')).toBe('"1"');
    expect(createPgValueRenderer(col('numeric'))('NaN')).toBe('"NaN"');
    expect(createPgValueRenderer(col('money'))('-$1,234.56')).toBe('-1234.5600');
  });

  it('bool: JSON booleans in a full load; the decoded text in a change unless MapBooleanAsBoolean', () => {
    for (const v of ['t', 'true']) {
      expect(createPgValueRenderer(col('bool'))(v)).toBe('true');
      expect(createPgValueRenderer(col('bool'), { change: true })(v)).toBe('"true"');
      expect(createPgValueRenderer(col('bool', { pgMapAs: 'boolean' }), { change: true })(v)).toBe('true');
    }
    expect(createPgValueRenderer(col('bool'), { change: true })('false')).toBe('"false"');
    expect(createPgValueRenderer(col('bool', { pgMapAs: 'boolean' }), { change: true })('f')).toBe('false');
    expect(pgDmsColumnType(col('bool', { pgMapAs: 'boolean' }))).toEqual({ type: 'BOOL' });
  });

  it('bool, bytea, bpchar, bigint over 16 digits', () => {
    expect(createPgValueRenderer(col('bool'))('t')).toBe('true');
    expect(createPgValueRenderer(col('bool'))('false')).toBe('false');
    expect(createPgValueRenderer(col('bytea'))(Buffer.from([0x80, 0x05]))).toBe('"0x8005"');
    expect(createPgValueRenderer(col('bytea'), { noHexPrefix: true })('\\x8005')).toBe('"8005"');
    expect(createPgValueRenderer(col('bpchar', { charMaxLength: 5 }))('B    ')).toBe('"B"');
    expect(createPgValueRenderer(col('int8'))('9223372036854775807')).toBe('9.22337203685478e+18');
    expect(createPgValueRenderer(col('int8'), { useLargeIntegerValue: true })('9223372036854775807')).toBe('9223372036854775807');
  });

  it('core/record dispatches on pgType and leaves MySQL columns alone', () => {
    expect(createValueRenderer(col('bool'))('t')).toBe('true');
    expect(dmsColumnType(col('int2'))).toEqual({ type: 'INT16' });
    expect(dmsColumnType({ ...col('x'), pgType: undefined, dataType: 'smallint' })).toEqual({ type: 'INT2' });
    expect(isLobColumn(col('jsonb'))).toBe(true);
    expect(isLobColumn(col('varchar'))).toBe(false);
    expect(pgDmsColumnType(col('jsonb', { pgMapAs: 'clob' }))).toEqual({ type: 'CLOB' });
    expect(pgDmsColumnType(col('text', { pgMapAs: 'nclob' }))).toEqual({ type: 'NCLOB' });
  });
});
