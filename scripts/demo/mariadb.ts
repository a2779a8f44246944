import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { freePort } from '../../handlers/embedded.js';

// A throw-away MariaDB for the demo: own datadir, socket and port on 127.0.0.1, binlog on in the
// format DMS needs (ROW, FULL image), removed when stopped.

const execFileP = promisify(execFile);

export interface PrivateMariaDb {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/**
 * mariadbd and mariadb-install-db, or null when MariaDB is not installed. MARIADB_BIN names the folder
 * of an install elsewhere (e.g. a tarball's bin/); then only that folder is looked at.
 */
export function findMariaDb(env: NodeJS.ProcessEnv = process.env): { server: string; installDb: string } | null {
  const dirs = env.MARIADB_BIN
    ? [env.MARIADB_BIN]
    : ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/opt/homebrew/bin', ...(env.PATH ?? '').split(':')];
  const find = (name: string) => dirs.map((d) => join(d, name)).find((p) => existsSync(p));
  const server = find('mariadbd');
  const installDb = find('mariadb-install-db');
  return server && installDb ? { server, installDb } : null;
}

export async function startPrivateMariaDb(bin: { server: string; installDb: string }, user: { name: string; password: string }): Promise<PrivateMariaDb> {
  const base = await mkdtemp(join(tmpdir(), 'dmslite-demo-mariadb-'));
  const datadir = join(base, 'data');
  const tmp = join(base, 'tmp');
  await mkdir(tmp, { recursive: true });
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  let child: ChildProcess | undefined;
  const cleanup = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    await rm(base, { recursive: true, force: true });
  };
  try {
    await execFileP(bin.installDb, ['--no-defaults', '--auth-root-authentication-method=normal', `--datadir=${datadir}`, '--skip-test-db', `--tmpdir=${tmp}`, ...asRoot], { maxBuffer: 16 << 20 });
    const port = await freePort();
    child = spawn(
      bin.server,
      [
        '--no-defaults', ...asRoot, `--datadir=${datadir}`, `--socket=${join(base, 'mysqld.sock')}`, `--tmpdir=${tmp}`, `--port=${port}`,
        '--bind-address=127.0.0.1', `--pid-file=${join(base, 'mysqld.pid')}`, `--log-error=${join(base, 'error.log')}`, '--skip-name-resolve',
        '--innodb-buffer-pool-size=64M', '--server-id=1', `--log-bin=${join(datadir, 'mysql-bin')}`, '--binlog-format=ROW', '--binlog-row-image=FULL',
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) {
        const log = await readFile(join(base, 'error.log'), 'utf8').catch(() => '');
        throw new Error(`mariadbd exited during startup:\n${log.slice(-2000)}`);
      }
      try {
        const conn = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: '' });
        // The user DMS connects as: the replication grants a MySQL source needs, and a password.
        await conn.query(`CREATE USER ?@'%' IDENTIFIED BY ?`, [user.name, user.password]);
        await conn.query(`GRANT SELECT, REPLICATION CLIENT, REPLICATION SLAVE ON *.* TO ?@'%'`, [user.name]);
        await conn.end();
        break;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`mariadbd did not accept connections within 60 s: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const server = child;
    return {
      port,
      pid: server.pid!,
      async stop() {
        if (server.exitCode === null && server.signalCode === null) {
          const exited = new Promise((r) => server.once('exit', r));
          server.kill('SIGTERM');
          const t = setTimeout(() => server.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(t);
        }
        await rm(base, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
