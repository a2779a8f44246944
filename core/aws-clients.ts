import { NodeHttpHandler } from '@smithy/node-http-handler';

// Client options shared by the side services dmslite calls (Secrets Manager, CloudWatch Logs, SNS):
// HTTP/1.1 (emulators speak no HTTP/2), short timeouts (a dead emulator must not hang a task start
// or an API call), dummy credentials for an emulator when the environment has none.

export interface SideClientConfig {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
  requestHandler: NodeHttpHandler;
}

export function sideClientConfig(endpoint: string | undefined, region: string, timeoutMs = 5_000): SideClientConfig {
  return {
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(endpoint && !process.env.AWS_ACCESS_KEY_ID ? { credentials: { accessKeyId: 'dmslite', secretAccessKey: 'dmslite' } } : {}),
    maxAttempts: 2,
    requestHandler: new NodeHttpHandler({ connectionTimeout: Math.min(timeoutMs, 3_000), requestTimeout: timeoutMs, throwOnRequestTimeout: true }),
  };
}
