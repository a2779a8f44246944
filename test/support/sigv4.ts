// SigV4 signing as the AWS SDK for JavaScript does it (@smithy/signature-v4), for raw requests.
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

const bytes = (d: string | ArrayBuffer | ArrayBufferView): string | Uint8Array =>
  typeof d === 'string' ? d : d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

/** The hash constructor the signer wants (the SDK's own is node:crypto too). */
export class Sha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret ? createHmac('sha256', bytes(secret)) : createHash('sha256');
  }
  update(data: string | ArrayBuffer | ArrayBufferView) {
    this.h.update(bytes(data));
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
}

/** Headers (Authorization, X-Amz-Date, ...) of a POST to `url` signed for `service`. */
export async function signedHeaders(
  url: string,
  headers: Record<string, string>,
  body: string,
  creds: { accessKeyId: string; secretAccessKey: string },
  opts: { service?: string; region?: string } = {},
): Promise<Record<string, string>> {
  const u = new URL(url);
  const signer = new SignatureV4({ service: opts.service ?? 'dms', region: opts.region ?? 'us-east-1', credentials: creds, sha256: Sha256, applyChecksum: false });
  const out = await signer.sign({
    method: 'POST',
    protocol: u.protocol,
    hostname: u.hostname,
    port: Number(u.port),
    path: u.pathname,
    query: {},
    headers: { ...headers, host: u.host },
    body,
  });
  const result: Record<string, string> = {};
  for (const [k, v] of Object.entries(out.headers)) if (k.toLowerCase() !== 'host') result[k] = v;
  return result;
}
