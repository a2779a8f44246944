// The binlog reader's own row decoder (core/source/mysql/rows-decoder.ts) against zongji's: two
// readers over the same binlog range, one decoding rows itself, one leaving every rows event to
// zongji, must deliver identical events — random values of every column type the decoder takes,
// edge values, NULLs, partial row images (binlog_row_image=MINIMAL), a table it leaves to zongji, and
// the commits the reader takes from XID events itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { seededRandom } from '../../support/random.js';
import { MySqlSource } from '../../../core/source/mysql/source.js';
import type { BinlogReader } from '../../../core/source/mysql/binlog.js';
import type { TableDef } from '../../../core/model/table.js';
import { dmsConfig, EventLog } from './helpers.js';

const DDL = `CREATE TABLE dec.fast (
  id int NOT NULL PRIMARY KEY,
  ti tinyint, tu tinyint unsigned, si smallint, su smallint unsigned, mi mediumint, mu mediumint unsigned,
  i int, iu int unsigned, bi bigint, bu bigint unsigned,
  d decimal(65,30), d2 decimal(10,2), d3 decimal(5,0), d4 decimal(20,9), d5 decimal(3,3),
  f float, db double, y year,
  dt date, dtm datetime(6), dtm3 datetime(3), dtm1 datetime(1), dtm0 datetime,
  ts timestamp(6) NULL DEFAULT NULL, ts0 timestamp NULL DEFAULT NULL, ts2 timestamp(2) NULL DEFAULT NULL,
  c char(5), vc varchar(300), vc2 varchar(20), tx text, mt mediumtext,
  bn binary(4), vb varbinary(10), bl blob, e enum('a','b,c','it''s')
) DEFAULT CHARSET=utf8mb4`;
// TIME and SET columns keep this table on zongji's decoder in the fast reader too.
const DDL_OTHER = `CREATE TABLE dec.other (id int PRIMARY KEY, t time(3), s set('x','y'), v varchar(10)) DEFAULT CHARSET=utf8mb4`;

function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** Random SQL literals per column; every column NULL now and then. */
function literals(rand: () => number): Record<string, string> {
  const pick = <T,>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const int = (lo: number, hi: number) => String(Math.floor(lo + rand() * (hi - lo + 1)));
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 10)).join('');
  const dec = (p: number, s: number) => `${rand() < 0.5 ? '-' : ''}${digits(Math.max(1, Math.floor(rand() * (p - s)) || 1)).slice(0, Math.max(1, p - s))}${s ? '.' + digits(s) : ''}`;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const date = () => `${pad(Number(int(1000, 9999)), 4)}-${pad(Number(int(1, 12)))}-${pad(Number(int(1, 28)))}`;
  const time = () => `${pad(Number(int(0, 23)))}:${pad(Number(int(0, 59)))}:${pad(Number(int(0, 59)))}`;
  const text = (n: number) => Array.from({ length: Math.floor(rand() * n) }, () => pick(['a', 'é', '😀', "'", '\\', ' ', 'z', '中'])).join('');
  const hex = (n: number) => `x'${Array.from({ length: Math.floor(rand() * n) }, () => pick(['00', 'ff', '7f', '80', '41'])).join('')}'`;
  const v: Record<string, string> = {
    ti: pick(['-128', '127', '0', int(-128, 127)]), tu: pick(['0', '255', int(0, 255)]),
    si: pick(['-32768', '32767', int(-32768, 32767)]), su: pick(['65535', int(0, 65535)]),
    mi: pick(['-8388608', '8388607', int(-8388608, 8388607)]), mu: pick(['16777215', int(0, 16777215)]),
    i: pick(['-2147483648', '2147483647', int(-2147483648, 2147483647)]), iu: pick(['4294967295', int(0, 4294967295)]),
    bi: pick(['-9223372036854775808', '9223372036854775807', '-9007199254740991', '-9007199254740992', '9007199254740992', int(-1e15, 1e15)]),
    bu: pick(['18446744073709551615', '9007199254740991', '9007199254740992', int(0, 1e15)]),
    d: dec(65, 30), d2: dec(10, 2), d3: dec(5, 0), d4: dec(20, 9), d5: pick(['0.001', '-0.999', '0.000']),
    f: pick(['1.2345678', '3.4e38', '-1.17549e-38', '0', String(rand() * 1e6)]),
    db: pick(['-1.7976931348623157e308', '5e-324', '0.1', String((rand() - 0.5) * 1e12)]),
    y: pick(['0', '1901', '2155', int(1901, 2155)]),
    dt: pick(['0000-00-00', '9999-12-31', date()]),
    dtm: pick(['0000-00-00 00:00:00', `${date()} ${time()}.${digits(6)}`]), dtm3: `${date()} ${time()}.${digits(3)}`,
    dtm1: `${date()} ${time()}.${digits(1)}`, dtm0: `${date()} ${time()}`,
    ts: pick(['1970-01-01 00:00:01.000001', `2030-${pad(Number(int(1, 12)))}-15 ${time()}.${digits(6)}`]),
    ts0: pick(['2038-01-19 03:14:07', `2001-0${int(1, 9)}-0${int(1, 9)} ${time()}`]),
    ts2: `2020-02-29 ${time()}.${digits(2)}`,
    c: text(5), vc: text(300), vc2: text(20), tx: text(200), mt: text(500),
    bn: hex(4), vb: hex(10), bl: hex(50), e: pick(["'a'", "'b,c'", "'it''s'"]),
  };
  for (const k of ['c', 'vc', 'vc2', 'tx', 'mt']) v[k] = sqlString(v[k]!);
  for (const k of ['dt', 'dtm', 'dtm3', 'dtm1', 'dtm0', 'ts', 'ts0', 'ts2']) v[k] = `'${v[k]}'`;
  for (const k of Object.keys(v)) if (rand() < 0.08) v[k] = 'NULL';
  return v;
}

for (const rowMetadata of ['FULL', 'NO_LOG'] as const) {
  describe(`binlog row decoder = zongji (binlog_row_metadata=${rowMetadata})`, { timeout: 60_000 }, () => {
    let db: MariaDb;
    let src: MySqlSource;
    const defs = new Map<string, TableDef>();
    const fast = new EventLog();
    const slow = new EventLog();
    const noBefore = new EventLog();
    let fastReader: BinlogReader;
    let slowReader: BinlogReader;

    beforeAll(async () => {
      db = await startMariaDb({ extraArgs: [`--binlog-row-metadata=${rowMetadata}`] });
      await db.query('CREATE DATABASE `dec`');
      await db.query(DDL);
      await db.query(DDL_OTHER);
      await db.query('CREATE DATABASE `skip`');
      await db.query('CREATE TABLE skip.t (id int PRIMARY KEY, v varchar(10))');
      src = await MySqlSource.open(dmsConfig(db));
      for (const t of ['fast', 'other']) defs.set(t, (await src.describeTable('dec', t))!);
      const start = await src.binlogPosition();
      const tableDef = (s: string, t: string) => (s === 'dec' ? defs.get(t) ?? null : null);
      fastReader = src.binlogReader({ serverId: 201, onEvent: fast.onEvent, onError: fast.onError, tableDef, includeSchema: (s) => s === 'dec' });
      slowReader = src.binlogReader({ serverId: 202, onEvent: slow.onEvent, onError: slow.onError, tableDef, includeSchema: (s) => s === 'dec', zongjiDecoder: true });
      const noBeforeReader = src.binlogReader({
        serverId: 203, onEvent: noBefore.onEvent, onError: noBefore.onError, tableDef, includeSchema: (s) => s === 'dec', updateBeforeImage: () => false,
      });
      await fastReader.start(start);
      await slowReader.start(start);
      await noBeforeReader.start(start);
    }, 60_000);
    afterAll(async () => { await src?.close(); await db?.stop(); });

    it('delivers the same events as zongji for random rows, updates, partial images and deletes', async () => {
      const rand = seededRandom(rowMetadata === 'FULL' ? 8 : 9);
      const ROWS = 400;
      let commits = 0;
      for (let base = 0; base < ROWS; base += 50) {
        const values: string[] = [];
        for (let id = base; id < base + 50; id++) {
          const v = literals(rand);
          values.push(`(${id}, ${Object.values(v).join(', ')})`);
        }
        const cols = Object.keys(literals(rand));
        await db.query(`INSERT INTO dec.fast (id, ${cols.join(', ')}) VALUES ${values.join(',\n')}`);
        commits++;
      }
      // Single-row UPDATE transactions (the table map repeats, byte for byte), full images.
      for (let id = 0; id < ROWS; id += 3) {
        const v = literals(rand);
        const set = Object.entries(v).filter(() => rand() < 0.3).map(([k, x]) => `${k} = ${x}`);
        if (set.length === 0) continue;
        await db.query(`UPDATE dec.fast SET ${set.join(', ')} WHERE id = ${id}`);
        commits++;
      }
      // Partial images: MINIMAL logs the key in the before image and only changed columns after.
      await db.query(`SET SESSION binlog_row_image = 'MINIMAL'; UPDATE dec.fast SET vc = 'minimal', d2 = 1.5 WHERE id % 7 = 0; SET SESSION binlog_row_image = 'FULL'`);
      commits++;
      // A schema neither reader captures: the hook drops its table maps and rows, zongji its filter.
      for (let i = 0; i < 20; i++) await db.query(`INSERT INTO skip.t VALUES (${i}, 'x')`);
      commits += 20;
      await db.query(`INSERT INTO dec.other VALUES (1, '-01:02:03.5', 'x,y', 'x'), (2, NULL, '', 'y')`);
      await db.query(`UPDATE dec.other SET v = 'z' WHERE id = 1`);
      commits += 2;
      await db.query('DELETE FROM dec.fast WHERE id % 5 = 1');
      commits++;

      await fast.until(() => fast.commits() >= commits);
      await slow.until(() => slow.commits() >= commits);
      expect(fast.errors).toEqual([]);
      expect(slow.errors).toEqual([]);
      expect(fast.rows().reduce((n, e) => n + e.rows.length, 0)).toBeGreaterThan(ROWS + 200);
      expect(fast.events).toEqual(slow.events);
      // Without a use for the before image, updates of decoded tables step over it; nothing else changes.
      await noBefore.until(() => noBefore.commits() >= commits);
      const expected = fast.events.map((e) => (e.kind === 'rows' && e.op === 'update' && e.table === 'fast'
        ? { ...e, rows: e.rows.map((r) => ({ before: null, after: r.after })) } : e));
      expect(noBefore.events).toEqual(expected);

      const fs = fastReader.stats();
      const ss = slowReader.stats();
      // The fast reader decoded the `fast` table's rows itself and recognised repeated table maps;
      // `other` (TIME, SET) stayed on zongji. The reference reader decoded nothing itself.
      const fastTableEvents = fast.rows().filter((e) => e.table === 'fast').length;
      expect(fs.decodedRowsEvents).toBe(fastTableEvents);
      expect(fs.repeatedTableMaps).toBeGreaterThan(100);
      expect(ss.decodedRowsEvents).toBe(0);
      // Commits (XID events) of both tables were read by the hook, with the same positions and ids.
      expect(fs.decodedCommits).toBe(fast.commits());
      expect(ss.decodedCommits).toBe(0);
      // MariaDB GTID events (one per transaction and per DDL) too.
      expect(fs.decodedGtids).toBeGreaterThanOrEqual(commits);
      expect(ss.decodedGtids).toBe(0);
      expect(fs.skippedEvents).toBe(40);
      expect(fast.rows().some((e) => e.schema === 'skip')).toBe(false);
    });
  });
}
