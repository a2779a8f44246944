import {
  CreateReplicationConfigCommand,
  CreateReplicationSubnetGroupCommand,
  DeleteEndpointCommand,
  DeleteReplicationConfigCommand,
  DescribeReplicationConfigsCommand,
  DescribeReplicationsCommand,
  DescribeReplicationTableStatisticsCommand,
  ListTagsForResourceCommand,
  ModifyReplicationConfigCommand,
  ReloadReplicationTablesCommand,
  RemoveTagsFromResourceCommand,
  StartReplicationCommand,
  StopReplicationCommand,
  type CreateReplicationConfigCommandInput,
} from '@aws-sdk/client-database-migration-service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsError, createKinesisTarget, createMySqlSource, selectionMappings } from '../../support/dms.js';
import { startTestStack, type TestStack } from '../../support/stack.js';

// The replication-config API without a runner: shapes, validation with AWS's messages, describe
// filters and pagination, tags, modify and state rules.

let stack: TestStack;
let source: string;
let target: string;
const UNKNOWN = 'arn:aws:dms:us-east-1:000000000000:replication-config:NOPE';

beforeAll(async () => {
  // Long provisioning steps: a started replication stays `initializing` throughout (and no runner runs it).
  process.env.DMSLITE_SERVERLESS_STATUS_STEP_MS = '600000';
  stack = await startTestStack({ runner: false });
  source = (await createMySqlSource(stack.dms, 'cfg-src', { port: 3306, user: 'dms', password: 'dms-pass' })).EndpointArn!;
  target = (await createKinesisTarget(stack.dms, 'cfg-tgt', 'cfg-stream')).EndpointArn!;
});
afterAll(async () => {
  delete process.env.DMSLITE_SERVERLESS_STATUS_STEP_MS;
  await stack?.stop();
});

const base = (): CreateReplicationConfigCommandInput => ({
  ReplicationConfigIdentifier: 'cfg-err',
  SourceEndpointArn: source,
  TargetEndpointArn: target,
  ReplicationType: 'cdc',
  TableMappings: selectionMappings('db1'),
  ComputeConfig: { MaxCapacityUnits: 2 },
});
const createErr = (over: Partial<CreateReplicationConfigCommandInput>) => awsError(stack.dms.send(new CreateReplicationConfigCommand({ ...base(), ...over })));

describe('CreateReplicationConfig validation', () => {
  it('rejects invalid ComputeConfig values', async () => {
    expect(await createErr({ ComputeConfig: {} })).toEqual({ name: 'InvalidParameterValueException', message: 'The parameter ComputeConfig.MaxCapacityUnits must be provided.' });
    expect(await createErr({ ComputeConfig: { MaxCapacityUnits: 3 } })).toEqual({
      name: 'InvalidParameterValueException',
      message: 'Invalid ComputeConfig.MaxCapacityUnits value 3. Valid values are: 1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384.',
    });
    expect(await createErr({ ComputeConfig: { MaxCapacityUnits: 8, MinCapacityUnits: 6 } })).toMatchObject({ message: expect.stringContaining('MinCapacityUnits value 6') });
    expect(await createErr({ ComputeConfig: { MaxCapacityUnits: 1, MinCapacityUnits: 2 } })).toEqual({
      name: 'InvalidParameterValueException',
      message: 'ComputeConfig.MinCapacityUnits (2) must be less than or equal to ComputeConfig.MaxCapacityUnits (1).',
    });
    expect(await createErr({ ComputeConfig: { MaxCapacityUnits: 2, DnsNameServers: '1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5' } })).toMatchObject({
      name: 'InvalidParameterValueException',
      message: 'ComputeConfig.DnsNameServers can list at most four DNS name servers.',
    });
    expect(await createErr({ ComputeConfig: { MaxCapacityUnits: 2, PreferredMaintenanceWindow: 'sun:23:45-mon:00:05' } })).toMatchObject({
      message: 'ComputeConfig.PreferredMaintenanceWindow must be at least 30 minutes long.',
    });
    expect(await createErr({ ComputeConfig: { MaxCapacityUnits: 2, PreferredMaintenanceWindow: 'sunday 23:45' } })).toMatchObject({ name: 'InvalidParameterValueException' });
    expect(await createErr({ ComputeConfig: { MaxCapacityUnits: 2, ReplicationSubnetGroupId: 'no-such-group' } })).toMatchObject({ name: 'ResourceNotFoundFault' });
  });

  it('rejects invalid table mappings, settings and parameters with the task messages', async () => {
    expect(await createErr({ TableMappings: '{"hello": "world"}' })).toEqual({ name: 'InvalidParameterValueException', message: 'Valid Table mappings is required' });
    expect(await createErr({ TableMappings: '{"rules": }' })).toMatchObject({ message: expect.stringMatching(/^Invalid Table Mappings document\. Invalid json/) });
    expect(await createErr({ ReplicationSettings: '{"Bogus": {}}' })).toEqual({
      name: 'InvalidParameterValueException',
      message: 'Replication Settings document error: Unsupported keys were found: Bogus',
    });
    expect(await createErr({ ReplicationSettings: JSON.stringify({ FullLoadSettings: { CommitRate: 0 } }) })).toMatchObject({
      message: expect.stringContaining('FullLoadSettings.CommitRate'),
    });
    // AWS's own messages for replication configs (terraform-provider-aws TestAccDMSReplicationConfig_settings_LoggingValidation).
    expect(await createErr({ ReplicationSettings: JSON.stringify({ Logging: { EnableLogging: true, CloudWatchLogGroup: 'value' } }) })).toEqual({
      name: 'InvalidParameterValueException',
      message: 'The parameter Logging.CloudWatchLogGroup is read-only and cannot be set.',
    });
    expect(await createErr({ ReplicationSettings: JSON.stringify({ Logging: { EnableLogging: true, CloudWatchLogStream: 'value' } }) })).toEqual({
      name: 'InvalidParameterValueException',
      message: 'The parameter Logging.CloudWatchLogStream is read-only and cannot be set.',
    });
    expect(await createErr({ ReplicationSettings: JSON.stringify({ Logging: { EnableLogging: false, EnableLogContext: true } }) })).toEqual({
      name: 'InvalidParameterValueException',
      message: 'The parameter Logging.EnableLogContext is not allowed when Logging.EnableLogging is not set to true.',
    });
    expect(await createErr({ SupplementalSettings: 'not json' })).toMatchObject({ name: 'InvalidParameterValueException' });
    expect(await createErr({ ReplicationType: 'full' as never })).toMatchObject({ name: 'InvalidParameterValueException' });
    expect(await createErr({ SourceEndpointArn: target, TargetEndpointArn: source })).toEqual({
      name: 'InvalidParameterValueException',
      message: 'ReplicationEngineType [id=0, name=kinesis, cdcSupported=Y, endpointType=TARGET, serviceType=AWS, externalName=Amazon Kinesis, rvn=1] endpoint must be of type SOURCE',
    });
    expect(await createErr({ SourceEndpointArn: 'arn:aws:dms:us-east-1:000000000000:endpoint:NOPE' })).toMatchObject({ name: 'ResourceNotFoundFault' });
    expect(await createErr({ ReplicationConfigIdentifier: 'bad--id' })).toMatchObject({ name: 'InvalidParameterValueException' });
    expect(await createErr({ ResourceIdentifier: '9starts-with-digit' })).toMatchObject({ name: 'InvalidParameterValueException' });
    expect(await awsError(stack.dms.send(new CreateReplicationConfigCommand({ ...base(), ComputeConfig: undefined })))).toMatchObject({ name: 'InvalidParameterValueException' });
  });
});

describe('replication configs', () => {
  it('create with ResourceIdentifier, subnet group, tags and settings; modify; delete; endpoint references', async () => {
    await stack.dms.send(new CreateReplicationSubnetGroupCommand({ ReplicationSubnetGroupIdentifier: 'sg-a', ReplicationSubnetGroupDescription: 'a', SubnetIds: ['subnet-1'] }));
    const created = (
      await stack.dms.send(
        new CreateReplicationConfigCommand({
          ...base(),
          ReplicationConfigIdentifier: 'cfg-main',
          ResourceIdentifier: 'cfg-main-res',
          ComputeConfig: { MaxCapacityUnits: 16, MinCapacityUnits: 2, ReplicationSubnetGroupId: 'sg-a', PreferredMaintenanceWindow: 'sun:23:45-mon:00:30' },
          ReplicationSettings: JSON.stringify({ Logging: { EnableLogging: true, EnableLogContext: true }, FullLoadSettings: { CommitRate: 5000 } }),
          SupplementalSettings: '{"note":"x"}',
          Tags: [{ Key: 'env', Value: 'test' }, { Key: 'team', Value: 'data' }],
        }),
      )
    ).ReplicationConfig!;
    const arn = created.ReplicationConfigArn!;
    expect(arn).toBe('arn:aws:dms:us-east-1:000000000000:replication-config:cfg-main-res');
    expect(created).toMatchObject({
      ReplicationConfigIdentifier: 'cfg-main',
      ReplicationType: 'cdc',
      SupplementalSettings: '{"note":"x"}',
      ComputeConfig: { MaxCapacityUnits: 16, MinCapacityUnits: 2, ReplicationSubnetGroupId: 'sg-a', MultiAZ: false },
      IsReadOnly: false,
    });
    expect(created.ReplicationConfigCreateTime).toBeInstanceOf(Date);
    expect(created.ReplicationConfigUpdateTime).toBeInstanceOf(Date);
    const settings = JSON.parse(created.ReplicationSettings!);
    expect(settings.Logging).toMatchObject({ EnableLogging: true, EnableLogContext: true, CloudWatchLogGroup: null });
    expect(settings.FullLoadSettings).toMatchObject({ CommitRate: 5000, MaxFullLoadSubTasks: 8 });
    expect(await createErr({ ReplicationConfigIdentifier: 'CFG-MAIN' })).toMatchObject({ name: 'ResourceAlreadyExistsFault' });

    expect((await stack.dms.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).TagList).toEqual([{ Key: 'env', Value: 'test' }, { Key: 'team', Value: 'data' }]);
    await stack.dms.send(new RemoveTagsFromResourceCommand({ ResourceArn: arn, TagKeys: ['env'] }));
    expect((await stack.dms.send(new ListTagsForResourceCommand({ ResourceArnList: [arn] }))).TagList).toEqual([{ Key: 'team', Value: 'data', ResourceArn: arn }]);

    // Describe leaves ReplicationConfigUpdateTime out (AWS-validated snapshot note).
    const described = (await stack.dms.send(new DescribeReplicationConfigsCommand({ Filters: [{ Name: 'replication-config-id', Values: ['cfg-main'] }] }))).ReplicationConfigs!;
    expect(described).toHaveLength(1);
    expect(described[0].ReplicationConfigUpdateTime).toBeUndefined();
    expect(described[0].ReplicationSettings).toBe(created.ReplicationSettings);

    // Before the first start everything may change; settings merge over the stored document.
    const source2 = (await createMySqlSource(stack.dms, 'cfg-src2', { port: 3307, user: 'dms', password: 'dms-pass' })).EndpointArn!;
    const modified = (
      await stack.dms.send(
        new ModifyReplicationConfigCommand({
          ReplicationConfigArn: arn,
          ReplicationConfigIdentifier: 'cfg-renamed',
          ReplicationType: 'full-load-and-cdc',
          SourceEndpointArn: source2,
          TableMappings: selectionMappings('db2'),
          ReplicationSettings: JSON.stringify({ FullLoadSettings: { MaxFullLoadSubTasks: 4 } }),
          ComputeConfig: { MaxCapacityUnits: 32 },
        }),
      )
    ).ReplicationConfig!;
    expect(modified).toMatchObject({ ReplicationConfigIdentifier: 'cfg-renamed', ReplicationType: 'full-load-and-cdc', SourceEndpointArn: source2 });
    expect(modified.ComputeConfig).toMatchObject({ MaxCapacityUnits: 32, MinCapacityUnits: 2, ReplicationSubnetGroupId: 'sg-a' });
    expect(JSON.parse(modified.ReplicationSettings!).FullLoadSettings).toMatchObject({ CommitRate: 5000, MaxFullLoadSubTasks: 4 });
    expect(await awsError(stack.dms.send(new ModifyReplicationConfigCommand({ ReplicationConfigArn: arn, ComputeConfig: { MaxCapacityUnits: 1 } })))).toMatchObject({
      message: 'ComputeConfig.MinCapacityUnits (2) must be less than or equal to ComputeConfig.MaxCapacityUnits (1).',
    });
    // The new identifier is taken, the old one is free again; endpoints in use cannot be deleted.
    expect(await createErr({ ReplicationConfigIdentifier: 'cfg-renamed' })).toMatchObject({ name: 'ResourceAlreadyExistsFault' });
    // Renaming onto another config's identifier (ignoring case) is refused with the holder's ARN, as tasks are.
    const holder = (await stack.dms.send(new CreateReplicationConfigCommand({ ...base(), ReplicationConfigIdentifier: 'cfg-holder' }))).ReplicationConfig!;
    expect(await awsError(stack.dms.send(new ModifyReplicationConfigCommand({ ReplicationConfigArn: arn, ReplicationConfigIdentifier: 'CFG-HOLDER' })))).toMatchObject({
      name: 'ResourceAlreadyExistsFault',
      message: 'The specified replication config already exists',
    });
    await stack.dms.send(new DeleteReplicationConfigCommand({ ReplicationConfigArn: holder.ReplicationConfigArn }));
    expect(await awsError(stack.dms.send(new DeleteEndpointCommand({ EndpointArn: source2 })))).toMatchObject({ name: 'InvalidResourceStateFault' });

    const replication = (await stack.dms.send(new DescribeReplicationsCommand({ Filters: [{ Name: 'replication-config-arn', Values: [arn] }] }))).Replications![0];
    expect(replication).toMatchObject({ Status: 'created', ReplicationConfigIdentifier: 'cfg-renamed', ReplicationType: 'full-load-and-cdc', IsReadOnly: false });
    expect(replication.ProvisionData).toBeUndefined();
    expect(replication.ReplicationStats).toMatchObject({ TablesLoaded: 0, FullLoadProgressPercent: 0 });

    const deleted = (await stack.dms.send(new DeleteReplicationConfigCommand({ ReplicationConfigArn: arn }))).ReplicationConfig!;
    expect(deleted.ReplicationConfigIdentifier).toBe('cfg-renamed');
    await stack.dms.send(new DeleteEndpointCommand({ EndpointArn: source2 }));
  });

  it('state rules and errors before, during and after a start (no runner, long provisioning steps)', async () => {
    const cfg = (await stack.dms.send(new CreateReplicationConfigCommand({ ...base(), ReplicationConfigIdentifier: 'cfg-states', ReplicationType: 'cdc' }))).ReplicationConfig!;
    const arn = cfg.ReplicationConfigArn!;
    expect(await awsError(stack.dms.send(new StopReplicationCommand({ ReplicationConfigArn: arn })))).toEqual({
      name: 'InvalidResourceStateFault',
      message: 'Replication for Replication Config: cfg-states is in CREATED state and cannot stop',
    });
    expect(await awsError(stack.dms.send(new ReloadReplicationTablesCommand({ ReplicationConfigArn: arn, TablesToReload: [{ SchemaName: 'a', TableName: 'b' }] })))).toMatchObject({
      name: 'InvalidResourceStateFault',
    });
    expect(await awsError(stack.dms.send(new StartReplicationCommand({ ReplicationConfigArn: arn, StartReplicationType: 'creating' })))).toMatchObject({
      name: 'InvalidParameterValueException',
      message: 'Invalid StartReplicationType creating. Valid values: start-replication, resume-processing, reload-target',
    });
    expect(await awsError(stack.dms.send(new StartReplicationCommand({ ReplicationConfigArn: arn, StartReplicationType: 'reload-target' })))).toMatchObject({
      name: 'InvalidParameterValueException',
    });
    expect(
      await awsError(stack.dms.send(new StartReplicationCommand({ ReplicationConfigArn: arn, StartReplicationType: 'start-replication', PremigrationAssessmentSettings: 'not json' }))),
    ).toEqual({ name: 'InvalidParameterValueException', message: 'PremigrationAssessmentSettings must be a JSON object' });
    expect(
      await awsError(stack.dms.send(new StartReplicationCommand({ ReplicationConfigArn: arn, StartReplicationType: 'start-replication', CdcStartTime: new Date(), CdcStartPosition: 'mysql-bin.000001:4' }))),
    ).toMatchObject({ name: 'InvalidParameterCombinationException' });
    // A first resume-processing of a cdc replication starts it (what Terraform sends).
    const started = (
      await stack.dms.send(new StartReplicationCommand({ ReplicationConfigArn: arn, StartReplicationType: 'resume-processing', CdcStartPosition: 'mysql-bin.000001:4', CdcStopPosition: 'server_time:2030-01-01T00:00:00' }))
    ).Replication!;
    expect(started).toMatchObject({ Status: 'initializing', StartReplicationType: 'resume-processing', CdcStartPosition: 'mysql-bin.000001:4', CdcStopPosition: 'server_time:2030-01-01T00:00:00' });
    expect(await awsError(stack.dms.send(new StartReplicationCommand({ ReplicationConfigArn: arn, StartReplicationType: 'resume-processing' })))).toMatchObject({
      name: 'InvalidResourceStateFault',
      message: 'Replication for Replication Config: cfg-states is in INITIALIZING state and cannot start',
    });
    expect(await awsError(stack.dms.send(new DeleteReplicationConfigCommand({ ReplicationConfigArn: arn })))).toMatchObject({
      name: 'InvalidResourceStateFault',
      message: 'Replication Config cfg-states cannot be deleted while its replication is in INITIALIZING state',
    });
    expect(await awsError(stack.dms.send(new ModifyReplicationConfigCommand({ ReplicationConfigArn: arn, TableMappings: selectionMappings('x') })))).toMatchObject({
      name: 'InvalidResourceStateFault',
    });
    // Stopped before its capacity was provisioned: nothing to deprovision, it can go at once.
    const stopping = (await stack.dms.send(new StopReplicationCommand({ ReplicationConfigArn: arn }))).Replication!;
    expect(stopping.Status).toBe('stopping');
    const stopped = (await stack.dms.send(new DescribeReplicationsCommand({ Filters: [{ Name: 'replication-config-id', Values: ['cfg-states'] }] }))).Replications![0];
    expect(stopped).toMatchObject({ Status: 'stopped', StopReason: 'Stop Reason NORMAL' });
    expect((await stack.dms.send(new DescribeReplicationTableStatisticsCommand({ ReplicationConfigArn: arn }))).ReplicationTableStatistics).toEqual([]);
    await stack.dms.send(new DeleteReplicationConfigCommand({ ReplicationConfigArn: arn }));
  });

  it('not found, invalid ARNs and filters', async () => {
    const filter = [{ Name: 'replication-config-arn', Values: [UNKNOWN] }];
    expect(await awsError(stack.dms.send(new DescribeReplicationConfigsCommand({ Filters: filter })))).toEqual({
      name: 'ResourceNotFoundFault',
      message: 'No replication configs found matching provided filters',
    });
    expect(await awsError(stack.dms.send(new DescribeReplicationsCommand({ Filters: filter })))).toMatchObject({ name: 'ResourceNotFoundFault' });
    expect(await awsError(stack.dms.send(new DescribeReplicationsCommand({ Filters: [{ Name: 'migration-type', Values: ['cdc'] }] })))).toMatchObject({ name: 'InvalidParameterValueException' });
    for (const call of [
      () => stack.dms.send(new DescribeReplicationTableStatisticsCommand({ ReplicationConfigArn: UNKNOWN })),
      () => stack.dms.send(new StartReplicationCommand({ ReplicationConfigArn: UNKNOWN, StartReplicationType: 'start-replication' })),
      () => stack.dms.send(new StopReplicationCommand({ ReplicationConfigArn: UNKNOWN })),
      () => stack.dms.send(new ModifyReplicationConfigCommand({ ReplicationConfigArn: UNKNOWN, TableMappings: selectionMappings('x') })),
      () => stack.dms.send(new DeleteReplicationConfigCommand({ ReplicationConfigArn: UNKNOWN })),
      () => stack.dms.send(new ReloadReplicationTablesCommand({ ReplicationConfigArn: UNKNOWN, TablesToReload: [{ SchemaName: 'a', TableName: 'b' }] })),
      () => stack.dms.send(new ListTagsForResourceCommand({ ResourceArn: UNKNOWN })),
    ]) {
      expect(await awsError(call())).toMatchObject({ name: 'ResourceNotFoundFault' });
    }
    expect(await awsError(stack.dms.send(new DescribeReplicationTableStatisticsCommand({ ReplicationConfigArn: 'invalid-regexp-arn' })))).toMatchObject({
      name: 'InvalidParameterValueException',
    });
    expect(await awsError(stack.dms.send(new StopReplicationCommand({ ReplicationConfigArn: 'arn:aws:dms:us-east-1:000000000000:task:ABC' })))).toMatchObject({
      name: 'InvalidParameterValueException',
    });
  });

  it('paginates DescribeReplicationConfigs and DescribeReplications, each config exactly once', async () => {
    const ids = Array.from({ length: 23 }, (_, i) => `page-${String(i).padStart(2, '0')}`);
    await Promise.all(ids.map((id) => stack.dms.send(new CreateReplicationConfigCommand({ ...base(), ReplicationConfigIdentifier: id }))));
    for (const list of [
      async (Marker?: string) => {
        const out = await stack.dms.send(new DescribeReplicationConfigsCommand({ MaxRecords: 20, Marker }));
        return { items: out.ReplicationConfigs!.map((c) => c.ReplicationConfigIdentifier!), marker: out.Marker };
      },
      async (Marker?: string) => {
        const out = await stack.dms.send(new DescribeReplicationsCommand({ MaxRecords: 20, Marker }));
        return { items: out.Replications!.map((c) => c.ReplicationConfigIdentifier!), marker: out.Marker };
      },
    ]) {
      const first = await list();
      expect(first.items).toHaveLength(20);
      expect(first.marker).toBeDefined();
      const second = await list(first.marker);
      expect(second.marker).toBeUndefined();
      const all = [...first.items, ...second.items].filter((id) => id.startsWith('page-'));
      expect(all.sort()).toEqual(ids);
    }
    expect(await awsError(stack.dms.send(new DescribeReplicationConfigsCommand({ MaxRecords: 5 })))).toMatchObject({ name: 'InvalidParameterValueException' });
  });
});
