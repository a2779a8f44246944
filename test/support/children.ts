import type { ChildProcess } from 'node:child_process';

// Processes a test starts must not outlive the test process, however it ends: support modules
// register their children here and one exit hook kills whatever is still running.

type Killer = (child: ChildProcess) => void;

const live = new Map<ChildProcess, Killer>();
let hookInstalled = false;

/** Kills `child` (SIGKILL, or with `kill`) if it is still running when the test process exits. */
export function killOnExit(child: ChildProcess, kill: Killer = (c) => c.kill('SIGKILL')): void {
  if (!hookInstalled) {
    hookInstalled = true;
    process.on('exit', () => {
      for (const [c, k] of live) {
        try {
          k(c);
        } catch {
          // Already gone.
        }
      }
    });
  }
  live.set(child, kill);
  child.once('exit', () => live.delete(child));
}
