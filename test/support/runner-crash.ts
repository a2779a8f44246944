// A CDC task whose runner process is SIGKILLed `kills` times while a writer commits single-row
// changes: each kill lands mid-stream of its own slice of the changes, a new runner takes the task
// over once the lease expires, and afterwards the stream must hold every change at least once, in
// commit order per table, duplicates only as replays. Shared by the MySQL and PostgreSQL crash tests.
import { StopReplicationTaskCommand } from '@aws-sdk/client-database-migration-service';
import { expect, inject } from 'vitest';
import { expectDelivered, lastChangesArrived, startWriter, type ChangeConnection } from './cdc-writer.js';
import { createKinesisTarget, createTask, selectionMappings } from './dms.js';
import { createStream, readAllRecords } from './kinesis.js';
import { seededRandom } from './random.js';
import { startRunnerProcess, type RunnerProcess } from './runner-process.js';
import type { TestStack } from './stack.js';
import { uniqueName } from './stack.js';
import { parseRecords, startTask, waitForStatus, waitUntil, type ParsedRecord } from './task-flow.js';

export interface RunnerCrashOptions {
  stack: TestStack;
  source: string;
  instance: string;
  /** `schema` holds `tables`, each `(id INT PRIMARY KEY, seq INT NOT NULL)`, empty. */
  schema: string;
  tables: string[];
  changes: number;
  kills: number;
  leaseMs: number;
  connect: () => Promise<ChangeConnection>;
  deleteImage: 'row' | 'key';
  /** Every runner started, for the caller's cleanup. */
  runners: RunnerProcess[];
}

export async function runnerCrashScenario(o: RunnerCrashOptions): Promise<ParsedRecord[]> {
  const kinesis = inject('kinesisEndpoint');
  const stream = uniqueName('crash');
  await createStream(kinesis, stream, 1);
  const target = (await createKinesisTarget(o.stack.dms, uniqueName('tgt'), stream)).EndpointArn!;
  const task = await createTask(o.stack.dms, { id: uniqueName('task'), source: o.source, target, instance: o.instance, type: 'cdc', mappings: selectionMappings(o.schema) });
  const arn = task.ReplicationTaskArn!;
  await waitForStatus(o.stack.dms, arn, ['ready']);
  const runner = async () => {
    const r = await startRunnerProcess({ table: o.stack.tableName, leaseMs: o.leaseMs });
    o.runners.push(r);
    return r;
  };
  const mine: RunnerProcess[] = [];
  let current = await runner();
  mine.push(current);
  await startTask(o.stack.dms, arn);
  await waitForStatus(o.stack.dms, arn, ['running']);
  // The task announced itself: it reads the change log from here on.
  await waitUntil('the control records', async () => parseRecords(await readAllRecords(kinesis, stream)).length >= o.tables.length + 1);

  // The writer is let through in slices, one per runner life, so every life sees changes.
  let kills = 0;
  const slice = Math.ceil(o.changes / (o.kills + 1));
  const writer = startWriter({ connect: o.connect, schema: o.schema, tables: o.tables, changes: o.changes, deleteImage: o.deleteImage, allowed: () => (kills >= o.kills ? o.changes : (kills + 1) * slice) });
  const rnd = seededRandom(11);
  for (kills = 0; kills < o.kills; ) {
    // Let this runner deliver part of its slice (and persist checkpoints), then kill it mid-stream.
    await waitUntil('the runner to claim the task', () => current.claimed(arn));
    await waitUntil('the writer to get into its slice', () => writer.changes >= kills * slice + slice / 3);
    await new Promise((r) => setTimeout(r, 700 + Math.floor(rnd() * 800)));
    current.kill('SIGKILL');
    expect((await current.waitExit()).signal).toBe('SIGKILL');
    kills++;
    current = await runner();
    mine.push(current);
  }
  await writer.done;
  await waitUntil('the last runner to claim the task', () => current.claimed(arn));
  expect(mine.filter((r) => r.claimed(arn))).toHaveLength(o.kills + 1);

  await waitUntil("every table's last change", async () => lastChangesArrived(parseRecords(await readAllRecords(kinesis, stream)), writer), 90_000);
  await o.stack.dms.send(new StopReplicationTaskCommand({ ReplicationTaskArn: arn }));
  expect(await waitForStatus(o.stack.dms, arn, ['stopped', 'failed'])).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason NORMAL' });
  const records = parseRecords(await readAllRecords(kinesis, stream));
  expectDelivered(records, writer, { schema: o.schema, lives: o.kills + 1, changes: o.changes });
  return records;
}
