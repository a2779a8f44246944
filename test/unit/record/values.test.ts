import { describe, expect, it } from 'vitest';
import {
  createKeyTextRenderer,
  createValueRenderer,
  float32Text,
  formatG15,
  renderValue,
} from '../../../core/record/values.js';
import { col } from './helpers.js';

const r = (columnType: string, v: Parameters<typeof renderValue>[1], opts = {}) => renderValue(col('c', columnType), v, opts);

describe('integers', () => {
  it('renders signed and unsigned extremes as exact JSON numbers', () => {
    expect(r('tinyint', -128)).toBe('-128');
    expect(r('tinyint unsigned', 255)).toBe('255');
    expect(r('smallint', -32768)).toBe('-32768');
    expect(r('smallint unsigned', 65535)).toBe('65535');
    expect(r('mediumint', -8388608)).toBe('-8388608');
    expect(r('mediumint unsigned', 16777215)).toBe('16777215');
    expect(r('int', -2147483648)).toBe('-2147483648');
    expect(r('int unsigned', 4294967295)).toBe('4294967295');
    expect(r('int', 0)).toBe('0');
  });

  it('BIGINT up to 16 digits is exact, beyond is %.15g scientific notation', () => {
    expect(r('bigint', 9007199254740991)).toBe('9007199254740991');
    expect(r('bigint', '9999999999999999')).toBe('9999999999999999');
    expect(r('bigint', '-9999999999999999')).toBe('-9999999999999999');
    expect(r('bigint', '12345678901234567')).toBe('1.23456789012346e+16');
    expect(r('bigint', '9223372036854775807')).toBe('9.22337203685478e+18');
    expect(r('bigint', '-9223372036854775808')).toBe('-9.22337203685478e+18');
    expect(r('bigint unsigned', '18446744073709551615')).toBe('1.84467440737096e+19');
    expect(r('bigint unsigned', '10000000000000000000')).toBe('1e+19');
  });

  it('UseLargeIntegerValue keeps every digit', () => {
    const o = { useLargeIntegerValue: true };
    expect(r('bigint', '9223372036854775807', o)).toBe('9223372036854775807');
    expect(r('bigint', '-9223372036854775808', o)).toBe('-9223372036854775808');
    expect(r('bigint unsigned', '18446744073709551615', o)).toBe('18446744073709551615');
  });

  it('YEAR is a number', () => {
    expect(r('year', 2155)).toBe('2155');
    expect(r('year', 0)).toBe('0');
  });

  it('formatG15 mimics printf %.15g', () => {
    expect(formatG15(1e19)).toBe('1e+19');
    expect(formatG15(1.5e17)).toBe('1.5e+17');
    expect(formatG15(-1234567890123456789)).toBe('-1.23456789012346e+18');
  });
});

describe('DECIMAL, FLOAT, DOUBLE', () => {
  it('DECIMAL keeps the exact digits as a number literal', () => {
    expect(r('decimal(65,30)', '99999999999999999999999999999999999.999999999999999999999999999999'))
      .toBe('99999999999999999999999999999999999.999999999999999999999999999999');
    expect(r('decimal(65,30)', '-99999999999999999999999999999999999.999999999999999999999999999999'))
      .toBe('-99999999999999999999999999999999999.999999999999999999999999999999');
    expect(r('decimal(65,30)', '0.000000000000000000000000000001')).toBe('0.000000000000000000000000000001');
    expect(r('decimal(10,2)', '-12.50')).toBe('-12.50');
    expect(r('decimal(10,0)', '42')).toBe('42');
  });

  it('DOUBLE is the shortest round-trip text', () => {
    expect(r('double', 0.1)).toBe('0.1');
    expect(r('double', 1.7976931348623157e308)).toBe('1.7976931348623157e+308');
    expect(r('double', -5e-324)).toBe('-5e-324');
    expect(r('double', 1e21)).toBe('1e+21');
    expect(r('double', -0)).toBe('0');
    expect(r('double', NaN)).toBe('null');
  });

  it('FLOAT is the shortest text that round-trips through float32', () => {
    expect(r('float', Math.fround(1.1))).toBe('1.1');
    expect(r('float', 1.1)).toBe('1.1');
    expect(r('float', Math.fround(3.4028234663852886e38))).toBe('3.4028235e+38');
    expect(r('float', -0.5)).toBe('-0.5');
    expect(float32Text(Math.fround(16777217))).toBe('16777216');
  });
});

describe('BIT and binary', () => {
  it('BIT(1) is a boolean', () => {
    expect(r('bit(1)', Buffer.from([1]))).toBe('true');
    expect(r('bit(1)', Buffer.from([0]))).toBe('false');
    expect(r('bit(1)', 1)).toBe('true');
  });

  it('wider BIT is hex bytes', () => {
    expect(r('bit(64)', Buffer.from('ffffffffffffffff', 'hex'))).toBe('"0xFFFFFFFFFFFFFFFF"');
    expect(r('bit(10)', Buffer.from([0x02, 0x01]))).toBe('"0x0201"');
    expect(r('bit(10)', 513)).toBe('"0x0201"');
  });

  it('binary types are upper-case hex with 0x unless NoHexPrefix', () => {
    expect(r('varbinary(8)', Buffer.from([0xde, 0xad, 0xbe, 0xef]))).toBe('"0xDEADBEEF"');
    expect(r('varbinary(8)', Buffer.from([0xde, 0xad, 0xbe, 0xef]), { noHexPrefix: true })).toBe('"DEADBEEF"');
    expect(r('blob', Buffer.alloc(0))).toBe('"0x"');
    expect(r('longblob', Buffer.from([0, 1, 2]))).toBe('"0x000102"');
  });

  it('BINARY(n) is padded to n bytes', () => {
    expect(r('binary(4)', Buffer.from([0x01, 0xab]))).toBe('"0x01AB0000"');
    expect(r('binary(2)', Buffer.from([0x01, 0xab]))).toBe('"0x01AB"');
  });
});

describe('temporal', () => {
  it('DATE is YYYY-MM-DD', () => {
    expect(r('date', '2024-02-29')).toBe('"2024-02-29"');
  });

  it('DATETIME/TIMESTAMP get T and Z, fraction = column precision', () => {
    expect(r('datetime', '2024-01-02 03:04:05')).toBe('"2024-01-02T03:04:05Z"');
    expect(r('datetime(6)', '2024-01-02 03:04:05.678901')).toBe('"2024-01-02T03:04:05.678901Z"');
    expect(r('timestamp(6)', '2038-01-19 03:14:07.999999')).toBe('"2038-01-19T03:14:07.999999Z"');
    expect(r('datetime(3)', '2024-01-02 03:04:05.5')).toBe('"2024-01-02T03:04:05.500Z"');
    expect(r('datetime(6)', '2024-01-02 03:04:05')).toBe('"2024-01-02T03:04:05.000000Z"');
    expect(r('datetime', '2024-01-02 03:04:05.000000')).toBe('"2024-01-02T03:04:05Z"');
    expect(r('datetime', '0000-00-00 00:00:00')).toBe('"0000-00-00T00:00:00Z"');
  });

  it('TIME is a string, negative and 3-digit hours kept', () => {
    expect(r('time', '-838:59:59')).toBe('"-838:59:59"');
    expect(r('time', '838:59:59')).toBe('"838:59:59"');
    expect(r('time(3)', '12:34:56.5')).toBe('"12:34:56.500"');
    expect(r('time(6)', '-00:00:00.000001')).toBe('"-00:00:00.000001"');
  });
});

describe('strings', () => {
  it('escapes like cJSON and keeps UTF-8 (emoji) raw', () => {
    expect(r('varchar(255)', 'héllo 😀 "q" \\ /\n\t\r\b\f\u0001\u007f')).toBe('"héllo 😀 \\"q\\" \\\\ /\\n\\t\\r\\b\\f\\u0001\u007f"');
    expect(r('text', '')).toBe('""');
    expect(r('char(10)', 'abc')).toBe('"abc"');
  });

  it('JSON is a string holding its text', () => {
    expect(r('json', '{"a": [1, 2]}')).toBe('"{\\"a\\": [1, 2]}"');
  });

  it('ENUM/SET are labels; numeric input mapped through enumValues', () => {
    expect(r("enum('small','medium','large')", 'medium')).toBe('"medium"');
    expect(r("enum('small','medium','large')", 3)).toBe('"large"');
    expect(r("enum('small','medium','large')", 0)).toBe('""');
    expect(r("set('a','b','c')", 'a,c')).toBe('"a,c"');
    expect(r("set('a','b','c')", 5)).toBe('"a,c"');
  });

  it('NULL renders as null', () => {
    expect(r('varchar(3)', null)).toBe('null');
  });
});

describe('partition key text', () => {
  it('is the unquoted rendering with exact integers', () => {
    expect(createKeyTextRenderer(col('c', 'bigint'))('9223372036854775807')).toBe('9223372036854775807');
    expect(createKeyTextRenderer(col('c', 'int'))(42)).toBe('42');
    expect(createKeyTextRenderer(col('c', 'varchar(10)'))('a"b')).toBe('a"b');
    expect(createKeyTextRenderer(col('c', 'datetime'))('2024-01-02 03:04:05')).toBe('2024-01-02T03:04:05Z');
    expect(createKeyTextRenderer(col('c', 'varbinary(4)'))(Buffer.from([1, 2]))).toBe('0x0102');
    expect(createKeyTextRenderer(col('c', 'varbinary(4)'), { noHexPrefix: true })(Buffer.from([1, 2]))).toBe('0102');
    expect(createKeyTextRenderer(col('c', 'decimal(5,2)'))('1.50')).toBe('1.50');
  });

  it('renderers are reusable and independent of options objects', () => {
    const f = createValueRenderer(col('c', 'bigint'), { useLargeIntegerValue: false });
    expect(f('12345678901234567')).toBe('1.23456789012346e+16');
  });
});
