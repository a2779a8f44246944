import { startMariaDb } from '/work/main/test/support/mariadb.ts';
import { MySqlSource } from '/work/main/core/source/mysql/source.ts';
const db = await startMariaDb();
try {
  await db.query('CREATE DATABASE app; CREATE TABLE app.items (id int PRIMARY KEY)');
  const src = await MySqlSource.open({ host: db.host, port: db.port, user: 'dms', password: 'dms-pass' });
  const r = src.binlogReader({ serverId: 5, heartbeatSeconds: 1, onEvent: (e) => console.log(JSON.stringify(e)), onError: (e) => console.log('ERR', e), tableDef: () => null });
  const pos = await src.currentPosition();
  console.log('start', pos);
  await r.start(pos);
  await new Promise((r) => setTimeout(r, 1500));
  await db.query('INSERT INTO app.items VALUES (1)');
  console.log('after insert', await src.currentPosition());
  await new Promise((r) => setTimeout(r, 1500));
  console.log(await db.query("SHOW PROCESSLIST"));
  await r.stop();
  await new Promise((r) => setTimeout(r, 100));
  console.log(await db.query("SHOW PROCESSLIST"));
  await db.query('FLUSH BINARY LOGS');
  console.log(await db.query("PURGE BINARY LOGS TO 'mysql-bin.000002'"), await db.query('SHOW WARNINGS'), await db.query('SHOW BINARY LOGS'));
  await src.close();
} finally { await db.stop(); }
