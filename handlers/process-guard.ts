import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

// Process hygiene for `npm start`: one stack per data directory, and no stack outliving its parent.

export class DataDirLockedError extends Error {}

interface LockOwner {
  pid: number;
  /** Start time of the owner in clock ticks since boot (Linux), so a recycled pid is not mistaken for it. */
  started?: string;
}

/** Start time of `pid` (field 22 of /proc/<pid>/stat), undefined when unknown or gone. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = startTimeOf(owner.pid);
  return owner.started === undefined || now === undefined || now === owner.started;
}

/**
 * Takes `<dir>/dmslite.lock` for this process; refuses while a live process holds it. A lock left
 * by a process that died (kill -9) is taken over. Returns the release function.
 */
export function lockDataDir(dir: string): () => void {
  const file = join(dir, 'dmslite.lock');
  const me: LockOwner = { pid: process.pid, started: startTimeOf(process.pid) };
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner: LockOwner | undefined;
      try {
        owner = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
      } catch {
        owner = undefined; // half-written or garbage: treat as stale
      }
      if (owner && typeof owner.pid === 'number' && alive(owner)) {
        throw new DataDirLockedError(
          `DMSLITE_DATA_DIR ${dir} is in use by another dmslite (pid ${owner.pid}); stop it or choose another DMSLITE_DATA_DIR`,
        );
      }
      rmSync(file, { force: true });
      continue;
    }
    writeSync(fd, JSON.stringify(me));
    closeSync(fd);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      try {
        const owner = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
        if (owner.pid === process.pid) rmSync(file, { force: true });
      } catch {
        /* already gone */
      }
    };
  }
  throw new DataDirLockedError(`Could not take the lock ${file}`);
}

/**
 * Calls `onOrphaned` once when this process's parent goes away (its ppid changes, e.g. `npm start`
 * killed: npm's shell dies without passing the signal on). Polls; the timer does not keep the
 * process alive.
 */
export function watchParent(onOrphaned: () => void, intervalMs = 500): () => void {
  const initial = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== initial) {
      clearInterval(timer);
      onOrphaned();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
