import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { startLocalStack, type LocalStack } from '../../handlers/local.js';

export interface TestStack extends LocalStack {
  dms: DatabaseMigrationServiceClient;
  tableName: string;
  client(region?: string): DatabaseMigrationServiceClient;
}

export const TEST_CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * The API (and by default a runner) in this process, on the run's shared DynamoDB Local and
 * kinesalite (or `kinesisEndpoint`, e.g. a kinesis-mock), with a private state table.
 */
export async function startTestStack(opts: { runner?: boolean; tableName?: string; kinesisEndpoint?: string } = {}): Promise<TestStack> {
  const tableName = opts.tableName ?? uniqueName('dmslite-test');
  process.env.AWS_ENDPOINT_URL_DYNAMODB = inject('dynamodbEndpoint');
  process.env.AWS_ENDPOINT_URL_KINESIS = opts.kinesisEndpoint ?? inject('kinesisEndpoint');
  process.env.DMSLITE_TABLE = tableName;
  process.env.DMSLITE_LOG_LEVEL ??= 'WARN';
  const stack = await startLocalStack({ port: 0, runner: opts.runner ?? false });
  const client = (region = 'us-east-1') =>
    new DatabaseMigrationServiceClient({ endpoint: stack.url, region, credentials: TEST_CREDENTIALS });
  return { ...stack, tableName, dms: client(), client };
}
