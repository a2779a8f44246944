import { describe, expect, it } from 'vitest';
import {
  AWSDMS_APPLY_EXCEPTIONS,
  dmsColumnDef,
  dmsColumnType,
  dmsTableColumns,
  isLobColumn,
} from '../../../core/record/dms-types.js';
import { col } from './helpers.js';

const t = (columnType: string, extra = {}) => dmsColumnType(col('c', columnType, extra));

describe('dmsColumnType', () => {
  it('maps integers, signed and unsigned', () => {
    expect(t('tinyint')).toEqual({ type: 'INT1' });
    expect(t('tinyint unsigned')).toEqual({ type: 'UINT1' });
    expect(t('smallint')).toEqual({ type: 'INT2' });
    expect(t('smallint unsigned')).toEqual({ type: 'UINT2' });
    expect(t('mediumint')).toEqual({ type: 'INT4' });
    expect(t('mediumint unsigned')).toEqual({ type: 'UINT4' });
    expect(t('int')).toEqual({ type: 'INT4' });
    expect(t('int unsigned')).toEqual({ type: 'UINT4' });
    expect(t('bigint')).toEqual({ type: 'INT8' });
    expect(t('bigint unsigned')).toEqual({ type: 'UINT8' });
    expect(t('year')).toEqual({ type: 'INT2' });
  });

  it('maps numeric, float and temporal types', () => {
    expect(t('decimal(65,30)')).toEqual({ type: 'NUMERIC', precision: 65, scale: 30 });
    expect(t('decimal(10,2)')).toEqual({ type: 'NUMERIC', precision: 10, scale: 2 });
    expect(t('float')).toEqual({ type: 'REAL8' });
    expect(t('double')).toEqual({ type: 'REAL8' });
    expect(t('date')).toEqual({ type: 'DATE' });
    expect(t('datetime(6)')).toEqual({ type: 'DATETIME' });
    expect(t('timestamp')).toEqual({ type: 'DATETIME' });
    expect(t('time')).toEqual({ type: 'STRING' });
  });

  it('maps bit, binary and LOB types', () => {
    expect(t('bit(1)')).toEqual({ type: 'BOOLEAN' });
    expect(t('bit(64)')).toEqual({ type: 'BYTES', length: 8 });
    expect(t('bit(9)')).toEqual({ type: 'BYTES', length: 2 });
    expect(t('binary(16)')).toEqual({ type: 'BYTES', length: 16 });
    expect(t('varbinary(4000)')).toEqual({ type: 'BYTES', length: 4000 });
    expect(t('tinyblob')).toEqual({ type: 'BYTES', length: 255 });
    expect(t('blob')).toEqual({ type: 'BYTES', length: 65535 });
    expect(t('mediumblob')).toEqual({ type: 'BLOB' });
    expect(t('longblob')).toEqual({ type: 'BLOB' });
    expect(t('json')).toEqual({ type: 'CLOB' });
  });

  it('maps character types', () => {
    expect(t('varchar(255)')).toEqual({ type: 'WSTRING', length: 255 });
    expect(t('char(1)')).toEqual({ type: 'WSTRING', length: 1 });
    expect(t('tinytext')).toEqual({ type: 'WSTRING', length: 255 });
    expect(t('text')).toEqual({ type: 'WSTRING', length: 65535 });
    expect(t('mediumtext')).toEqual({ type: 'NCLOB' });
    expect(t('longtext')).toEqual({ type: 'NCLOB' });
    expect(t("enum('small','medium','large')")).toEqual({ type: 'WSTRING', length: 6 });
    expect(t("set('a','b','c')")).toEqual({ type: 'WSTRING', length: 5 });
    expect(t('geometry')).toEqual({ type: 'BLOB' });
  });

  it('column defs list type, length, nullable in AWS order', () => {
    expect(JSON.stringify(dmsColumnDef(col('fname', 'varchar(255)')))).toBe('{"type":"WSTRING","length":255,"nullable":true}');
    expect(JSON.stringify(dmsColumnDef(col('d', 'decimal(5,2)', { nullable: false })))).toBe('{"type":"NUMERIC","precision":5,"scale":2,"nullable":false}');
  });
});

describe('LOBs and awsdms_apply_exceptions', () => {
  it('classifies LOB columns', () => {
    for (const ct of ['text', 'tinytext', 'mediumtext', 'longtext', 'blob', 'tinyblob', 'mediumblob', 'longblob', 'json']) {
      expect(isLobColumn(col('c', ct))).toBe(true);
    }
    for (const ct of ['varchar(10)', 'char(2)', 'varbinary(4)', 'binary(2)', 'int', 'datetime', "enum('a')"]) {
      expect(isLobColumn(col('c', ct))).toBe(false);
    }
  });

  it('awsdms_apply_exceptions has the real AWS columns', () => {
    expect(AWSDMS_APPLY_EXCEPTIONS.schema).toBe('');
    expect(AWSDMS_APPLY_EXCEPTIONS.table).toBe('awsdms_apply_exceptions');
    expect(AWSDMS_APPLY_EXCEPTIONS.columns.map((c) => c.name)).toEqual(['TASK_NAME', 'TABLE_OWNER', 'TABLE_NAME', 'ERROR_TIME', 'STATEMENT', 'ERROR']);
    expect(JSON.stringify(dmsTableColumns(AWSDMS_APPLY_EXCEPTIONS))).toBe(
      '[["TASK_NAME",{"type":"STRING","length":128,"nullable":false}],' +
        '["TABLE_OWNER",{"type":"STRING","length":128,"nullable":false}],' +
        '["TABLE_NAME",{"type":"STRING","length":128,"nullable":false}],' +
        '["ERROR_TIME",{"type":"TIMESTAMP","nullable":false}],' +
        '["STATEMENT",{"type":"STRING","nullable":false}],' +
        '["ERROR",{"type":"STRING","nullable":false}]]',
    );
  });
});
