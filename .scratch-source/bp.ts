import { startMariaDb } from '/work/main/test/support/mariadb.ts';
import { MySqlSource } from '/work/main/core/source/mysql/source.ts';
const db = await startMariaDb();
try {
  await db.query('CREATE DATABASE bp; CREATE TABLE bp.t (id int PRIMARY KEY, v varchar(64))');
  const src = await MySqlSource.open({ host: db.host, port: db.port, user: 'dms', password: 'dms-pass' });
  const def = (await src.describeTable('bp', 't'))!;
  const from = await src.currentPosition();
  await db.query("INSERT INTO bp.t SELECT seq, CONCAT('row-', seq, '-', REPEAT('x', 20)) FROM bp.seq_1_to_50000");
  let n = 0; let last = 0; let commits = 0;
  const r = src.binlogReader({ serverId: 9, maxQueuedRows: 2000, tableDef: () => def, onError: (e) => console.log('ERR', e),
    onEvent: async (e) => {
      if (e.kind === 'rows') { for (const x of e.rows) { const id = x.after!.id as number; if (id !== last + 1) console.log('GAP', last, id); last = id; n++; } await new Promise((r) => setTimeout(r, 2)); }
      if (e.kind === 'commit') commits++;
    } });
  await r.start(from);
  for (let i = 0; i < 20; i++) { await new Promise((r) => setTimeout(r, 500)); console.log(n, commits, r.stats()); if (commits) break; }
  await r.stop(); await src.close();
} finally { await db.stop(); }
