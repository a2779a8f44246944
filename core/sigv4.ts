import { createHash, createHmac } from 'node:crypto';

// SigV4 on Node, both ways: the local edge verifies the signatures of API calls with it
// (core/api/auth.ts) and the Kinesis sink signs its PutRecords calls with it. Follows the SigV4 spec:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
// (The console signs with WebCrypto instead, in core/console/sigv4.ts, to run in the browser too.)

export const ALGORITHM = 'AWS4-HMAC-SHA256';

export interface SignedRequest {
  method: string;
  /** Path and query exactly as received (`req.url`). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer | string;
}

/** What a signature covers besides the request: scope, signed headers and time. */
export interface SigningScope {
  date: string;
  region: string;
  service: string;
  /** Lower-case header names, in the order they are signed (sorted). */
  signedHeaders: string[];
  amzDate: string;
  /** Presigned URLs: seconds the URL stays valid (its signature is left out of the query). */
  expires?: number;
}

/** RFC 3986 escaping as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
export function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

/** The path as the AWS SDKs canonicalise it: dot segments removed, each byte escaped again. */
function canonicalPath(rawPath: string): string {
  const segments: string[] = [];
  for (const seg of rawPath.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  const path = `/${segments.join('/')}${segments.length > 0 && rawPath.endsWith('/') ? '/' : ''}`;
  return escapeUri(path).replace(/%2F/g, '/');
}

function canonicalQuery(pairs: [string, string][]): string {
  return pairs
    .map(([k, v]) => [escapeUri(k), escapeUri(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

export function headerValue(headers: SignedRequest['headers'], name: string): string | undefined {
  const v = headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v : [v]).map((x) => x.trim().replace(/\s+/g, ' ')).join(',');
}

export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** The SigV4 string to sign of `req` for the given parsed parameters. */
export function stringToSign(req: SignedRequest, p: SigningScope): string {
  const qmark = req.url.indexOf('?');
  const rawPath = qmark < 0 ? req.url : req.url.slice(0, qmark);
  const query = parseQuery(qmark < 0 ? '' : req.url.slice(qmark + 1)).filter(([k]) => !(p.expires !== undefined && k === 'X-Amz-Signature'));
  const headerLines = p.signedHeaders.map((h) => `${h}:${headerValue(req.headers, h) ?? ''}\n`).join('');
  // The signed hash is always that of the body received: a declared x-amz-content-sha256 must match it.
  const payloadHash = sha256Hex(req.body);
  const canonical = [req.method.toUpperCase(), canonicalPath(rawPath), canonicalQuery(query), headerLines, p.signedHeaders.join(';'), payloadHash].join('\n');
  return [ALGORITHM, p.amzDate, `${p.date}/${p.region}/${p.service}/aws4_request`, sha256Hex(canonical)].join('\n');
}

export function parseQuery(qs: string): [string, string][] {
  if (!qs) return [];
  return qs.split('&').filter(Boolean).map((pair) => {
    const eq = pair.indexOf('=');
    return eq < 0 ? [decode(pair), ''] : [decode(pair.slice(0, eq)), decode(pair.slice(eq + 1))];
  });
}

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface RequestToSign extends SignedRequest {
  /** Lower-case names, `host` included; the signature headers are added to it. */
  headers: Record<string, string>;
}

/**
 * A signer for one region and service, as the AWS SDKs sign: adds `x-amz-date` (and
 * `x-amz-security-token`) and `authorization` to the request's headers, signing all of them but
 * `user-agent`. The signing key is derived once per day and key.
 */
export function createSigner(region: string, service: string): (req: RequestToSign, credentials: SigningCredentials, nowMs: number) => void {
  let keyFor = '';
  let key: Buffer = Buffer.alloc(0);
  return (req, credentials, nowMs) => {
    const amzDate = formatAmzDate(nowMs);
    const date = amzDate.slice(0, 8);
    req.headers['x-amz-date'] = amzDate;
    if (credentials.sessionToken) req.headers['x-amz-security-token'] = credentials.sessionToken;
    const signedHeaders = Object.keys(req.headers).filter((h) => h !== 'user-agent' && h !== 'authorization').sort();
    const wanted = `${date}/${credentials.accessKeyId}/${credentials.secretAccessKey}`;
    if (wanted !== keyFor) {
      key = signingKey(credentials.secretAccessKey, date, region, service);
      keyFor = wanted;
    }
    const signature = createHmac('sha256', key).update(stringToSign(req, { date, region, service, signedHeaders, amzDate })).digest('hex');
    req.headers.authorization = `${ALGORITHM} Credential=${credentials.accessKeyId}/${date}/${region}/${service}/aws4_request, `
      + `SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  };
}
