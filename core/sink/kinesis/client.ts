import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface KinesisClientOptions {
  /** e.g. `http://127.0.0.1:4568` for kinesis-mock / kinesalite; omit for AWS. */
  endpoint?: string;
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** SDK attempts per call (SDK default 3). The sink retries on top of this. */
  maxAttempts?: number;
  /** Per-request timeout in ms (default 60 s); a hung request is then retried. */
  requestTimeoutMs?: number;
}

/**
 * A Kinesis client over HTTP/1.1 keep-alive (the SDK's default handler negotiates
 * HTTP/2, which local emulators do not speak). With an endpoint and no credentials in
 * the environment, dummy credentials are used (emulators accept any).
 */
export function createKinesisClient(options: KinesisClientOptions): KinesisClient {
  const credentials = options.credentials
    ?? (options.endpoint && !process.env.AWS_ACCESS_KEY_ID
      ? { accessKeyId: 'dmslite', secretAccessKey: 'dmslite' }
      : undefined);
  return new KinesisClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(credentials ? { credentials } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 5_000,
      requestTimeout: options.requestTimeoutMs ?? 60_000,
      throwOnRequestTimeout: true,
      httpAgent: { keepAlive: true, maxSockets: 64 },
      httpsAgent: { keepAlive: true, maxSockets: 64 },
    }),
  });
}

export interface StreamArn {
  partition: string;
  region: string;
  accountId: string;
  streamName: string;
}

const STREAM_ARN = /^arn:(aws[a-z-]*):kinesis:([a-z0-9-]+):(\d{12}):stream\/([a-zA-Z0-9_.-]{1,128})$/;

/** Parses `arn:aws:kinesis:<region>:<account>:stream/<name>`; null when it is not one. */
export function parseStreamArn(arn: string): StreamArn | null {
  const m = STREAM_ARN.exec(arn);
  if (!m) return null;
  return { partition: m[1]!, region: m[2]!, accountId: m[3]!, streamName: m[4]! };
}

/** The stream name of a Kinesis StreamArn; throws on anything else. */
export function streamNameFromArn(arn: string): string {
  const parsed = parseStreamArn(arn);
  if (!parsed) throw new Error(`Invalid Kinesis stream ARN: ${arn} (expected arn:aws:kinesis:<region>:<account>:stream/<name>)`);
  return parsed.streamName;
}
