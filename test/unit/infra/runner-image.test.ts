// infra/Dockerfile, infra/healthcheck.mjs and infra/README.md: the image copies what the build
// makes and runs as a non-root user, the health check tells a fresh heartbeat from a stale one,
// and the README documents every environment variable the code reads.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLES } from '../../../infra/build.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const read = (f: string) => readFileSync(join(REPO, f), 'utf8');
const temp = mkdtempSync(join(tmpdir(), 'dmslite-health-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function sourceFiles(dir: string): string[] {
  return readdirSync(join(REPO, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

async function healthcheck(env: Record<string, string>): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [join(REPO, 'infra/healthcheck.mjs')], { env: { PATH: process.env.PATH, ...env } });
    return { code: 0, output: stdout };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, output: err.stderr };
  }
}

describe('infra/Dockerfile', () => {
  const dockerfile = read('infra/Dockerfile');

  it('is node:22-slim with the runner bundle and the health check, run by a non-root user', () => {
    expect(dockerfile).toMatch(/^FROM node:22-slim$/m);
    const runner = BUNDLES.find((b) => b.name === 'runner')!;
    expect(runner.entry).toBe('handlers/runner.ts');
    expect(dockerfile).toMatch(/^COPY dist\/runner\/index\.mjs dist\/runner\/index\.mjs\.map \/app\/$/m);
    const copied = [...dockerfile.matchAll(/^COPY (infra\/\S+) /gm)].map((m) => m[1]);
    expect(copied).toEqual(['infra/healthcheck.mjs']);
    for (const f of copied) expect(existsSync(join(REPO, f))).toBe(true);
    const user = /^USER (\S+)$/m.exec(dockerfile)?.[1];
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)$/);
    const cmd = 'CMD ["node", "--max-old-space-size=192", "/app/index.mjs"]';
    expect(dockerfile).toContain(cmd);
    expect(dockerfile.indexOf('USER ')).toBeLessThan(dockerfile.indexOf(cmd));
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\\\n\s+CMD \["node", "\/app\/healthcheck\.mjs"\]$/m);
    expect(dockerfile).toMatch(/^STOPSIGNAL SIGTERM$/m);
  });
});

describe('infra/healthcheck.mjs', () => {
  it('is healthy while the heartbeat file is fresh, unhealthy when stale or missing', async () => {
    const file = join(temp, 'runner.health');
    const missing = await healthcheck({ DMSLITE_HEALTH_FILE: file });
    expect(missing.code).toBe(1);
    expect(missing.output).toMatch(/no heartbeat file/);

    writeFileSync(file, '');
    expect(await healthcheck({ DMSLITE_HEALTH_FILE: file })).toMatchObject({ code: 0 });

    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    const stale = await healthcheck({ DMSLITE_HEALTH_FILE: file });
    expect(stale.code).toBe(1);
    // 60 s, plus the child's start-up on a loaded machine.
    expect(stale.output).toMatch(/last heartbeat 6\d s ago/);
    expect(await healthcheck({ DMSLITE_HEALTH_FILE: file, DMSLITE_HEALTH_MAX_AGE_MS: '120000' })).toMatchObject({ code: 0 });
    expect(statSync(file).size).toBe(0);
  });
});

describe('infra/README.md', () => {
  it('documents every environment variable that core/ and handlers/ read', () => {
    const readme = read('infra/README.md');
    const documented = new Set([...readme.matchAll(/^\| `([A-Z][A-Z0-9_]*)`/gm)].map((m) => m[1]));
    const used = new Set(
      [...sourceFiles('core'), ...sourceFiles('handlers')].flatMap((f) => [...read(f).matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1])),
    );
    // Mentioned in another variable's row.
    const inOtherRows = new Set(['AWS_DEFAULT_REGION', 'POWERTOOLS_LOG_LEVEL']);
    const undocumented = [...used].filter((v) => !documented.has(v) && !inOtherRows.has(v)).sort();
    expect(undocumented, 'add them to the table in infra/README.md').toEqual([]);
    for (const v of inOtherRows) expect(readme).toContain(`\`${v}\``);
  });
});
