import { buildArn, requireArn, resourceIdFrom, validateIdentifier } from '../model/arn.js';
import {
  InvalidParameterCombinationException,
  InvalidParameterValueException,
  InvalidResourceStateFault,
  ResourceAlreadyExistsFault,
  ResourceNotFoundFault,
} from '../model/errors.js';
import { MYSQL_ENGINES, POSTGRES_ENGINES } from '../model/endpoint-connection.js';
import { ConditionFailed, connectionPk, identKey, mutate, resourceKey, type Stored } from '../state/resources.js';
import type { ApiContext } from './context.js';
import { compileFilters, maxRecords, notFoundIfEmpty, page, publicView } from './describe.js';

export const ENGINE_DISPLAY_NAMES: Record<string, string> = {
  mysql: 'MySQL',
  mariadb: 'MariaDB',
  aurora: 'Amazon Aurora MySQL',
  'gcp-mysql': 'Google Cloud SQL for MySQL',
  kinesis: 'Amazon Kinesis',
  oracle: 'Oracle',
  postgres: 'PostgreSQL',
  'aurora-postgresql': 'Amazon Aurora PostgreSQL',
  sqlserver: 'Microsoft SQL Server',
  s3: 'Amazon S3',
  dynamodb: 'Amazon DynamoDB',
  kafka: 'Kafka',
  redshift: 'Amazon Redshift',
  'redshift-serverless': 'Amazon Redshift Serverless',
  opensearch: 'Amazon OpenSearch Service',
  elasticsearch: 'Elasticsearch',
  mongodb: 'MongoDB',
  docdb: 'Amazon DocumentDB',
  neptune: 'Amazon Neptune',
  db2: 'IBM Db2 for Linux, Unix, Windows and Amazon RDS',
  'db2-zos': 'IBM Db2 for z/OS',
  sybase: 'SAP Sybase ASE',
  azuredb: 'Microsoft Azure SQL Database',
  'azure-sql-managed-instance': 'Microsoft Azure SQL Managed Instance',
  babelfish: 'Babelfish for Aurora PostgreSQL',
  timestream: 'Amazon Timestream',
  redis: 'Redis',
};

/** The one engine-specific settings member AWS keeps for each engine; the others are ignored. */
const SETTINGS_MEMBER: Record<string, string> = {
  mysql: 'MySQLSettings', mariadb: 'MySQLSettings', aurora: 'MySQLSettings', 'gcp-mysql': 'GcpMySQLSettings',
  kinesis: 'KinesisSettings', postgres: 'PostgreSQLSettings', 'aurora-postgresql': 'PostgreSQLSettings',
  oracle: 'OracleSettings', sqlserver: 'MicrosoftSQLServerSettings', s3: 'S3Settings', dynamodb: 'DynamoDbSettings',
  kafka: 'KafkaSettings', redshift: 'RedshiftSettings', opensearch: 'ElasticsearchSettings', elasticsearch: 'ElasticsearchSettings',
  mongodb: 'MongoDbSettings', docdb: 'DocDbSettings', neptune: 'NeptuneSettings', db2: 'IBMDb2Settings', sybase: 'SybaseSettings',
  redis: 'RedisSettings', timestream: 'TimestreamSettings',
};

export { MYSQL_ENGINES };
const TARGET_ONLY = new Set(['kinesis', 's3', 'dynamodb', 'kafka', 'redshift', 'redshift-serverless', 'opensearch', 'elasticsearch', 'neptune', 'timestream', 'redis', 'babelfish']);
const SOURCE_ONLY = new Set(['db2-zos']);

const KINESIS_DEFAULTS = {
  MessageFormat: 'json',
  IncludeTransactionDetails: false,
  IncludePartitionValue: false,
  PartitionIncludeSchemaTable: false,
  IncludeTableAlterOperations: false,
  IncludeControlDetails: false,
  IncludeNullAndEmpty: false,
  NoHexPrefix: false,
  UseLargeIntegerValue: false,
};

export interface EndpointDoc extends Record<string, unknown> {
  EndpointIdentifier: string;
  EndpointType: 'SOURCE' | 'TARGET';
  EngineName: string;
  EndpointArn: string;
  Status: string;
  /** Sealed password; never on the wire. */
  _password?: string;
}

const endpointFilters = {
  'endpoint-arn': (e: EndpointDoc) => e.EndpointArn,
  'endpoint-type': (e: EndpointDoc) => [e.EndpointType, e.EndpointType.toLowerCase()],
  'endpoint-id': (e: EndpointDoc) => e.EndpointIdentifier,
  'engine-name': (e: EndpointDoc) => e.EngineName,
};

export async function getEndpoint(ctx: ApiContext, arn: string): Promise<Stored<EndpointDoc>> {
  requireArn('EndpointArn', arn, 'endpoint');
  const found = await ctx.table.get<EndpointDoc>(resourceKey('endpoint', ctx.scope, arn));
  if (!found) throw new ResourceNotFoundFault(`Endpoint ${arn} not found`);
  return found;
}

export function endpointView(doc: EndpointDoc): Record<string, unknown> {
  return publicView(doc);
}

/** Builds the stored document from Create/Modify input layered over an existing document. */
function applyEndpointInput(ctx: ApiContext, base: Partial<EndpointDoc>, input: Record<string, unknown>, exact = false): EndpointDoc {
  const doc: Record<string, unknown> = { ...base };
  const engine = ((input.EngineName as string | undefined) ?? (base.EngineName as string)).toLowerCase();
  if (!(engine in ENGINE_DISPLAY_NAMES)) {
    throw new InvalidParameterValueException(`The parameter EngineName has an invalid value: ${input.EngineName}`);
  }
  const type = ((input.EndpointType as string | undefined) ?? (base.EndpointType as string)).toUpperCase() as 'SOURCE' | 'TARGET';
  if (TARGET_ONLY.has(engine) && type === 'SOURCE') {
    throw new InvalidParameterValueException(`${ENGINE_DISPLAY_NAMES[engine]} endpoint must be of type TARGET`);
  }
  if (SOURCE_ONLY.has(engine) && type === 'TARGET') {
    throw new InvalidParameterValueException(`${ENGINE_DISPLAY_NAMES[engine]} endpoint must be of type SOURCE`);
  }
  doc.EngineName = engine;
  doc.EngineDisplayName = ENGINE_DISPLAY_NAMES[engine];
  doc.EndpointType = type;
  for (const k of ['EndpointIdentifier', 'Username', 'ServerName', 'Port', 'DatabaseName', 'ExtraConnectionAttributes', 'CertificateArn', 'SslMode', 'ServiceAccessRoleArn', 'ExternalTableDefinition', 'KmsKeyId']) {
    if (input[k] !== undefined) doc[k] = input[k];
  }
  doc.SslMode ??= 'none';
  // Engine-specific settings: only the engine's own member is kept (AWS ignores the others);
  // members merge unless ExactSettings asks to replace them.
  const member = SETTINGS_MEMBER[engine];
  for (const k of Object.keys(doc)) if (k.endsWith('Settings') && k !== member) delete doc[k];
  const given = member ? (input[member] as Record<string, unknown> | undefined) : undefined;
  if (given) {
    const settings = { ...given };
    if ('Password' in settings) {
      doc._settingsPassword = ctx.secrets.seal(String(settings.Password));
      delete settings.Password;
    }
    doc[member] = exact ? settings : { ...((doc[member] as Record<string, unknown>) ?? {}), ...settings };
  }
  if (input.Port !== undefined && ((input.Port as number) < 1 || (input.Port as number) > 65535)) {
    throw new InvalidParameterValueException(`The parameter Port must be between 1 and 65535: ${input.Port}`);
  }
  if (input.Password !== undefined && input.Password !== '') doc._password = ctx.secrets.seal(String(input.Password));

  if (engine === 'kinesis') {
    if (input.Password !== undefined) {
      throw new InvalidParameterValueException('Password is not a valid parameter for a kinesis endpoint');
    }
    if (!doc.KinesisSettings) throw new InvalidParameterValueException('KinesisSettings must be provided for a kinesis endpoint');
    const ks: Record<string, unknown> = { ...KINESIS_DEFAULTS, ...((doc.KinesisSettings as Record<string, unknown>) ?? {}) };
    if (!ks.StreamArn) throw new InvalidParameterValueException('KinesisSettings.StreamArn is required for a kinesis endpoint');
    if (!ks.ServiceAccessRoleArn && doc.ServiceAccessRoleArn) ks.ServiceAccessRoleArn = doc.ServiceAccessRoleArn;
    if (!ks.ServiceAccessRoleArn) {
      throw new InvalidParameterValueException('KinesisSettings.ServiceAccessRoleArn is required for a kinesis endpoint');
    }
    if (!/^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/.+$/.test(String(ks.StreamArn))) {
      throw new InvalidParameterValueException(`KinesisSettings.StreamArn is not a valid Kinesis stream ARN: ${ks.StreamArn}`);
    }
    if (!['json', 'json-unformatted'].includes(String(ks.MessageFormat))) {
      throw new InvalidParameterValueException(`KinesisSettings.MessageFormat must be json or json-unformatted`);
    }
    doc.KinesisSettings = ks;
  }
  if (MYSQL_ENGINES.has(engine)) {
    const ms = (doc.MySQLSettings as Record<string, unknown> | undefined) ?? {};
    const usesSecret = ms.SecretsManagerSecretId !== undefined || ms.SecretsManagerAccessRoleArn !== undefined;
    const givenMs = (input.MySQLSettings as Record<string, unknown> | undefined) ?? {};
    const clearText = ['Password', 'Username', 'ServerName', 'Port'].some((k) => input[k] !== undefined || givenMs[k] !== undefined);
    if (usesSecret && clearText) {
      throw new InvalidParameterCombinationException(
        'Specify either SecretsManagerSecretId with SecretsManagerAccessRoleArn, or the user name, password, server name and port: not both',
      );
    }
    if (usesSecret && (!ms.SecretsManagerSecretId || !ms.SecretsManagerAccessRoleArn)) {
      throw new InvalidParameterValueException(
        'MySQLSettings.SecretsManagerSecretId and MySQLSettings.SecretsManagerAccessRoleArn must be provided together',
      );
    }
    if (usesSecret) {
      // The secret replaces any clear-text credentials an earlier version of the endpoint had.
      for (const k of ['_password', '_settingsPassword', 'Username', 'ServerName', 'Port']) delete doc[k];
      for (const k of ['Username', 'ServerName', 'Port']) delete ms[k];
    } else {
      if (!doc._password && !doc._settingsPassword) throw new InvalidParameterValueException('Password must be provided');
      if (!doc.Username && !ms.Username) throw new InvalidParameterValueException('Username must be provided');
      if (!doc.ServerName && !ms.ServerName) throw new InvalidParameterValueException('ServerName must be provided');
      if (doc.Port === undefined && ms.Port === undefined) throw new InvalidParameterValueException('Port must be provided');
    }
    // AWS echoes the connection members inside MySQLSettings, taken from the top level.
    const echoed: Record<string, unknown> = { ...ms };
    for (const k of ['DatabaseName', 'Port', 'ServerName', 'Username']) if (doc[k] !== undefined) echoed[k] = doc[k];
    for (const k of ['DatabaseName', 'Port', 'ServerName', 'Username']) if (doc[k] === undefined && ms[k] !== undefined) doc[k] = ms[k];
    doc.MySQLSettings = echoed;
    if (!doc.KmsKeyId) doc.KmsKeyId = `arn:aws:kms:${ctx.scope.region}:${ctx.scope.account}:key/dmslite-default`;
  }
  if (POSTGRES_ENGINES.has(engine)) {
    const ps = (doc.PostgreSQLSettings as Record<string, unknown> | undefined) ?? {};
    const usesSecret = ps.SecretsManagerSecretId !== undefined || ps.SecretsManagerAccessRoleArn !== undefined;
    if (!usesSecret) {
      if (!doc._password && !doc._settingsPassword) throw new InvalidParameterValueException('Password must be provided');
      if (!doc.Username && !ps.Username) throw new InvalidParameterValueException('Username must be provided');
      if (!doc.ServerName && !ps.ServerName) throw new InvalidParameterValueException('ServerName must be provided');
      if (doc.Port === undefined && ps.Port === undefined) throw new InvalidParameterValueException('Port must be provided');
    }
    // A PostgreSQL endpoint connects to one database (AWS requires DatabaseName for PostgreSQL).
    if (!usesSecret && !doc.DatabaseName && !ps.DatabaseName) throw new InvalidParameterValueException('DatabaseName must be provided for a PostgreSQL endpoint');
    if (ps.SlotName !== undefined && !/^[a-z0-9_]{1,63}$/.test(String(ps.SlotName))) {
      throw new InvalidParameterValueException(`PostgreSQLSettings.SlotName is not a valid replication slot name (lower-case letters, digits and underscores, at most 63): ${ps.SlotName}`);
    }
    const echoed: Record<string, unknown> = { ...ps };
    for (const k of ['DatabaseName', 'Port', 'ServerName', 'Username']) if (doc[k] !== undefined) echoed[k] = doc[k];
    for (const k of ['DatabaseName', 'Port', 'ServerName', 'Username']) if (doc[k] === undefined && ps[k] !== undefined) doc[k] = ps[k];
    doc.PostgreSQLSettings = echoed;
    if (!doc.KmsKeyId) doc.KmsKeyId = `arn:aws:kms:${ctx.scope.region}:${ctx.scope.account}:key/dmslite-default`;
  }
  return doc as EndpointDoc;
}

export async function createEndpoint(ctx: ApiContext, input: Record<string, unknown>) {
  const identifier = input.EndpointIdentifier as string;
  validateIdentifier('EndpointIdentifier', identifier);
  const arn = buildArn(ctx.scope, 'endpoint', resourceIdFrom(input.ResourceIdentifier as string | undefined));
  const doc = applyEndpointInput(ctx, {}, input);
  doc.EndpointArn = arn;
  doc.Status = 'active';
  doc._tags = (input.Tags as unknown[]) ?? [];
  doc._created = ctx.now();
  try {
    await ctx.table.write([
      { kind: 'put', key: resourceKey('endpoint', ctx.scope, arn), doc, ifAbsent: true, attrs: { refs: 0 } },
      { kind: 'put', key: identKey('endpoint', ctx.scope, identifier), doc: { arn }, ifAbsent: true },
    ]);
  } catch (e) {
    if (e instanceof ConditionFailed) {
      if (e.index === 0) throw new ResourceAlreadyExistsFault(`Resource with ARN ${arn} already exists`, arn);
      const existing = await ctx.table.get<{ arn: string }>(identKey('endpoint', ctx.scope, identifier));
      throw new ResourceAlreadyExistsFault('The specified endpoint identifier already exists', existing?.doc.arn);
    }
    throw e;
  }
  return { Endpoint: endpointView(doc) };
}

export async function describeEndpoints(ctx: ApiContext, input: Record<string, unknown>) {
  const match = compileFilters(input.Filters, endpointFilters);
  const limit = maxRecords(input.MaxRecords);
  const result = await page<EndpointDoc>(
    (after) => mapStored(ctx.table.query<EndpointDoc>(resourceKey('endpoint', ctx.scope, '').pk, after)),
    match,
    input.Marker,
    limit,
  );
  notFoundIfEmpty(result.items, input.Filters, 'No Endpoints found matching provided filters');
  return { Endpoints: result.items.map(endpointView), ...(result.marker ? { Marker: result.marker } : {}) };
}

/** Stored documents as Describe items, optionally settled (derived statuses) on the way. */
export async function* mapStored<T>(it: AsyncIterable<Stored<T>>, settle: (doc: T) => T = (d) => d): AsyncGenerator<{ sortKey: string; item: T }> {
  for await (const s of it) yield { sortKey: s.key.sk, item: settle(s.doc) };
}

export async function modifyEndpoint(ctx: ApiContext, input: Record<string, unknown>) {
  const arn = input.EndpointArn as string;
  requireArn('EndpointArn', arn, 'endpoint');
  let result: EndpointDoc | undefined;
  await mutate<EndpointDoc>(ctx.table, resourceKey('endpoint', ctx.scope, arn), (current) => {
    if (!current) throw new ResourceNotFoundFault(`Endpoint ${arn} not found`);
    const base: Partial<EndpointDoc> = { ...current.doc };
    if (input.ExactSettings) for (const k of Object.keys(base)) if (k.endsWith('Settings') && k in input) delete base[k];
    const doc = applyEndpointInput(ctx, base, input, Boolean(input.ExactSettings));
    result = doc;
    const ops: import('../state/dynamo.js').WriteOp[] = [
      { kind: 'put', key: current.key, doc, ifVersion: current.version },
    ];
    const newId = input.EndpointIdentifier as string | undefined;
    if (newId !== undefined && newId.toLowerCase() !== current.doc.EndpointIdentifier.toLowerCase()) {
      validateIdentifier('EndpointIdentifier', newId);
      ops.push({ kind: 'put', key: identKey('endpoint', ctx.scope, newId), doc: { arn }, ifAbsent: true });
      ops.push({ kind: 'delete', key: identKey('endpoint', ctx.scope, current.doc.EndpointIdentifier) });
    }
    return ops;
  }).catch((e) => {
    if (e instanceof ConditionFailed && e.index === 1) {
      throw new ResourceAlreadyExistsFault('The specified endpoint identifier already exists');
    }
    throw e;
  });
  return { Endpoint: endpointView(result!) };
}

export async function deleteEndpoint(ctx: ApiContext, input: Record<string, unknown>) {
  const arn = input.EndpointArn as string;
  requireArn('EndpointArn', arn, 'endpoint');
  let doc: EndpointDoc | undefined;
  await mutate<EndpointDoc>(ctx.table, resourceKey('endpoint', ctx.scope, arn), (current) => {
    if (!current) throw new ResourceNotFoundFault(`Endpoint ${arn} not found`);
    if (current.refs > 0) throw inUse();
    doc = current.doc;
    return [
      // refs counts the tasks using the endpoint; task creation increments it in the same transaction.
      { kind: 'delete', key: current.key, ifVersion: current.version, ifAttrZero: 'refs' },
      { kind: 'delete', key: identKey('endpoint', ctx.scope, current.doc.EndpointIdentifier) },
    ];
  });
  await deleteConnectionsOf(ctx, (c) => c.EndpointArn === arn);
  function inUse() {
    return new InvalidResourceStateFault(`Endpoint ${arn} cannot be deleted: it is used by one or more replication tasks`);
  }
  return { Endpoint: endpointView({ ...doc!, Status: 'deleting' }) };
}

/** Connection test results go with their endpoint or replication instance. */
export async function deleteConnectionsOf(ctx: ApiContext, which: (c: { EndpointArn: string; ReplicationInstanceArn: string }) => boolean) {
  const all = await ctx.table.all<{ EndpointArn: string; ReplicationInstanceArn: string }>(connectionPk(ctx.scope));
  await Promise.all(all.filter((c) => which(c.doc)).map((c) => ctx.table.write([{ kind: 'delete', key: c.key }]).catch(() => undefined)));
}
