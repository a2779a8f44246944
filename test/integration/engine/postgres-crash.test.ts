import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresChanges } from '../../support/cdc-writer.js';
import { createInstance, createPostgresSource } from '../../support/dms.js';
import { startPostgres, type Postgres } from '../../support/postgres.js';
import { runnerCrashScenario } from '../../support/runner-crash.js';
import type { RunnerProcess } from '../../support/runner-process.js';
import { startTestStack, type TestStack } from '../../support/stack.js';

// PostgreSQL source: a runner process SIGKILLed three times while 20,000 single-row changes are
// written: every change reaches Kinesis at least once, in commit order per table, the duplicates are
// replays of the unacknowledged tail from a checkpoint, and the task's one replication slot is reused
// by every runner that takes over (never a second one).

const CHANGES = 20_000;
const KILLS = 3;
const TABLES = ['a', 'b'];

let stack: TestStack;
let db: Postgres;
let source: string;
let instance: string;
const runners: RunnerProcess[] = [];

beforeAll(async () => {
  process.env.DMSLITE_SECRET_KEY = randomBytes(32).toString('hex');
  [stack, db] = await Promise.all([startTestStack({ runner: false }), startPostgres()]);
  await db.query('CREATE DATABASE crashdb');
  await db.query('CREATE SCHEMA crash', [], 'crashdb');
  for (const t of TABLES) await db.query(`CREATE TABLE crash.${t} (id INT PRIMARY KEY, seq INT NOT NULL)`, [], 'crashdb');
  source = (await createPostgresSource(stack.dms, 'src', { port: db.port, ...db.dmsUser, database: 'crashdb' })).EndpointArn!;
  instance = (await createInstance(stack.dms, 'inst')).ReplicationInstanceArn!;
});
afterAll(async () => {
  await Promise.all(runners.map((r) => r.stop().catch(() => undefined)));
  await Promise.all([stack?.stop(), db?.stop()]);
});

describe('PostgreSQL CDC with a crashing runner', { timeout: 600_000 }, () => {
  it(`${KILLS} SIGKILLs during ${CHANGES} changes: all delivered, in commit order, duplicates only as replays`, async () => {
    await runnerCrashScenario({
      stack, source, instance, runners, schema: 'crash', tables: TABLES, changes: CHANGES, kills: KILLS, leaseMs: 2000,
      connect: postgresChanges({ port: db.port, user: db.user, password: db.password, database: 'crashdb' }), deleteImage: 'key',
    });
    // One slot for the task, whichever runner read it.
    expect((await db.query(`SELECT slot_name FROM pg_replication_slots`)).length).toBe(1);
  });
});
