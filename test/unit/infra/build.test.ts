// infra/build.mjs: the zip writer (read back here by an independent minimal reader using
// node:zlib) and the bundles' dependency closure: a CommonJS dependency that is not bundled
// would surface as a require() of a package name left in the output.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { BANNER, BUNDLES, bundleOptions, crc32, zipFiles } from '../../../infra/build.mjs';

interface Entry {
  name: string;
  data: Buffer;
  mode: number;
  method: number;
}

/** Reads a zip through its central directory, checking local headers and CRCs. */
function readZip(zip: Buffer): Entry[] {
  const eocd = zip.length - 22;
  expect(zip.readUInt32LE(eocd)).toBe(0x06054b50);
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  expect(p + zip.readUInt32LE(eocd + 12)).toBe(eocd);
  const out: Entry[] = [];
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(p)).toBe(0x02014b50);
    const method = zip.readUInt16LE(p + 10);
    const crc = zip.readUInt32LE(p + 16);
    const csize = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const mode = zip.readUInt32LE(p + 38) >>> 16;
    const local = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    expect(zip.readUInt32LE(local)).toBe(0x04034b50);
    expect(zip.subarray(local + 30, local + 30 + zip.readUInt16LE(local + 26)).toString('utf8')).toBe(name);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + csize);
    const data = method === 8 ? inflateRawSync(raw) : Buffer.from(raw);
    expect(data.length).toBe(size);
    expect(crc32(data)).toBe(crc);
    out.push({ name, data, mode, method });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

describe('crc32', () => {
  it('matches the standard check values', () => {
    expect(crc32(Buffer.from(''))).toBe(0);
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.from('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
  });
});

describe('zipFiles', () => {
  it('writes deflated (or stored, when smaller) files, mode 0644, readable back byte for byte', () => {
    const text = Buffer.from('export const handler = async () => ({ statusCode: 200 });\n'.repeat(500));
    const random = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919) % 251));
    const files = [
      { name: 'index.mjs', data: text },
      { name: 'index.mjs.map', data: random },
      { name: 'empty.txt', data: Buffer.alloc(0) },
    ];
    const zip = zipFiles(files);
    const back = readZip(zip);
    expect(back.map((e) => e.name)).toEqual(['index.mjs', 'index.mjs.map', 'empty.txt']);
    for (const [i, e] of back.entries()) {
      expect(e.data.equals(files[i].data)).toBe(true);
      expect(e.mode).toBe(0o100644);
    }
    expect(back[0].method).toBe(8);
    expect(zip.length).toBeLessThan(text.length / 10);
  });

  it('is reproducible: the same files give the same bytes', () => {
    const files = [{ name: 'a', data: Buffer.from('same') }];
    expect(zipFiles(files).equals(zipFiles(files))).toBe(true);
  });
});

describe('the bundles', () => {
  it('bundle the API and the runner entries', () => {
    expect(BUNDLES.map((b) => [b.name, b.entry])).toEqual([
      ['api', 'handlers/api.ts'],
      ['runner', 'handlers/runner.ts'],
    ]);
  });

  it('define require/__dirname for CommonJS dependencies in the ESM output', () => {
    const opts = bundleOptions('handlers/api.ts', '/tmp/x.mjs');
    expect(opts).toMatchObject({ platform: 'node', format: 'esm', target: 'node20', bundle: true, sourcemap: 'linked' });
    expect(opts.external ?? []).toEqual([]);
    expect(BANNER).toMatch(/const require = \w+\(import\.meta\.url\)/);
    expect(BANNER).toMatch(/const __dirname/);
  });

  it('leave no require() of a package: mysql2, zongji, the AWS SDK are all inside', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dmslite-unit-bundle-'));
    temps.push(dir);
    for (const b of BUNDLES) {
      const outfile = join(dir, `${b.name}.mjs`);
      // Unminified, so esbuild's __require helper keeps its name.
      await esbuild.build({ ...bundleOptions(b.entry, outfile), minify: false, sourcemap: false });
      const code = readFileSync(outfile, 'utf8');
      const literal = [...code.matchAll(/__require\("([^"]+)"\)/g)].map((m) => m[1]);
      expect(literal.filter((s) => !isBuiltin(s)), `${b.name}: packages required at run time`).toEqual([]);
      // Computed requires: only mysql2's optional `cardinal` (a try/catch'd syntax highlighter for debug output).
      const computed = [...code.matchAll(/__require\(([^")][^)]*)\)/g)].map((m) => m[1]);
      expect(computed.filter((s) => !s.includes('cardinal')), `${b.name}: computed requires`).toEqual([]);
      const imports = [...code.matchAll(/^import\s.*?from\s*["']([^"']+)["']/gm)].map((m) => m[1]);
      expect(imports.filter((s) => !isBuiltin(s)), `${b.name}: imports`).toEqual([]);
    }
    expect(readFileSync(join(dir, 'runner.mjs'), 'utf8')).toContain('@vlasky/zongji');
  });
});
