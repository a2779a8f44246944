// SigV4 signing with WebCrypto only, so the same code signs in the browser (the console) and in Node
// (`dmslite watch|status`). Follows the SigV4 spec:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html

export interface KeyPair {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface RequestToSign {
  method: string;
  url: string;
  /** Header names as sent; `host` is taken from the URL. */
  headers: Record<string, string>;
  body: string;
}

const enc = new TextEncoder();

function hex(buf: ArrayBuffer): string {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256Hex(data: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', enc.encode(data)));
}

async function hmac(key: ArrayBuffer | Uint8Array<ArrayBuffer>, data: string): Promise<ArrayBuffer> {
  const k = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return crypto.subtle.sign('HMAC', k, enc.encode(data));
}

function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function amzDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** The headers to add to the request: X-Amz-Date, Authorization (and X-Amz-Security-Token). */
export async function signRequest(req: RequestToSign, keys: KeyPair, region: string, service: string, now = new Date()): Promise<Record<string, string>> {
  const url = new URL(req.url);
  const stamp = amzDate(now);
  const date = stamp.slice(0, 8);
  const added: Record<string, string> = { 'X-Amz-Date': stamp, ...(keys.sessionToken ? { 'X-Amz-Security-Token': keys.sessionToken } : {}) };
  const all = new Map<string, string>();
  for (const [k, v] of Object.entries({ ...req.headers, ...added })) all.set(k.toLowerCase(), v.trim().replace(/\s+/g, ' '));
  all.set('host', url.host);
  const names = [...all.keys()].sort();
  const canonicalHeaders = names.map((n) => `${n}:${all.get(n)}\n`).join('');
  const signedHeaders = names.join(';');
  const path = url.pathname.split('/').map((s) => escapeUri(decodeURIComponent(s))).join('/') || '/';
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => [escapeUri(k), escapeUri(v)])
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonical = [req.method.toUpperCase(), path, query, canonicalHeaders, signedHeaders, await sha256Hex(req.body)].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', stamp, scope, await sha256Hex(canonical)].join('\n');
  let key = await hmac(enc.encode(`AWS4${keys.secretAccessKey}`) as Uint8Array<ArrayBuffer>, date);
  key = await hmac(key, region);
  key = await hmac(key, service);
  key = await hmac(key, 'aws4_request');
  const signature = hex(await hmac(key, toSign));
  return { ...added, Authorization: `AWS4-HMAC-SHA256 Credential=${keys.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}` };
}
