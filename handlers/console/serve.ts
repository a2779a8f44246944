import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleConsoleRequest, CONSOLE_TARGET_PREFIX, type LogTailReader } from '../../core/console/observe-api.js';
import { logger } from '../../core/logger.js';
import { readTaskLogTail } from '../../core/observe/log-store.js';
import { apiDepsFromEnv } from '../../core/runtime.js';
import { consoleAssets } from './build.js';

// The console on the edge's port: GET /_dmslite/ serves the page and its bundle; POST / with
// X-Amz-Target DmsliteConsole.* answers its reads (the DMS API stays POST / for everything else).

export const CONSOLE_PATH = '/_dmslite/';

// Everything from this origin only: the page can reach nothing but dmslite itself.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** True when the request is the console's (and was answered). */
export function isConsoleAsset(req: IncomingMessage): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && /^\/_dmslite(\/|$|\?)/.test(req.url ?? '');
}

export function isConsoleApi(req: IncomingMessage): boolean {
  return req.method === 'POST' && String(req.headers['x-amz-target'] ?? '').startsWith(`${CONSOLE_TARGET_PREFIX}.`);
}

export async function serveConsoleAsset(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '').split('?')[0];
  if (path === '/_dmslite') {
    res.writeHead(301, { Location: CONSOLE_PATH, 'Content-Length': 0 });
    return void res.end();
  }
  const name = path.slice(CONSOLE_PATH.length) || 'index.html';
  let asset;
  try {
    asset = (await consoleAssets()).get(name);
  } catch (e) {
    logger.error('console build failed', { error: e as Error });
    const body = `The dmslite console could not be built: ${(e as Error).message}\n`;
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    return void res.end(body);
  }
  if (!asset) {
    const body = 'Not found\n';
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    return void res.end(body);
  }
  res.writeHead(200, {
    'Content-Type': asset.contentType,
    'Content-Length': asset.body.length,
    'Cache-Control': 'no-cache',
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
  res.end(req.method === 'HEAD' ? undefined : asset.body);
}

/** A task's recent log lines: the tail core/observe keeps in the state table (tasks with Logging.EnableLogging). */
const logTail: LogTailReader = async (deps, taskArn, maxLines) => (await readTaskLogTail(deps.table, taskArn, maxLines)).lines;

export async function serveConsoleApi(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
  const out = await handleConsoleRequest(String(req.headers['x-amz-target']), body.toString('utf8'), { ...apiDepsFromEnv(), logTail });
  res.writeHead(out.statusCode, { ...out.headers, 'Content-Length': Buffer.byteLength(out.body) });
  res.end(out.body);
}
