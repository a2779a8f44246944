import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from '../../support/dms.js';
import { createStream } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startRunnerProcess, type RunnerProcess } from '../../support/runner-process.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { startTask, summary, waitForStatus, readStream } from '../../support/task-flow.js';

// A runner killed right after a CDC start, before any heartbeat: its successor must resume from
// the start position, not from the binlog's end at the time it takes over.

let stack: TestStack;
let db: MariaDb;
const runners: RunnerProcess[] = [];
const kinesis = () => inject('kinesisEndpoint');
const recordsUntil = (stream: string, n: number) => readStream(kinesis(), stream, n);

beforeAll(async () => {
  process.env.DMSLITE_SECRET_KEY = randomBytes(32).toString('hex');
  [stack, db] = await Promise.all([startTestStack({ runner: false }), startMariaDb()]);
  await db.query('CREATE DATABASE ek');
  await db.query('CREATE TABLE ek.t (id INT PRIMARY KEY)');
});
afterAll(async () => {
  await Promise.all(runners.map((r) => r.stop().catch(() => undefined)));
  await Promise.all([stack?.stop(), db?.stop()]);
});

describe('CDC start position', () => {
  it('is saved before anything is read, so a takeover loses no change', async () => {
    const stream = uniqueName('ek');
    await createStream(kinesis(), stream, 1);
    const source = (await createMySqlSource(stack.dms, 'src', { port: db.port, ...db.dmsUser })).EndpointArn!;
    const target = (await createKinesisTarget(stack.dms, 'tgt', stream)).EndpointArn!;
    const instance = (await createInstance(stack.dms, 'inst')).ReplicationInstanceArn!;
    const task = await createTask(stack.dms, { id: 'ek-task', source, target, instance, type: 'cdc', mappings: selectionMappings('ek') });
    const arn = task.ReplicationTaskArn!;
    await waitForStatus(stack.dms, arn, ['ready']);
    // A heartbeat far away: without the immediate save, nothing of the run would be persisted.
    const first = await startRunnerProcess({ table: stack.tableName, owner: 'first', leaseMs: 1500, heartbeatMs: 10_000 });
    runners.push(first);
    await startTask(stack.dms, arn);
    const announced = await recordsUntil(stream, 2);
    expect(summary(announced)).toEqual(['create-table .awsdms_apply_exceptions', 'create-table ek.t']);
    // Give the immediate save a moment (it follows the acknowledgement of the announcement), then kill.
    await new Promise((r) => setTimeout(r, 300));
    first.kill('SIGKILL');
    await first.waitExit();
    // Changes while no runner runs the task.
    for (let i = 1; i <= 5; i++) await db.query('INSERT INTO ek.t VALUES (?)', [i]);
    const second = await startRunnerProcess({ table: stack.tableName, owner: 'second', leaseMs: 1500, heartbeatMs: 200 });
    runners.push(second);
    const records = await recordsUntil(stream, 7);
    expect(summary(records)).toEqual(['create-table .awsdms_apply_exceptions', 'create-table ek.t', ...Array(5).fill('insert ek.t')]);
    expect(records.slice(2).map((r) => r.json.data!.id)).toEqual([1, 2, 3, 4, 5]);
    expect((await waitForStatus(stack.dms, arn, ['running'])).Status).toBe('running');
  });
});
