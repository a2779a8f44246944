import {
  AddTagsToResourceCommand,
  CreateEndpointCommand,
  CreateReplicationInstanceCommand,
  CreateReplicationTaskCommand,
  DeleteEndpointCommand,
  DeleteReplicationInstanceCommand,
  DeleteReplicationTaskCommand,
  DescribeEndpointsCommand,
  DescribeReplicationInstancesCommand,
  DescribeReplicationTasksCommand,
  DescribeTableStatisticsCommand,
  ListTagsForResourceCommand,
  ModifyEndpointCommand,
  ModifyReplicationInstanceCommand,
  ModifyReplicationTaskCommand,
  ResourceAlreadyExistsFault,
  RemoveTagsFromResourceCommand,
  StartReplicationTaskCommand,
  StopReplicationTaskCommand,
  waitForReplicationTaskDeleted,
  waitUntilEndpointDeleted,
  waitUntilReplicationInstanceAvailable,
  waitUntilReplicationTaskDeleted,
  waitUntilReplicationTaskReady,
} from '@aws-sdk/client-database-migration-service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FAST_WAITER,
  ROLE_ARN,
  awsError,
  createInstance,
  createKinesisTarget,
  createMySqlSource,
  createTask,
  selectionMappings,
  streamArn,
} from '../../support/dms.js';
import { startTestStack, type TestStack } from '../../support/stack.js';

let stack: TestStack;
let source: string;
let target: string;
let instance: string;
const db = { port: 3306, user: 'dms', password: 'dms-pass' };

beforeAll(async () => {
  stack = await startTestStack();
  source = (await createMySqlSource(stack.dms, 'src-main', db)).EndpointArn!;
  target = (await createKinesisTarget(stack.dms, 'tgt-main', 'stream-main')).EndpointArn!;
  instance = (await createInstance(stack.dms, 'inst-main')).ReplicationInstanceArn!;
  await waitUntilReplicationInstanceAvailable({ client: stack.dms, ...FAST_WAITER }, { Filters: [{ Name: 'replication-instance-arn', Values: [instance] }] });
});
afterAll(async () => {
  await stack?.stop();
});

describe('endpoints', () => {
  it('returns the AWS shape, never the password', async () => {
    const out = await stack.dms.send(new DescribeEndpointsCommand({ Filters: [{ Name: 'endpoint-arn', Values: [source] }] }));
    const ep = out.Endpoints![0];
    expect(ep).toMatchObject({
      EndpointIdentifier: 'src-main',
      EndpointType: 'SOURCE',
      EngineName: 'mariadb',
      EngineDisplayName: 'MariaDB',
      Username: 'dms',
      ServerName: '127.0.0.1',
      Port: 3306,
      Status: 'active',
      SslMode: 'none',
      MySQLSettings: { Port: 3306, ServerName: '127.0.0.1', Username: 'dms' },
    });
    expect(JSON.stringify(out)).not.toContain('dms-pass');
    const raw = await stack.dms.send(new DescribeEndpointsCommand({ Filters: [{ Name: 'endpoint-id', Values: ['tgt-main'] }] }));
    expect(raw.Endpoints![0].KinesisSettings).toEqual({
      StreamArn: streamArn('stream-main'),
      MessageFormat: 'json',
      ServiceAccessRoleArn: ROLE_ARN,
      IncludeTransactionDetails: false,
      IncludePartitionValue: false,
      PartitionIncludeSchemaTable: false,
      IncludeTableAlterOperations: false,
      IncludeControlDetails: false,
      IncludeNullAndEmpty: false,
      NoHexPrefix: false,
      UseLargeIntegerValue: false,
    });
    expect(raw.Endpoints![0].EndpointType).toBe('TARGET');
  });

  it('refuses a duplicate identifier, an invalid identifier, a bad engine and missing members', async () => {
    expect(await awsError(createKinesisTarget(stack.dms, 'tgt-main', 'other'))).toEqual({
      name: 'ResourceAlreadyExistsFault',
      message: 'The specified endpoint identifier already exists',
    });
    expect((await awsError(createKinesisTarget(stack.dms, 'bad--id', 'x'))).name).toBe('InvalidParameterValueException');
    expect(await awsError(stack.dms.send(new CreateEndpointCommand({ EndpointIdentifier: 'e1', EndpointType: 'source', EngineName: 'foobared' })))).toEqual({
      name: 'InvalidParameterValueException',
      message: 'The parameter EngineName has an invalid value: foobared',
    });
    expect(await awsError(stack.dms.send(new CreateEndpointCommand({ EndpointIdentifier: 'e1', EndpointType: 'source', EngineName: 'mysql', Password: 'x', Username: 'u', ServerName: 'h' })))).toEqual({
      name: 'InvalidParameterValueException',
      message: 'Port must be provided',
    });
    // MessageFormat defaults to json, as the API reference documents.
    const noFormat = await stack.dms.send(new CreateEndpointCommand({ EndpointIdentifier: 'no-format', EndpointType: 'target', EngineName: 'kinesis', KinesisSettings: { StreamArn: streamArn('s'), ServiceAccessRoleArn: ROLE_ARN } }));
    expect(noFormat.Endpoint!.KinesisSettings!.MessageFormat).toBe('json');
    expect(await awsError(stack.dms.send(new CreateEndpointCommand({ EndpointIdentifier: 'e1', EndpointType: 'target', EngineName: 'kinesis', KinesisSettings: { StreamArn: streamArn('s'), ServiceAccessRoleArn: ROLE_ARN, MessageFormat: 'something' as 'json' } })))).toMatchObject({
      name: 'InvalidParameterValueException',
    });
    expect(await awsError(stack.dms.send(new CreateEndpointCommand({ EndpointIdentifier: 'e1', EndpointType: 'target', EngineName: 'kinesis', Password: 'testabc', KinesisSettings: { StreamArn: streamArn('s'), ServiceAccessRoleArn: ROLE_ARN } })))).toEqual({
      name: 'InvalidParameterValueException',
      message: 'Password is not a valid parameter for a kinesis endpoint',
    });
    expect(await awsError(stack.dms.send(new CreateEndpointCommand({ EndpointIdentifier: 'e1', EndpointType: 'target', EngineName: 'kinesis' })))).toEqual({
      name: 'InvalidParameterValueException',
      message: 'KinesisSettings must be provided for a kinesis endpoint',
    });
    expect(await awsError(stack.dms.send(new CreateEndpointCommand({ EndpointIdentifier: 'e1', EndpointType: 'source', EngineName: 'mysql', Password: 'p', MySQLSettings: { SecretsManagerSecretId: 's', SecretsManagerAccessRoleArn: ROLE_ARN } })))).toMatchObject({
      name: 'InvalidParameterCombinationException',
    });
  });

  it('modifies settings and identifier, keeping the identifier unique', async () => {
    const ep = await createKinesisTarget(stack.dms, 'tgt-mod', 'stream-mod');
    const out = await stack.dms.send(new ModifyEndpointCommand({ EndpointArn: ep.EndpointArn, EndpointIdentifier: 'tgt-mod2', KinesisSettings: { IncludeNullAndEmpty: true } }));
    expect(out.Endpoint).toMatchObject({ EndpointIdentifier: 'tgt-mod2', KinesisSettings: { IncludeNullAndEmpty: true, MessageFormat: 'json' } });
    expect((await awsError(stack.dms.send(new ModifyEndpointCommand({ EndpointArn: ep.EndpointArn, EndpointIdentifier: 'tgt-main' })))).name).toBe('ResourceAlreadyExistsFault');
    // The old identifier is free again.
    const again = await createKinesisTarget(stack.dms, 'tgt-mod', 'stream-mod');
    expect(again.EndpointIdentifier).toBe('tgt-mod');
  });

  it('20 concurrent creates with one identifier: exactly one wins', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => createKinesisTarget(stack.dms, 'racy', 'stream-racy')),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(19);
    for (const f of failed) expect((f.reason as Error).name).toBe('ResourceAlreadyExistsFault');
    const listed = await stack.dms.send(new DescribeEndpointsCommand({ Filters: [{ Name: 'endpoint-id', Values: ['racy'] }] }));
    expect(listed.Endpoints).toHaveLength(1);
  });

  it('describe filters: unknown name, empty values, no match', async () => {
    expect(await awsError(stack.dms.send(new DescribeEndpointsCommand({ Filters: [{ Name: 'replication-instance-arn', Values: ['x'] }] })))).toMatchObject({
      name: 'InvalidParameterValueException',
    });
    expect(await awsError(stack.dms.send(new DescribeEndpointsCommand({ Filters: [{ Name: 'endpoint-arn', Values: [] }] })))).toMatchObject({
      name: 'InvalidParameterValueException',
    });
    expect(await awsError(stack.dms.send(new DescribeEndpointsCommand({ Filters: [{ Name: 'endpoint-arn', Values: ['arn:aws:dms:us-east-1:000000000000:endpoint:NOPE'] }] })))).toEqual({
      name: 'ResourceNotFoundFault',
      message: 'No Endpoints found matching provided filters',
    });
    // ANDed across names, ORed within values.
    const both = await stack.dms.send(new DescribeEndpointsCommand({ Filters: [{ Name: 'endpoint-type', Values: ['target', 'source'] }, { Name: 'engine-name', Values: ['mariadb'] }] }));
    expect(both.Endpoints!.map((e) => e.EndpointIdentifier)).toEqual(['src-main']);
    expect((await awsError(stack.dms.send(new DescribeEndpointsCommand({ MaxRecords: 5 })))).name).toBe('InvalidParameterValueException');
  });

  it('tags: add, list (by ARN and ARN list), remove', async () => {
    const ep = await stack.dms.send(new CreateEndpointCommand({
      EndpointIdentifier: 'tagged', EndpointType: 'target', EngineName: 'kinesis',
      KinesisSettings: { StreamArn: streamArn('t'), ServiceAccessRoleArn: ROLE_ARN, MessageFormat: 'json' },
      Tags: [{ Key: 'endpoint_test', Value: 'my_tags' }, { Key: 'test_aws', Value: 'validated' }],
    }));
    const arn = ep.Endpoint!.EndpointArn!;
    await stack.dms.send(new AddTagsToResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'hello', Value: 'world' }] }));
    const listed = await stack.dms.send(new ListTagsForResourceCommand({ ResourceArn: arn }));
    expect(listed.TagList).toEqual([
      { Key: 'endpoint_test', Value: 'my_tags' },
      { Key: 'test_aws', Value: 'validated' },
      { Key: 'hello', Value: 'world' },
    ]);
    await stack.dms.send(new RemoveTagsFromResourceCommand({ ResourceArn: arn, TagKeys: ['hello', 'test_aws'] }));
    const byList = await stack.dms.send(new ListTagsForResourceCommand({ ResourceArnList: [arn] }));
    expect(byList.TagList).toEqual([{ Key: 'endpoint_test', Value: 'my_tags', ResourceArn: arn }]);
  });
});

describe('replication instances', () => {
  it('creating -> available, lowercase identifier, duplicate refused', async () => {
    const created = await stack.dms.send(new CreateReplicationInstanceCommand({ ReplicationInstanceIdentifier: 'My-Instance', ReplicationInstanceClass: 'dms.t3.micro' }));
    expect(created.ReplicationInstance).toMatchObject({ ReplicationInstanceIdentifier: 'my-instance', ReplicationInstanceStatus: 'creating', AllocatedStorage: 50 });
    const arn = created.ReplicationInstance!.ReplicationInstanceArn!;
    expect(arn).toMatch(/^arn:aws:dms:us-east-1:000000000000:rep:[A-Z2-7]{26}$/);
    await waitUntilReplicationInstanceAvailable({ client: stack.dms, ...FAST_WAITER }, { Filters: [{ Name: 'replication-instance-id', Values: ['my-instance'] }] });
    expect((await awsError(stack.dms.send(new CreateReplicationInstanceCommand({ ReplicationInstanceIdentifier: 'my-instance', ReplicationInstanceClass: 'dms.t3.micro' })))).name).toBe('ResourceAlreadyExistsFault');
    expect((await awsError(stack.dms.send(new CreateReplicationInstanceCommand({ ReplicationInstanceIdentifier: 'other', ReplicationInstanceClass: 'dms.nope' })))).name).toBe('InvalidParameterValueException');
    await stack.dms.send(new DeleteReplicationInstanceCommand({ ReplicationInstanceArn: arn }));
    expect((await awsError(stack.dms.send(new DescribeReplicationInstancesCommand({ Filters: [{ Name: 'replication-instance-arn', Values: [arn] }] })))).name).toBe('ResourceNotFoundFault');
  });
});

describe('replication tasks', () => {
  it('lifecycle: creating -> ready, settings document, delete waiters', async () => {
    const task = await createTask(stack.dms, { id: 'task-life', source, target, instance, mappings: selectionMappings('db1') });
    expect(task.Status).toBe('creating');
    expect(task.ReplicationTaskArn).toMatch(/^arn:aws:dms:us-east-1:000000000000:task:[A-Z2-7]{26}$/);
    await waitUntilReplicationTaskReady({ client: stack.dms, ...FAST_WAITER }, { Filters: [{ Name: 'replication-task-arn', Values: [task.ReplicationTaskArn!] }] });
    const d = (await stack.dms.send(new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-id', Values: ['task-life'] }] }))).ReplicationTasks![0];
    expect(d.Status).toBe('ready');
    expect(d.TableMappings).toBe(selectionMappings('db1'));
    const settings = JSON.parse(d.ReplicationTaskSettings!);
    expect(settings.FullLoadSettings).toMatchObject({ TargetTablePrepMode: 'DROP_AND_CREATE', CommitRate: 10000, MaxFullLoadSubTasks: 8 });
    expect(settings.BeforeImageSettings).toBeNull();
    expect(d.ReplicationTaskStats).toEqual({ FullLoadProgressPercent: 0, ElapsedTimeMillis: 0, TablesLoaded: 0, TablesLoading: 0, TablesQueued: 0, TablesErrored: 0 });
    const without = (await stack.dms.send(new DescribeReplicationTasksCommand({ WithoutSettings: true, Filters: [{ Name: 'replication-task-id', Values: ['task-life'] }] }))).ReplicationTasks![0];
    expect(without.ReplicationTaskSettings).toBeUndefined();
    // Empty statistics before the first run.
    const stats = await stack.dms.send(new DescribeTableStatisticsCommand({ ReplicationTaskArn: task.ReplicationTaskArn }));
    expect(stats.TableStatistics).toEqual([]);

    // The endpoint and the instance cannot go while the task uses them.
    expect(await awsError(stack.dms.send(new DeleteEndpointCommand({ EndpointArn: source })))).toMatchObject({ name: 'InvalidResourceStateFault' });
    expect(await awsError(stack.dms.send(new DeleteReplicationInstanceCommand({ ReplicationInstanceArn: instance })))).toMatchObject({ name: 'InvalidResourceStateFault' });

    const del = await stack.dms.send(new DeleteReplicationTaskCommand({ ReplicationTaskArn: task.ReplicationTaskArn }));
    expect(del.ReplicationTask!.Status).toBe('deleting');
    await waitUntilReplicationTaskDeleted({ client: stack.dms, ...FAST_WAITER }, { Filters: [{ Name: 'replication-task-arn', Values: [task.ReplicationTaskArn!] }] });
    expect(typeof waitForReplicationTaskDeleted).toBe('function');
  });

  it('table-mapping, settings and endpoint-type errors', async () => {
    const base = { ReplicationTaskIdentifier: 't-err', SourceEndpointArn: source, TargetEndpointArn: target, ReplicationInstanceArn: instance, MigrationType: 'full-load' as const };
    const err = (TableMappings: string, extra = {}) => awsError(stack.dms.send(new CreateReplicationTaskCommand({ ...base, TableMappings, ...extra })));
    expect(await err('{"rules": }')).toMatchObject({ name: 'InvalidParameterValueException', message: expect.stringMatching(/^Invalid Table Mappings document\. Invalid json/) });
    expect(await err('{"hello": "world"}')).toEqual({ name: 'InvalidParameterValueException', message: 'Valid Table mappings is required' });
    const rule = { 'rule-type': 'selection', 'rule-id': '1', 'rule-name': '1', 'object-locator': { 'schema-name': 'a', 'table-name': 'b' }, 'rule-action': 'include' };
    expect(await err(JSON.stringify({ rules: [rule, rule] }))).toEqual({ name: 'InvalidParameterValueException', message: 'Error in mapping rules. Duplicate ruleid 1' });
    expect(await err(JSON.stringify({ rules: [{ ...rule, 'rule-type': 'select' }] }))).toEqual({ name: 'InvalidParameterValueException', message: 'Invalid table mappings document.' });
    expect(await err(JSON.stringify({ rules: [{ ...rule, 'rule-action': 'including' }] }))).toEqual({ name: 'InvalidParameterValueException', message: 'Invalid table mappings document.' });
    const { 'object-locator': _ol, ...noLocator } = rule;
    expect(await err(JSON.stringify({ rules: [noLocator] }))).toEqual({
      name: 'InvalidParameterValueException',
      message: 'Error in mapping rules. Rule with ruleId = 1 failed validation. object locator cannot be null',
    });
    expect(await err(selectionMappings('a'), { ReplicationTaskSettings: '{not json' })).toEqual({ name: 'InvalidParameterValueException', message: 'Invalid task settings JSON' });
    expect(await err(selectionMappings('a'), { ReplicationTaskSettings: '{"Bogus": {}}' })).toEqual({
      name: 'InvalidParameterValueException',
      message: 'Replication Settings document error: Unsupported keys were found: Bogus',
    });
    expect(await err(selectionMappings('a'), { CdcStartTime: new Date(), CdcStartPosition: 'mysql-bin.000001:4' })).toMatchObject({ name: 'InvalidParameterCombinationException' });
    expect(await err(selectionMappings('a'), { MigrationType: 'full-loading' })).toMatchObject({ name: 'InvalidParameterValueException' });
    expect(await err(selectionMappings('a'), { SourceEndpointArn: target, TargetEndpointArn: source })).toEqual({
      name: 'InvalidParameterValueException',
      message: 'ReplicationEngineType [id=0, name=kinesis, cdcSupported=Y, endpointType=TARGET, serviceType=AWS, externalName=Amazon Kinesis, rvn=1] endpoint must be of type SOURCE',
    });
    expect(await err(selectionMappings('a'), { SourceEndpointArn: 'arn:aws:dms:us-east-1:000000000000:endpoint:identifier' })).toMatchObject({ name: 'ResourceNotFoundFault' });
    expect(await err(selectionMappings('a'), { ReplicationInstanceArn: 'arn:aws:dms:us-east-1:000000000000:rep:repidentifier' })).toMatchObject({ name: 'ResourceNotFoundFault' });
  });

  it('start / stop / modify rules and their errors', async () => {
    const task = await createTask(stack.dms, { id: 'task-states', source, target, instance, type: 'cdc', mappings: selectionMappings('db1') });
    const arn = task.ReplicationTaskArn!;
    await waitUntilReplicationTaskReady({ client: stack.dms, ...FAST_WAITER }, { Filters: [{ Name: 'replication-task-arn', Values: [arn] }] });
    expect(await awsError(stack.dms.send(new StopReplicationTaskCommand({ ReplicationTaskArn: arn })))).toMatchObject({ name: 'InvalidResourceStateFault' });
    const modified = await stack.dms.send(new ModifyReplicationTaskCommand({ ReplicationTaskArn: arn, ReplicationTaskSettings: JSON.stringify({ Logging: { EnableLogging: true } }) }));
    expect(modified.ReplicationTask!.Status).toBe('modifying');
    const started = await stack.dms.send(new StartReplicationTaskCommand({ ReplicationTaskArn: arn, StartReplicationTaskType: 'start-replication' }));
    expect(started.ReplicationTask!.Status).toBe('starting');
    expect(started.ReplicationTask!.ReplicationTaskStartDate).toBeInstanceOf(Date);
    expect(await awsError(stack.dms.send(new StartReplicationTaskCommand({ ReplicationTaskArn: arn, StartReplicationTaskType: 'start-replication' })))).toEqual({
      name: 'InvalidResourceStateFault',
      message: 'Replication Task cannot be started, invalid state',
    });
    expect(await awsError(stack.dms.send(new ModifyReplicationTaskCommand({ ReplicationTaskArn: arn, TaskData: 'x' })))).toEqual({
      name: 'InvalidResourceStateFault',
      message: 'Replication Task cannot be modified while it is running state',
    });
    expect(await awsError(stack.dms.send(new DeleteReplicationTaskCommand({ ReplicationTaskArn: arn })))).toMatchObject({ name: 'InvalidResourceStateFault' });
    // No runner in this stack: the stop request settles the task to stopped.
    const stopping = await stack.dms.send(new StopReplicationTaskCommand({ ReplicationTaskArn: arn }));
    expect(stopping.ReplicationTask!.Status).toBe('stopping');
    const stopped = (await stack.dms.send(new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-arn', Values: [arn] }] }))).ReplicationTasks![0];
    expect(stopped).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason NORMAL' });
    expect(await awsError(stack.dms.send(new StartReplicationTaskCommand({ ReplicationTaskArn: arn, StartReplicationTaskType: 'start-replication' })))).toMatchObject({ name: 'InvalidResourceStateFault' });
    const resumed = await stack.dms.send(new StartReplicationTaskCommand({ ReplicationTaskArn: arn, StartReplicationTaskType: 'resume-processing' }));
    expect(resumed.ReplicationTask!.Status).toBe('starting');
  });

  it('not found and invalid ARNs', async () => {
    expect(await awsError(stack.dms.send(new DescribeTableStatisticsCommand({ ReplicationTaskArn: 'arn:aws:dms:us-east-1:000000000000:task:test-task' })))).toMatchObject({ name: 'ResourceNotFoundFault' });
    expect(await awsError(stack.dms.send(new DescribeTableStatisticsCommand({ ReplicationTaskArn: 'M5CQ7FJE7AG3GULBS2T6GFY7YADUIWWD5WMLYBA' })))).toMatchObject({ name: 'InvalidParameterValueException' });
    expect(await awsError(stack.dms.send(new DeleteReplicationTaskCommand({ ReplicationTaskArn: 'arn:aws:dms:us-east-1:000000000000:task:test-task' })))).toMatchObject({ name: 'ResourceNotFoundFault' });
    expect(await awsError(stack.dms.send(new DescribeReplicationTasksCommand({ Filters: [{ Name: 'engine-version', Values: ['kinesis'] }] })))).toMatchObject({ name: 'InvalidParameterValueException' });
    expect(await awsError(stack.dms.send(new DescribeReplicationTasksCommand({ Filters: [{ Name: 'replication-task-arn', Values: ['arn:aws:dms:us-east-1:000000000000:task:NOPE'] }] })))).toEqual({
      name: 'ResourceNotFoundFault',
      message: 'No Tasks found matching provided filters',
    });
  });

  it('pagination over 250 tasks returns each exactly once, also while tasks are being created', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `page-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < ids.length; i += 25) {
      await Promise.all(ids.slice(i, i + 25).map((id) => createTask(stack.dms, { id, source, target, instance, mappings: selectionMappings('p') })));
    }
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const out = await stack.dms.send(new DescribeReplicationTasksCommand({ MaxRecords: 40, Marker: marker, Filters: [{ Name: 'replication-instance-arn', Values: [instance] }], WithoutSettings: true }));
      seen.push(...out.ReplicationTasks!.map((t) => t.ReplicationTaskIdentifier!).filter((id) => id.startsWith('page-')));
      marker = out.Marker;
      pages++;
      // Concurrent creates must not disturb the walk over what existed.
      if (pages === 2) await createTask(stack.dms, { id: `late-${pages}`, source, target, instance, mappings: selectionMappings('p') });
    } while (marker);
    expect(seen.sort()).toEqual(ids);
    expect(new Set(seen).size).toBe(250);
    expect(pages).toBeGreaterThanOrEqual(7);
  });

  it('a deleted endpoint disappears for the waiter', async () => {
    const ep = await createKinesisTarget(stack.dms, 'to-delete', 'x');
    await stack.dms.send(new DeleteEndpointCommand({ EndpointArn: ep.EndpointArn }));
    await waitUntilEndpointDeleted({ client: stack.dms, ...FAST_WAITER }, { Filters: [{ Name: 'endpoint-arn', Values: [ep.EndpointArn!] }] });
    expect((await awsError(stack.dms.send(new DeleteEndpointCommand({ EndpointArn: ep.EndpointArn })))).name).toBe('ResourceNotFoundFault');
  });
});

describe('identifier rename (ModifyEndpoint, ModifyReplicationInstance, ModifyReplicationTask)', () => {
  it('behaves alike for all three: taken, same identifier in another case, invalid, then free again', async () => {
    const ep = (await createKinesisTarget(stack.dms, 'ren-ep', 'stream-ren')).EndpointArn!;
    const inst = (await createInstance(stack.dms, 'ren-inst')).ReplicationInstanceArn!;
    const task = (await createTask(stack.dms, { id: 'ren-task', source, target, instance, mappings: selectionMappings('db1') })).ReplicationTaskArn!;
    await waitUntilReplicationInstanceAvailable({ client: stack.dms, ...FAST_WAITER }, { Filters: [{ Name: 'replication-instance-arn', Values: [inst] }] });
    await waitUntilReplicationTaskReady({ client: stack.dms, ...FAST_WAITER }, { Filters: [{ Name: 'replication-task-arn', Values: [task] }] });
    const holderTask = (await createTask(stack.dms, { id: 'ren-task-holder', source, target, instance, mappings: selectionMappings('db1') })).ReplicationTaskArn!;
    const kinds = [
      {
        holder: { id: 'tgt-main', arn: target },
        message: 'The specified endpoint identifier already exists',
        rename: async (id: string) => (await stack.dms.send(new ModifyEndpointCommand({ EndpointArn: ep, EndpointIdentifier: id }))).Endpoint!.EndpointIdentifier,
      },
      {
        holder: { id: 'inst-main', arn: instance },
        message: 'The specified replication instance already exists',
        rename: async (id: string) =>
          (await stack.dms.send(new ModifyReplicationInstanceCommand({ ReplicationInstanceArn: inst, ReplicationInstanceIdentifier: id }))).ReplicationInstance!.ReplicationInstanceIdentifier,
      },
      {
        holder: { id: 'ren-task-holder', arn: holderTask },
        message: 'The specified replication task already exists',
        rename: async (id: string) => {
          const out = await stack.dms.send(new ModifyReplicationTaskCommand({ ReplicationTaskArn: task, ReplicationTaskIdentifier: id }));
          // Modify leaves the task `modifying` until it settles; wait so the next rename is accepted.
          await waitUntilReplicationTaskReady({ client: stack.dms, ...FAST_WAITER }, { Filters: [{ Name: 'replication-task-arn', Values: [task] }] });
          return out.ReplicationTask!.ReplicationTaskIdentifier;
        },
      },
    ];
    for (const k of kinds) {
      const taken = await k.rename(k.holder.id.toUpperCase()).then(() => undefined, (e: unknown) => e);
      expect(taken).toBeInstanceOf(ResourceAlreadyExistsFault);
      expect(taken).toMatchObject({ message: k.message, resourceArn: k.holder.arn });
      expect((await awsError(k.rename('bad--id'))).name).toBe('InvalidParameterValueException');
      expect((await awsError(k.rename(''))).name).toBe('InvalidParameterValueException');
    }
    // The same identifier in another case is no rename; instances keep theirs in lower case.
    expect(await kinds[0].rename('REN-EP')).toBe('REN-EP');
    expect(await kinds[1].rename('REN-INST')).toBe('ren-inst');
    expect(await kinds[2].rename('REN-TASK')).toBe('REN-TASK');
    // A real rename frees the old identifier.
    expect(await kinds[0].rename('ren-ep-2')).toBe('ren-ep-2');
    expect(await kinds[1].rename('ren-inst-2')).toBe('ren-inst-2');
    expect(await kinds[2].rename('ren-task-2')).toBe('ren-task-2');
    expect((await createKinesisTarget(stack.dms, 'ren-ep', 'stream-ren')).EndpointIdentifier).toBe('ren-ep');
    expect((await createInstance(stack.dms, 'ren-inst')).ReplicationInstanceIdentifier).toBe('ren-inst');
    expect((await createTask(stack.dms, { id: 'ren-task', source, target, instance, mappings: selectionMappings('db1') })).ReplicationTaskIdentifier).toBe('ren-task');
  });
});

describe('replication subnet groups', () => {
  it('create, describe (unmatched filter is an empty list), use from an instance, refuse delete in use, delete', async () => {
    const { CreateReplicationSubnetGroupCommand, DescribeReplicationSubnetGroupsCommand, DeleteReplicationSubnetGroupCommand } = await import('@aws-sdk/client-database-migration-service');
    const created = await stack.dms.send(new CreateReplicationSubnetGroupCommand({ ReplicationSubnetGroupIdentifier: 'My-Group', ReplicationSubnetGroupDescription: 'test group', SubnetIds: ['subnet-1', 'subnet-2'] }));
    expect(created.ReplicationSubnetGroup).toMatchObject({
      ReplicationSubnetGroupIdentifier: 'my-group',
      ReplicationSubnetGroupDescription: 'test group',
      SubnetGroupStatus: 'Complete',
      Subnets: [
        { SubnetIdentifier: 'subnet-1', SubnetStatus: 'Active' },
        { SubnetIdentifier: 'subnet-2', SubnetStatus: 'Active' },
      ],
    });
    expect((await awsError(stack.dms.send(new CreateReplicationSubnetGroupCommand({ ReplicationSubnetGroupIdentifier: 'my-group', ReplicationSubnetGroupDescription: 'x', SubnetIds: ['s'] })))).name).toBe('ResourceAlreadyExistsFault');
    const none = await stack.dms.send(new DescribeReplicationSubnetGroupsCommand({ Filters: [{ Name: 'replication-subnet-group-id', Values: ['nope'] }] }));
    expect(none.ReplicationSubnetGroups).toEqual([]);
    const inst = await stack.dms.send(new CreateReplicationInstanceCommand({ ReplicationInstanceIdentifier: 'in-group', ReplicationInstanceClass: 'dms.t3.micro', ReplicationSubnetGroupIdentifier: 'my-group' }));
    expect(inst.ReplicationInstance!.ReplicationSubnetGroup!.ReplicationSubnetGroupIdentifier).toBe('my-group');
    expect((await awsError(stack.dms.send(new DeleteReplicationSubnetGroupCommand({ ReplicationSubnetGroupIdentifier: 'my-group' })))).name).toBe('InvalidResourceStateFault');
    await stack.dms.send(new DeleteReplicationInstanceCommand({ ReplicationInstanceArn: inst.ReplicationInstance!.ReplicationInstanceArn }));
    await stack.dms.send(new DeleteReplicationSubnetGroupCommand({ ReplicationSubnetGroupIdentifier: 'my-group' }));
    expect((await awsError(stack.dms.send(new DeleteReplicationSubnetGroupCommand({ ReplicationSubnetGroupIdentifier: 'my-group' })))).name).toBe('ResourceNotFoundFault');
    expect((await awsError(stack.dms.send(new CreateReplicationInstanceCommand({ ReplicationInstanceIdentifier: 'no-group', ReplicationInstanceClass: 'dms.t3.micro', ReplicationSubnetGroupIdentifier: 'missing' })))).name).toBe('ResourceNotFoundFault');
  });
});
