#!/usr/bin/env node
// Builds the deployable bundles into dist/ (`npm run build`):
//   dist/api/index.mjs (+ .map)      the DMS API Lambda, `index.handler`, nodejs22.x (runs on Node 20+ too)
//   dist/api.zip                     the same two files at the zip root, for `aws lambda create-function --zip-file`
//   dist/runner/index.mjs (+ .map)   the runner process (`node index.mjs`), for infra/Dockerfile
// Each bundle is self-contained: every dependency, the AWS SDK clients included, is inside it,
// so no node_modules is needed beside it. The zip is written here in plain JS (node:zlib), with
// fixed timestamps, so the same sources give the same bytes on any machine.
import * as esbuild from 'esbuild';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// CommonJS dependencies (mysql2, zongji, ...) call require() and read __dirname; an ESM bundle
// has neither, so the banner defines them from import.meta.url. esbuild's own __require helper
// falls back to this `require` for the few calls it cannot resolve at build time (Node builtins).
export const BANNER = [
  "import { createRequire as __dmsliteCreateRequire } from 'node:module';",
  "import { fileURLToPath as __dmsliteFileURLToPath } from 'node:url';",
  "import { dirname as __dmsliteDirname } from 'node:path';",
  'const require = __dmsliteCreateRequire(import.meta.url);',
  'const __filename = __dmsliteFileURLToPath(import.meta.url);',
  'const __dirname = __dmsliteDirname(__filename);',
].join('\n');

/** The bundles: entry (relative to the repo root) -> output folder under dist/. */
export const BUNDLES = [
  { name: 'api', entry: 'handlers/api.ts', zip: 'api.zip' },
  { name: 'runner', entry: 'handlers/runner.ts' },
];

/** esbuild options shared by every bundle. */
// pg's CommonJS code `require`s pg-pool, whose ESM build (chosen by the `import` condition) would
// hand it a namespace object instead of the class: such requires get the package's CommonJS entry.
// pg loads the optional `pg-native` only when asked for its native client (never here); inside the
// bundle that require behaves as it does without the package installed: MODULE_NOT_FOUND.
const requireOfPg = createRequire(join(ROOT, 'package.json'));
const pgPackages = {
  name: 'pg-packages',
  setup(build) {
    build.onResolve({ filter: /^pg-pool$/ }, (args) => (args.kind === 'require-call' ? { path: requireOfPg.resolve(args.path) } : undefined));
    build.onResolve({ filter: /^pg-native$/ }, (args) => ({ path: args.path, namespace: 'absent' }));
    build.onLoad({ filter: /.*/, namespace: 'absent' }, (args) => ({
      contents: `const e = new Error("Cannot find module '${args.path}'"); e.code = 'MODULE_NOT_FOUND'; throw e;`,
      loader: 'js',
    }));
  },
};

export function bundleOptions(entry, outfile) {
  return {
    plugins: [pgPackages],
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Prefer the ESM builds of dual packages (AWS SDK, Powertools, middy).
    mainFields: ['module', 'main'],
    conditions: ['node', 'import'],
    sourcemap: 'linked',
    sourcesContent: false,
    minify: true,
    keepNames: true,
    legalComments: 'none',
    banner: { js: BANNER },
    logLevel: 'silent',
    metafile: true,
  };
}

/** Bundles one entry; throws on any error, returns esbuild's warnings as text. */
export async function bundle(entry, outfile) {
  const result = await esbuild.build(bundleOptions(entry, outfile));
  const warnings = await esbuild.formatMessages(result.warnings, { kind: 'warning', color: false });
  return { warnings, metafile: result.metafile };
}

// ---------------------------------------------------------------- zip (PKZIP, deflate)

let crcTable;
/** CRC-32 (IEEE 802.3), as zip wants it. */
export function crc32(buf) {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < buf.length; i++) crc = crcTable[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * A zip archive of the given files (name -> bytes): deflated, regular files with mode 0644,
 * every timestamp 1980-01-01 00:00 so the archive is reproducible. No zip64 (files < 4 GiB).
 */
export function zipFiles(files) {
  const DOS_TIME = 0;
  const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const { name, data } of files) {
    const nameBuf = Buffer.from(name, 'utf8');
    const deflated = deflateRawSync(data, { level: 9 });
    const stored = deflated.length >= data.length;
    const body = stored ? data : deflated;
    const method = stored ? 0 : 8;
    const crc = crc32(data);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0
    local.writeUInt16LE(0x0800, 6); // flags: UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, nameBuf, body);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0 (so the mode below is honoured)
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attrs
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBuf);

    offset += local.length + nameBuf.length + body.length;
  }
  const centralBuf = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20);
  return Buffer.concat([...locals, centralBuf, end]);
}

// ---------------------------------------------------------------- build

function size(bytes) {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/**
 * Builds every bundle into `outdir` (default dist/ in the repo), replacing what was there.
 * Returns the written files and esbuild's warnings.
 */
export async function build({ outdir = join(ROOT, 'dist'), log = console.log } = {}) {
  const out = resolve(outdir);
  const written = [];
  const allWarnings = [];
  for (const b of BUNDLES) {
    const dir = join(out, b.name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const outfile = join(dir, 'index.mjs');
    const { warnings } = await bundle(b.entry, outfile);
    allWarnings.push(...warnings);
    for (const w of warnings) log(w.trimEnd());
    written.push(outfile, `${outfile}.map`);
    log(`${relative(process.cwd(), outfile) || outfile}  ${size(statSync(outfile).size)}  (map ${size(statSync(`${outfile}.map`).size)})`);
    if (b.zip) {
      const zipPath = join(out, b.zip);
      const zip = zipFiles([
        { name: 'index.mjs', data: readFileSync(outfile) },
        { name: 'index.mjs.map', data: readFileSync(`${outfile}.map`) },
      ]);
      writeFileSync(zipPath, zip);
      written.push(zipPath);
      log(`${relative(process.cwd(), zipPath) || zipPath}  ${size(zip.length)}`);
    }
  }
  return { files: written, warnings: allWarnings };
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  const outdir = process.argv[2];
  build(outdir ? { outdir } : {}).catch((e) => {
    // esbuild has already formatted its errors into the message.
    console.error(`build failed: ${e.message}`);
    process.exit(1);
  });
}
