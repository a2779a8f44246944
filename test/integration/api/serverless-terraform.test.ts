import {
  CreateReplicationConfigCommand,
  DeleteReplicationConfigCommand,
  DescribeReplicationConfigsCommand,
  DescribeReplicationsCommand,
  ModifyReplicationConfigCommand,
  StartReplicationCommand,
  StopReplicationCommand,
  type DatabaseMigrationServiceClient,
  type Replication,
} from '@aws-sdk/client-database-migration-service';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKinesisTarget, createMySqlSource, selectionMappings } from '../../support/dms.js';
import { createStream } from '../../support/kinesis.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { readStream, summary } from '../../support/task-flow.js';

// terraform-provider-aws internal/service/dms/replication_config.go, reproduced call for call:
// resourceReplicationConfigCreate (start_replication = true), resourceReplicationConfigUpdate (stop,
// ModifyReplicationConfig with the changed fields, start) and resourceReplicationConfigDelete (stop,
// delete, wait until DescribeReplications answers ResourceNotFoundFault), with its waiters'
// pending/target statuses and retry.StateChangeConf semantics. The waiters' Delay and MinTimeout are
// scaled down tenfold (60 s -> 6 s); the deprovisioning delay is shorter than the scaled stop waiter's,
// as AWS's is shorter than the real one's.

const SCALE = 0.1;

let stack: TestStack;
let db: MariaDb;
const kinesis = () => inject('kinesisEndpoint');

beforeAll(async () => {
  process.env.DMSLITE_SERVERLESS_STATUS_STEP_MS = '100';
  process.env.DMSLITE_SERVERLESS_DEPROVISION_DELAY_MS = '1000';
  [stack, db] = await Promise.all([startTestStack({ runner: true }), startMariaDb()]);
  await db.query('CREATE DATABASE tf');
  await db.query('CREATE TABLE tf.t (id INT PRIMARY KEY)');
});
afterAll(async () => {
  delete process.env.DMSLITE_SERVERLESS_STATUS_STEP_MS;
  delete process.env.DMSLITE_SERVERLESS_DEPROVISION_DELAY_MS;
  await Promise.all([stack?.stop(), db?.stop()]);
});

/** The provider's side of the conversation: every call it makes and every status its waiters saw. */
class TerraformReplicationConfig {
  readonly calls: string[] = [];
  readonly seen: string[] = [];
  constructor(private readonly dms: DatabaseMigrationServiceClient) {}

  private async findReplication(arn: string): Promise<Replication | null> {
    this.calls.push('DescribeReplications');
    try {
      const out = await this.dms.send(new DescribeReplicationsCommand({ Filters: [{ Name: 'replication-config-arn', Values: [arn] }] }));
      if (out.Replications!.length !== 1) throw new Error(`expected one replication, got ${out.Replications!.length}`);
      return out.Replications![0];
    } catch (e) {
      if ((e as Error).name === 'ResourceNotFoundFault') return null;
      throw e;
    }
  }

  /** retry.StateChangeConf.WaitForStateContext: Delay, then poll; unexpected states fail; an empty target waits for NotFound. */
  private async wait(arn: string, pending: string[], target: string[], delaySeconds: number, minTimeoutSeconds: number, timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await sleep(delaySeconds * SCALE * 1000);
    let backoff = 100;
    while (Date.now() < deadline) {
      const r = await this.findReplication(arn);
      if (!r) {
        if (target.length === 0) return;
        throw new Error('replication not found while waiting');
      }
      this.seen.push(r.Status!);
      if (target.includes(r.Status!)) return;
      if (!pending.includes(r.Status!)) throw new Error(`unexpected state '${r.Status}', wanted target '${target.join(', ')}'`);
      backoff = Math.min(backoff * 2, 10_000);
      await sleep(Math.max(backoff * SCALE, minTimeoutSeconds * SCALE * 1000));
    }
    throw new Error('timeout while waiting');
  }

  async startReplication(arn: string): Promise<void> {
    const replication = await this.findReplication(arn);
    if (!replication) throw new Error('reading replication: not found');
    if (replication.Status === 'running') return;
    // replicationTypeValueStartReplication = "creating" (sic) when ready, resume-processing otherwise.
    const type = replication.Status === 'ready' ? 'creating' : 'resume-processing';
    this.calls.push(`StartReplication ${type}`);
    await this.dms.send(new StartReplicationCommand({ ReplicationConfigArn: arn, StartReplicationType: type }));
    await this.wait(
      arn,
      ['ready', 'initializing', 'preparing_metadata_resources', 'testing_connection', 'fetching_metadata', 'calculating_capacity', 'provisioning_capacity', 'replication_starting'],
      ['running', 'stopped'],
      30,
      10,
    );
  }

  async stopReplication(arn: string): Promise<void> {
    const replication = await this.findReplication(arn);
    if (!replication) return;
    if (['stopped', 'created', 'failed'].includes(replication.Status!)) return;
    this.calls.push('StopReplication');
    await this.dms.send(new StopReplicationCommand({ ReplicationConfigArn: arn }));
    await this.wait(arn, ['stopping', 'running'], ['stopped'], 60, 10);
  }

  async read(arn: string) {
    this.calls.push('DescribeReplicationConfigs');
    const out = await this.dms.send(new DescribeReplicationConfigsCommand({ Filters: [{ Name: 'replication-config-arn', Values: [arn] }] }));
    return out.ReplicationConfigs![0];
  }

  async create(input: ConstructorParameters<typeof CreateReplicationConfigCommand>[0], startReplication: boolean): Promise<string> {
    this.calls.push('CreateReplicationConfig');
    const arn = (await this.dms.send(new CreateReplicationConfigCommand(input))).ReplicationConfig!.ReplicationConfigArn!;
    if (startReplication) await this.startReplication(arn);
    await this.read(arn);
    return arn;
  }

  async update(arn: string, changes: Omit<ConstructorParameters<typeof ModifyReplicationConfigCommand>[0], 'ReplicationConfigArn'>, startReplication: boolean) {
    await this.stopReplication(arn);
    this.calls.push('ModifyReplicationConfig');
    await this.dms.send(new ModifyReplicationConfigCommand({ ReplicationConfigArn: arn, ...changes }));
    if (startReplication) await this.startReplication(arn);
    return this.read(arn);
  }

  async delete(arn: string): Promise<void> {
    await this.stopReplication(arn);
    this.calls.push('DeleteReplicationConfig');
    try {
      await this.dms.send(new DeleteReplicationConfigCommand({ ReplicationConfigArn: arn }));
    } catch (e) {
      if ((e as Error).name === 'ResourceNotFoundFault') return;
      throw e;
    }
    await this.wait(arn, ['deleting', 'stopped'], [], 30, 10);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Terraform aws_dms_replication_config', () => {
  it('create with start_replication = true, update (stop, modify, start), delete', async () => {
    const stream = uniqueName('tf');
    await createStream(kinesis(), stream, 1);
    const source = (await createMySqlSource(stack.dms, 'tf-src', { port: db.port, ...db.dmsUser })).EndpointArn!;
    const target = (await createKinesisTarget(stack.dms, 'tf-tgt', stream)).EndpointArn!;
    const tf = new TerraformReplicationConfig(stack.dms);

    // The acceptance test's configuration (TestAccDMSReplicationConfig_startReplication): a cdc replication.
    const arn = await tf.create(
      {
        ReplicationConfigIdentifier: 'tf-test',
        ResourceIdentifier: 'tf-test',
        ReplicationType: 'cdc',
        SourceEndpointArn: source,
        TargetEndpointArn: target,
        TableMappings: selectionMappings('tf'),
        ComputeConfig: { MaxCapacityUnits: 128, MinCapacityUnits: 2, PreferredMaintenanceWindow: 'sun:23:45-mon:00:30' },
        Tags: [],
      },
      true,
    );
    expect(arn).toBe('arn:aws:dms:us-east-1:000000000000:replication-config:tf-test');
    expect(tf.calls).toEqual(['CreateReplicationConfig', 'DescribeReplications', 'StartReplication resume-processing', ...waitPolls(tf), 'DescribeReplicationConfigs']);
    expect(tf.seen.at(-1)).toBe('running');
    await db.query('INSERT INTO tf.t VALUES (1)');
    const dataOf = (rs: Awaited<ReturnType<typeof readStream>>) => rs.filter((r) => r.json.metadata['record-type'] === 'data');
    expect(summary(dataOf(await readStream(kinesis(), stream, 3)))).toEqual(['insert tf.t']);

    // terraform apply with new capacity: stop, modify the changed fields, start again.
    tf.calls.length = 0;
    tf.seen.length = 0;
    const updated = await tf.update(arn, { ComputeConfig: { MaxCapacityUnits: 32, MinCapacityUnits: 4, PreferredMaintenanceWindow: 'sun:23:45-mon:00:30' } }, true);
    expect(updated.ComputeConfig).toMatchObject({ MaxCapacityUnits: 32, MinCapacityUnits: 4 });
    expect(tf.calls[0]).toBe('DescribeReplications');
    expect(tf.calls[1]).toBe('StopReplication');
    expect(tf.calls).toContain('ModifyReplicationConfig');
    expect(tf.calls.filter((c) => c.startsWith('StartReplication'))).toEqual(['StartReplication resume-processing']);
    expect(tf.seen).toContain('stopped');
    expect(tf.seen.at(-1)).toBe('running');
    const replication = (await stack.dms.send(new DescribeReplicationsCommand({ Filters: [{ Name: 'replication-config-id', Values: ['tf-test'] }] }))).Replications![0];
    expect(replication.ProvisionData).toMatchObject({ ProvisionState: 'provisioned', ProvisionedCapacityUnits: 4 });
    // CDC resumed where it stopped.
    await db.query('INSERT INTO tf.t VALUES (2)');
    const records = dataOf(await readStream(kinesis(), stream, 4));
    expect(records.map((r) => r.json.data)).toEqual([{ id: 1 }, { id: 2 }]);

    // terraform destroy.
    tf.calls.length = 0;
    await tf.delete(arn);
    expect(tf.calls.slice(0, 2)).toEqual(['DescribeReplications', 'StopReplication']);
    expect(tf.calls).toContain('DeleteReplicationConfig');
    expect(tf.calls.at(-1)).toBe('DescribeReplications');
    expect(await tf.read(arn).catch((e: Error) => e.name)).toBe('ResourceNotFoundFault');
  });
});

/** The DescribeReplications polls of the start waiter, however many there were. */
function waitPolls(tf: TerraformReplicationConfig): string[] {
  return tf.seen.map(() => 'DescribeReplications');
}
