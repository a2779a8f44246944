import { sourceRegistry } from '../source/registry.js';
import { InvalidResourceStateFault, ResourceNotFoundFault } from '../model/errors.js';
import { resolveEndpointConnection } from '../source/credentials.js';
import type { ApiContext } from './context.js';
import { paginateList } from './describe.js';
import { endpointRecord, getEndpoint } from './endpoints.js';
import { getInstance } from './instances.js';
import type { SchemasDoc } from '../model/resources.js';
import type { Input, Output } from './operations.js';

// RefreshSchemas / DescribeRefreshSchemasStatus / DescribeSchemas: the schema list is read from the
// source itself (inside the request, like TestConnection) and kept per endpoint.

const schemasKey = (ctx: ApiContext, endpointArn: string) => ({ pk: `schemas#${ctx.scope.account}#${ctx.scope.region}`, sk: endpointArn });

export async function refreshSchemas(ctx: ApiContext, input: Input<'RefreshSchemas'>): Promise<Output<'RefreshSchemas'>> {
  const endpoint = await getEndpoint(ctx, input.EndpointArn);
  const instance = await getInstance(ctx, input.ReplicationInstanceArn);
  if (instance.doc.ReplicationInstanceStatus !== 'available') {
    throw new InvalidResourceStateFault(`Replication instance ${instance.doc.ReplicationInstanceArn} is not in available state`);
  }
  let schemas: string[] = [];
  let failure: string | undefined;
  if (!sourceRegistry.forEngine(endpoint.doc.EngineName)) {
    failure = `Schemas of ${endpoint.doc.EngineName} endpoints cannot be listed: only MySQL- and PostgreSQL-compatible endpoints have schemas in dmslite`;
  } else {
    try {
      schemas = await ctx.tester.listSchemas(await resolveEndpointConnection(endpointRecord(endpoint.doc), ctx));
    } catch (e) {
      failure = (e as Error).message;
    }
  }
  const doc: SchemasDoc = {
    EndpointArn: endpoint.doc.EndpointArn,
    ReplicationInstanceArn: instance.doc.ReplicationInstanceArn,
    Status: failure ? 'failed' : 'successful',
    LastRefreshDate: ctx.now(),
    ...(failure ? { LastFailureMessage: failure } : {}),
    _schemas: schemas,
  };
  await ctx.table.write([{ kind: 'put', key: schemasKey(ctx, doc.EndpointArn), doc }]);
  const { _schemas, LastFailureMessage: _f, ...status } = doc;
  return { RefreshSchemasStatus: { ...status, Status: 'refreshing' as const } };
}

async function stored(ctx: ApiContext, endpointArn: string): Promise<SchemasDoc> {
  await getEndpoint(ctx, endpointArn);
  const found = await ctx.table.get<SchemasDoc>(schemasKey(ctx, endpointArn));
  if (!found) throw new ResourceNotFoundFault(`Schemas of endpoint ${endpointArn} were never refreshed: call RefreshSchemas first`);
  return found.doc;
}

export async function describeRefreshSchemasStatus(
  ctx: ApiContext,
  input: Input<'DescribeRefreshSchemasStatus'>,
): Promise<Output<'DescribeRefreshSchemasStatus'>> {
  const { _schemas, ...status } = await stored(ctx, input.EndpointArn);
  return { RefreshSchemasStatus: status };
}

export async function describeSchemas(ctx: ApiContext, input: Input<'DescribeSchemas'>): Promise<Output<'DescribeSchemas'>> {
  const doc = await stored(ctx, input.EndpointArn);
  if (doc.Status !== 'successful') throw new InvalidResourceStateFault(`The last schema refresh of ${doc.EndpointArn} failed: ${doc.LastFailureMessage}`);
  const { items, Marker } = paginateList(doc._schemas, input);
  return { Schemas: items, ...(Marker ? { Marker } : {}) };
}
