import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logger } from '../core/logger.js';

// Launchers for the embedded DynamoDB Local (the real jar shipped in amplify-dynamodb-simulator)
// and kinesalite, used by `npm start` and by the tests. Both listen on 127.0.0.1 only, and both
// exit when the process that started them dies, however it dies: each holds its stdin pipe open
// and exits when the pipe closes (the kernel closes it when the parent is gone).

const require = createRequire(import.meta.url);
const HERE = dirname(fileURLToPath(import.meta.url));

export interface EmbeddedService {
  endpoint: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export class MissingJavaError extends Error {
  constructor() {
    super(
      'DynamoDB Local needs Java 17+: install it (Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless) ' +
        'or point dmslite at another DynamoDB with AWS_ENDPOINT_URL_DYNAMODB (e.g. LocalStack: http://localhost:4566)',
    );
  }
}

/** null without Java; otherwise whether the JVM can run a single-file source program (jdk.compiler). */
async function javaModules(): Promise<{ sourceLauncher: boolean } | null> {
  return new Promise((resolve) => {
    const p = spawn('java', ['--list-modules'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d) => (out += String(d)));
    p.on('error', () => resolve(null));
    p.on('exit', (code) => resolve(code === 0 ? { sourceLauncher: /^jdk\.compiler@/m.test(out) } : null));
  });
}

function emulatorDir(): string {
  return join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
}

async function waitForHttp(url: string, child: ChildProcess, what: string, timeoutMs = 90_000, stderr: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`${what} exited with code ${exited} before it was ready${stderr() ? `: ${stderr()}` : ''}`);
    try {
      await fetch(url, { method: 'POST', signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`${what} did not start within ${timeoutMs} ms${stderr() ? `: ${stderr()}` : ''}`);
}

function stopChild(child: ChildProcess, cleanup?: () => void): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    cleanup?.();
  };
}

// Browsers may not drive DynamoDB Local from a web page: its CORS default is '*'; allow only an
// origin that cannot exist (RFC 2606 reserves .invalid).
const NO_CORS_ORIGIN = 'http://dmslite.invalid';

/**
 * DynamoDB Local in memory, or persisted under `dataDir`; one shared database for every access key.
 * The jar has no host option (its Jetty connector binds every interface), so it is started through
 * handlers/dynamodb-local/LoopbackDynamoDBLocal.java, which binds the same server to 127.0.0.1,
 * and the listening sockets are then checked. A JVM without jdk.compiler (jlinked JREs) cannot run
 * that launcher: the jar then runs as shipped, listening on every interface, with a warning.
 * Telemetry is off (-disableTelemetry and DDB_LOCAL_TELEMETRY=0).
 */
export async function startDynamoDbLocal(opts: { dataDir?: string; port?: number } = {}): Promise<EmbeddedService> {
  const java = await javaModules();
  if (!java) throw new MissingJavaError();
  const port = opts.port ?? (await freePort());
  const emulator = emulatorDir();
  // It writes a metadata file into its working directory: give it one of its own.
  const cwd = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'dmslite-ddb-'));
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const storage = opts.dataDir ? ['-dbPath', opts.dataDir] : ['-inMemory'];
  const args = [...storage, '-sharedDb', '-disableTelemetry', '-cors', NO_CORS_ORIGIN, '-port', String(port)];
  const jar = join(emulator, 'DynamoDBLocal.jar');
  const launcher = java.sourceLauncher ? await compiledLauncher(jar) : undefined;
  const main = launcher ? ['-cp', `${launcher}${delimiter}${jar}`, 'LoopbackDynamoDBLocal'] : ['-jar', jar];
  if (!java.sourceLauncher) {
    logger.warn('this Java runtime lacks jdk.compiler: DynamoDB Local listens on every interface; install a full JRE/JDK (e.g. openjdk-17-jre-headless) to keep it on 127.0.0.1', { port });
  }
  const child = spawn('java', ['-Xmx512m', `-Djava.library.path=${join(emulator, 'DynamoDBLocal_lib')}`, ...main, ...args], {
    cwd,
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
  });
  const endpoint = `http://127.0.0.1:${port}`;
  // A JVM start can take a minute on a loaded machine.
  await waitForHttp(endpoint, child, 'DynamoDB Local', 120_000, stderrTail(child));
  if (launcher) {
    const open = nonLoopbackListeners(port);
    if (open.length) {
      child.kill('SIGKILL');
      throw new Error(`DynamoDB Local listens beyond loopback (${open.join(', ')}); refusing to run it`);
    }
  }
  return {
    endpoint,
    port,
    process: child,
    stop: stopChild(child, () => {
      if (!opts.dataDir && existsSync(cwd)) rmSync(cwd, { recursive: true, force: true });
    }),
  };
}

/**
 * The loopback launcher compiled once per machine (javac from the JVM's own jdk.compiler module)
 * into a cache directory named after its source, so later starts do not compile it again.
 */
async function compiledLauncher(jar: string): Promise<string> {
  const source = join(HERE, 'dynamodb-local', 'LoopbackDynamoDBLocal.java');
  const hash = createHash('sha256').update(readFileSync(source)).update(jar).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `dmslite-ddb-launcher-${hash}`);
  if (existsSync(join(dir, 'LoopbackDynamoDBLocal.class'))) return dir;
  const work = mkdtempSync(join(tmpdir(), 'dmslite-ddb-launcher-build-'));
  const out = await new Promise<{ code: number | null; err: string }>((res) => {
    const p = spawn('java', ['-m', 'jdk.compiler/com.sun.tools.javac.Main', '-nowarn', '-d', work, '-cp', jar, source], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += String(d)));
    p.on('error', (e) => res({ code: -1, err: e.message }));
    p.on('exit', (code) => res({ code, err }));
  });
  if (out.code !== 0) {
    rmSync(work, { recursive: true, force: true });
    throw new Error(`Could not compile the DynamoDB Local loopback launcher: ${out.err.trim().slice(-1000)}`);
  }
  try {
    renameSync(work, dir); // atomic: a concurrent start either sees the whole directory or none
  } catch {
    rmSync(work, { recursive: true, force: true }); // another start won the race
  }
  return dir;
}

/** The last lines a child wrote to stderr, for start-up errors. */
function stderrTail(child: ChildProcess): () => string {
  let tail = '';
  child.stderr?.on('data', (d) => (tail = (tail + String(d)).slice(-2000)));
  return () => tail.trim();
}

/**
 * Listening TCP sockets on `port` that are not on a loopback address, from /proc/net/tcp{,6}
 * (Linux; elsewhere nothing can be read and the list is empty).
 */
export function nonLoopbackListeners(port: number): string[] {
  return listeningSockets().filter((s) => s.port === port && !s.loopback).map((s) => `${s.address}:${s.port}`);
}

export interface ListeningSocket {
  address: string;
  port: number;
  loopback: boolean;
  inode: number;
}

/** Every listening TCP socket of this machine's network namespace (Linux /proc). */
export function listeningSockets(): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue; // 0A = LISTEN
      const [hex, portHex] = f[1].split(':');
      const address = hex.length === 8 ? ipv4(hex) : ipv6(hex);
      out.push({ address, port: parseInt(portHex, 16), loopback: isLoopback(address), inode: Number(f[9]) });
    }
  }
  return out;
}

function ipv4(hex: string): string {
  // Little-endian 32-bit word.
  return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
}

function ipv6(hex: string): string {
  // Four little-endian 32-bit words.
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) for (const i of [3, 2, 1, 0]) bytes.push(parseInt(hex.slice(w * 8 + i * 2, w * 8 + i * 2 + 2), 16));
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || /^::ffff:127\./.test(address) || address === '::1' || address === '0:0:0:0:0:0:0:1';
}

/**
 * kinesalite in a child process on 127.0.0.1, streams active at once; in memory, or persisted in
 * LevelDB under `dataDir` (its prebuilt leveldown binding).
 */
export async function startKinesalite(opts: { port?: number; dataDir?: string } = {}): Promise<EmbeddedService> {
  const port = opts.port ?? (await freePort());
  const main = require.resolve('kinesalite');
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const options = { createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000, ...(opts.dataDir ? { path: opts.dataDir } : {}) };
  // Its CLI has no host option: listen on loopback only. Exit when the parent's pipe closes.
  const script = [
    `require(${JSON.stringify(main)})(${JSON.stringify(options)}).listen(${port},'127.0.0.1');`,
    `process.stdin.on('end',()=>process.exit(0)).on('error',()=>process.exit(0)).resume();`,
    `process.on('SIGTERM',()=>process.exit(0));`,
  ].join('');
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'ignore', 'pipe'] });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitForHttp(endpoint, child, 'kinesalite', 30_000, stderrTail(child));
  return { endpoint, port, process: child, stop: stopChild(child) };
}
