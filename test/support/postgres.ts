// Private PostgreSQL cluster for integration tests: its own temp data directory owned by the
// `postgres` user (initdb refuses root), wal_level=logical, a free TCP port on 127.0.0.1 only.
// Never touches a system server on 5432.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../../handlers/embedded.js';
import { killOnExit, removeOnExit } from './children.js';

const execFileP = promisify(execFile);

export interface Postgres {
  host: '127.0.0.1';
  port: number;
  /** Superuser `postgres` / `postgres-pass`. */
  user: string;
  password: string;
  database: 'postgres';
  datadir: string;
  /** A superuser with REPLICATION (AWS's documented requirement): `dms` / `dms-pass`. */
  dmsUser: { user: string; password: string };
  /** Runs SQL as the superuser on `database` (default `postgres`). */
  query<T = any>(sql: string, params?: unknown[], database?: string): Promise<T[]>;
  /** Stops the server (fast shutdown) and starts it again on the same data directory and port. */
  restart(): Promise<void>;
  /** Restarts with extra `-c name=value` settings (kept for later restarts). */
  restartWith(settings: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
}


/** The newest installed server's bin directory (/usr/lib/postgresql/<v>/bin). */
export async function postgresBinDir(): Promise<string> {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? (await readdir(root)).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  if (versions.length === 0) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)');
  versions.sort((a, b) => Number(b) - Number(a));
  return join(root, versions[0]!, 'bin');
}

function postgresIds(): { uid: number; gid: number } | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root but there is no `postgres` user to run initdb/postgres as');
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<Postgres> {
  const bin = await postgresBinDir();
  const ids = postgresIds();
  const base = await mkdtemp(join(tmpdir(), 'dmslite-pg-'));
  const forget = removeOnExit(base);
  const datadir = join(base, 'data');
  const pwfile = join(base, 'pw');
  const runAs = ids ? { uid: ids.uid, gid: ids.gid } : {};
  try {
    if (ids) await chown(base, ids.uid, ids.gid);
    await chmod(base, 0o700);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(pwfile, 'postgres-pass\n');
    if (ids) await chown(pwfile, ids.uid, ids.gid);
    await execFileP(join(bin, 'initdb'), ['-D', datadir, '-U', 'postgres', `--pwfile=${pwfile}`, '-A', 'scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync'], {
      ...runAs,
      cwd: base,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    forget();
    await rm(base, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
  // Replication connections from 127.0.0.1 (initdb only allows them for `replication` from localhost by name).
  const { appendFile } = await import('node:fs/promises');
  await appendFile(join(datadir, 'pg_hba.conf'), '\nhost all all 127.0.0.1/32 scram-sha-256\nhost replication all 127.0.0.1/32 scram-sha-256\n');

  const port = await freePort();
  let settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: base,
    wal_level: 'logical',
    max_replication_slots: '20',
    max_wal_senders: '20',
    max_connections: '100',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    shared_buffers: '32MB',
    TimeZone: 'UTC',
    wal_sender_timeout: '10s',
    ...(opts.settings ?? {}),
  };
  let child: ChildProcess | null = null;
  let admin: pg.Client | null = null;

  const launch = async () => {
    // After a SIGKILLed postmaster its children may hold the shared memory for a moment.
    for (let i = 0; ; i++) {
      try {
        return await launchOnce();
      } catch (e) {
        if (i > 60 || !/pre-existing shared memory block/.test((e as Error).message)) throw e;
        await sleep(1000);
      }
    }
  };
  const launchOnce = async () => {
    const args = ['-D', datadir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    const c = spawn(join(bin, 'postgres'), args, { ...runAs, cwd: base, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr?.on('data', (d) => { stderr += String(d); if (stderr.length > 20000) stderr = stderr.slice(-20000); });
    killOnExit(c);
    let exited: unknown = null;
    c.on('exit', (code, signal) => { exited = { code, signal };  });
    child = c;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (exited) throw new Error(`postgres exited during startup (${JSON.stringify(exited)}):\n${stderr.slice(-4000)}`);
      const cl = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: 'postgres-pass', database: 'postgres' });
      try {
        await cl.connect();
        cl.on('error', () => undefined);
        admin = cl;
        return;
      } catch (e) {
        await cl.end().catch(() => undefined);
        if (Date.now() > deadline) {
          c.kill('SIGKILL');
          throw new Error(`postgres did not accept connections in 60s: ${(e as Error).message}\n${stderr.slice(-4000)}`);
        }
        await sleep(100);
      }
    }
  };

  const shutdown = async (signal: NodeJS.Signals) => {
    if (admin) { await admin.end().catch(() => undefined); admin = null; }
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const done = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(signal);
    const t = setTimeout(() => c.kill('SIGKILL'), 60_000);
    await done;
    clearTimeout(t);
  };

  await launch();

  const db: Postgres = {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password: 'postgres-pass',
    database: 'postgres',
    datadir,
    dmsUser: { user: 'dms', password: 'dms-pass' },
    async query<T = any>(sql: string, params?: unknown[], database?: string): Promise<T[]> {
      if (!database || database === 'postgres') {
        if (!admin) throw new Error('PostgreSQL is not running');
        const r = await admin.query(sql, params as any[]);
        return (Array.isArray(r) ? r.at(-1).rows : r.rows) as T[];
      }
      const cl = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: 'postgres-pass', database });
      await cl.connect();
      try {
        const r = await cl.query(sql, params as any[]);
        return (Array.isArray(r) ? r.at(-1).rows : r.rows) as T[];
      } finally {
        await cl.end().catch(() => undefined);
      }
    },
    async restart() {
      await shutdown('SIGINT'); // fast shutdown
      await launch();
    },
    async restartWith(extra) {
      settings = { ...settings, ...extra };
      await db.restart();
    },
    async stop() {
      await shutdown('SIGKILL');
      await rm(base, { recursive: true, force: true }).catch(() => undefined);
      forget();
    },
  };
  try {
    await db.query(`CREATE ROLE dms LOGIN SUPERUSER REPLICATION PASSWORD 'dms-pass'`);
  } catch (err) {
    await db.stop();
    throw err;
  }
  return db;
}

/** The server's current WAL insert position. */
export async function walEnd(db: Postgres): Promise<string> {
  const [r] = await db.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
  return r!.lsn;
}
