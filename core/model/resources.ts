import type * as Dms from '@aws-sdk/client-database-migration-service';
import type { Wire } from './wire.js';

// The stored documents of the DMS resources: the SDK's shape of the resource, as it goes on the
// wire, with the members dmslite always sets made required, plus internal members prefixed with
// `_` that never go on the wire (publicView removes them). TaskDoc is in task.ts.

export type Tag = Wire<Dms.Tag>;

/** Internal members every taggable resource carries. */
export interface Tagged {
  _tags: Tag[];
}

/** The engine-specific settings members of an endpoint (MySQLSettings, KinesisSettings, ...). */
export type EndpointSettingsMember = Extract<keyof Dms.Endpoint, `${string}Settings`>;

export type EndpointType = 'SOURCE' | 'TARGET';

export interface EndpointDoc extends Omit<Wire<Dms.Endpoint>, 'EndpointType'>, Tagged {
  EndpointIdentifier: string;
  // AWS answers EndpointType in upper case (docs/aws-observed.md, CreateEndpoint on real AWS)
  // although the SDK's enum is lower case.
  EndpointType: EndpointType;
  EngineName: string;
  EngineDisplayName: string;
  EndpointArn: string;
  Status: string;
  /** Sealed password (top-level Password); never on the wire. */
  _password?: string;
  /** Sealed password given inside the engine settings (e.g. MySQLSettings.Password). */
  _settingsPassword?: string;
  _created: number;
}

export type SubnetGroup = Wire<Dms.ReplicationSubnetGroup>;

export interface InstanceDoc extends Wire<Dms.ReplicationInstance>, Tagged {
  ReplicationInstanceIdentifier: string;
  ReplicationInstanceArn: string;
  ReplicationInstanceClass: string;
  ReplicationInstanceStatus: string;
  EngineVersion: string;
  ReplicationSubnetGroup: SubnetGroup;
  /** AWS returns it (docs/aws-observed.md, LocalStack's snapshot notes); the SDK's shape lacks it. */
  ReplicationInstanceIpv6Addresses: string[];
  /** When `creating`/`modifying` becomes `available` (epoch seconds). */
  _readyAt: number;
}

export interface SubnetGroupDoc extends SubnetGroup, Tagged {
  ReplicationSubnetGroupIdentifier: string;
  ReplicationSubnetGroupDescription: string;
  _arn: string;
}

/** A TestConnection result, kept per (instance, endpoint). */
export interface ConnectionDoc extends Wire<Dms.Connection> {
  ReplicationInstanceArn: string;
  EndpointArn: string;
  Status: string;
  EndpointIdentifier: string;
  ReplicationInstanceIdentifier: string;
}

/** The last RefreshSchemas of an endpoint and the schema names it found. */
export interface SchemasDoc extends Wire<Dms.RefreshSchemasStatus> {
  EndpointArn: string;
  ReplicationInstanceArn: string;
  Status: 'successful' | 'failed' | 'refreshing';
  LastRefreshDate: number;
  _schemas: string[];
}
