// TestConnection / DescribeConnections / DeleteConnection against real servers: private
// MariaDB instances (one with binlog_format=STATEMENT) and kinesalite.
import {
  CreateReplicationInstanceCommand,
  DeleteConnectionCommand,
  DeleteEndpointCommand,
  DeleteReplicationInstanceCommand,
  DescribeConnectionsCommand,
  TestConnectionCommand,
  waitUntilReplicationInstanceAvailable,
  waitUntilTestConnectionSucceeds,
  type Connection,
} from '@aws-sdk/client-database-migration-service';
import { CreateStreamCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FAST_WAITER, awsError, createInstance, createKinesisTarget, createMySqlSource } from '../../support/dms.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { TEST_CREDENTIALS, startTestStack, uniqueName, type TestStack } from '../../support/stack.js';

let stack: TestStack;
let rowDb: MariaDb;
let statementDb: MariaDb;
let instance: { arn: string; id: string };
const ep: Record<string, { arn: string; id: string }> = {};
const streamName = uniqueName('conn-stream');
const missingStream = uniqueName('conn-missing');

/** The connection the service stores for (instance, endpoint). */
async function described(endpointArn: string, instanceArn = instance.arn): Promise<Connection> {
  const out = await stack.dms.send(new DescribeConnectionsCommand({
    Filters: [{ Name: 'endpoint-arn', Values: [endpointArn] }, { Name: 'replication-instance-arn', Values: [instanceArn] }],
  }));
  expect(out.Connections).toHaveLength(1);
  return out.Connections![0];
}

async function test(name: string): Promise<Connection> {
  const out = await stack.dms.send(new TestConnectionCommand({ ReplicationInstanceArn: instance.arn, EndpointArn: ep[name].arn }));
  return out.Connection!;
}

const waitSucceeds = (endpointArn: string) =>
  waitUntilTestConnectionSucceeds({ client: stack.dms, ...FAST_WAITER }, {
    Filters: [{ Name: 'endpoint-arn', Values: [endpointArn] }, { Name: 'replication-instance-arn', Values: [instance.arn] }],
  });

describe('connections', () => {
  beforeAll(async () => {
    [stack, rowDb, statementDb] = await Promise.all([
      startTestStack(),
      startMariaDb(),
      startMariaDb({ extraArgs: ['--binlog-format=STATEMENT'] }),
    ]);
    const kinesis = new KinesisClient({ endpoint: inject('kinesisEndpoint'), region: 'us-east-1', credentials: TEST_CREDENTIALS, requestHandler: new NodeHttpHandler() });
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }));
    kinesis.destroy();

    const good = { port: rowDb.port, ...rowDb.dmsUser };
    const made = await Promise.all([
      createMySqlSource(stack.dms, 'src-mariadb', good, 'mariadb'),
      createMySqlSource(stack.dms, 'src-mysql', good, 'mysql'),
      createMySqlSource(stack.dms, 'src-statement', { port: statementDb.port, ...statementDb.dmsUser }, 'mariadb'),
      createMySqlSource(stack.dms, 'src-badpass', { ...good, password: 'not-the-password' }, 'mariadb'),
      createKinesisTarget(stack.dms, 'tgt-stream', streamName),
      createKinesisTarget(stack.dms, 'tgt-missing', missingStream),
    ]);
    for (const e of made) ep[e.EndpointIdentifier!] = { arn: e.EndpointArn!, id: e.EndpointIdentifier! };
    const inst = await createInstance(stack.dms, 'conn-instance');
    instance = { arn: inst.ReplicationInstanceArn!, id: inst.ReplicationInstanceIdentifier! };
    await waitUntilReplicationInstanceAvailable({ client: stack.dms, ...FAST_WAITER }, { Filters: [{ Name: 'replication-instance-arn', Values: [instance.arn] }] });
  });

  afterAll(async () => {
    await Promise.all([stack?.stop(), rowDb?.stop(), statementDb?.stop()]);
  });

  it('TestConnection answers `testing`; the waiter sees the good sources and target succeed', async () => {
    for (const name of ['src-mariadb', 'src-mysql', 'tgt-stream']) {
      const answer = await test(name);
      expect(answer).toEqual({
        ReplicationInstanceArn: instance.arn,
        EndpointArn: ep[name].arn,
        Status: 'testing',
        EndpointIdentifier: name,
        ReplicationInstanceIdentifier: 'conn-instance',
      });
      const waited = await waitSucceeds(ep[name].arn);
      expect(waited.state).toBe('SUCCESS');
      expect(await described(ep[name].arn)).toEqual({ ...answer, Status: 'successful' });
    }
  });

  it('a server logging binlog_format=STATEMENT fails, saying so', async () => {
    expect((await test('src-statement')).Status).toBe('testing');
    await expect(waitSucceeds(ep['src-statement'].arn)).rejects.toThrow(/FAILURE/);
    const c = await described(ep['src-statement'].arn);
    expect(c.Status).toBe('failed');
    expect(c.LastFailureMessage).toContain('binlog_format');
    expect(c.LastFailureMessage).toContain('STATEMENT');
    expect(c.LastFailureMessage).toContain('ROW');
  });

  it('a Kinesis stream that does not exist fails, naming the stream', async () => {
    expect((await test('tgt-missing')).Status).toBe('testing');
    await expect(waitSucceeds(ep['tgt-missing'].arn)).rejects.toThrow(/FAILURE/);
    const c = await described(ep['tgt-missing'].arn);
    expect(c.Status).toBe('failed');
    expect(c.LastFailureMessage).toBe(`Kinesis stream ${missingStream} does not exist (arn:aws:kinesis:us-east-1:000000000000:stream/${missingStream})`);
  });

  it('a wrong password fails with the server and the access-denied reason', async () => {
    await test('src-badpass');
    const c = await described(ep['src-badpass'].arn);
    expect(c.Status).toBe('failed');
    expect(c.LastFailureMessage).toMatch(new RegExp(`^Cannot connect to mariadb source 127\\.0\\.0\\.1:${rowDb.port} as dms: .*Access denied for user 'dms'`));
    expect(c.LastFailureMessage).not.toContain('not-the-password');
  });

  it('a retest replaces the previous result', async () => {
    await rowDb.query(`ALTER USER 'dms'@'%' IDENTIFIED BY 'not-the-password'`);
    try {
      await test('src-badpass');
      expect(await described(ep['src-badpass'].arn)).toMatchObject({ Status: 'successful' });
      expect((await described(ep['src-badpass'].arn)).LastFailureMessage).toBeUndefined();
      await test('src-mariadb');
      expect((await described(ep['src-mariadb'].arn)).Status).toBe('failed');
    } finally {
      await rowDb.query(`ALTER USER 'dms'@'%' IDENTIFIED BY ?`, [rowDb.dmsUser.password]);
    }
    await test('src-mariadb');
    await waitSucceeds(ep['src-mariadb'].arn);
  });

  it('TestConnection on an unknown endpoint or instance is ResourceNotFoundFault', async () => {
    const noEndpoint = 'arn:aws:dms:us-east-1:000000000000:endpoint:NOPE';
    expect(await awsError(stack.dms.send(new TestConnectionCommand({ ReplicationInstanceArn: instance.arn, EndpointArn: noEndpoint })))).toEqual({
      name: 'ResourceNotFoundFault',
      message: `Endpoint ${noEndpoint} not found`,
    });
    const noInstance = 'arn:aws:dms:us-east-1:000000000000:rep:NOPE';
    expect(await awsError(stack.dms.send(new TestConnectionCommand({ ReplicationInstanceArn: noInstance, EndpointArn: ep['src-mariadb'].arn })))).toEqual({
      name: 'ResourceNotFoundFault',
      message: `Replication instance ${noInstance} not found`,
    });
  });

  it('DescribeConnections filters: ANDed across names, ORed within values; errors', async () => {
    const all = await stack.dms.send(new DescribeConnectionsCommand({ Filters: [{ Name: 'replication-instance-arn', Values: [instance.arn] }] }));
    expect(all.Connections!.map((c) => c.EndpointIdentifier).sort()).toEqual(['src-badpass', 'src-mariadb', 'src-mysql', 'src-statement', 'tgt-missing', 'tgt-stream']);
    const two = await stack.dms.send(new DescribeConnectionsCommand({ Filters: [{ Name: 'endpoint-arn', Values: [ep['src-mysql'].arn, ep['tgt-stream'].arn, 'arn:aws:dms:us-east-1:000000000000:endpoint:NOPE'] }] }));
    expect(two.Connections!.map((c) => [c.EndpointIdentifier, c.Status]).sort()).toEqual([['src-mysql', 'successful'], ['tgt-stream', 'successful']]);
    expect(await awsError(stack.dms.send(new DescribeConnectionsCommand({ Filters: [{ Name: 'endpoint-arn', Values: [ep['src-mysql'].arn] }, { Name: 'replication-instance-arn', Values: ['arn:aws:dms:us-east-1:000000000000:rep:OTHER'] }] })))).toEqual({
      name: 'ResourceNotFoundFault',
      message: 'No connections found matching provided filters',
    });
    expect(await awsError(stack.dms.send(new DescribeConnectionsCommand({ Filters: [{ Name: 'endpoint-id', Values: ['src-mysql'] }] })))).toEqual({
      name: 'InvalidParameterValueException',
      message: 'The filter name endpoint-id is not valid. Valid filter names: endpoint-arn, replication-instance-arn',
    });
    expect((await awsError(stack.dms.send(new DescribeConnectionsCommand({ MaxRecords: 19 })))).name).toBe('InvalidParameterValueException');
    // Another region sees none of them.
    const eu = stack.client('eu-west-1');
    expect((await eu.send(new DescribeConnectionsCommand({}))).Connections).toEqual([]);
    eu.destroy();
  });

  it('DeleteConnection answers `deleting` and the connection is gone', async () => {
    const before = await described(ep['src-mysql'].arn);
    const out = await stack.dms.send(new DeleteConnectionCommand({ EndpointArn: ep['src-mysql'].arn, ReplicationInstanceArn: instance.arn }));
    expect(out.Connection).toEqual({ ...before, Status: 'deleting' });
    expect(await awsError(stack.dms.send(new DescribeConnectionsCommand({ Filters: [{ Name: 'endpoint-arn', Values: [ep['src-mysql'].arn] }] })))).toEqual({
      name: 'ResourceNotFoundFault',
      message: 'No connections found matching provided filters',
    });
    expect(await awsError(stack.dms.send(new DeleteConnectionCommand({ EndpointArn: ep['src-mysql'].arn, ReplicationInstanceArn: instance.arn })))).toEqual({
      name: 'ResourceNotFoundFault',
      message: 'Connection not found',
    });
    // The others are untouched.
    expect((await described(ep['src-mariadb'].arn)).Status).toBe('successful');
  });

  it('deleting an endpoint removes its connections', async () => {
    expect((await described(ep['tgt-missing'].arn)).Status).toBe('failed');
    await stack.dms.send(new DeleteEndpointCommand({ EndpointArn: ep['tgt-missing'].arn }));
    expect(await awsError(stack.dms.send(new DescribeConnectionsCommand({ Filters: [{ Name: 'endpoint-arn', Values: [ep['tgt-missing'].arn] }] })))).toEqual({
      name: 'ResourceNotFoundFault',
      message: 'No connections found matching provided filters',
    });
    expect((await described(ep['tgt-stream'].arn)).Status).toBe('successful');
  });

  it('deleting an instance removes its connections; TestConnection on it is then ResourceNotFoundFault', async () => {
    const other = await createInstance(stack.dms, 'conn-other');
    const arn = other.ReplicationInstanceArn!;
    await waitUntilReplicationInstanceAvailable({ client: stack.dms, ...FAST_WAITER }, { Filters: [{ Name: 'replication-instance-arn', Values: [arn] }] });
    await stack.dms.send(new TestConnectionCommand({ ReplicationInstanceArn: arn, EndpointArn: ep['tgt-stream'].arn }));
    expect((await described(ep['tgt-stream'].arn, arn)).Status).toBe('successful');
    await stack.dms.send(new DeleteReplicationInstanceCommand({ ReplicationInstanceArn: arn }));
    expect(await awsError(stack.dms.send(new DescribeConnectionsCommand({ Filters: [{ Name: 'replication-instance-arn', Values: [arn] }] })))).toMatchObject({ name: 'ResourceNotFoundFault' });
    expect(await awsError(stack.dms.send(new TestConnectionCommand({ ReplicationInstanceArn: arn, EndpointArn: ep['tgt-stream'].arn })))).toEqual({
      name: 'ResourceNotFoundFault',
      message: `Replication instance ${arn} not found`,
    });
    // The main instance keeps its own.
    expect((await described(ep['tgt-stream'].arn)).Status).toBe('successful');
  });
});

describe('an instance that is not available yet', () => {
  let slow: TestStack;
  const previous = process.env.DMSLITE_CREATE_DELAY_MS;

  beforeAll(async () => {
    // Read by loadConfig when the stack starts: instances stay `creating` for an hour.
    process.env.DMSLITE_CREATE_DELAY_MS = String(3_600_000);
    slow = await startTestStack();
  });
  afterAll(async () => {
    await slow?.stop();
    if (previous === undefined) delete process.env.DMSLITE_CREATE_DELAY_MS;
    else process.env.DMSLITE_CREATE_DELAY_MS = previous;
  });

  it('TestConnection is InvalidResourceStateFault and records nothing', async () => {
    const created = await slow.dms.send(new CreateReplicationInstanceCommand({ ReplicationInstanceIdentifier: 'still-creating', ReplicationInstanceClass: 'dms.t3.micro' }));
    const arn = created.ReplicationInstance!.ReplicationInstanceArn!;
    expect(created.ReplicationInstance!.ReplicationInstanceStatus).toBe('creating');
    const target = await createKinesisTarget(slow.dms, 'early-target', 'anything');
    expect(await awsError(slow.dms.send(new TestConnectionCommand({ ReplicationInstanceArn: arn, EndpointArn: target.EndpointArn! })))).toEqual({
      name: 'InvalidResourceStateFault',
      message: `Replication instance ${arn} is not in available state`,
    });
    expect((await slow.dms.send(new DescribeConnectionsCommand({}))).Connections).toEqual([]);
  });
});
