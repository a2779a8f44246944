import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { handleDmsRequest } from '../core/api/index.js';
import { logger } from '../core/logger.js';
import { apiDepsFromEnv } from '../core/runtime.js';

// The DMS API Lambda: API Gateway REST (payload 1.0), HTTP API (2.0) or Function URL event in,
// AWS JSON 1.1 out. All logic is in core/api.

export interface HttpEvent {
  version?: string;
  headers?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestContext?: { requestId?: string };
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: false;
}

export function headerOf(event: HttpEvent, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === lower && v !== undefined) return v;
  return undefined;
}

export async function handleHttpEvent(event: HttpEvent): Promise<HttpResponse> {
  const body = event.body == null ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const result = await handleDmsRequest(
    {
      target: headerOf(event, 'x-amz-target'),
      body,
      authorization: headerOf(event, 'authorization'),
      requestId: event.requestContext?.requestId,
    },
    apiDepsFromEnv(),
  );
  return { statusCode: result.statusCode, headers: result.headers, body: result.body, isBase64Encoded: false };
}

export const handler = middy(handleHttpEvent).use(injectLambdaContext(logger, { resetKeys: true }));
