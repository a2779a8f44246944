import type { DatabaseMigrationServiceClient, ReplicationTask } from '@aws-sdk/client-database-migration-service';
import { createInstance, createKinesisTarget, createMySqlSource, createTask, selectionMappings } from './dms.js';
import { createStream } from './kinesis.js';
import type { MariaDb } from './mariadb.js';
import { startTask, waitForStatus } from './task-flow.js';

// A small `shop` schema (customers, orders) and a running full-load-and-cdc task on it, for the
// console, `dmslite watch` and the docs tests.

export async function createShop(db: MariaDb, schema: string, rows = 5): Promise<void> {
  await db.query(`CREATE DATABASE ${schema}`);
  await db.query(`CREATE TABLE ${schema}.customers (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL)`);
  await db.query(`CREATE TABLE ${schema}.orders (id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(10,2) NOT NULL)`);
  for (let i = 1; i <= rows; i++) {
    await db.query(`INSERT INTO ${schema}.customers VALUES (?, ?)`, [i, `customer ${i}`]);
    await db.query(`INSERT INTO ${schema}.orders (customer_id, amount) VALUES (?, ?)`, [i, `${i}.50`]);
  }
}

export interface ShopTask {
  task: ReplicationTask;
  arn: string;
  id: string;
  stream: string;
}

/** Endpoints, instance, stream and a started full-load-and-cdc task on `schema` (waits for `running`). */
export async function startShopTask(dms: DatabaseMigrationServiceClient, db: MariaDb, kinesisEndpoint: string, name: string, schema: string, settings?: unknown): Promise<ShopTask> {
  const stream = `${name}-stream`;
  await createStream(kinesisEndpoint, stream, 1);
  const src = await createMySqlSource(dms, `${name}-src`, { port: db.port, user: db.dmsUser.user, password: db.dmsUser.password });
  const tgt = await createKinesisTarget(dms, `${name}-tgt`, stream);
  const ri = await createInstance(dms, `${name}-ri`);
  const task = await createTask(dms, {
    id: name,
    source: src.EndpointArn!,
    target: tgt.EndpointArn!,
    instance: ri.ReplicationInstanceArn!,
    type: 'full-load-and-cdc',
    mappings: selectionMappings(schema),
    settings,
  });
  await waitForStatus(dms, task.ReplicationTaskArn!, ['ready']);
  await startTask(dms, task.ReplicationTaskArn!);
  const running = await waitForStatus(dms, task.ReplicationTaskArn!, ['running']);
  return { task: running, arn: running.ReplicationTaskArn!, id: name, stream };
}

/**
 * A table of `rows` rows in `schema` (one INSERT … SELECT from MariaDB's sequence engine), analysed so
 * the catalog's estimate (information_schema.TABLES.TABLE_ROWS) is current: a full load long enough
 * to show progress between 0 and 100 %.
 */
export async function createBigTable(db: MariaDb, schema: string, table: string, rows: number): Promise<void> {
  await db.query(`CREATE TABLE ${schema}.${table} (id INT PRIMARY KEY, label VARCHAR(64) NOT NULL)`);
  await db.query(`INSERT INTO ${schema}.${table} SELECT seq, CONCAT('item ', seq) FROM ${schema}.seq_1_to_${rows}`);
  await db.query(`ANALYZE TABLE ${schema}.${table}`);
}
