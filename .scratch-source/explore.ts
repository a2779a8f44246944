import { startMariaDb } from '/work/main/test/support/mariadb.ts';
import mysql from 'mysql2';
import ZongJi from '@vlasky/zongji';
const db = await startMariaDb();
try {
  await db.query(`CREATE DATABASE s; CREATE TABLE s.t (
    id int primary key, ti tinyint, tu tinyint unsigned, bi bigint, bu bigint unsigned, d decimal(65,30), d2 decimal(10,2),
    f float, f2 float, db double, b1 bit(1), b64 bit(64), dt date, dtm datetime(6), dtm0 datetime, ts timestamp(6) NULL, tm time, tm6 time(6), y year,
    c char(5), vc varchar(20), tx text, bn binary(4), vb varbinary(10), bl blob, j json, e enum('a','b,c','it''s'), st set('x','y','z'), n int)`);
  const ins = `INSERT INTO s.t VALUES (1, -128, 255, -9223372036854775808, 18446744073709551615, '-12345678901234567890123456789012345.123456789012345678901234567890', '-12.50',
    3.14, 1.2345678, 0.1, b'1', b'1111111111111111111111111111111111111111111111111111111111111110', '2024-02-29', '2024-01-02 03:04:05.678901', '1000-01-01 00:00:00', '2024-01-02 03:04:05.100000', '-838:59:59', '-00:00:01.500000', 2155,
    'ab', 'héllo 😀', 'text', x'0102', x'00ff', x'deadbeef', '{"a": [1, 2.5, "x"], "b": 12345678901234567890}', 'it''s', 'x,z', NULL)`;
  const c = mysql.createConnection({ host: db.host, port: db.port, user: 'root', password: '', dateStrings: true, supportBigNumbers: true, bigNumberStrings: false, jsonStrings: true, charset: 'utf8mb4', timezone: 'Z' } as any);
  await c.promise().query("SET time_zone = '+00:00'");
  const zj = new (ZongJi as any)({ host: db.host, port: db.port, user: 'root', password: '', dateStrings: true, supportBigNumbers: true, bigNumberStrings: false, jsonStrings: true, charset: 'utf8mb4', timezone: 'Z' });
  const events: any[] = [];
  zj.on('binlog', (e: any) => { events.push(e); });
  zj.on('error', (e: any) => console.error('ZERR', e));
  const [st] = await c.promise().query('SHOW MASTER STATUS');
  console.log(st);
  zj.start({ serverId: 77, filename: (st as any)[0].File, position: (st as any)[0].Position });
  await new Promise(r => zj.on('ready', r));
  await db.query(ins);
  await db.query(`SET time_zone='+05:00'; UPDATE s.t SET ts='2024-06-01 12:00:00' WHERE id=1`);
  await db.query(`BEGIN; INSERT INTO s.t (id) VALUES (2); ROLLBACK`);
  await db.query(`ALTER TABLE s.t ADD COLUMN zz int`);
  await new Promise(r => setTimeout(r, 500));
  const [rows] = await c.promise().query('SELECT * FROM s.t');
  console.log('SNAP', rows);
  const [rows2] = await c.promise().query('SELECT f + 0e0 AS f, f2 + 0e0 AS f2, CAST(f2 AS DOUBLE) AS f3 FROM s.t');
  console.log('SNAP2', rows2);
  for (const e of events) {
    const name = e.getEventName();
    console.log(name, 'next', e.nextPosition, 'size', e.size, 'ts', e.timestamp, name === 'query' ? e.query : '', name === 'rotate' ? [e.binlogName, e.position] : '', e.gtid ?? '');
    if (e.rows) console.log(JSON.stringify(e.rows, (k, v) => v && v.type === 'Buffer' ? 'BUF:' + Buffer.from(v.data).toString('hex') : v));
  }
  zj.stop(); c.end();
} finally { await db.stop(); }
