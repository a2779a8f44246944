// Snapshot and binlog readers give exactly the same canonical values for every column type.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { MySqlSource } from '../../../core/source/mysql/source.js';
import type { SourceRow, TableDef } from '../../../core/model/table.js';
import { dmsConfig, EventLog } from './helpers.js';

const DDL = `CREATE TABLE typ.all_types (
  id int NOT NULL PRIMARY KEY,
  ti tinyint, ti2 tinyint, tu tinyint unsigned, si smallint, su smallint unsigned,
  mi mediumint, mu mediumint unsigned, i int, iu int unsigned,
  bi bigint, bi2 bigint, bu bigint unsigned, bu2 bigint unsigned,
  d decimal(65,30), d2 decimal(10,2), d3 decimal(5,0),
  f float, f2 float, db double,
  b1 bit(1), b64 bit(64), b10 bit(10),
  dt date, dtm datetime(6), dtm3 datetime(3), dtm0 datetime, ts timestamp(6) NULL DEFAULT NULL, ts0 timestamp NULL DEFAULT NULL,
  tm time, tm6 time(6), tm2 time, y year, y0 year,
  c char(5), vc varchar(20), tx text, mt mediumtext,
  bn binary(4), vb varbinary(10), bl blob, lb longblob,
  j json, e enum('a','b,c','it''s','back\\\\slash'), st set('x','y','z'),
  n int, nv varchar(5), nb blob
) DEFAULT CHARSET=utf8mb4`;

const INSERT = `INSERT INTO typ.all_types VALUES (1,
  -128, 127, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295,
  -9223372036854775808, 9007199254740991, 18446744073709551615, 9007199254740992,
  '-12345678901234567890123456789012345.123456789012345678901234567890', '-12.50', 99999,
  1.2345678, 3.4e38, -1.7976931348623157e308,
  b'1', b'1111111111111111111111111111111111111111111111111111111111111110', b'1000000001',
  '2024-02-29', '2024-01-02 03:04:05.678901', '9999-12-31 23:59:59.100', '1000-01-01 00:00:00', '2024-06-01 12:00:00.123456', '2038-01-19 08:14:07',
  '-838:59:59', '-00:00:01.500000', '838:59:59', 2155, 0,
  'ab', 'héllo 😀', 'text 😀 ''q''', REPEAT('m', 3000),
  x'0102', x'00ff', x'deadbeef', x'',
  '{"a": [1, 2.5, "x"], "b": 12345678901234567890}', 'b,c', 'x,z',
  NULL, NULL, NULL)`;

const EXPECTED: SourceRow = {
  id: 1,
  ti: -128, ti2: 127, tu: 255, si: -32768, su: 65535, mi: -8388608, mu: 16777215, i: -2147483648, iu: 4294967295,
  bi: '-9223372036854775808', bi2: 9007199254740991, bu: '18446744073709551615', bu2: '9007199254740992',
  d: '-12345678901234567890123456789012345.123456789012345678901234567890', d2: '-12.50', d3: '99999',
  f: 1.2345678, f2: 3.4e38, db: -1.7976931348623157e308,
  b1: Buffer.from([1]), b64: Buffer.from('fffffffffffffffe', 'hex'), b10: Buffer.from([0x02, 0x01]),
  dt: '2024-02-29', dtm: '2024-01-02 03:04:05.678901', dtm3: '9999-12-31 23:59:59.100', dtm0: '1000-01-01 00:00:00',
  ts: '2024-06-01 07:00:00.123456', ts0: '2038-01-19 03:14:07',
  tm: '-838:59:59', tm6: '-00:00:01.500000', tm2: '838:59:59', y: 2155, y0: 0,
  c: 'ab', vc: 'héllo 😀', tx: "text 😀 'q'", mt: 'm'.repeat(3000),
  bn: Buffer.from([1, 2, 0, 0]), vb: Buffer.from([0, 0xff]), bl: Buffer.from('deadbeef', 'hex'), lb: Buffer.alloc(0),
  j: '{"a": [1, 2.5, "x"], "b": 12345678901234567890}', e: 'b,c', st: 'x,z',
  n: null, nv: null, nb: null,
};

for (const rowMetadata of ['FULL', 'NO_LOG'] as const) {
  describe(`canonical values (binlog_row_metadata=${rowMetadata})`, { timeout: 30_000 }, () => {
    let db: MariaDb;
    let src: MySqlSource;
    let def: TableDef;
    const log = new EventLog();

    beforeAll(async () => {
      db = await startMariaDb({ extraArgs: [`--binlog-row-metadata=${rowMetadata}`] });
      await db.query('CREATE DATABASE typ');
      await db.query(DDL);
      src = await MySqlSource.open(dmsConfig(db));
      def = (await src.describeTable('typ', 'all_types'))!;
      const start = await src.binlogPosition();
      const reader = src.binlogReader({
        serverId: 101, onEvent: log.onEvent, onError: log.onError,
        tableDef: (s, t) => (s === 'typ' && t === 'all_types' ? def : null),
      });
      await reader.start(start);
      // insert in a session with another time zone: TIMESTAMP must still come out UTC
      await db.query(`SET time_zone = '+05:00'; ${INSERT}`);
      await db.query("SET time_zone = '+00:00'");
    }, 60_000);
    afterAll(async () => { await src?.close(); await db?.stop(); });

    async function snapshotRows(): Promise<SourceRow[]> {
      const out: SourceRow[] = [];
      await src.snapshot(def, null, async (rows) => { out.push(...rows); }, { batchSize: 10 });
      return out;
    }

    it('describeTable reads types, labels and key', () => {
      expect(def.primaryKey).toEqual(['id']);
      expect(def.collation).toBe('utf8mb4_general_ci');
      const e = def.columns.find((c) => c.name === 'e')!;
      expect(e.enumValues).toEqual(['a', 'b,c', "it's", 'back\\slash']);
      const bu = def.columns.find((c) => c.name === 'bu')!;
      expect(bu).toMatchObject({ dataType: 'bigint', unsigned: true, nullable: true });
      expect(def.columns.find((c) => c.name === 'dtm')!.datetimePrecision).toBe(6);
      expect(def.columns.map((c) => c.name)).toEqual(Object.keys(EXPECTED));
    });

    it('snapshot gives exactly the canonical values', async () => {
      const rows = await snapshotRows();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toEqual(EXPECTED);
      expect(Object.keys(rows[0]!)).toEqual(Object.keys(EXPECTED));
    });

    it('binlog insert / update / delete give the same values as the snapshot', async () => {
      await log.until((evs) => evs.some((e) => e.kind === 'commit'));
      const ins = log.rows().filter((r) => r.op === 'insert');
      expect(ins).toHaveLength(1);
      expect(ins[0]!.rows).toHaveLength(1);
      expect(ins[0]!.rows[0]!.before).toBeNull();
      expect(ins[0]!.rows[0]!.after).toEqual(EXPECTED);

      await db.query(`UPDATE typ.all_types SET e = 'it''s', st = '', f = 3.14, y0 = 1901, ts = '1970-01-01 00:00:01.000001',
        b1 = b'0', bu = 0, d2 = 0.5, tm = '00:00:00', j = '[]', vc = '', nv = 'x', lb = x'00', dtm = '0000-00-00 00:00:00' WHERE id = 1`);
      const [after] = await snapshotRows();
      expect(after).toMatchObject({ e: "it's", st: '', f: 3.14, y0: 1901, ts: '1970-01-01 00:00:01.000001', b1: Buffer.from([0]), bu: 0, d2: '0.50', tm: '00:00:00', j: '[]', vc: '', nv: 'x', dtm: '0000-00-00 00:00:00.000000' });
      await db.query('DELETE FROM typ.all_types WHERE id = 1');
      await log.until(() => log.commits() >= 3);

      const [, upd, del] = log.rows();
      expect(upd!.op).toBe('update');
      expect(upd!.rows[0]!.before).toEqual(EXPECTED);
      expect(upd!.rows[0]!.after).toEqual(after);
      expect(del!.op).toBe('delete');
      expect(del!.rows[0]!.before).toEqual(after);
      expect(del!.rows[0]!.after).toBeNull();
      expect(log.errors).toEqual([]);
    });
  });
}
