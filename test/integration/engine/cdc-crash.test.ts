import { randomBytes } from 'node:crypto';
import { StopReplicationTaskCommand } from '@aws-sdk/client-database-migration-service';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from '../../support/dms.js';
import { createStream, readAllRecords } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { runs } from '../../support/cdc-writer.js';
import { startRunnerProcess, type RunnerProcess } from '../../support/runner-process.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { parseRecords, startTask, summary, waitForStatus, type ParsedRecord } from '../../support/task-flow.js';
import { seededRandom as random } from '../../support/random.js';

// A runner process SIGKILLed five times while 20,000 single-row changes are written: every change
// reaches Kinesis at least once, in commit order per table, and the duplicates are replays of the
// unacknowledged tail from a checkpoint.

const CHANGES = 20_000;
const KILLS = 5;
const LEASE_MS = 2000;
const TABLES = ['a', 'b'];

let stack: TestStack;
let db: MariaDb;
let source: string;
let instance: string;
const runners: RunnerProcess[] = [];
const kinesis = () => inject('kinesisEndpoint');

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

/** A change as a record shows it: `op:id:seq`, unique (seq is the change number; a delete carries the old row). */
const changeKey = (r: ParsedRecord) => `${String(r.json.metadata.operation)[0]}:${r.json.data!.id}:${r.json.data!.seq}`;

/**
 * Single-row autocommit changes (inserts, updates, deletes) over the tables, recording each
 * table's commit order. It never gets more than `allowed()` changes ahead.
 */
function startWriter(allowed: () => number) {
  const r = random(7);
  const committed: Record<string, string[]> = Object.fromEntries(TABLES.map((t) => [t, []]));
  const live: Record<string, Map<number, number>> = Object.fromEntries(TABLES.map((t) => [t, new Map()]));
  let nextId = 1;
  let n = 0;
  const done = (async () => {
    const conn = await mysql.createConnection({ host: '127.0.0.1', port: db.port, user: 'root', password: '' });
    try {
      while (n < CHANGES) {
        while (n >= allowed()) await new Promise((res) => setTimeout(res, 20));
        n++;
        const table = TABLES[Math.floor(r() * TABLES.length)]!;
        const rows = live[table]!;
        const x = r();
        const existing = rows.size > 0 ? [...rows.keys()][Math.floor(r() * Math.min(rows.size, 50))]! : undefined;
        if (existing === undefined || x < 0.5) {
          const id = nextId++;
          await conn.query(`INSERT INTO crash.${table} VALUES (?, ?)`, [id, n]);
          rows.set(id, n);
          committed[table]!.push(`i:${id}:${n}`);
        } else if (x < 0.85) {
          await conn.query(`UPDATE crash.${table} SET seq = ? WHERE id = ?`, [n, existing]);
          rows.set(existing, n);
          committed[table]!.push(`u:${existing}:${n}`);
        } else {
          await conn.query(`DELETE FROM crash.${table} WHERE id = ?`, [existing]);
          committed[table]!.push(`d:${existing}:${rows.get(existing)}`);
          rows.delete(existing);
        }
        // Pace: about 1,000 changes a second.
        if (n % 50 === 0) await new Promise((res) => setTimeout(res, 50));
      }
    } finally {
      await conn.end();
    }
  })();
  return { committed, done, get changes() { return n; } };
}

function claimedBy(r: RunnerProcess, arn: string): boolean {
  return r.logs().some((l) => l.message === 'task claimed' && l.taskArn === arn);
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('CDC with a crashing runner', () => {
  it(`${KILLS} SIGKILLs during ${CHANGES} changes: all delivered, in commit order, duplicates only as replays`, async () => {
    const stream = uniqueName('crash');
    await createStream(kinesis(), stream, 1);
    const target = (await createKinesisTarget(stack.dms, uniqueName('tgt'), stream)).EndpointArn!;
    const task = await createTask(stack.dms, { id: uniqueName('task'), source, target, instance, type: 'cdc', mappings: selectionMappings('crash') });
    const arn = task.ReplicationTaskArn!;
    await waitForStatus(stack.dms, arn, ['ready']);

    let current = await startRunnerProcess({ table: stack.tableName, leaseMs: LEASE_MS });
    runners.push(current);
    await startTask(stack.dms, arn);
    await waitForStatus(stack.dms, arn, ['running']);
    // The task announced itself: it reads the binlog from here on.
    await until('the control records', async () => parseRecords(await readAllRecords(kinesis(), stream)).length >= 3);

    // The writer is let through in slices, one per runner life, so every life sees changes.
    let kills = 0;
    const slice = Math.ceil(CHANGES / (KILLS + 1));
    const writer = startWriter(() => (kills >= KILLS ? CHANGES : (kills + 1) * slice));
    const rnd = random(11);
    for (kills = 0; kills < KILLS; ) {
      // Let this runner deliver part of its slice (and persist checkpoints), then kill it mid-stream.
      await until('the runner to claim the task', () => claimedBy(current, arn));
      await until('the writer to get into its slice', () => writer.changes >= kills * slice + slice / 3);
      await new Promise((r) => setTimeout(r, 700 + Math.floor(rnd() * 800)));
      current.kill('SIGKILL');
      expect((await current.waitExit()).signal).toBe('SIGKILL');
      kills++;
      current = await startRunnerProcess({ table: stack.tableName, leaseMs: LEASE_MS });
      runners.push(current);
    }
    await writer.done;
    await until('the last runner to claim the task', () => claimedBy(current, arn));
    expect(runners.filter((r) => claimedBy(r, arn))).toHaveLength(KILLS + 1);

    // Wait (bounded) until the last change of every table arrived.
    const last = TABLES.map((t) => writer.committed[t]!.at(-1)!);
    let records: ParsedRecord[] = [];
    await until('every table\'s last change', async () => {
      records = parseRecords(await readAllRecords(kinesis(), stream));
      const keys = new Set(records.filter((r) => r.json.metadata['record-type'] === 'data').map(changeKey));
      return last.every((k) => keys.has(k));
    }, 90_000);
    const stopped = await (async () => {
      await stack.dms.send(new StopReplicationTaskCommand({ ReplicationTaskArn: arn }));
      return waitForStatus(stack.dms, arn, ['stopped', 'failed']);
    })();
    expect(stopped).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason NORMAL' });
    records = parseRecords(await readAllRecords(kinesis(), stream));

    // Announced once: the runners that took over resumed, they did not start afresh.
    expect(summary(records.filter((r) => r.json.metadata['record-type'] === 'control')).sort()).toEqual([
      'create-table .awsdms_apply_exceptions',
      'create-table crash.a',
      'create-table crash.b',
    ]);
    let delivered = 0;
    for (const t of TABLES) {
      const keys = records.filter((r) => r.json.metadata['record-type'] === 'data' && r.json.metadata['table-name'] === t).map(changeKey);
      delivered += keys.length;
      const order = writer.committed[t]!;
      // At least once, in commit order: the last copy of each change, in stream order, is the commit order.
      expect(keys.filter((k, i) => keys.lastIndexOf(k) === i)).toEqual(order);
      // Duplicates are contiguous replays, at most one per runner life.
      const { starts, violations } = runs(keys, order);
      expect(violations).toEqual([]);
      expect(starts.length).toBeLessThanOrEqual(KILLS + 1);
    }
    expect(delivered).toBeGreaterThanOrEqual(CHANGES);
  });
});
