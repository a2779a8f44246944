// infra/events: sample events for `sam local invoke`, one REST (payload 1.0) and one HTTP API
// (payload 2.0) per case, each a signed-looking DMS call. (test/integration/deploy/bundle.test.ts
// runs every one of them through the built bundle.)
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { headerOf, type HttpEvent } from '../../../handlers/api.js';
import { regionFromAuthorization } from '../../../core/api/protocol.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../infra/events');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const load = (f: string) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as HttpEvent & Record<string, any>;

describe('infra/events', () => {
  it('has each case as payload 1.0 (.rest.json) and 2.0 (.http.json)', () => {
    const cases = ['create-endpoint', 'describe-replication-tasks', 'malformed-body'];
    expect(files).toEqual(cases.flatMap((c) => [`${c}.http.json`, `${c}.rest.json`]));
  });

  it.each(files)('%s is a POST / event with X-Amz-Target and a SigV4 Authorization carrying a region', (f) => {
    const e = load(f);
    if (f.endsWith('.http.json')) {
      expect(e).toMatchObject({ version: '2.0', routeKey: 'POST /', rawPath: '/', requestContext: { http: { method: 'POST', path: '/' }, stage: '$default' } });
      for (const k of Object.keys(e.headers!)) expect(k).toBe(k.toLowerCase());
    } else {
      expect(e.version).toBeUndefined();
      expect(e).toMatchObject({ httpMethod: 'POST', path: '/', resource: '/' });
      for (const [k, v] of Object.entries(e.headers!)) expect(e.multiValueHeaders[k]).toEqual([v]);
    }
    expect(e.requestContext?.requestId).toBeTruthy();
    expect(headerOf(e, 'X-Amz-Target')).toMatch(/^AmazonDMSv20160101\.[A-Za-z]+$/);
    expect(headerOf(e, 'Content-Type')).toBe('application/x-amz-json-1.1');
    expect(headerOf(e, 'Authorization')).toMatch(/^AWS4-HMAC-SHA256 Credential=\w+\/\d{8}\/[a-z0-9-]+\/dms\/aws4_request, SignedHeaders=[a-z;-]+, Signature=[0-9a-f]{64}$/);
    expect(regionFromAuthorization(headerOf(e, 'Authorization'))).toBe('us-east-1');
    const body = e.isBase64Encoded ? Buffer.from(e.body!, 'base64').toString('utf8') : e.body!;
    if (f.startsWith('malformed-body.')) expect(() => JSON.parse(body)).toThrow();
    else expect(typeof JSON.parse(body)).toBe('object');
  });
});
