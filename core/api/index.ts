import { logger } from '../logger.js';
import { DmsFault, UnknownOperationException } from '../model/errors.js';
import { describeAccountAttributes, describeEndpointSettings, describeEndpointTypes, describeOrderableReplicationInstances } from './catalog.js';
import { deleteConnection, describeConnections, testConnection } from './connections.js';
import { epochSeconds, type ApiContext, type ApiDeps } from './context.js';
import {
  createEventSubscription,
  deleteEventSubscription,
  describeEventCategories,
  describeEvents,
  describeEventSubscriptions,
  modifyEventSubscription,
} from './events.js';
import { describeReplicationInstanceTaskLogs } from './task-logs.js';
import { createEndpoint, deleteEndpoint, describeEndpoints, modifyEndpoint } from './endpoints.js';
import {
  createReplicationInstance,
  deleteReplicationInstance,
  describeReplicationInstances,
  modifyReplicationInstance,
} from './instances.js';
import {
  errorResult,
  newRequestId,
  operationFromTarget,
  parseBody,
  regionFromAuthorization,
  successResult,
  validateRequest,
  type HttpResult,
} from './protocol.js';
import type { Input, OperationName, Output } from './operations.js';
import {
  createReplicationSubnetGroup,
  deleteReplicationSubnetGroup,
  describeReplicationSubnetGroups,
  modifyReplicationSubnetGroup,
} from './subnet-groups.js';
import { createReplicationConfig, deleteReplicationConfig, describeReplicationConfigs, modifyReplicationConfig } from './replication-configs.js';
import {
  describeReplicationTableStatistics,
  describeReplications,
  reloadReplicationTables,
  startReplication,
  stopReplication,
} from './replications.js';
import { describeRefreshSchemasStatus, describeSchemas, refreshSchemas } from './schemas.js';
import { addTagsToResource, listTagsForResource, removeTagsFromResource } from './tags.js';
import {
  createReplicationTask,
  deleteReplicationTask,
  describeReplicationTasks,
  describeTableStatistics,
  modifyReplicationTask,
  reloadTables,
  startReplicationTask,
  stopReplicationTask,
} from './tasks.js';

type Operations = { [Op in OperationName]: (ctx: ApiContext, input: Input<Op>) => Promise<Output<Op>> };

const OPERATIONS: Operations = {
  CreateEndpoint: createEndpoint,
  DescribeEndpoints: describeEndpoints,
  ModifyEndpoint: modifyEndpoint,
  DeleteEndpoint: deleteEndpoint,
  DescribeEndpointTypes: describeEndpointTypes,
  DescribeEndpointSettings: describeEndpointSettings,
  CreateReplicationInstance: createReplicationInstance,
  DescribeReplicationInstances: describeReplicationInstances,
  ModifyReplicationInstance: modifyReplicationInstance,
  DeleteReplicationInstance: deleteReplicationInstance,
  DescribeOrderableReplicationInstances: describeOrderableReplicationInstances,
  DescribeAccountAttributes: describeAccountAttributes,
  CreateReplicationSubnetGroup: createReplicationSubnetGroup,
  DescribeReplicationSubnetGroups: describeReplicationSubnetGroups,
  ModifyReplicationSubnetGroup: modifyReplicationSubnetGroup,
  DeleteReplicationSubnetGroup: deleteReplicationSubnetGroup,
  RefreshSchemas: refreshSchemas,
  DescribeRefreshSchemasStatus: describeRefreshSchemasStatus,
  DescribeSchemas: describeSchemas,
  TestConnection: testConnection,
  DescribeConnections: describeConnections,
  DeleteConnection: deleteConnection,
  CreateReplicationTask: createReplicationTask,
  DescribeReplicationTasks: describeReplicationTasks,
  ModifyReplicationTask: modifyReplicationTask,
  StartReplicationTask: startReplicationTask,
  StopReplicationTask: stopReplicationTask,
  DeleteReplicationTask: deleteReplicationTask,
  DescribeTableStatistics: describeTableStatistics,
  ReloadTables: reloadTables,
  CreateReplicationConfig: createReplicationConfig,
  DescribeReplicationConfigs: describeReplicationConfigs,
  ModifyReplicationConfig: modifyReplicationConfig,
  DeleteReplicationConfig: deleteReplicationConfig,
  StartReplication: startReplication,
  StopReplication: stopReplication,
  DescribeReplications: describeReplications,
  DescribeReplicationTableStatistics: describeReplicationTableStatistics,
  ReloadReplicationTables: reloadReplicationTables,
  AddTagsToResource: addTagsToResource,
  RemoveTagsFromResource: removeTagsFromResource,
  ListTagsForResource: listTagsForResource,
  DescribeEvents: describeEvents,
  DescribeEventCategories: describeEventCategories,
  CreateEventSubscription: createEventSubscription,
  DescribeEventSubscriptions: describeEventSubscriptions,
  ModifyEventSubscription: modifyEventSubscription,
  DeleteEventSubscription: deleteEventSubscription,
  DescribeReplicationInstanceTaskLogs: describeReplicationInstanceTaskLogs,
};

export const IMPLEMENTED_OPERATIONS = Object.keys(OPERATIONS);

function isImplemented(op: string): op is OperationName {
  return Object.hasOwn(OPERATIONS, op);
}

/** Runs one operation; generic so each handler gets its own input type. */
function run<Op extends OperationName>(op: Op, ctx: ApiContext, input: Input<Op>): Promise<Output<Op>> {
  const impl: Operations[Op] = OPERATIONS[op];
  return impl(ctx, input);
}

/** The ARN a request is about, for the log line. */
function requestArn(input: object): string | undefined {
  for (const [k, v] of Object.entries(input)) if (k.endsWith('Arn') && typeof v === 'string') return v;
  return undefined;
}

export interface DmsRequest {
  target: string | undefined;
  body: string | undefined;
  authorization?: string;
  requestId?: string;
}

/** One DMS API call: route, validate, run, shape the answer. Never throws. */
export async function handleDmsRequest(req: DmsRequest, deps: ApiDeps): Promise<HttpResult> {
  const requestId = req.requestId ?? newRequestId();
  let operation = 'unknown';
  let resourceArn: string | undefined;
  try {
    operation = operationFromTarget(req.target);
    if (!isImplemented(operation)) throw new UnknownOperationException(`dmslite does not implement the DMS operation ${operation}`);
    const input = validateRequest(operation, parseBody(req.body));
    resourceArn = requestArn(input);
    const ctx: ApiContext = {
      ...deps,
      scope: {
        account: deps.config.accountId,
        region: regionFromAuthorization(req.authorization) ?? deps.config.defaultRegion,
      },
      requestId,
      now: deps.now ?? epochSeconds,
    };
    const output = await run(operation, ctx, input);
    logger.info('dms request', { operation, requestId, resourceArn, outcome: 'success' });
    return successResult(requestId, output);
  } catch (err) {
    if (err instanceof DmsFault) {
      logger.info('dms request', { operation, requestId, resourceArn, outcome: err.code });
    } else {
      logger.error('dms request failed', { operation, requestId, resourceArn, error: err as Error });
    }
    return errorResult(requestId, err);
  }
}
