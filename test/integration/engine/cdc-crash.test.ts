import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { mysqlChanges } from '../../support/cdc-writer.js';
import { createInstance, createMySqlSource } from '../../support/dms.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { runnerCrashScenario } from '../../support/runner-crash.js';
import type { RunnerProcess } from '../../support/runner-process.js';
import { startTestStack, type TestStack } from '../../support/stack.js';

// A runner process SIGKILLed five times while 20,000 single-row changes are written: every change
// reaches Kinesis at least once, in commit order per table, and the duplicates are replays of the
// unacknowledged tail from a checkpoint.

const CHANGES = 20_000;
const KILLS = 5;
const TABLES = ['a', 'b'];

let stack: TestStack;
let db: MariaDb;
let source: string;
let instance: string;
const runners: RunnerProcess[] = [];

beforeAll(async () => {
  process.env.DMSLITE_SECRET_KEY = randomBytes(32).toString('hex');
  [stack, db] = await Promise.all([startTestStack({ runner: false }), startMariaDb()]);
  await db.query('CREATE DATABASE crash');
  for (const t of TABLES) await db.query(`CREATE TABLE crash.${t} (id INT PRIMARY KEY, seq INT NOT NULL)`);
  source = (await createMySqlSource(stack.dms, 'src', { port: db.port, ...db.dmsUser })).EndpointArn!;
  instance = (await createInstance(stack.dms, 'inst')).ReplicationInstanceArn!;
});
afterAll(async () => {
  await Promise.all(runners.map((r) => r.stop().catch(() => undefined)));
  await Promise.all([stack?.stop(), db?.stop()]);
});

describe('CDC with a crashing runner', () => {
  it(`${KILLS} SIGKILLs during ${CHANGES} changes: all delivered, in commit order, duplicates only as replays`, async () => {
    await runnerCrashScenario({
      stack, source, instance, runners, schema: 'crash', tables: TABLES, changes: CHANGES, kills: KILLS, leaseMs: 2000,
      connect: mysqlChanges(db.port), deleteImage: 'row',
    });
  });
});
