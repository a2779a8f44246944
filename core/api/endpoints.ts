import { buildArn, requireArn, resourceIdFrom } from '../model/arn.js';
import {
  InvalidParameterCombinationException,
  InvalidParameterValueException,
  InvalidResourceStateFault,
  ResourceAlreadyExistsFault,
  ResourceNotFoundFault,
} from '../model/errors.js';
import { MYSQL_ENGINES, POSTGRES_ENGINES } from '../model/endpoint-connection.js';
import type { ConnectionDoc, EndpointDoc, EndpointSettingsMember, EndpointType } from '../model/resources.js';
import { pickDefined } from '../model/wire.js';
import { ConditionFailed, connectionPk, identKey, mutate, resourceKey, type Stored, type WriteOp } from '../state/resources.js';
import type { ApiContext } from './context.js';
import { lookupResources } from '../state/lookup.js';
import { compileFilters, maxRecords, notFoundIfEmpty, page, publicView } from './describe.js';
import { claimIdentifier, IDENTIFIERS, renameIdentifier, rethrowTaken, storedIdentifier } from './identifiers.js';
import type { EndpointView, Input, Output } from './operations.js';

export type { EndpointDoc };

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
const SETTINGS_MEMBER: Record<string, InputSettingsMember> = {
  mysql: 'MySQLSettings', mariadb: 'MySQLSettings', aurora: 'MySQLSettings', 'gcp-mysql': 'GcpMySQLSettings',
  kinesis: 'KinesisSettings', postgres: 'PostgreSQLSettings', 'aurora-postgresql': 'PostgreSQLSettings',
  oracle: 'OracleSettings', sqlserver: 'MicrosoftSQLServerSettings', s3: 'S3Settings', dynamodb: 'DynamoDbSettings',
  kafka: 'KafkaSettings', redshift: 'RedshiftSettings', opensearch: 'ElasticsearchSettings', elasticsearch: 'ElasticsearchSettings',
  mongodb: 'MongoDbSettings', docdb: 'DocDbSettings', neptune: 'NeptuneSettings', db2: 'IBMDb2Settings', sybase: 'SybaseSettings',
  redis: 'RedisSettings', timestream: 'TimestreamSettings',
};

/** Every settings member of an endpoint; the type check below keeps it complete. */
const SETTINGS_MEMBERS = [
  'DmsTransferSettings', 'DocDbSettings', 'DynamoDbSettings', 'ElasticsearchSettings', 'GcpMySQLSettings', 'IBMDb2Settings',
  'KafkaSettings', 'KinesisSettings', 'LakehouseSettings', 'MicrosoftSQLServerSettings', 'MongoDbSettings', 'MySQLSettings',
  'NeptuneSettings', 'OracleSettings', 'PostgreSQLSettings', 'RedisSettings', 'RedshiftSettings', 'S3Settings',
  'SybaseSettings', 'TimestreamSettings',
] as const satisfies readonly EndpointSettingsMember[];
const settingsMembersComplete: Exclude<EndpointSettingsMember, (typeof SETTINGS_MEMBERS)[number]> extends never ? true : false = true;
void settingsMembersComplete;

export { MYSQL_ENGINES };
const TARGET_ONLY = new Set(['kinesis', 's3', 'dynamodb', 'kafka', 'redshift', 'redshift-serverless', 'opensearch', 'elasticsearch', 'neptune', 'timestream', 'redis', 'babelfish']);
const SOURCE_ONLY = new Set(['db2-zos']);

type KinesisSettings = NonNullable<EndpointDoc['KinesisSettings']>;
const KINESIS_DEFAULTS: KinesisSettings = {
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

/** Members copied as given from Create/ModifyEndpoint onto the document. */
const COPIED_MEMBERS = [
  'EndpointIdentifier', 'Username', 'ServerName', 'Port', 'DatabaseName', 'ExtraConnectionAttributes', 'CertificateArn',
  'SslMode', 'ServiceAccessRoleArn', 'ExternalTableDefinition', 'KmsKeyId',
] as const;
/** AWS echoes these inside MySQLSettings (PostgreSQLSettings), taken from the top level, and the reverse. */
const MYSQL_CONNECTION_MEMBERS = ['DatabaseName', 'Port', 'ServerName', 'Username'] as const;
/** Clear-text credentials, refused beside a Secrets Manager secret. */
const CLEAR_TEXT_MEMBERS = ['Password', 'Username', 'ServerName', 'Port'] as const;

/** What Create/ModifyEndpoint may change (CreateEndpoint's members; ModifyEndpoint has all but KmsKeyId). */
type EndpointChanges = Omit<Input<'ModifyEndpoint'>, 'EndpointArn' | 'ExactSettings'> & { KmsKeyId?: string };

/** A document being built: the members every endpoint has once its engine and type are known. */
type EndpointDraft = Partial<EndpointDoc> & Pick<EndpointDoc, 'EngineName' | 'EngineDisplayName' | 'EndpointType'>;

type AnySettings = NonNullable<EndpointDoc[EndpointSettingsMember]>;

/** The settings members a request may carry (LakehouseSettings is output only). */
type InputSettingsMember = Extract<keyof EndpointChanges, EndpointSettingsMember>;
const INPUT_SETTINGS_MEMBERS = SETTINGS_MEMBERS.filter((m): m is InputSettingsMember => m !== 'LakehouseSettings');

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

export function endpointView(doc: EndpointDoc): EndpointView {
  return publicView(doc);
}

/** The document as core/source/credentials.ts takes it (a plain record). */
export function endpointRecord(doc: EndpointDoc): Record<string, unknown> {
  return { ...doc };
}

/** The wire's lower-case endpoint type as AWS stores and answers it. */
function storedEndpointType(type: 'source' | 'target'): EndpointType {
  return type === 'source' ? 'SOURCE' : 'TARGET';
}

/**
 * Sets one settings member. The value is the member's own shape: protocol.ts validated each settings
 * member of the request against its shape in the model.
 */
function setSettings<M extends EndpointSettingsMember>(doc: EndpointDraft, member: M, value: EndpointDoc[M]): void {
  doc[member] = value;
}

/** Builds the stored document from Create/Modify input layered over an existing document. */
function applyEndpointInput(ctx: ApiContext, base: Partial<EndpointDoc>, input: EndpointChanges, exact = false): EndpointDraft {
  const engine = (input.EngineName ?? base.EngineName ?? '').toLowerCase();
  if (!(engine in ENGINE_DISPLAY_NAMES)) {
    throw new InvalidParameterValueException(`The parameter EngineName has an invalid value: ${input.EngineName}`);
  }
  const type = input.EndpointType !== undefined ? storedEndpointType(input.EndpointType) : base.EndpointType ?? 'TARGET';
  if (TARGET_ONLY.has(engine) && type === 'SOURCE') {
    throw new InvalidParameterValueException(`${ENGINE_DISPLAY_NAMES[engine]} endpoint must be of type TARGET`);
  }
  if (SOURCE_ONLY.has(engine) && type === 'TARGET') {
    throw new InvalidParameterValueException(`${ENGINE_DISPLAY_NAMES[engine]} endpoint must be of type SOURCE`);
  }
  let doc: EndpointDraft = {
    ...base,
    EngineName: engine,
    EngineDisplayName: ENGINE_DISPLAY_NAMES[engine],
    EndpointType: type,
    ...pickDefined(input, COPIED_MEMBERS),
  };
  doc.SslMode ??= 'none';
  // Engine-specific settings: only the engine's own member is kept (AWS ignores the others);
  // members merge unless ExactSettings asks to replace them.
  const member = Object.hasOwn(SETTINGS_MEMBER, engine) ? SETTINGS_MEMBER[engine] : undefined;
  for (const m of SETTINGS_MEMBERS) if (m !== member) delete doc[m];
  const given: AnySettings | undefined = member ? input[member] : undefined;
  if (member && given) {
    let settings: AnySettings = { ...given };
    if ('Password' in settings && settings.Password !== undefined) {
      doc._settingsPassword = ctx.secrets.seal(String(settings.Password));
      const { Password: _sealed, ...rest } = settings;
      settings = rest;
    }
    setSettings(doc, member, exact ? settings : { ...(doc[member] ?? {}), ...settings });
  }
  if (input.Port !== undefined && (input.Port < 1 || input.Port > 65535)) {
    throw new InvalidParameterValueException(`The parameter Port must be between 1 and 65535: ${input.Port}`);
  }
  if (input.Password !== undefined && input.Password !== '') doc._password = ctx.secrets.seal(String(input.Password));

  if (engine === 'kinesis') {
    if (input.Password !== undefined) {
      throw new InvalidParameterValueException('Password is not a valid parameter for a kinesis endpoint');
    }
    if (!doc.KinesisSettings) throw new InvalidParameterValueException('KinesisSettings must be provided for a kinesis endpoint');
    const ks: KinesisSettings = { ...KINESIS_DEFAULTS, ...doc.KinesisSettings };
    if (!ks.StreamArn) throw new InvalidParameterValueException('KinesisSettings.StreamArn is required for a kinesis endpoint');
    if (!ks.ServiceAccessRoleArn && doc.ServiceAccessRoleArn) ks.ServiceAccessRoleArn = doc.ServiceAccessRoleArn;
    if (!ks.ServiceAccessRoleArn) {
      throw new InvalidParameterValueException('KinesisSettings.ServiceAccessRoleArn is required for a kinesis endpoint');
    }
    if (!/^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/.+$/.test(ks.StreamArn)) {
      throw new InvalidParameterValueException(`KinesisSettings.StreamArn is not a valid Kinesis stream ARN: ${ks.StreamArn}`);
    }
    if (!['json', 'json-unformatted'].includes(String(ks.MessageFormat))) {
      throw new InvalidParameterValueException(`KinesisSettings.MessageFormat must be json or json-unformatted`);
    }
    doc.KinesisSettings = ks;
  }
  if (MYSQL_ENGINES.has(engine)) {
    const ms = doc.MySQLSettings ?? {};
    const usesSecret = ms.SecretsManagerSecretId !== undefined || ms.SecretsManagerAccessRoleArn !== undefined;
    const givenMs = input.MySQLSettings ?? {};
    const clearText = CLEAR_TEXT_MEMBERS.some((k) => input[k] !== undefined || givenMs[k] !== undefined);
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
      for (const k of ['_password', '_settingsPassword', 'Username', 'ServerName', 'Port'] as const) delete doc[k];
      for (const k of ['Username', 'ServerName', 'Port'] as const) delete ms[k];
    } else {
      if (!doc._password && !doc._settingsPassword) throw new InvalidParameterValueException('Password must be provided');
      if (!doc.Username && !ms.Username) throw new InvalidParameterValueException('Username must be provided');
      if (!doc.ServerName && !ms.ServerName) throw new InvalidParameterValueException('ServerName must be provided');
      if (doc.Port === undefined && ms.Port === undefined) throw new InvalidParameterValueException('Port must be provided');
    }
    const fromTop = pickDefined(doc, MYSQL_CONNECTION_MEMBERS);
    doc = { ...doc, ...pickDefined(ms, MYSQL_CONNECTION_MEMBERS), ...fromTop, MySQLSettings: { ...ms, ...fromTop } };
    if (!doc.KmsKeyId) doc.KmsKeyId = `arn:aws:kms:${ctx.scope.region}:${ctx.scope.account}:key/dmslite-default`;
  }
  if (POSTGRES_ENGINES.has(engine)) {
    const ps = doc.PostgreSQLSettings ?? {};
    const usesSecret = ps.SecretsManagerSecretId !== undefined || ps.SecretsManagerAccessRoleArn !== undefined;
    if (!usesSecret) {
      if (!doc._password && !doc._settingsPassword) throw new InvalidParameterValueException('Password must be provided');
      if (!doc.Username && !ps.Username) throw new InvalidParameterValueException('Username must be provided');
      if (!doc.ServerName && !ps.ServerName) throw new InvalidParameterValueException('ServerName must be provided');
      if (doc.Port === undefined && ps.Port === undefined) throw new InvalidParameterValueException('Port must be provided');
    }
    // A PostgreSQL endpoint connects to one database (AWS requires DatabaseName for PostgreSQL).
    if (!usesSecret && !doc.DatabaseName && !ps.DatabaseName) throw new InvalidParameterValueException('DatabaseName must be provided for a PostgreSQL endpoint');
    if (ps.SlotName !== undefined && !/^[a-z0-9_]{1,63}$/.test(ps.SlotName)) {
      throw new InvalidParameterValueException(`PostgreSQLSettings.SlotName is not a valid replication slot name (lower-case letters, digits and underscores, at most 63): ${ps.SlotName}`);
    }
    const fromTop = pickDefined(doc, MYSQL_CONNECTION_MEMBERS);
    doc = { ...doc, ...pickDefined(ps, MYSQL_CONNECTION_MEMBERS), ...fromTop, PostgreSQLSettings: { ...ps, ...fromTop } };
    if (!doc.KmsKeyId) doc.KmsKeyId = `arn:aws:kms:${ctx.scope.region}:${ctx.scope.account}:key/dmslite-default`;
  }
  return doc;
}

export async function createEndpoint(ctx: ApiContext, input: Input<'CreateEndpoint'>): Promise<Output<'CreateEndpoint'>> {
  const identifier = storedIdentifier(IDENTIFIERS.endpoint, input.EndpointIdentifier);
  const arn = buildArn(ctx.scope, 'endpoint', resourceIdFrom(input.ResourceIdentifier));
  const doc: EndpointDoc = {
    ...applyEndpointInput(ctx, {}, input),
    EndpointIdentifier: identifier,
    EndpointArn: arn,
    Status: 'active',
    _tags: input.Tags ?? [],
    _created: ctx.now(),
  };
  try {
    await ctx.table.write([
      { kind: 'put', key: resourceKey('endpoint', ctx.scope, arn), doc, ifAbsent: true, attrs: { refs: 0 } },
      claimIdentifier(ctx.scope, IDENTIFIERS.endpoint, identifier, arn),
    ]);
  } catch (e) {
    if (e instanceof ConditionFailed && e.index === 0) throw new ResourceAlreadyExistsFault(`Resource with ARN ${arn} already exists`, arn);
    await rethrowTaken(ctx, IDENTIFIERS.endpoint, e, identifier, true);
  }
  return { Endpoint: endpointView(doc) };
}

export async function describeEndpoints(ctx: ApiContext, input: Input<'DescribeEndpoints'>): Promise<Output<'DescribeEndpoints'>> {
  const match = compileFilters(input.Filters, endpointFilters);
  const limit = maxRecords(input.MaxRecords);
  const result = await page<EndpointDoc>(
    (after) => mapStored(lookupResources<EndpointDoc>(ctx.table, { kind: 'endpoint', scope: ctx.scope, filters: input.Filters, arnFilter: 'endpoint-arn', idFilter: 'endpoint-id', pageSize: limit + 1 }, after)),
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

export async function modifyEndpoint(ctx: ApiContext, input: Input<'ModifyEndpoint'>): Promise<Output<'ModifyEndpoint'>> {
  const arn = input.EndpointArn;
  requireArn('EndpointArn', arn, 'endpoint');
  let result: EndpointDoc | undefined;
  let claimed: string | undefined;
  await mutate<EndpointDoc>(ctx.table, resourceKey('endpoint', ctx.scope, arn), (current) => {
    if (!current) throw new ResourceNotFoundFault(`Endpoint ${arn} not found`);
    const base: Partial<EndpointDoc> = { ...current.doc };
    if (input.ExactSettings) for (const m of INPUT_SETTINGS_MEMBERS) if (input[m] !== undefined) delete base[m];
    const applied = applyEndpointInput(ctx, base, input, Boolean(input.ExactSettings));
    const rename = renameIdentifier(ctx.scope, IDENTIFIERS.endpoint, arn, current.doc.EndpointIdentifier, input.EndpointIdentifier);
    claimed = rename.claimed;
    const doc: EndpointDoc = {
      ...applied,
      EndpointIdentifier: rename.identifier,
      EndpointArn: current.doc.EndpointArn,
      Status: current.doc.Status,
      _tags: current.doc._tags,
      _created: current.doc._created,
    };
    result = doc;
    const ops: WriteOp[] = [{ kind: 'put', key: current.key, doc, ifVersion: current.version }, ...rename.ops];
    return ops;
  }).catch((e) => rethrowTaken(ctx, IDENTIFIERS.endpoint, e, claimed));
  return { Endpoint: endpointView(result!) };
}

export async function deleteEndpoint(ctx: ApiContext, input: Input<'DeleteEndpoint'>): Promise<Output<'DeleteEndpoint'>> {
  const arn = input.EndpointArn;
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
export async function deleteConnectionsOf(ctx: ApiContext, which: (c: ConnectionDoc) => boolean) {
  const all = await ctx.table.all<ConnectionDoc>(connectionPk(ctx.scope));
  await Promise.all(all.filter((c) => which(c.doc)).map((c) => ctx.table.write([{ kind: 'delete', key: c.key }]).catch(() => undefined)));
}
