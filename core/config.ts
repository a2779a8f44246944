// Process configuration, read once from the environment.

export interface DmsliteConfig {
  accountId: string;
  defaultRegion: string;
  stateTable: string;
  dynamodbEndpoint?: string;
  kinesisEndpoint?: string;
  /** Secrets Manager for endpoint credentials; unset means AWS itself. */
  secretsManagerEndpoint?: string;
  /** CloudWatch Logs for task logs; unset means task logs stay in the state table only. */
  cloudWatchLogsEndpoint?: string;
  /** SNS for event subscriptions; unset means events are recorded but not delivered. */
  snsEndpoint?: string;
  /** Delay before `creating` resources become ready/available. */
  createDelayMs: number;
  /** DMS Serverless: time each provisioning status (initializing … replication_starting) lasts. */
  serverlessStatusStepMs: number;
  /** DMS Serverless: how long a stopped replication keeps its capacity before it is deprovisioned. */
  serverlessDeprovisionDelayMs: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): DmsliteConfig {
  return {
    accountId: env.DMSLITE_ACCOUNT_ID || '000000000000',
    defaultRegion: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    stateTable: env.DMSLITE_TABLE || 'dmslite-state',
    dynamodbEndpoint: env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL || undefined,
    kinesisEndpoint: env.AWS_ENDPOINT_URL_KINESIS || env.AWS_ENDPOINT_URL || undefined,
    // The SDK's own convention: AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL.
    secretsManagerEndpoint: env.AWS_ENDPOINT_URL_SECRETS_MANAGER || env.AWS_ENDPOINT_URL || undefined,
    cloudWatchLogsEndpoint: env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS || env.AWS_ENDPOINT_URL || undefined,
    snsEndpoint: env.AWS_ENDPOINT_URL_SNS || env.AWS_ENDPOINT_URL || undefined,
    createDelayMs: Number(env.DMSLITE_CREATE_DELAY_MS ?? 0),
    serverlessStatusStepMs: Number(env.DMSLITE_SERVERLESS_STATUS_STEP_MS || 200),
    serverlessDeprovisionDelayMs: Number(env.DMSLITE_SERVERLESS_DEPROVISION_DELAY_MS || 5000),
  };
}
