import { describe, expect, it } from 'vitest';
import type { ColumnDef } from '../../../core/model/table.js';
import {
  canonicalFloat32, canonicalInteger, normalizeBinlogRow, normalizeBinlogValue, parseEnumValues, setLabelsFromMask,
} from '../../../core/source/mysql/values.js';
import { columnDefFromRow } from '../../../core/source/mysql/metadata.js';
import { buildSnapshotQuery } from '../../../core/source/mysql/snapshot.js';
import { binlogFileNumber, parseBinlogPosition } from '../../../core/source/mysql/binlog.js';
import { quoteId, quoteTable } from '../../../core/source/mysql/connection.js';

function col(dataType: string, extra: Partial<ColumnDef> = {}): ColumnDef {
  return {
    name: 'c', dataType, columnType: dataType, unsigned: false, nullable: true, charMaxLength: null,
    numericPrecision: null, numericScale: null, datetimePrecision: null, collation: null, ...extra,
  };
}

describe('parseEnumValues', () => {
  it('parses quoted labels with commas, doubled quotes and backslash escapes', () => {
    expect(parseEnumValues("enum('a','b,c','it''s','a\\\\b','','tab\tx')")).toEqual(['a', 'b,c', "it's", 'a\\b', '', 'tab\tx']);
    expect(parseEnumValues("set('x','y z')")).toEqual(['x', 'y z']);
    expect(parseEnumValues("ENUM('A')")).toEqual(['A']);
    expect(parseEnumValues("enum('\\n','\\'')")).toEqual(['\n', "'"]);
    expect(parseEnumValues('int(11)')).toEqual([]);
  });
});

describe('canonical numbers', () => {
  it('float32 -> shortest round-tripping decimal', () => {
    expect(canonicalFloat32(Math.fround(3.14))).toBe(3.14);
    expect(canonicalFloat32(1.2345677614212036)).toBe(1.2345678);
    expect(canonicalFloat32(0)).toBe(0);
    expect(canonicalFloat32(-1.5)).toBe(-1.5);
    expect(canonicalFloat32(Math.fround(3.4028234663852886e38))).toBe(3.4028235e38);
    expect(canonicalFloat32(Math.fround(1e-45))).toBe(1e-45);
  });
  it('integers: number when safe, exact string otherwise', () => {
    expect(canonicalInteger(5)).toBe(5);
    expect(canonicalInteger('9007199254740991')).toBe(9007199254740991);
    expect(canonicalInteger('9007199254740992')).toBe('9007199254740992');
    expect(canonicalInteger('18446744073709551615')).toBe('18446744073709551615');
    expect(canonicalInteger(-9223372036854775808n)).toBe('-9223372036854775808');
    expect(canonicalInteger(12n)).toBe(12);
  });
  it('SET masks', () => {
    expect(setLabelsFromMask(5, ['x', 'y', 'z'])).toBe('x,z');
    expect(setLabelsFromMask(0, ['x'])).toBe('');
    expect(setLabelsFromMask(2n ** 63n, Array.from({ length: 64 }, (_, i) => `v${i}`))).toBe('v63');
  });
});

describe('normalizeBinlogValue', () => {
  it('maps zongji shapes to canonical values', () => {
    const e = col('enum', { enumValues: ['a', 'b,c'] });
    expect(normalizeBinlogValue(e, 2)).toBe('b,c');
    expect(normalizeBinlogValue(e, 0)).toBe('');
    expect(normalizeBinlogValue(e, undefined)).toBe('');
    expect(normalizeBinlogValue(e, null)).toBe(null);
    expect(normalizeBinlogValue(e, 'a')).toBe('a');
    const s = col('set', { enumValues: ['x', 'y', 'z'] });
    expect(normalizeBinlogValue(s, 6)).toBe('y,z');
    expect(normalizeBinlogValue(s, 'x,z')).toBe('x,z');
    expect(normalizeBinlogValue(col('year'), 1900)).toBe(0);
    expect(normalizeBinlogValue(col('year'), 2155)).toBe(2155);
    expect(normalizeBinlogValue(col('float'), 3.140000104904175)).toBe(3.14);
    expect(normalizeBinlogValue(col('double'), 0.1)).toBe(0.1);
    expect(normalizeBinlogValue(col('decimal'), '-12.50')).toBe('-12.50');
    expect(normalizeBinlogValue(col('bigint', { unsigned: true }), '18446744073709551615')).toBe('18446744073709551615');
    expect(normalizeBinlogValue(col('bigint'), 42)).toBe(42);
    expect(normalizeBinlogValue(col('json'), '{"a": 1}')).toBe('{"a": 1}');
    expect(normalizeBinlogValue(col('json'), { a: 1 })).toBe('{"a":1}');
    expect(normalizeBinlogValue(col('time'), '-838:59:59')).toBe('-838:59:59');
    expect(normalizeBinlogValue(col('timestamp'), new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 100)))).toBe('2024-01-02 03:04:05.100');
    const packet = Buffer.from([9, 9, 1, 2, 9]);
    const b = normalizeBinlogValue(col('blob'), packet.subarray(2, 4)) as Buffer;
    expect(b).toEqual(Buffer.from([1, 2]));
    packet[2] = 77; // detached from the packet
    expect(b).toEqual(Buffer.from([1, 2]));
    expect(normalizeBinlogValue(col('bit', { numericPrecision: 1 }), Buffer.from([1]))).toEqual(Buffer.from([1]));
    expect(normalizeBinlogValue(col('bit', { numericPrecision: 10 }), 513)).toEqual(Buffer.from([2, 1]));
    expect(normalizeBinlogValue(undefined, 'x')).toBe('x');
    expect(normalizeBinlogValue(undefined, 7n)).toBe(7);
  });
  it('normalizes rows by column name', () => {
    const cols = new Map([['f', { ...col('float'), name: 'f' }], ['y', { ...col('year'), name: 'y' }]]);
    expect(normalizeBinlogRow(cols, { f: 1.2345677614212036, y: 1900, other: 'z' })).toEqual({ f: 1.2345678, y: 0, other: 'z' });
  });
});

describe('metadata and SQL building', () => {
  it('columnDefFromRow', () => {
    const d = columnDefFromRow({
      name: 'e', dataType: 'ENUM', columnType: "enum('a','it''s')", nullable: 'YES', charMax: 4, numPrec: null,
      numScale: null, dtPrec: null, collation: 'utf8mb4_general_ci',
    });
    expect(d).toEqual({
      name: 'e', dataType: 'enum', columnType: "enum('a','it''s')", unsigned: false, nullable: true, charMaxLength: 4,
      numericPrecision: null, numericScale: null, datetimePrecision: null, collation: 'utf8mb4_general_ci', enumValues: ['a', "it's"],
    });
    const u = columnDefFromRow({
      name: 'u', dataType: 'bigint', columnType: 'bigint(20) unsigned', nullable: 'NO', charMax: null, numPrec: '20',
      numScale: 0, dtPrec: null, collation: null,
    });
    expect(u.unsigned).toBe(true);
    expect(u.nullable).toBe(false);
    expect(u.numericPrecision).toBe(20);
  });
  it('quotes identifiers with doubled backticks', () => {
    expect(quoteId('a`b')).toBe('`a``b`');
    expect(quoteTable('s`', 't')).toBe('`s```.`t`');
    const q = buildSnapshotQuery({
      schema: 'my`db', table: 'x; DROP TABLE y', primaryKey: [], collation: null,
      columns: [{ ...col('int'), name: 'we`ird' }, { ...col('float'), name: 'f' }],
    }, { sql: '`we``ird` <= ?', params: [10] });
    expect(q.sql).toBe('SELECT `we``ird`, (`f` + 0e0) AS `f` FROM `my``db`.`x; DROP TABLE y` WHERE `we``ird` <= ?');
    expect(q.params).toEqual([10]);
  });
  it('binlog position text', () => {
    expect(parseBinlogPosition('mysql-bin-changelog.000024:373')).toEqual({ file: 'mysql-bin-changelog.000024', position: 373 });
    expect(parseBinlogPosition('2018-03-08T12:12:12')).toBeNull();
    expect(binlogFileNumber('mysql-bin-changelog.002171')).toBe(2171);
  });
});
