import { startMariaDb } from '/work/main/test/support/mariadb.ts';
const db = await startMariaDb();
try {
  await db.query(`CREATE DATABASE s`);
  await db.query("CREATE TABLE s.e (id int primary key, e enum('a\\\\b', 'q\"x', 'it''s', 'c,d', '', ' lead', 'tab\\tx', 'ünï😀'), `we``ird col` int, s set('a\\\\b','c d','x'))");
  console.log(await db.query("SELECT COLUMN_TYPE, HEX(COLUMN_TYPE) h FROM information_schema.COLUMNS WHERE TABLE_NAME='e' AND COLUMN_NAME IN ('e','s')"));
  console.log(await db.query("SHOW CREATE TABLE s.e"));
  await db.query("INSERT INTO s.e VALUES (1, 'a\\\\b', 1, 'a\\\\b,c d'), (2, 'tab\\tx', 2, 'x'), (3, 'it''s', 3, '')");
  console.log(await db.query("SELECT e, HEX(e), s, `we``ird col` FROM s.e"));
} finally { await db.stop(); }
