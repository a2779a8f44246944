// Shared by the deploy tests: builds the bundles into a private temp dir outside the repo (so no
// node_modules is reachable from them, and parallel test files never share one dist/), and runs
// child processes with a bounded time.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const execFileP = promisify(execFile);

const temps: string[] = [];

/** A new empty directory under the OS temp dir (removed by `removeTemps`). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `dmslite-${prefix}-`));
  temps.push(dir);
  return dir;
}

export function removeTemps(): void {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** `node infra/build.mjs <outdir>` into a fresh temp dir; returns the dir and what the build printed. */
export async function buildBundles(): Promise<{ dist: string; output: string }> {
  const dist = tempDir('dist');
  const { stdout, stderr } = await execFileP(process.execPath, [join(REPO, 'infra/build.mjs'), dist], { cwd: REPO, timeout: 60_000 });
  return { dist, output: stdout + stderr };
}

/** No node_modules folder in `dir` or any parent: a bundle run there can only use what it carries. */
export function assertNoNodeModulesAbove(dir: string): void {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) throw new Error(`${join(d, 'node_modules')} is reachable from ${dir}`);
    if (dirname(d) === d) return;
  }
}

/** A clean environment for a bundle: PATH and HOME only, plus `extra` (no NODE_PATH, no AWS profile). */
export function bundleEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tempDir('home'), ...extra };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a process to its end, feeding `input` to stdin; kills it after `timeoutMs`. */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Waits until `child` printed a line matching `pattern` on stdout or stderr, or fails with its output. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolveWait, reject) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen += String(d);
      if (pattern.test(seen)) {
        cleanup();
        resolveWait(seen);
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`process exited (code ${code}, signal ${signal}) before printing ${pattern}:\n${seen}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${seen}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Resolves with the exit code and signal of `child` (at once if it has already exited). */
export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
}
