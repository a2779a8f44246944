import { sourceRegistry } from '../source/registry.js';
import { InvalidResourceStateFault, ResourceNotFoundFault } from '../model/errors.js';
import { connectionKey, connectionPk } from '../state/resources.js';
import type { ApiContext } from './context.js';
import { compileFilters, maxRecords, notFoundIfEmpty, page } from './describe.js';
import { endpointRecord, getEndpoint, mapStored, type EndpointDoc } from './endpoints.js';
import { getInstance } from './instances.js';
import { resolveEndpointConnection } from '../source/credentials.js';
import type { ConnectionDoc } from '../model/resources.js';
import type { Input, Output } from './operations.js';

const connectionFilters = {
  'endpoint-arn': (c: ConnectionDoc) => c.EndpointArn,
  'replication-instance-arn': (c: ConnectionDoc) => c.ReplicationInstanceArn,
};

/**
 * Runs the check inside the request (a Lambda has no background time) and stores the result;
 * the response says `testing`, as AWS's does, and DescribeConnections shows the outcome.
 */
export async function testConnection(ctx: ApiContext, input: Input<'TestConnection'>): Promise<Output<'TestConnection'>> {
  const instance = await getInstance(ctx, input.ReplicationInstanceArn);
  const endpoint = await getEndpoint(ctx, input.EndpointArn);
  if (instance.doc.ReplicationInstanceStatus !== 'available') {
    throw new InvalidResourceStateFault(
      `Replication instance ${instance.doc.ReplicationInstanceArn} is not in available state`,
    );
  }
  const failure = await checkEndpoint(ctx, endpoint.doc);
  const doc: ConnectionDoc = {
    ReplicationInstanceArn: instance.doc.ReplicationInstanceArn,
    EndpointArn: endpoint.doc.EndpointArn,
    Status: failure ? 'failed' : 'successful',
    ...(failure ? { LastFailureMessage: failure } : {}),
    EndpointIdentifier: endpoint.doc.EndpointIdentifier,
    ReplicationInstanceIdentifier: instance.doc.ReplicationInstanceIdentifier,
  };
  await ctx.table.write([
    { kind: 'put', key: connectionKey(ctx.scope, doc.ReplicationInstanceArn, doc.EndpointArn), doc },
  ]);
  const { LastFailureMessage: _omit, ...testing } = doc;
  return { Connection: { ...testing, Status: 'testing' } };
}

async function checkEndpoint(ctx: ApiContext, endpoint: EndpointDoc): Promise<string | null> {
  try {
    if (endpoint.EngineName === 'kinesis') {
      // CreateEndpoint refuses a kinesis endpoint without a StreamArn.
      return await ctx.tester.testKinesis(endpoint.KinesisSettings?.StreamArn ?? '', ctx.scope.region);
    }
    if (sourceRegistry.forEngine(endpoint.EngineName)) {
      const conn = await resolveEndpointConnection(endpointRecord(endpoint), ctx);
      return await ctx.tester.testSource(conn);
    }
    return `dmslite cannot test ${endpoint.EngineName} endpoints: only MySQL-compatible sources and Kinesis targets are supported`;
  } catch (e) {
    return (e as Error).message;
  }
}

export async function describeConnections(
  ctx: ApiContext,
  input: Input<'DescribeConnections'>,
): Promise<Output<'DescribeConnections'>> {
  const match = compileFilters(input.Filters, connectionFilters);
  const result = await page<ConnectionDoc>(
    (after) => mapStored(ctx.table.query<ConnectionDoc>(connectionPk(ctx.scope), after)),
    match,
    input.Marker,
    maxRecords(input.MaxRecords),
  );
  notFoundIfEmpty(result.items, input.Filters, 'No connections found matching provided filters');
  return { Connections: result.items, ...(result.marker ? { Marker: result.marker } : {}) };
}

export async function deleteConnection(ctx: ApiContext, input: Input<'DeleteConnection'>): Promise<Output<'DeleteConnection'>> {
  const key = connectionKey(ctx.scope, input.ReplicationInstanceArn, input.EndpointArn);
  const found = await ctx.table.get<ConnectionDoc>(key);
  if (!found) throw new ResourceNotFoundFault('Connection not found');
  await ctx.table.write([{ kind: 'delete', key }]);
  return { Connection: { ...found.doc, Status: 'deleting' } };
}
