import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from '../../support/dms.js';
import { createStream, readAllRecords } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startRunnerProcess, type RunnerProcess } from '../../support/runner-process.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { describeTask, startTask, tableStatistics, waitForStatus } from '../../support/task-flow.js';

// 100,000 rows over 4 tables, 2 tables at a time, through a runner in its own process: every
// row exactly once, per-table control records, statistics, and the runner's peak memory.

const TABLES = ['t1', 't2', 't3', 't4'];
const ROWS = [40_000, 30_000, 20_000, 10_000]; // 100,000
const MEMORY_LIMIT_MB = 256;

let stack: TestStack;
let db: MariaDb;
let runner: RunnerProcess;
const kinesis = () => inject('kinesisEndpoint');

/** Column values of row `id` of table number `t`, as inserted and as expected in `data`. */
function row(t: number, id: number) {
  return {
    id,
    big: id * 1_000_003 + t,
    name: `name-${t}-${id}`,
    amount: ((id * 7) % 100_000) / 100,
    created: `2024-0${1 + (id % 9)}-1${id % 10}T0${id % 10}:1${id % 10}:2${id % 10}Z`,
    ratio: id / 8, // binary fractions: exact whatever the client's float parser (see full-load-types for DOUBLE precision)
    flag: (id % 255) - 127,
    note: id % 5 === 0 ? null : `note ${'x'.repeat(id % 40)}`,
  };
}

beforeAll(async () => {
  process.env.DMSLITE_SECRET_KEY = randomBytes(32).toString('hex');
  [stack, db] = await Promise.all([startTestStack({ runner: false }), startMariaDb()]);
  runner = await startRunnerProcess({ table: stack.tableName });
  await db.query('CREATE DATABASE scale');
  await Promise.all(
    TABLES.map(async (name, t) => {
      await db.query(
        `CREATE TABLE scale.${name} (id INT PRIMARY KEY, big BIGINT NOT NULL, name VARCHAR(64) NOT NULL, amount DECIMAL(12,2),
         created DATETIME, ratio DOUBLE, flag TINYINT, note TEXT)`,
      );
      for (let start = 1; start <= ROWS[t]!; start += 5000) {
        const values = [];
        for (let id = start; id < start + 5000 && id <= ROWS[t]!; id++) {
          const r = row(t, id);
          values.push([r.id, r.big, r.name, r.amount, r.created.replace('T', ' ').replace('Z', ''), r.ratio, r.flag, r.note]);
        }
        await db.query(`INSERT INTO scale.${name} VALUES ?`, [values]);
      }
    }),
  );
});
afterAll(async () => {
  await runner?.stop();
  await Promise.all([stack?.stop(), db?.stop()]);
});

describe('full load at scale', () => {
  it('moves 100,000 rows of 4 tables with MaxFullLoadSubTasks 2: every key once, statistics, bounded runner memory', async () => {
    const counts = await db.query<{ t: string; n: number }[]>(
      TABLES.map((t) => `SELECT '${t}' AS t, COUNT(*) AS n FROM scale.${t}`).join(' UNION ALL '),
    );
    expect(counts.map((c) => [c.t, Number(c.n)])).toEqual(TABLES.map((t, i) => [t, ROWS[i]]));

    const stream = uniqueName('scale');
    await createStream(kinesis(), stream, 4);
    const source = (await createMySqlSource(stack.dms, 'src', { port: db.port, ...db.dmsUser })).EndpointArn!;
    const instance = (await createInstance(stack.dms, 'inst')).ReplicationInstanceArn!;
    const target = (await createKinesisTarget(stack.dms, 'tgt', stream, { MessageFormat: 'json-unformatted' })).EndpointArn!;
    const task = await createTask(stack.dms, {
      id: 'scale',
      source,
      target,
      instance,
      mappings: selectionMappings('scale'),
      settings: { FullLoadSettings: { MaxFullLoadSubTasks: 2, CommitRate: 5000 } },
    });
    const arn = task.ReplicationTaskArn!;
    await waitForStatus(stack.dms, arn, ['ready']);
    await startTask(stack.dms, arn);
    const done = await waitForStatus(stack.dms, arn, ['stopped', 'failed'], 80_000);
    expect(done.LastFailureMessage).toBeUndefined();
    expect(done.Status).toBe('stopped');
    expect(done.StopReason).toBe('Stop Reason FULL_LOAD_ONLY_FINISHED');
    expect(done.ReplicationTaskStats).toMatchObject({
      FullLoadProgressPercent: 100,
      TablesLoaded: 4,
      TablesLoading: 0,
      TablesQueued: 0,
      TablesErrored: 0,
    });

    const stats = await tableStatistics(stack.dms, arn);
    expect(stats.map((s) => [s.TableName, s.FullLoadRows, s.FullLoadErrorRows, s.TableState])).toEqual(
      TABLES.map((t, i) => [t, ROWS[i], 0, 'Table completed']),
    );

    // The runner process claimed and finished the task.
    const logs = runner.logs();
    expect(logs.filter((l) => l.message === 'task claimed' && l.taskArn === arn).map((l) => l.owner)).toEqual([runner.owner]);

    const records = await readAllRecords(kinesis(), stream);
    expect(records).toHaveLength(100_000 + 2 * TABLES.length);
    const taskId = arn.split(':').pop()!;
    const control = new Map<string, string[]>();
    const seen = TABLES.map((_, t) => new Uint8Array(ROWS[t]! + 1));
    const problems: unknown[] = [];
    for (const r of records) {
      const rec = JSON.parse(r.data) as { data?: Record<string, unknown>; metadata: Record<string, string> };
      const m = rec.metadata;
      const t = TABLES.indexOf(m['table-name']!);
      if (m['schema-name'] !== 'scale' || t < 0) {
        problems.push(rec);
      } else if (m['record-type'] === 'control') {
        if (r.partitionKey !== `${taskId}.scale.${m['table-name']}`) problems.push({ key: r.partitionKey, rec });
        control.set(m['table-name']!, [...(control.get(m['table-name']!) ?? []), m.operation!]);
      } else {
        const id = rec.data!.id as number;
        const expected: Record<string, unknown> = row(t, id);
        if (expected.note === null) delete expected.note;
        if (m.operation !== 'load' || m['partition-key-type'] !== 'primary-key' || r.partitionKey !== String(id)) problems.push({ key: r.partitionKey, rec });
        else if (JSON.stringify(rec.data) !== JSON.stringify(expected)) problems.push({ got: rec.data, expected });
        else seen[t]![id]!++;
      }
    }
    expect(problems.slice(0, 3)).toEqual([]);
    // Every primary key exactly once, per table.
    for (let t = 0; t < TABLES.length; t++) {
      const wrong: number[] = [];
      for (let id = 1; id <= ROWS[t]!; id++) if (seen[t]![id] !== 1) wrong.push(id);
      expect({ table: TABLES[t], wrong: wrong.slice(0, 10), count: wrong.length }).toEqual({ table: TABLES[t], wrong: [], count: 0 });
    }
    // drop-table then create-table, once per table (one partition key each, so in stream order).
    expect(Object.fromEntries(control)).toEqual(Object.fromEntries(TABLES.map((t) => [t, ['drop-table', 'create-table']])));

    const peak = runner.peakRssMb();
    console.log(`runner process peak RSS (VmHWM): ${peak.toFixed(1)} MiB`);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(MEMORY_LIMIT_MB);
    expect((await describeTask(stack.dms, arn)).Status).toBe('stopped');
  });
});
