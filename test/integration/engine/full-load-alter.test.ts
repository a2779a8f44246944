import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from '../../support/dms.js';
import { createStream, readAllRecords } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { parseRecords, startTask, tableStatistics, waitForStatus } from '../../support/task-flow.js';

let stack: TestStack;
let db: MariaDb;
const kinesis = () => inject('kinesisEndpoint');

beforeAll(async () => {
  [stack, db] = await Promise.all([startTestStack({ runner: true }), startMariaDb()]);
  await db.query('CREATE DATABASE fa');
  // Loaded first (higher load-order) and big enough to still be loading when the ALTER lands.
  await db.query('CREATE TABLE fa.big (id INT PRIMARY KEY, pad VARCHAR(200))');
  await db.query("INSERT INTO fa.big SELECT seq, REPEAT('x', 200) FROM fa.seq_1_to_60000");
  await db.query('CREATE TABLE fa.small (id INT PRIMARY KEY, a INT)');
  await db.query('INSERT INTO fa.small VALUES (1, 10), (2, 20)');
});
afterAll(async () => {
  await Promise.all([stack?.stop(), db?.stop()]);
});

describe('full load after an ALTER', () => {
  it('a table altered after the task started is loaded with its new definition', async () => {
    const stream = uniqueName('alter');
    await createStream(kinesis(), stream, 2);
    const source = (await createMySqlSource(stack.dms, 'src', { port: db.port, ...db.dmsUser })).EndpointArn!;
    const target = (await createKinesisTarget(stack.dms, 'tgt', stream, { MessageFormat: 'json-unformatted' })).EndpointArn!;
    const instance = (await createInstance(stack.dms, 'inst')).ReplicationInstanceArn!;
    const mappings = selectionMappings('fa', 'small', [
      { 'rule-type': 'selection', 'rule-id': '2', 'rule-name': '2', 'object-locator': { 'schema-name': 'fa', 'table-name': 'big' }, 'rule-action': 'include', 'load-order': 2 },
    ]);
    const task = await createTask(stack.dms, { id: 'alter-task', source, target, instance, mappings, settings: { FullLoadSettings: { MaxFullLoadSubTasks: 1 } } });
    const arn = task.ReplicationTaskArn!;
    await waitForStatus(stack.dms, arn, ['ready']);
    await startTask(stack.dms, arn);
    // Wait until `big` is loading (so `small` was discovered with its old definition), then alter `small`.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const stats = await tableStatistics(stack.dms, arn).catch(() => []);
      if (stats.some((s) => s.TableName === 'big' && s.TableState === 'Full load')) break;
      if (Date.now() > deadline) throw new Error('big never started loading');
      await new Promise((r) => setTimeout(r, 50));
    }
    await db.query('ALTER TABLE fa.small ADD COLUMN b VARCHAR(5) DEFAULT \'new\'');
    const done = await waitForStatus(stack.dms, arn, ['stopped', 'failed'], 90_000);
    expect(done.StopReason).toBe('Stop Reason FULL_LOAD_ONLY_FINISHED');
    const small = parseRecords(await readAllRecords(kinesis(), stream)).filter(
      (r) => r.json.metadata['table-name'] === 'small' && r.json.metadata.operation === 'load',
    );
    expect(small.map((r) => r.json.data).sort((x, y) => Number(x!.id) - Number(y!.id))).toEqual([
      { id: 1, a: 10, b: 'new' },
      { id: 2, a: 20, b: 'new' },
    ]);
  });
});
