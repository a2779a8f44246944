import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// Launchers for the embedded DynamoDB Local (the real jar shipped in amplify-dynamodb-simulator)
// and kinesalite, used by `npm start` and by the tests.

const require = createRequire(import.meta.url);

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

async function javaAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const p = spawn('java', ['-version'], { stdio: 'ignore' });
    p.on('error', () => resolve(false));
    p.on('exit', (code) => resolve(code === 0));
  });
}

function emulatorDir(): string {
  return join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
}

async function waitForHttp(url: string, child: ChildProcess, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`${what} exited with code ${exited} before it was ready`);
    try {
      await fetch(url, { method: 'POST', signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${what} did not start within ${timeoutMs} ms`);
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

/** DynamoDB Local in memory, or persisted under `dataDir`; one shared database for every access key. */
export async function startDynamoDbLocal(opts: { dataDir?: string; port?: number } = {}): Promise<EmbeddedService> {
  if (!(await javaAvailable())) throw new MissingJavaError();
  const port = opts.port ?? (await freePort());
  const emulator = emulatorDir();
  // It writes a metadata file into its working directory: give it one of its own.
  const cwd = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'dmslite-ddb-'));
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const storage = opts.dataDir ? ['-dbPath', opts.dataDir] : ['-inMemory'];
  const child = spawn(
    'java',
    ['-Xmx512m', `-Djava.library.path=${join(emulator, 'DynamoDBLocal_lib')}`, '-jar', join(emulator, 'DynamoDBLocal.jar'), ...storage, '-sharedDb', '-port', String(port)],
    { cwd, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  // A JVM start can take a minute on a loaded machine.
  await waitForHttp(endpoint, child, 'DynamoDB Local', 120_000);
  return {
    endpoint,
    port,
    process: child,
    stop: stopChild(child, () => {
      if (!opts.dataDir && existsSync(cwd)) rmSync(cwd, { recursive: true, force: true });
    }),
  };
}

/** kinesalite (in memory) in a child process, streams active at once. */
export async function startKinesalite(opts: { port?: number } = {}): Promise<EmbeddedService> {
  const port = opts.port ?? (await freePort());
  const main = require.resolve('kinesalite');
  // Its CLI has no host option: listen on loopback only.
  const script = `require(${JSON.stringify(main)})({createStreamMs:0,deleteStreamMs:0,updateStreamMs:0,shardLimit:1000}).listen(${port},'127.0.0.1')`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitForHttp(endpoint, child, 'kinesalite');
  return { endpoint, port, process: child, stop: stopChild(child) };
}
