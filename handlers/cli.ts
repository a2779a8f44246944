import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DmsliteClient } from '../core/console/client.js';
import { renderStatus, statusRows } from '../core/console/status.js';
import { renderFrame, resolveTaskArn, watchTask } from '../core/console/watch.js';

// `npx dmslite watch <task id or ARN>` and `npx dmslite status` against any dmslite URL.

const USAGE = `usage:
  dmslite status [--endpoint-url URL]
  dmslite watch <task identifier or ARN> [--endpoint-url URL] [--json] [--interval MS]

  --endpoint-url  the dmslite URL (default $AWS_ENDPOINT_URL_DMS, $AWS_ENDPOINT_URL or http://127.0.0.1:4566)
  --json          one JSON object per poll instead of the live view (for scripts)
Requests are signed with $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY when set (needed when dmslite runs with DMSLITE_CREDENTIALS).`;

export async function main(argv: string[], out: NodeJS.WriteStream = process.stdout): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'endpoint-url': { type: 'string' },
        region: { type: 'string' },
        json: { type: 'boolean', default: false },
        interval: { type: 'string', default: '1000' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, target] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const env = process.env;
  const client = new DmsliteClient({
    endpoint: values['endpoint-url'] ?? env.AWS_ENDPOINT_URL_DMS ?? env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4566',
    region: values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { keys: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) } }
      : {}),
  });
  try {
    if (command === 'status') {
      out.write(`${renderStatus(await statusRows(client))}\n`);
      return 0;
    }
    if (command === 'watch') {
      if (!target) {
        console.error(`watch needs a task identifier or ARN\n${USAGE}`);
        return 2;
      }
      const interval = Number(values.interval);
      if (!Number.isFinite(interval) || interval < 100) {
        console.error('--interval must be a number of milliseconds, at least 100');
        return 2;
      }
      const arn = await resolveTaskArn(client, target);
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      const live = !values.json && out.isTTY;
      let drawn = 0;
      let tick = 0;
      const last = await watchTask(
        client,
        arn,
        (frame) => {
          if (values.json) return void out.write(`${JSON.stringify(frame)}\n`);
          const lines = renderFrame(frame, tick++);
          // Redraw in place on a terminal; append otherwise.
          if (live && drawn) out.write(`\x1b[${drawn}A\x1b[J`);
          out.write(`${lines.join('\n')}\n`);
          drawn = lines.length;
        },
        { intervalMs: interval, signal: controller.signal },
      );
      return last?.task.status === 'failed' ? 1 : 0;
    }
    console.error(`unknown command ${command}\n${USAGE}`);
    return 2;
  } catch (e) {
    const err = e as Error & { code?: string };
    console.error(`dmslite ${command}: ${err.code && err.code !== 'Error' ? `${err.code}: ` : ''}${err.message}`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
