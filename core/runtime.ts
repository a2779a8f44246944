import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import type { ApiDeps, ConnectionTester, SourceEndpointConnection } from './api/context.js';
import { loadConfig, type DmsliteConfig } from './config.js';
import { createKinesisClient, parseStreamArn } from './sink/kinesis/client.js';
import { sourceRegistry } from './source/registry.js';
import { createDynamoClient, DocumentTable } from './state/dynamo.js';
import { secretBoxFromEnv } from './state/secrets.js';
import { createSecretsManagerReader } from './source/credentials.js';
import { createEventRecorder } from './observe/events.js';
import { createSnsNotifier } from './observe/sns.js';

// Wires the API's dependencies from the environment; shared by the Lambda handler, `npm start` and the runner.

export const connectionTester = (config: DmsliteConfig): ConnectionTester => ({
  async testSource(ep: SourceEndpointConnection) {
    const engine = sourceRegistry.forEngine(ep.engineName);
    if (!engine) return `dmslite cannot test ${ep.engineName} source endpoints`;
    const source = engine.open({ ...ep, connectTimeoutMs: 5000 });
    try {
      try {
        await source.version();
      } catch (e) {
        return `Cannot connect to ${ep.engineName} source ${ep.host}:${ep.port} as ${ep.user}: ${(e as Error).message}`;
      }
      const { failures } = await source.checkPrerequisites({ cdc: true });
      return failures.length ? failures.map((f) => f.message).join('; ') : null;
    } finally {
      await source.close().catch(() => undefined);
    }
  },
  async releaseTask(ep: SourceEndpointConnection, readerId: string) {
    const source = sourceRegistry.forEngine(ep.engineName)?.open({ ...ep, connectTimeoutMs: 5000 });
    if (!source) return;
    try {
      await source.dropTaskResources?.(readerId);
    } finally {
      await source.close().catch(() => undefined);
    }
  },
  async listSchemas(ep: SourceEndpointConnection) {
    const engine = sourceRegistry.forEngine(ep.engineName);
    if (!engine) throw new Error(`dmslite cannot read the schemas of ${ep.engineName} endpoints`);
    // The schemas of the whole server, whatever database the endpoint names.
    const source = engine.open({ ...ep, database: undefined, connectTimeoutMs: 5000 });
    try {
      return await source.listSchemas();
    } finally {
      await source.close().catch(() => undefined);
    }
  },
  async testKinesis(streamArn: string, region: string) {
    const parsed = parseStreamArn(streamArn);
    if (!parsed) return `Invalid Kinesis stream ARN ${streamArn}`;
    const client = createKinesisClient({ endpoint: config.kinesisEndpoint, region: parsed.region ?? region, maxAttempts: 2, requestTimeoutMs: 5000 });
    try {
      await client.send(new DescribeStreamSummaryCommand({ StreamName: parsed.streamName }));
      return null;
    } catch (e) {
      const err = e as Error;
      return err.name === 'ResourceNotFoundException'
        ? `Kinesis stream ${parsed.streamName} does not exist (${streamArn})`
        : `Cannot reach Kinesis stream ${streamArn}: ${err.message}`;
    } finally {
      client.destroy();
    }
  },
});

let cached: ApiDeps | undefined;

/** Process-wide dependencies (clients are reused across Lambda invocations). */
export function apiDepsFromEnv(): ApiDeps {
  if (cached) return cached;
  const config = loadConfig();
  const table = new DocumentTable(createDynamoClient({ endpoint: config.dynamodbEndpoint, region: config.defaultRegion }), config.stateTable);
  const notifier = config.snsEndpoint ? createSnsNotifier(config.snsEndpoint, config.defaultRegion) : undefined;
  cached = {
    config,
    table,
    secrets: secretBoxFromEnv(),
    secretReader: createSecretsManagerReader(config.secretsManagerEndpoint),
    tester: connectionTester(config),
    events: createEventRecorder({ table, notifier }),
    notifier,
  };
  return cached;
}

export function resetApiDeps(): void {
  cached = undefined;
}
