// `npm start` as a user runs it (the real npm, its shell, node, DynamoDB Local's java, kinesalite):
// every listening socket of every one of its processes is on loopback; a second stack on the same
// data directory or port is refused with one clear line; SIGTERM to npm leaves no process and
// frees the port; a hard kill of the main process or the death of any child takes everything down.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, listeningSockets } from '../../../handlers/embedded.js';
import { REPO_ROOT, descendantsOf, processAlive, startNpmStart } from '../../support/npm-start.js';

const temps: string[] = [];
const started: ChildProcess[] = [];
afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) {
    for (const pid of descendantsOf(c.pid!)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    c.kill('SIGKILL');
  }
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dmslite-hygiene-'));
  temps.push(d);
  return d;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_KINESIS', 'DMSLITE_TABLE', 'DMSLITE_SECRET_KEY', 'DMSLITE_DATA_DIR', 'PORT', 'HOST', 'npm_config_loglevel']) delete env[k];
  return { ...env, DMSLITE_LOG_LEVEL: 'WARN', ...extra };
}

/** Runs a command to its end (bounded), returning its exit code and output. */
function runToEnd(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(child);
    let output = '';
    child.stdout.on('data', (d) => (output += String(d)));
    child.stderr.on('data', (d) => (output += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Socket inodes a process holds open. */
function socketInodes(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) out.push(Number(m[1]));
      } catch {
        /* closed meanwhile */
      }
    }
  } catch {
    /* gone */
  }
  return out;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

describe('npm start', () => {
  it('listens on loopback only, refuses a second stack, and SIGTERM to npm leaves nothing behind', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const npm = spawn('npm', ['start'], { cwd: REPO_ROOT, env: cleanEnv({ PORT: String(port), DMSLITE_DATA_DIR: dataDir }), stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(npm);
    let output = '';
    npm.stdout!.on('data', (d) => (output += String(d)));
    npm.stderr!.on('data', (d) => (output += String(d)));
    await waitFor(`"dmslite ready" in:\n${output}`, () => /dmslite ready on/.test(output) || npm.exitCode !== null, 180_000);
    expect(output).toMatch(new RegExp(`dmslite ready on http://127\\.0\\.0\\.1:${port}`));

    // Every process of the stack, and every socket it listens on.
    const tree = [npm.pid!, ...descendantsOf(npm.pid!)];
    const commands = tree.map((pid) => { try { return readdirSync(`/proc/${pid}`) && pid; } catch { return null; } });
    expect(commands.filter(Boolean).length).toBeGreaterThanOrEqual(5); // npm, sh, node, java, kinesalite
    const inodes = new Set(tree.flatMap(socketInodes));
    const listening = listeningSockets().filter((s) => inodes.has(s.inode));
    expect(listening.length).toBeGreaterThanOrEqual(3); // the edge, DynamoDB Local, kinesalite
    expect(listening.filter((s) => !s.loopback).map((s) => `${s.address}:${s.port}`)).toEqual([]);
    expect(listening.map((s) => s.port)).toContain(port);

    // A second stack on the same data directory: refused, nothing started.
    const second = await runToEnd(process.execPath, ['--import', 'tsx', 'handlers/local.ts'], cleanEnv({ PORT: String(await freePort()), DMSLITE_DATA_DIR: dataDir }));
    expect(second.code).toBe(1);
    expect(second.output).toMatch(new RegExp(`dmslite failed to start: DMSLITE_DATA_DIR .* is in use by another dmslite \\(pid \\d+\\); stop it or choose another DMSLITE_DATA_DIR`));
    // The same port: one line that says how to choose another.
    const busy = await runToEnd(process.execPath, ['--import', 'tsx', 'handlers/local.ts'], cleanEnv({ PORT: String(port) }));
    expect(busy.code).toBe(1);
    const errLines = busy.output.split('\n').filter((l) => l.startsWith('dmslite'));
    expect(errLines).toEqual([`dmslite failed to start: port ${port} on 127.0.0.1 is already in use; choose another with PORT=<port> npm start`]);

    npm.kill('SIGTERM');
    await waitFor('every process of the stack to exit', () => tree.every((pid) => !processAlive(pid)), 60_000);
    expect(await portFree(port)).toBe(true);
  });

  it('a SIGKILLed main process takes its children with it', async () => {
    const app = await startNpmStart();
    const kids = app.descendants();
    expect(kids.length).toBeGreaterThanOrEqual(2);
    process.kill(app.pid, 'SIGKILL');
    await waitFor('DynamoDB Local and kinesalite to exit', () => kids.every((pid) => !processAlive(pid)), 60_000);
    await app.stop();
  });

  it('SIGTERM to one child stops the whole stack', async () => {
    const app = await startNpmStart();
    const kids = app.descendants();
    const kinesalite = kids.find((pid) => { try { return readlinkSync(`/proc/${pid}/exe`).endsWith('node'); } catch { return false; } });
    expect(kinesalite).toBeDefined();
    process.kill(kinesalite!, 'SIGTERM');
    await waitFor('every process of the stack to exit', () => [app.pid, ...kids].every((pid) => !processAlive(pid)), 60_000);
    expect(app.output()).toMatch(/dmslite: kinesalite exited \(code 0\); stopping/);
    expect(await app.stop()).toEqual({ code: 1, signal: null });
  });
});
