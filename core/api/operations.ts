import type * as Dms from '@aws-sdk/client-database-migration-service';
import type { EndpointType } from '../model/resources.js';
import type { EventSourceType } from '../observe/events.js';
import type { Wire } from '../model/wire.js';

// Each implemented DMS operation's request and response, from the SDK's own shapes (type-only:
// nothing of the SDK is loaded at run time). A new operation adds one row here and one handler.

/** AWS answers EndpointType in upper case (docs/aws-observed.md); the SDK's enum is lower case. */
export type EndpointView = Omit<Wire<Dms.Endpoint>, 'EndpointType'> & { EndpointType?: EndpointType };
type WithEndpoint<R> = Omit<R, 'Endpoint'> & { Endpoint?: EndpointView };

/** Events of tasks exist (API_Event documents replication-task) although botocore's SourceType enum lacks it. */
export type EventView = Omit<Wire<Dms.Event>, 'SourceType'> & { SourceType?: EventSourceType };

export interface DmsShapes {
  CreateEndpoint: [Dms.CreateEndpointMessage, WithEndpoint<Dms.CreateEndpointResponse>];
  DescribeEndpoints: [Dms.DescribeEndpointsMessage, Omit<Dms.DescribeEndpointsResponse, 'Endpoints'> & { Endpoints?: EndpointView[] }];
  ModifyEndpoint: [Dms.ModifyEndpointMessage, WithEndpoint<Dms.ModifyEndpointResponse>];
  DeleteEndpoint: [Dms.DeleteEndpointMessage, WithEndpoint<Dms.DeleteEndpointResponse>];
  DescribeEndpointTypes: [Dms.DescribeEndpointTypesMessage, Dms.DescribeEndpointTypesResponse];
  DescribeEndpointSettings: [Dms.DescribeEndpointSettingsMessage, Dms.DescribeEndpointSettingsResponse];
  CreateReplicationInstance: [Dms.CreateReplicationInstanceMessage, Dms.CreateReplicationInstanceResponse];
  DescribeReplicationInstances: [Dms.DescribeReplicationInstancesMessage, Dms.DescribeReplicationInstancesResponse];
  ModifyReplicationInstance: [Dms.ModifyReplicationInstanceMessage, Dms.ModifyReplicationInstanceResponse];
  DeleteReplicationInstance: [Dms.DeleteReplicationInstanceMessage, Dms.DeleteReplicationInstanceResponse];
  DescribeOrderableReplicationInstances: [Dms.DescribeOrderableReplicationInstancesMessage, Dms.DescribeOrderableReplicationInstancesResponse];
  DescribeAccountAttributes: [Dms.DescribeAccountAttributesMessage, Dms.DescribeAccountAttributesResponse];
  CreateReplicationSubnetGroup: [Dms.CreateReplicationSubnetGroupMessage, Dms.CreateReplicationSubnetGroupResponse];
  DescribeReplicationSubnetGroups: [Dms.DescribeReplicationSubnetGroupsMessage, Dms.DescribeReplicationSubnetGroupsResponse];
  ModifyReplicationSubnetGroup: [Dms.ModifyReplicationSubnetGroupMessage, Dms.ModifyReplicationSubnetGroupResponse];
  DeleteReplicationSubnetGroup: [Dms.DeleteReplicationSubnetGroupMessage, Dms.DeleteReplicationSubnetGroupResponse];
  RefreshSchemas: [Dms.RefreshSchemasMessage, Dms.RefreshSchemasResponse];
  DescribeRefreshSchemasStatus: [Dms.DescribeRefreshSchemasStatusMessage, Dms.DescribeRefreshSchemasStatusResponse];
  DescribeSchemas: [Dms.DescribeSchemasMessage, Dms.DescribeSchemasResponse];
  TestConnection: [Dms.TestConnectionMessage, Dms.TestConnectionResponse];
  DescribeConnections: [Dms.DescribeConnectionsMessage, Dms.DescribeConnectionsResponse];
  DeleteConnection: [Dms.DeleteConnectionMessage, Dms.DeleteConnectionResponse];
  CreateReplicationTask: [Dms.CreateReplicationTaskMessage, Dms.CreateReplicationTaskResponse];
  DescribeReplicationTasks: [Dms.DescribeReplicationTasksMessage, Dms.DescribeReplicationTasksResponse];
  ModifyReplicationTask: [Dms.ModifyReplicationTaskMessage, Dms.ModifyReplicationTaskResponse];
  StartReplicationTask: [Dms.StartReplicationTaskMessage, Dms.StartReplicationTaskResponse];
  StopReplicationTask: [Dms.StopReplicationTaskMessage, Dms.StopReplicationTaskResponse];
  DeleteReplicationTask: [Dms.DeleteReplicationTaskMessage, Dms.DeleteReplicationTaskResponse];
  DescribeTableStatistics: [Dms.DescribeTableStatisticsMessage, Dms.DescribeTableStatisticsResponse];
  ReloadTables: [Dms.ReloadTablesMessage, Dms.ReloadTablesResponse];
  AddTagsToResource: [Dms.AddTagsToResourceMessage, Dms.AddTagsToResourceResponse];
  RemoveTagsFromResource: [Dms.RemoveTagsFromResourceMessage, Dms.RemoveTagsFromResourceResponse];
  ListTagsForResource: [Dms.ListTagsForResourceMessage, Dms.ListTagsForResourceResponse];
  CreateReplicationConfig: [Dms.CreateReplicationConfigMessage, Dms.CreateReplicationConfigResponse];
  DescribeReplicationConfigs: [Dms.DescribeReplicationConfigsMessage, Dms.DescribeReplicationConfigsResponse];
  ModifyReplicationConfig: [Dms.ModifyReplicationConfigMessage, Dms.ModifyReplicationConfigResponse];
  DeleteReplicationConfig: [Dms.DeleteReplicationConfigMessage, Dms.DeleteReplicationConfigResponse];
  StartReplication: [Dms.StartReplicationMessage, Dms.StartReplicationResponse];
  StopReplication: [Dms.StopReplicationMessage, Dms.StopReplicationResponse];
  DescribeReplications: [Dms.DescribeReplicationsMessage, Dms.DescribeReplicationsResponse];
  DescribeReplicationTableStatistics: [Dms.DescribeReplicationTableStatisticsMessage, Dms.DescribeReplicationTableStatisticsResponse];
  ReloadReplicationTables: [Dms.ReloadReplicationTablesMessage, Dms.ReloadReplicationTablesResponse];
  DescribeEvents: [Dms.DescribeEventsMessage, Omit<Dms.DescribeEventsResponse, 'Events'> & { Events?: EventView[] }];
  DescribeEventCategories: [Dms.DescribeEventCategoriesMessage, Dms.DescribeEventCategoriesResponse];
  CreateEventSubscription: [Dms.CreateEventSubscriptionMessage, Dms.CreateEventSubscriptionResponse];
  DescribeEventSubscriptions: [Dms.DescribeEventSubscriptionsMessage, Dms.DescribeEventSubscriptionsResponse];
  ModifyEventSubscription: [Dms.ModifyEventSubscriptionMessage, Dms.ModifyEventSubscriptionResponse];
  DeleteEventSubscription: [Dms.DeleteEventSubscriptionMessage, Dms.DeleteEventSubscriptionResponse];
  DescribeReplicationInstanceTaskLogs: [Dms.DescribeReplicationInstanceTaskLogsMessage, Dms.DescribeReplicationInstanceTaskLogsResponse];
}

export type OperationName = keyof DmsShapes;

/** A request after validation against the model (required members present, timestamps in epoch seconds). */
export type Input<Op extends OperationName> = Wire<DmsShapes[Op][0]>;

/** A response as it goes on the wire. */
export type Output<Op extends OperationName> = Wire<DmsShapes[Op][1]>;
