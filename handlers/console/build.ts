import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Builds the console (handlers/console/app) with esbuild into memory, once per process: uPlot and the
// code are bundled, nothing is fetched from elsewhere at run time.

export interface ConsoleAsset {
  contentType: string;
  body: Buffer;
}

const APP_DIR = join(dirname(fileURLToPath(import.meta.url)), 'app');

let built: Promise<Map<string, ConsoleAsset>> | undefined;

export function consoleAssets(): Promise<Map<string, ConsoleAsset>> {
  built ??= build().catch((e) => {
    built = undefined; // try again on the next request
    throw e;
  });
  return built;
}

async function build(): Promise<Map<string, ConsoleAsset>> {
  // esbuild is a development dependency (present after `npm ci`); a deployed Lambda serves no console.
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: { app: join(APP_DIR, 'main.ts') },
    bundle: true,
    write: false,
    outdir: '/_dmslite',
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    logLevel: 'silent',
    loader: { '.css': 'css' },
  });
  const assets = new Map<string, ConsoleAsset>();
  for (const f of out.outputFiles) {
    const name = f.path.split('/').pop()!;
    assets.set(name, { contentType: name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8', body: Buffer.from(f.contents) });
  }
  assets.set('index.html', { contentType: 'text/html; charset=utf-8', body: readFileSync(join(APP_DIR, 'index.html')) });
  return assets;
}
