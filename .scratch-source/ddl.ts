import { startMariaDb } from '/work/main/test/support/mariadb.ts';
import { MySqlSource } from '/work/main/core/source/mysql/source.ts';
const db = await startMariaDb();
try {
  await db.query('CREATE DATABASE app; CREATE DATABASE other');
  await db.query('CREATE TABLE app.items (id int PRIMARY KEY, name varchar(20)); CREATE TABLE other.t (id int PRIMARY KEY)');
  const src = await MySqlSource.open({ host: db.host, port: db.port, user: 'dms', password: 'dms-pass' });
  const r = src.binlogReader({ serverId: 5, onEvent: (e) => console.log(JSON.stringify(e)), onError: (e) => console.log('ERR', e), tableDef: () => null, includeSchema: (s) => s === 'app' });
  await r.start(await src.currentPosition());
  await db.query('INSERT INTO other.t VALUES (1)');
  await db.query('ALTER TABLE app.items ADD COLUMN extra int');
  await db.query('FLUSH BINARY LOGS');
  await db.query("INSERT INTO app.items (id, name) VALUES (50, 'after rotate')");
  await new Promise((r) => setTimeout(r, 1000));
  console.log(await db.query('SHOW BINLOG EVENTS IN "mysql-bin.000002"'));
  await r.stop(); await src.close();
} finally { await db.stop(); }
