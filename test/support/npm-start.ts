// `npm start` (handlers/local.ts) as a child process, the way a user runs it: its own
// DynamoDB Local (java) and kinesalite, one port, stopped with Ctrl-C (SIGINT).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../handlers/embedded.js';
import { killOnExit } from './children.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface NpmStart {
  url: string;
  port: number;
  pid: number;
  /** stdout + stderr so far (tail). */
  output(): string;
  /** Every live process below the server (DynamoDB Local's java, kinesalite, ...). */
  descendants(): number[];
  /** SIGINT, then waits for the exit (SIGKILL after `timeoutMs`, and an error). */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface NpmStartOptions {
  dataDir?: string;
  /** Extra environment for the server. */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

// Settings of the test process that must not leak into a stand-alone server.
const STRIPPED_ENV = [
  'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_KINESIS',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER', 'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS', 'AWS_ENDPOINT_URL_SNS',
  'DMSLITE_TABLE', 'DMSLITE_SECRET_KEY', 'DMSLITE_DATA_DIR', 'DMSLITE_CREATE_DELAY_MS', 'PORT', 'HOST',
];

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/** State letter of /proc/<pid>/stat, or null when the process does not exist. */
function procState(pid: number): { state: string; ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid ...; comm may hold spaces and parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], ppid: Number(rest[1]) };
  } catch {
    return null;
  }
}

/** True while the process exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  const s = procState(pid);
  return s !== null && s.state !== 'Z' && s.state !== 'X';
}

export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = procState(Number(name));
    if (!s) continue;
    const list = children.get(s.ppid) ?? [];
    list.push(Number(name));
    children.set(s.ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out.filter(processAlive);
}

/** Starts `node --import tsx handlers/local.ts` on a free port and waits for `dmslite ready`. */
export async function startNpmStart(opts: NpmStartOptions = {}): Promise<NpmStart> {
  if (!existsSync('/proc/self/stat')) throw new Error('npm-start helper needs /proc (Linux)');
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of STRIPPED_ENV) delete env[k];
  Object.assign(env, {
    PORT: String(port),
    HOST: '127.0.0.1',
    DMSLITE_LOG_LEVEL: process.env.DMSLITE_LOG_LEVEL ?? 'WARN',
    ...(opts.dataDir ? { DMSLITE_DATA_DIR: opts.dataDir } : {}),
    ...(opts.env ?? {}),
  });
  const child = spawn(process.execPath, ['--import', 'tsx', 'handlers/local.ts'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child, (c) => {
    for (const pid of descendantsOf(c.pid!)) killQuietly(pid);
    killQuietly(c.pid!);
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => {
      r({ code, signal });
    }),
  );

  // Generous: the stack starts a DynamoDB Local JVM, which alone can take minutes on a loaded machine.
  const timeoutMs = opts.readyTimeoutMs ?? 240_000;
  const url = await new Promise<string>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`npm start did not print "dmslite ready" within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = () => {
      const m = /dmslite ready on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolveReady(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (code ${code}, signal ${signal}) before it was ready:\n${output}`));
    });
  });

  let stopped: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  return {
    url,
    port,
    pid: child.pid!,
    output: () => output,
    descendants: () => descendantsOf(child.pid!),
    stop(stopTimeoutMs = 30_000) {
      stopped ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return exited;
        const kids = descendantsOf(child.pid!);
        child.kill('SIGINT');
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<'timeout'>((r) => {
          timer = setTimeout(() => r('timeout'), stopTimeoutMs);
        });
        const result = await Promise.race([exited, timedOut]);
        clearTimeout(timer);
        if (result === 'timeout') {
          for (const pid of kids) killQuietly(pid);
          child.kill('SIGKILL');
          await exited;
          throw new Error(`npm start did not exit within ${stopTimeoutMs} ms of SIGINT:\n${output}`);
        }
        return result;
      })();
      return stopped;
    },
  };
}
