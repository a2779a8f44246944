// Private MariaDB server for integration tests: its own temp datadir, socket and
// free TCP port on 127.0.0.1. Never touches a system server on 3306.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { freePort } from '../../handlers/embedded.js';
import { killOnExit, removeOnExit } from './children.js';

const execFileP = promisify(execFile);

export interface MariaDb {
  host: '127.0.0.1';
  port: number;
  socket: string;
  user: 'root';
  password: '';
  datadir: string;
  /** Password-protected replication user `dms` / `dms-pass` (SELECT, REPLICATION CLIENT, REPLICATION SLAVE). */
  dmsUser: { user: string; password: string };
  /** Runs one statement as root (multipleStatements enabled). Returns rows for SELECT-like statements. */
  query<T = any>(sql: string, params?: unknown[]): Promise<T>;
  /** CREATE USER name@'%' IDENTIFIED BY password; GRANT grants ON *.* (grants like 'SELECT, REPLICATION SLAVE'). */
  createUser(name: string, password: string, grants: string): Promise<void>;
  /** Stops the server cleanly (SIGTERM) and starts it again on the same datadir and port. */
  restart(): Promise<void>;
  /** Kills the server (SIGKILL) and removes the datadir. */
  stop(): Promise<void>;
}

export interface StartMariaDbOptions {
  /** Extra/overriding server arguments, e.g. `--binlog-format=STATEMENT`. Later args win. */
  extraArgs?: string[];
  /** Enable the binary log (default true). */
  binlog?: boolean;
}

const MARIADBD = '/usr/sbin/mariadbd';
const INSTALL_DB = '/usr/bin/mariadb-install-db';



const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startMariaDb(opts: StartMariaDbOptions = {}): Promise<MariaDb> {
  const base = await mkdtemp(join(tmpdir(), 'dmslite-mariadb-'));
  const forget = removeOnExit(base);
  try {
    return await startIn(base, opts, forget);
  } catch (err) {
    forget();
    await rm(base, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}

async function startIn(base: string, opts: StartMariaDbOptions, forget: () => void): Promise<MariaDb> {
  const binlog = opts.binlog ?? true;
  const datadir = join(base, 'data');
  const socket = join(base, 'mysqld.sock');
  const errLog = join(base, 'error.log');
  // Private tmpdir: mariadbd deletes stray #sql* files in its tmpdir at startup, which breaks
  // another instance bootstrapping concurrently in a shared /tmp.
  const tmp = join(base, 'tmp');
  await mkdir(tmp, { recursive: true });
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

  await execFileP(INSTALL_DB, [
    '--no-defaults',
    '--auth-root-authentication-method=normal',
    `--datadir=${datadir}`,
    '--skip-test-db',
    `--tmpdir=${tmp}`,
    ...(isRoot ? ['--user=root'] : []),
  ], { maxBuffer: 16 * 1024 * 1024 });

  const port = await freePort();
  const args = [
    '--no-defaults',
    ...(isRoot ? ['--user=root'] : []),
    `--datadir=${datadir}`,
    `--socket=${socket}`,
    `--tmpdir=${tmp}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--pid-file=${join(base, 'mysqld.pid')}`,
    `--log-error=${errLog}`,
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_general_ci',
    '--skip-name-resolve',
    '--innodb-buffer-pool-size=64M',
    '--innodb-log-file-size=48M',
    '--innodb-flush-log-at-trx-commit=2',
    '--sync-binlog=0',
    '--max-connections=200',
    '--server-id=1',
    ...(binlog
      ? [
          `--log-bin=${join(datadir, 'mysql-bin')}`,
          '--binlog-format=ROW',
          '--binlog-row-image=FULL',
          '--binlog-row-metadata=FULL',
        ]
      : []),
    ...(opts.extraArgs ?? []),
  ];

  let child: ChildProcess | null = null;
  let conn: mysql.Connection | null = null;

  const launch = async (): Promise<void> => {
    const c = spawn(MARIADBD, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr?.on('data', (d) => { stderr += String(d); if (stderr.length > 20000) stderr = stderr.slice(-20000); });
    killOnExit(c);
    let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    c.on('exit', (code, signal) => { exited = { code, signal };  });
    child = c;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) {
        const log = existsSync(errLog) ? await readFile(errLog, 'utf8').catch(() => '') : '';
        throw new Error(`mariadbd exited during startup (${JSON.stringify(exited)}):\n${stderr}\n${log.slice(-4000)}`);
      }
      try {
        conn = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: '', multipleStatements: true });
        return;
      } catch (e) {
        if (Date.now() > deadline) {
          c.kill('SIGKILL');
          const log = existsSync(errLog) ? await readFile(errLog, 'utf8').catch(() => '') : '';
          throw new Error(`mariadbd did not accept connections in 30s: ${(e as Error).message}\n${log.slice(-4000)}`);
        }
        await sleep(100);
      }
    }
  };

  const shutdown = async (graceful: boolean): Promise<void> => {
    if (conn) { await conn.end().catch(() => conn?.destroy()); conn = null; }
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const done = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(graceful ? 'SIGTERM' : 'SIGKILL');
    const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
    await done;
    clearTimeout(t);
  };

  await launch();

  const db: MariaDb = {
    host: '127.0.0.1',
    port,
    socket,
    user: 'root',
    password: '',
    datadir,
    dmsUser: { user: 'dms', password: 'dms-pass' },
    async query<T = any>(sql: string, params?: unknown[]): Promise<T> {
      if (!conn) throw new Error('MariaDB is not running');
      const [rows] = await conn.query(sql, params as any);
      return rows as T;
    },
    async createUser(name: string, password: string, grants: string): Promise<void> {
      await db.query(`CREATE USER ?@'%' IDENTIFIED BY ?`, [name, password]);
      await db.query(`GRANT ${grants} ON *.* TO ?@'%'`, [name]);
    },
    async restart(): Promise<void> {
      await shutdown(true);
      await launch();
    },
    async stop(): Promise<void> {
      await shutdown(false); // the datadir is thrown away: no need for a clean InnoDB shutdown
      await rm(base, { recursive: true, force: true });
      forget();
    },
  };

  try {
    await db.createUser('dms', 'dms-pass', 'SELECT, REPLICATION CLIENT, REPLICATION SLAVE');
  } catch (err) {
    await shutdown(false);
    throw err;
  }
  return db;
}

/** The end of the server's binary log (SHOW MASTER STATUS). */
export async function binlogEnd(db: MariaDb): Promise<{ file: string; position: number }> {
  const [row] = await db.query<{ File: string; Position: number }[]>('SHOW MASTER STATUS');
  return { file: row.File, position: Number(row.Position) };
}
