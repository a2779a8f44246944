import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { descendantsOf, processAlive, REPO_ROOT } from '../../support/npm-start.js';

// `npm run demo` end to end, as a user runs it: records appear, Ctrl-C (SIGINT to the whole
// foreground process group, as a terminal sends it) leaves no process behind.

const STRIPPED = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_KINESIS', 'DMSLITE_TABLE', 'DMSLITE_SECRET_KEY', 'DMSLITE_DATA_DIR', 'PORT', 'HOST', 'DEMO_SOURCE'];

describe('npm run demo', () => {
  it('prints CDC records as they arrive and the console URL; Ctrl-C stops everything', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', DMSLITE_LOG_LEVEL: 'WARN' };
    for (const k of STRIPPED.filter((k) => k !== 'PORT')) delete env[k];
    const child = spawn('npm', ['run', 'demo'], { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
    const group = child.pid!;
    try {
      await expect.poll(() => out, { timeout: 240_000, interval: 500 }).toMatch(/Console: +http:\/\/127\.0\.0\.1:\d+\/_dmslite\//);
      // Full-load rows first, then changes written while the demo runs, one record per line.
      await expect.poll(() => out, { timeout: 120_000, interval: 500 }).toMatch(/data +insert +dmslite_demo\.orders +\{"id":1\d/);
      await expect.poll(() => out, { timeout: 60_000, interval: 500 }).toMatch(/data +update +dmslite_demo\.customers/);
      expect(out).toMatch(/data +load +dmslite_demo\.customers +\{"id":1,/);
      expect(out).not.toContain('}{');
      const url = /Console: +(http:\/\/\S+)/.exec(out)![1];
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('dmslite console');
      const running = [group, ...descendantsOf(group)];
      expect(running.length).toBeGreaterThan(3); // node, java (DynamoDB Local), kinesalite, mariadbd
      process.kill(-group, 'SIGINT');
      const end = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 90_000))]);
      // npm itself ends on the SIGINT it got; the demo cleans up and exits 0 (its last line says so).
      expect(end === 'timeout' ? end : end.code === 0 || end.signal === 'SIGINT').toBe(true);
      await expect.poll(() => out, { timeout: 90_000 }).toContain('nothing left running');
      await expect.poll(() => running.filter(processAlive), { timeout: 30_000 }).toEqual([]);
    } finally {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }, 420_000);

  it('without MariaDB says in one line how to install it or how to use a server of your own', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, MARIADB_BIN: '/nonexistent-mariadb-bin' };
    for (const k of STRIPPED) delete env[k];
    const child = spawn('npm', ['run', '--silent', 'demo'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(1);
    const lines = stderr.split('\n').filter((l) => l.includes('MariaDB'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('apt-get install -y mariadb-server');
    expect(lines[0]).toContain('DEMO_SOURCE=mysql://');
  }, 120_000);
});
