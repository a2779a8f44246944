import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { REPO_ROOT } from '../../support/npm-start.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';

// The README's AWS CLI walk-through, run as written (the unmodified AWS CLI, bash) against dmslite and
// a private MariaDB: only the ports and the stream name are adapted. What it prints is checked.

const execFileP = promisify(execFile);

function section(readme: string, heading: string, lang: string): string {
  const from = readme.indexOf(`## ${heading}`);
  expect(from, `README section ${heading}`).toBeGreaterThanOrEqual(0);
  const start = readme.indexOf('```' + lang + '\n', from);
  const end = readme.indexOf('\n```', start + 4);
  return readme.slice(start + lang.length + 4, end);
}

let stack: TestStack;
let db: MariaDb;

beforeAll(async () => {
  [stack, db] = await Promise.all([startTestStack({ runner: true }), startMariaDb()]);
});

afterAll(async () => {
  await stack?.stop();
  await db?.stop();
});

describe('README AWS CLI walk-through', () => {
  it('runs as written and prints the table statistics and one record per line', async () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const sql = section(readme, 'AWS CLI walk-through', 'sql')
      .split('\n')
      .filter((l) => !l.startsWith('--'))
      .join('\n')
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean);
    // The private server already has the README's user, with the README's grants.
    expect(sql.filter((s) => /^(CREATE USER|GRANT)/.test(s))).toEqual([
      `CREATE USER '${db.dmsUser.user}'@'%' IDENTIFIED BY '${db.dmsUser.password}'`,
      "GRANT SELECT, REPLICATION CLIENT, REPLICATION SLAVE ON *.* TO 'dms'@'%'",
    ]);
    for (const s of sql.filter((s) => !/^(CREATE USER|GRANT)/.test(s))) await db.query(s);

    const stream = uniqueName('orders');
    const script = section(readme, 'AWS CLI walk-through', 'sh')
      .replaceAll('http://127.0.0.1:4566', stack.url)
      .replace('--port 3306', `--port ${db.port}`)
      .replaceAll('--stream-name orders', `--stream-name ${stream}`)
      .replace('stream/orders,', `stream/${stream},`);
    expect(script).toContain(`--port ${db.port}`);
    const env = { PATH: process.env.PATH!, HOME: process.env.HOME!, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
    const { stdout } = await execFileP('bash', ['-euo', 'pipefail', '-c', script], { env, timeout: 300_000, maxBuffer: 16 << 20 });

    expect(stdout).toMatch(/^orders\tTable completed\t2\t0$/m);
    const records = stdout
      .split('\n')
      // The AWS CLI's own JSON answers are pretty-printed (`{` alone on a line); records are one line each.
      .filter((l) => l.startsWith('{"'))
      .map((l) => JSON.parse(l) as { data?: Record<string, unknown>; metadata: Record<string, string> });
    const loads = records.filter((r) => r.metadata.operation === 'load');
    expect(loads.map((r) => r.data)).toEqual([
      { id: 1, amount: 10.5 },
      { id: 2, amount: 99.9 },
    ]);
    expect(records.map((r) => `${r.metadata['record-type']} ${r.metadata.operation}`)).toEqual(
      expect.arrayContaining(['control drop-table', 'control create-table', 'data load']),
    );
    expect(stdout).not.toContain('}{');
  }, 400_000);
});
