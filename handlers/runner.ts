import { pathToFileURL } from 'node:url';

// The long-running runner (a container in AWS): claims started tasks from DynamoDB and runs them.

export interface RunningRunner {
  stop(): Promise<void>;
}

export async function startRunner(_opts: Record<string, unknown>): Promise<RunningRunner> {
  return { async stop() {} };
}

async function main() {
  const runner = await startRunner({});
  const shutdown = async () => {
    await runner.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main();
