import { InvalidParameterValueException } from '../model/errors.js';
import type { ApiContext } from './context.js';
import { compileFilters, paginateList } from './describe.js';
import type { Input, Output } from './operations.js';
import { ENGINE_DISPLAY_NAMES, MYSQL_ENGINES } from './endpoints.js';
import { ENGINE_VERSIONS, INSTANCE_CLASSES } from './instances.js';

// Static catalogue operations: what engines, settings and instance classes exist.

const SOURCE_ENGINES = ['mysql', 'mariadb', 'aurora', 'gcp-mysql', 'oracle', 'postgres', 'aurora-postgresql', 'sqlserver', 's3', 'mongodb', 'docdb', 'db2', 'db2-zos', 'sybase', 'azuredb', 'azure-sql-managed-instance'];
const TARGET_ENGINES = ['mysql', 'mariadb', 'aurora', 'kinesis', 'oracle', 'postgres', 'aurora-postgresql', 'sqlserver', 's3', 'dynamodb', 'kafka', 'redshift', 'redshift-serverless', 'opensearch', 'elasticsearch', 'docdb', 'neptune', 'sybase', 'azuredb', 'babelfish', 'timestream', 'redis', 'db2'];

type SupportedEndpointType = NonNullable<Output<'DescribeEndpointTypes'>['SupportedEndpointTypes']>[number];
type EndpointSetting = NonNullable<Output<'DescribeEndpointSettings'>['EndpointSettings']>[number];

function endpointTypes(): SupportedEndpointType[] {
  const out: SupportedEndpointType[] = [];
  for (const e of SOURCE_ENGINES) out.push(typeEntry(e, 'source'));
  for (const e of TARGET_ENGINES) out.push(typeEntry(e, 'target'));
  return out;
}
function typeEntry(engine: string, type: 'source' | 'target'): SupportedEndpointType {
  return {
    EngineName: engine,
    SupportsCDC: !['s3', 'dynamodb', 'redshift', 'redshift-serverless', 'opensearch', 'elasticsearch', 'neptune'].includes(engine) || type === 'target',
    EndpointType: type,
    ReplicationInstanceEngineMinimumVersion: '3.4.7',
    EngineDisplayName: ENGINE_DISPLAY_NAMES[engine],
  };
}

export async function describeEndpointTypes(
  _ctx: ApiContext,
  input: Input<'DescribeEndpointTypes'>,
): Promise<Output<'DescribeEndpointTypes'>> {
  const match = compileFilters(input.Filters, {
    'engine-name': (t: SupportedEndpointType) => t.EngineName,
    'endpoint-type': (t: SupportedEndpointType) => (t.EndpointType ? [t.EndpointType, t.EndpointType.toUpperCase()] : undefined),
  });
  const { items, Marker } = paginateList(endpointTypes().filter(match), input);
  return { SupportedEndpointTypes: items, ...(Marker ? { Marker } : {}) };
}

const BOOL = 'boolean';
const KINESIS_SETTINGS: EndpointSetting[] = [
  { Name: 'MessageFormat', Type: 'enum', EnumValues: ['json', 'json-unformatted'], Applicability: 'cdc-and-full-load', DefaultValue: 'json' },
  ...['IncludeTransactionDetails', 'IncludePartitionValue', 'PartitionIncludeSchemaTable', 'IncludeTableAlterOperations', 'IncludeControlDetails', 'IncludeNullAndEmpty', 'NoHexPrefix', 'UseLargeIntegerValue'].map((Name): EndpointSetting => ({ Name, Type: BOOL, Applicability: 'cdc-and-full-load', DefaultValue: 'false' })),
];
const MYSQL_SETTINGS: EndpointSetting[] = [
  { Name: 'EventsPollInterval', Type: 'integer', Units: 'seconds', Applicability: 'cdc', IntValueMin: 1, IntValueMax: 60, DefaultValue: '5' },
  { Name: 'ServerTimezone', Type: 'string', Applicability: 'cdc-and-full-load' },
  { Name: 'AfterConnectScript', Type: 'string', Applicability: 'cdc-and-full-load' },
  { Name: 'CleanSourceMetadataOnMismatch', Type: BOOL, Applicability: 'cdc', DefaultValue: 'false' },
  { Name: 'ExecuteTimeout', Type: 'integer', Units: 'seconds', Applicability: 'cdc-and-full-load', DefaultValue: '60' },
];

export async function describeEndpointSettings(
  _ctx: ApiContext,
  input: Input<'DescribeEndpointSettings'>,
): Promise<Output<'DescribeEndpointSettings'>> {
  const engine = input.EngineName.toLowerCase();
  if (!(engine in ENGINE_DISPLAY_NAMES)) throw new InvalidParameterValueException(`Invalid engine name: ${input.EngineName}`);
  const settings = engine === 'kinesis' ? KINESIS_SETTINGS : MYSQL_ENGINES.has(engine) ? MYSQL_SETTINGS : [];
  const { items, Marker } = paginateList(settings, input);
  return { EndpointSettings: items, ...(Marker ? { Marker } : {}) };
}

export async function describeOrderableReplicationInstances(
  _ctx: ApiContext,
  input: Input<'DescribeOrderableReplicationInstances'>,
): Promise<Output<'DescribeOrderableReplicationInstances'>> {
  const all = INSTANCE_CLASSES.flatMap((cls) =>
    ENGINE_VERSIONS.map((v) => ({
      EngineVersion: v,
      ReplicationInstanceClass: cls,
      StorageType: 'gp2',
      MinAllocatedStorage: 5,
      MaxAllocatedStorage: 6144,
      DefaultAllocatedStorage: cls.includes('.t') ? 50 : 100,
      IncludedAllocatedStorage: cls.includes('.t') ? 50 : 100,
      AvailabilityZones: ['a', 'b', 'c'].map((z) => `${_ctx.scope.region}${z}`),
    })),
  );
  const { items, Marker } = paginateList(all, input);
  return { OrderableReplicationInstances: items, ...(Marker ? { Marker } : {}) };
}

export async function describeAccountAttributes(ctx: ApiContext): Promise<Output<'DescribeAccountAttributes'>> {
  return {
    AccountQuotas: [
      { AccountQuotaName: 'ReplicationInstances', Used: 0, Max: 20 },
      { AccountQuotaName: 'AllocatedStorage', Used: 0, Max: 10000 },
      { AccountQuotaName: 'Endpoints', Used: 0, Max: 1000 },
      { AccountQuotaName: 'ReplicationTasks', Used: 0, Max: 600 },
      { AccountQuotaName: 'EventSubscriptions', Used: 0, Max: 20 },
      { AccountQuotaName: 'Certificates', Used: 0, Max: 100 },
    ],
    UniqueAccountIdentifier: ctx.scope.account,
  };
}
