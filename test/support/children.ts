import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

// Processes a test starts must not outlive the test process, however it ends (exit, SIGINT,
// SIGTERM): support modules register their children and temp directories here and one exit hook
// kills whatever is still running, then removes the directories.

type Killer = (child: ChildProcess) => void;

const live = new Map<ChildProcess, Killer>();
const dirs = new Set<string>();
let hookInstalled = false;

function cleanUp(): void {
  for (const [c, k] of live) {
    try {
      k(c);
    } catch {
      // Already gone.
    }
  }
  for (const d of dirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      // Best effort.
    }
  }
}

function installHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  process.on('exit', cleanUp);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { cleanUp(); process.exit(130); });
}

/** Kills `child` (SIGKILL, or with `kill`) if it is still running when the test process exits. */
export function killOnExit(child: ChildProcess, kill: Killer = (c) => c.kill('SIGKILL')): void {
  installHook();
  live.set(child, kill);
  child.once('exit', () => live.delete(child));
}

/** Removes `dir` when the test process exits, unless the returned function is called first (the owner removed it). */
export function removeOnExit(dir: string): () => void {
  installHook();
  dirs.add(dir);
  return () => void dirs.delete(dir);
}
