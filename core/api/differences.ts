// What each implemented DMS operation does differently from AWS, as far as known. The README's
// operations table is generated from this and IMPLEMENTED_OPERATIONS (`npm run docs`), and a test
// fails when the README drifts from it. An operation without an entry shows "none known".

export const KNOWN_DIFFERENCES: Record<string, string> = {
  CreateEndpoint:
    'Every engine name and settings member is accepted and stored; tasks run only from MySQL-compatible sources (`mysql`, `mariadb`, `aurora`) into `kinesis`. Secrets Manager credentials are stored but not read.',
  ModifyEndpoint: 'As CreateEndpoint.',
  DescribeEndpointTypes: 'A static catalogue of AWS engine names; most of them cannot run a task here.',
  DescribeEndpointSettings: 'A static catalogue.',
  CreateReplicationInstance:
    'Provisions nothing: class, storage, VPC, Multi-AZ and KMS settings are stored only; `creating` becomes `available` after `DMSLITE_CREATE_DELAY_MS` (0 by default). Tasks run on dmslite runners whatever their instance.',
  ModifyReplicationInstance: 'Changes are stored and take effect at once; nothing is resized.',
  DeleteReplicationInstance: 'Immediate.',
  DescribeOrderableReplicationInstances: 'A static catalogue.',
  DescribeAccountAttributes: 'Fixed default quotas; usage is not counted.',
  CreateReplicationSubnetGroup: 'Subnets are stored without checking that they exist or cover enough Availability Zones.',
  ModifyReplicationSubnetGroup: 'As CreateReplicationSubnetGroup.',
  RefreshSchemas: 'Lists the schemas of MySQL-compatible sources only.',
  DescribeSchemas: 'As RefreshSchemas.',
  TestConnection:
    'The check runs inside the request (a Lambda has no background time) and the answer is `testing`, as on AWS; MySQL-compatible sources are checked for binlog settings and replication grants, Kinesis targets for the stream.',
  CreateReplicationTask: 'Premigration assessments and data validation are not run; their settings are stored.',
  StartReplicationTask:
    'A runner (`npm start`, `npm run runner`, the container) must be running. `validate-only` and premigration assessment runs are not supported.',
  StopReplicationTask: 'Stops within one runner heartbeat (`DMSLITE_HEARTBEAT_MS`, 500 ms).',
  DescribeTableStatistics: 'Validation counters are always 0 and `ValidationState` is `Not enabled`.',
  ReloadTables: '`ReloadOption` `validate-only` reloads the data too (there is no validation).',
  CreateEventSubscription:
    'Without an SNS endpoint (`AWS_ENDPOINT_URL_SNS`) the topic is not checked and events are recorded but not delivered.',
  ModifyEventSubscription: 'As CreateEventSubscription.',
  DescribeEvents: 'Events of what dmslite does (task and instance changes); maintenance, storage and failover events never happen.',
  StartReplication:
    'Provisioning statuses pass every `DMSLITE_SERVERLESS_STATUS_STEP_MS` and nothing is provisioned: capacity is `MinCapacityUnits`; a runner runs the replication as it runs tasks.',
  StopReplication: 'Deprovisioning follows after `DMSLITE_SERVERLESS_DEPROVISION_DELAY_MS`, not hours.',
  DescribeReplicationInstanceTaskLogs: 'Sizes count the lines dmslite wrote for tasks with `Logging.EnableLogging`.',
};
