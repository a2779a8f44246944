// The whole `npm start` stack (node, DynamoDB Local, kinesalite) SIGKILLed three times while a CDC
// task replicates 5,000+ changes, restarted each time on the same DMSLITE_DATA_DIR: the task goes
// on by itself, every committed change reaches the stream at least once and each table's changes
// stay in commit order. Once with the embedded Kinesis (persisted in the data dir), once with an
// external kinesalite that outlives the stack.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseMigrationServiceClient, StopReplicationTaskCommand } from '@aws-sdk/client-database-migration-service';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { expectDelivered, lastChangesArrived, mysqlChanges, startWriter } from '../../support/cdc-writer.js';
import { createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from '../../support/dms.js';
import { createStream, readAllRecords } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { processAlive, startNpmStart, type NpmStart } from '../../support/npm-start.js';
import { parseRecords, startTask, waitForStatus, waitUntil } from '../../support/task-flow.js';
import { seededRandom as random } from '../../support/random.js';
import { TEST_CREDENTIALS, uniqueName } from '../../support/stack.js';

const CHANGES = 5_200;
const KILLS = 3;
const TABLES = ['a', 'b'];

let db: MariaDb;
const temps: string[] = [];
const apps: NpmStart[] = [];
beforeAll(async () => {
  db = await startMariaDb();
});
afterAll(async () => {
  for (const a of apps) await a.stop().catch(() => undefined);
  await db?.stop();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** The stack may be between lives: a failing check counts as not yet. */
const until = (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 120_000) => waitUntil(what, check, timeoutMs, { intervalMs: 250, tolerant: true });

/** SIGKILL to every process of the stack at once, as a power cut of the stack would. */
async function killStack(app: NpmStart): Promise<void> {
  const pids = [app.pid, ...app.descendants()];
  for (const pid of pids) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  await until('the killed stack to be gone', () => pids.every((p) => !processAlive(p)), 30_000);
  await app.stop().catch(() => undefined);
}

async function scenario(name: string, externalKinesis: string | undefined) {
  const schema = `crash_${name}`;
  await db.query(`CREATE DATABASE ${schema}`);
  for (const t of TABLES) await db.query(`CREATE TABLE ${schema}.${t} (id INT PRIMARY KEY, seq INT NOT NULL)`);
  const dataDir = mkdtempSync(join(tmpdir(), 'dmslite-crash-'));
  temps.push(dataDir);
  const env: Record<string, string> = { DMSLITE_LEASE_MS: '2000', ...(externalKinesis ? { AWS_ENDPOINT_URL_KINESIS: externalKinesis } : {}) };
  const start = async () => {
    const app = await startNpmStart({ dataDir, env, readyTimeoutMs: 180_000 });
    apps.push(app);
    return app;
  };
  let app = await start();
  const client = (url: string) => new DatabaseMigrationServiceClient({ endpoint: url, region: 'us-east-1', credentials: TEST_CREDENTIALS });
  let dms = client(app.url);
  const kinesis = () => externalKinesis ?? app.url; // the embedded one through the edge
  const stream = uniqueName('crash');
  await createStream(kinesis(), stream, 1);
  const source = (await createMySqlSource(dms, 'src', { port: db.port, ...db.dmsUser })).EndpointArn!;
  const instance = (await createInstance(dms, 'inst')).ReplicationInstanceArn!;
  const target = (await createKinesisTarget(dms, 'tgt', stream)).EndpointArn!;
  const arn = (await createTask(dms, { id: 'task', source, target, instance, type: 'cdc', mappings: selectionMappings(schema) })).ReplicationTaskArn!;
  await waitForStatus(dms, arn, ['ready']);
  await startTask(dms, arn);
  await waitForStatus(dms, arn, ['running'], 120_000);
  await until('the control records', async () => parseRecords(await readAllRecords(kinesis(), stream)).length >= 3);

  let kills = 0;
  const slice = Math.ceil(CHANGES / (KILLS + 1));
  const writer = startWriter({ connect: mysqlChanges(db.port), schema, tables: TABLES, changes: CHANGES, allowed: () => (kills >= KILLS ? CHANGES : (kills + 1) * slice), seed: name.length });
  const rnd = random(13);
  const arrived = async () => parseRecords(await readAllRecords(kinesis(), stream)).filter((r) => r.json.metadata['record-type'] === 'data').length;
  for (kills = 0; kills < KILLS; ) {
    // This life delivers part of its slice, then the whole stack dies mid-stream.
    await until('the writer to get into its slice', () => writer.changes >= kills * slice + slice / 3);
    await until('changes of this slice to arrive', async () => (await arrived()) >= kills * slice + slice / 4);
    await new Promise((r) => setTimeout(r, 300 + Math.floor(rnd() * 700)));
    await killStack(app);
    kills++;
    dms.destroy();
    app = await start();
    dms = client(app.url);
  }
  await writer.done;
  await until("every table's last change", async () => lastChangesArrived(parseRecords(await readAllRecords(kinesis(), stream)), writer), 180_000);
  await dms.send(new StopReplicationTaskCommand({ ReplicationTaskArn: arn }));
  expect(await waitForStatus(dms, arn, ['stopped', 'failed'], 60_000)).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason NORMAL' });
  const records = parseRecords(await readAllRecords(kinesis(), stream));
  dms.destroy();
  await app.stop();

  // Announced once: each new stack resumed the task, it did not start it afresh.
  expectDelivered(records, writer, { schema, lives: KILLS + 1, changes: CHANGES });
}

describe('kill -9 of the whole stack, restarted on the same data directory', () => {
  it(`embedded Kinesis: ${KILLS} kills during ${CHANGES} changes, nothing lost, per-key order kept`, async () => {
    await scenario('embedded', undefined);
  }, 900_000);

  it(`external kinesalite: ${KILLS} kills during ${CHANGES} changes, nothing lost, per-key order kept`, async () => {
    await scenario('external', inject('kinesisEndpoint'));
  }, 900_000);
});
