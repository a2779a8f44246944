// Binlog reader behaviour: rollback, consistent snapshot position, 1236, DDL, rotate,
// CdcStartTime lookup, heartbeats, schema filter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { MySqlSource } from '../../../core/source/mysql/source.js';
import { BinlogNotFoundError, type BinlogEvent } from '../../../core/source/mysql/binlog.js';
import type { SourceRow, TableDef } from '../../../core/model/table.js';
import { dmsConfig, EventLog } from './helpers.js';
import { toBinlogPosition } from '../../../core/source/mysql/positions.js';

describe('binlog reader', { timeout: 30_000 }, () => {
  let db: MariaDb;
  let src: MySqlSource;
  let def: TableDef;
  let serverId = 200;
  const tableDef = (s: string, t: string) => (s === 'app' && t === 'items' ? def : null);

  beforeAll(async () => {
    db = await startMariaDb();
    await db.query('CREATE DATABASE app; CREATE DATABASE other');
    await db.query('CREATE TABLE app.items (id int PRIMARY KEY, name varchar(20)); CREATE TABLE other.t (id int PRIMARY KEY)');
    src = await MySqlSource.open(dmsConfig(db));
    def = (await src.describeTable('app', 'items'))!;
  }, 60_000);
  afterAll(async () => { await src?.close(); await db?.stop(); });

  async function reader(log: EventLog, extra: { includeSchema?: (s: string, t: string) => boolean; heartbeatSeconds?: number } = {}) {
    return src.binlogReader({ serverId: ++serverId, onEvent: log.onEvent, onError: log.onError, tableDef, ...extra });
  }
  const ids = (log: EventLog, op = 'insert') =>
    log.rows().filter((r) => r.op === op).flatMap((r) => r.rows.map((x) => (x.after ?? x.before)!.id));

  it('a rolled-back transaction emits nothing; commits carry the resume position', async () => {
    const log = new EventLog();
    const r = await reader(log);
    await r.start(await src.binlogPosition());
    await db.query("BEGIN; INSERT INTO app.items VALUES (1, 'rolled back'); UPDATE app.items SET name = 'x'; ROLLBACK");
    await db.query("INSERT INTO app.items VALUES (2, 'marker')");
    await log.until(() => log.commits() >= 1);
    const end = await src.binlogPosition();
    await r.stop();
    expect(ids(log)).toEqual([2]);
    expect(log.rows()).toHaveLength(1);
    const commit = log.events.find((e) => e.kind === 'commit')!;
    expect(commit).toMatchObject({ kind: 'commit', position: end });
    expect(typeof (commit as { xid?: string }).xid).toBe('string');
    expect(log.rows()[0]!.timestamp).toBeGreaterThan(1_600_000_000);
  });

  it('consistent snapshot: later commits are after the position and not in the snapshot', async () => {
    await db.query("DELETE FROM app.items; INSERT INTO app.items VALUES (10,'a'),(11,'b'),(12,'c')");
    const session = await src.openSnapshot();
    expect(session.exact).toBe(true);
    // committed after the snapshot started, before it is read
    await db.query("INSERT INTO app.items VALUES (13,'d'); UPDATE app.items SET name = 'B' WHERE id = 11; DELETE FROM app.items WHERE id = 10");
    const snap: SourceRow[] = [];
    await session.readTable(def, null, async (rows) => { snap.push(...rows); });
    await session.close();
    expect(snap.map((r) => [r.id, r.name])).toEqual([[10, 'a'], [11, 'b'], [12, 'c']]);

    const log = new EventLog();
    const r = await reader(log);
    await r.start(toBinlogPosition(session.position));
    await log.until(() => log.commits() >= 3);
    await r.stop();
    const seen = log.rows().map((e) => [e.op, (e.rows[0]!.after ?? e.rows[0]!.before)!.id]);
    expect(seen).toEqual([['insert', 13], ['update', 11], ['delete', 10]]);
  });

  it('snapshot with a WHERE filter and injection-proof identifiers', async () => {
    await db.query('CREATE TABLE app.`we``ird; tbl` (`i``d` int PRIMARY KEY, `v` int)');
    await db.query('INSERT INTO app.`we``ird; tbl` VALUES (1,1),(2,2),(3,3),(4,4)');
    const d = (await src.describeTable('app', 'we`ird; tbl'))!;
    expect(d.primaryKey).toEqual(['i`d']);
    const got: SourceRow[] = [];
    const n = await src.snapshot(d, { sql: '`i``d` BETWEEN ? AND ?', params: [2, 3] }, async (rows) => { got.push(...rows); });
    expect(n).toBe(2);
    expect(got).toEqual([{ 'i`d': 2, v: 2 }, { 'i`d': 3, v: 3 }]);
  });

  it('DDL and rotate events; schema filter', async () => {
    const log = new EventLog();
    const r = await reader(log, { includeSchema: (s) => s === 'app' });
    const start = await src.binlogPosition();
    await r.start(start);
    await db.query('INSERT INTO other.t VALUES (1)');
    await db.query('ALTER TABLE app.items ADD COLUMN extra int');
    await db.query('FLUSH BINARY LOGS');
    await db.query("INSERT INTO app.items (id, name) VALUES (50, 'after rotate')");
    await log.until((evs) => evs.some((e) => e.kind === 'rows' && e.rows[0]!.after!.id === 50) && log.commits() >= 2);
    await r.stop();
    const kinds = log.events.map((e) => e.kind);
    expect(kinds).toEqual(['commit', 'ddl', 'rotate', 'rows', 'commit']);
    const ddl = log.events[1] as Extract<BinlogEvent, { kind: 'ddl' }>;
    expect(ddl.sql).toBe('ALTER TABLE app.items ADD COLUMN extra int');
    const rot = log.events[2] as Extract<BinlogEvent, { kind: 'rotate' }>;
    expect(rot.position.file).not.toBe(start.file);
    expect(rot.position.position).toBe(4);
    const rows = log.events[3] as Extract<BinlogEvent, { kind: 'rows' }>;
    expect(rows.position.file).toBe(rot.position.file);
    expect(rows.rows[0]!.after).toEqual({ id: 50, name: 'after rotate', extra: null });
    def = (await src.describeTable('app', 'items'))!;
  });

  it('error 1236 for a missing file, a purged file and an impossible position', async () => {
    const r1 = await reader(new EventLog());
    const e1 = await r1.start({ file: 'mysql-bin.999999', position: 4 }).then(() => null, (e) => e);
    expect(e1).toBeInstanceOf(BinlogNotFoundError);
    expect(e1.errno).toBe(1236);
    expect(e1.message).toMatch(/Could not find first log file name in binary log index file/);

    const [first] = await src.listBinlogs();
    await db.query('FLUSH BINARY LOGS');
    const cur = await src.binlogPosition();
    // A file stays un-purgeable until the binlog checkpoint (InnoDB log flush) has moved past it
    while ((await src.listBinlogs()).some((f) => f.file === first!.file)) {
      await db.query(`PURGE BINARY LOGS TO '${cur.file}'`);
      await new Promise((res) => setTimeout(res, 100));
    }
    const r2 = await reader(new EventLog());
    const e2 = await r2.start({ file: first!.file, position: 4 }).then(() => null, (e) => e);
    expect(e2).toBeInstanceOf(BinlogNotFoundError);

    // Reported by the server itself (the file exists): onError gets the mapped error
    const log = new EventLog();
    const r3 = await reader(log);
    const failed = log.until(() => false).catch((e) => e);
    await r3.start({ file: cur.file, position: 987654321 }).catch((e) => log.onError(e));
    const e3 = await failed;
    await r3.stop();
    expect(e3).toBeInstanceOf(BinlogNotFoundError);
    expect(e3.errno).toBe(1236);
  });

  it('CdcStartTime: position of the first transaction at or after a time', async () => {
    await db.query("INSERT INTO app.items (id, name) VALUES (60, 'before')");
    const [{ t0 }] = await db.query<{ t0: number }[]>('SELECT UNIX_TIMESTAMP() AS t0');
    // wait for the server clock to pass t0 (no assertion on time, just ordering)
    for (;;) {
      const [{ t }] = await db.query<{ t: number }[]>('SELECT UNIX_TIMESTAMP() AS t');
      if (t > t0) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    await db.query("INSERT INTO app.items (id, name) VALUES (61, 'after')");
    await db.query("INSERT INTO app.items (id, name) VALUES (62, 'after too')");
    const pos = await src.binlogPositionAt(t0 + 1, 990);
    const log = new EventLog();
    const r = await reader(log);
    await r.start(pos);
    await log.until(() => log.commits() >= 2);
    await r.stop();
    expect(ids(log)).toEqual([61, 62]);

    const files = await src.listBinlogs();
    expect(await src.binlogPositionAt(0, 991)).toEqual({ file: files[0]!.file, position: 4 });
    const end = await src.binlogPosition();
    expect(await src.binlogPositionAt(t0 + 3600, 992)).toEqual(end);
  });

  it('heartbeats arrive while idle and carry the current position', async () => {
    const log = new EventLog();
    const r = await reader(log, { heartbeatSeconds: 1 });
    const pos = await src.binlogPosition();
    await r.start(pos);
    await log.until((evs) => evs.some((e) => e.kind === 'heartbeat'));
    await r.stop();
    const hb = log.events.find((e) => e.kind === 'heartbeat')!;
    // MariaDB may append a Binlog_checkpoint event after the last commit: same file, same or later offset
    expect(hb.position.file).toBe(pos.file);
    expect(hb.position.position).toBeGreaterThanOrEqual(pos.position);
  }, 20_000);

  it('a dead connection is reported through onError', async () => {
    const log = new EventLog();
    const r = await reader(log);
    await r.start(await src.binlogPosition());
    const failed = log.until(() => false).catch((e) => e);
    await db.query("INSERT INTO app.items (id, name) VALUES (70, 'x')");
    await log.until(() => log.commits() >= 1);
    const threads = await db.query<{ Id: number }[]>("SELECT ID AS Id FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'");
    expect(threads.length).toBeGreaterThan(0);
    for (const t of threads) await db.query(`KILL ${t.Id}`);
    const err = await failed;
    await r.stop();
    expect(err).toBeInstanceOf(Error);
  });
});
