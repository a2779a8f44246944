import type { DmsliteConfig } from '../config.js';
import type { Scope } from '../model/arn.js';
import type { DocumentTable } from '../state/dynamo.js';
import type { SecretBox } from '../state/secrets.js';
import type { SecretReader } from '../source/credentials.js';
import type { EventRecorder } from '../observe/events.js';
import type { EventNotifier } from '../observe/sns.js';
import type { SourceEndpointConnection } from '../model/endpoint-connection.js';

/** Checks a connection for TestConnection; returns null on success or the failure message. */
export interface ConnectionTester {
  testSource(endpoint: SourceEndpointConnection): Promise<string | null>;
  testKinesis(streamArn: string, region: string): Promise<string | null>;
  /** The user schemas of a MySQL-compatible source (RefreshSchemas). */
  listSchemas(endpoint: SourceEndpointConnection): Promise<string[]>;
  /** Releases what a deleted task created on its source (PostgreSQL: its replication slot). */
  releaseTask?(endpoint: SourceEndpointConnection, readerId: string): Promise<void>;
}

export type { SourceEndpointConnection };

/** Everything an API operation may touch; built once per process, scoped per request. */
export interface ApiDeps {
  config: DmsliteConfig;
  table: DocumentTable;
  secrets: SecretBox;
  /** Secrets Manager, for endpoints whose credentials live in a secret. */
  secretReader: SecretReader;
  tester: ConnectionTester;
  /** Records DMS events (and delivers them to subscriptions). */
  events: EventRecorder;
  /** SNS, when an endpoint for it is configured: event subscriptions' topics are checked against it. */
  notifier?: EventNotifier;
  now?: () => number;
}

export interface ApiContext extends ApiDeps {
  scope: Scope;
  requestId: string;
  now: () => number;
}

/** Epoch seconds with milliseconds, the wire form of DMS timestamps. */
export const epochSeconds = (): number => Math.round(Date.now()) / 1000;
