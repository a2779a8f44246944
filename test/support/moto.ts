// A private moto_server (python3 moto) on 127.0.0.1 and a free port: the Secrets Manager,
// CloudWatch Logs, SNS, SQS (and DynamoDB, Kinesis) a user brings. Killed by stop() or at exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../handlers/embedded.js';

export interface MotoServer {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let hooked = false;

export async function startMoto(): Promise<MotoServer> {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  let log = '';
  child.stderr!.on('data', (d) => (log = (log + String(d)).slice(-4000)));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (e) => reject(new Error(`moto_server could not start (pip install 'moto[server]'): ${e.message}`))),
  );
  spawnError.catch(() => undefined);
  const stop = async () => {
    live.delete(child);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited ${child.exitCode}:\n${log}`);
    try {
      const res = await Promise.race([fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2000) }), spawnError]);
      if (res.ok) return { endpoint, port, stop };
    } catch (e) {
      if ((e as Error).message.includes('moto_server')) throw e;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer within 60 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
