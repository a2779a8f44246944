import { SignatureV4 } from '@smithy/signature-v4';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Sha256 } from '../../support/sigv4.js';
import { credentialsFromEnv, parseCredentialList, verifySigV4, type SignedRequest } from '../../../core/api/auth.js';

const CREDS = parseCredentialList('AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, AKIDOTHER:other-secret');
const NOW = Date.UTC(2024, 0, 2, 3, 4, 5);

/** Signs like the AWS SDK for JavaScript does, then hands the request over as a server sees it. */
async function signed(opts: { service?: string; region?: string; secret?: string; ak?: string; body?: string; at?: number; path?: string; query?: Record<string, string>; presign?: number } = {}): Promise<SignedRequest> {
  const signer = new SignatureV4({
    service: opts.service ?? 'dms',
    region: opts.region ?? 'eu-west-1',
    credentials: { accessKeyId: opts.ak ?? 'AKIDEXAMPLE', secretAccessKey: opts.secret ?? 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    sha256: Sha256,
  });
  const body = opts.body ?? '{"MaxRecords":20}';
  const request = {
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 4566,
    path: opts.path ?? '/',
    query: opts.query,
    headers: { host: '127.0.0.1:4566', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonDMSv20160101.DescribeEndpoints' },
    body,
  };
  const date = new Date(opts.at ?? NOW);
  const out = opts.presign
    ? await signer.presign(request, { signingDate: date, expiresIn: opts.presign })
    : await signer.sign(request, { signingDate: date });
  const qs = Object.entries(out.query ?? {}).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(out.headers)) headers[k.toLowerCase()] = v;
  return { method: out.method, url: `${out.path}${qs ? `?${qs}` : ''}`, headers, body: Buffer.from(body) };
}

const codeOf = (r: ReturnType<typeof verifySigV4>) => (r.ok ? 'ok' : `${r.fault.status} ${r.fault.code}`);

describe('verifySigV4', () => {
  it('matches the AWS SigV4 test suite vector (get-vanilla)', () => {
    const req: SignedRequest = {
      method: 'GET',
      url: '/',
      headers: {
        host: 'example.amazonaws.com',
        'x-amz-date': '20150830T123600Z',
        authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
      },
      body: '',
    };
    const r = verifySigV4(req, CREDS, { now: Date.UTC(2015, 7, 30, 12, 36) });
    expect(r).toEqual({ ok: true, identity: { accessKeyId: 'AKIDEXAMPLE', region: 'us-east-1', service: 'service' } });
  });

  it('accepts what the AWS SDK signs, with the scope it carries', async () => {
    expect(verifySigV4(await signed(), CREDS, { service: 'dms', now: NOW })).toEqual({ ok: true, identity: { accessKeyId: 'AKIDEXAMPLE', region: 'eu-west-1', service: 'dms' } });
    expect(codeOf(verifySigV4(await signed({ ak: 'AKIDOTHER', secret: 'other-secret' }), CREDS, { now: NOW }))).toBe('ok');
    expect(codeOf(verifySigV4(await signed({ path: '/_dmslite/a b/..//c', query: { x: 'a b', y: '*' } }), CREDS, { now: NOW }))).toBe('ok');
  });

  it('accepts presigned URLs until they expire', async () => {
    const req = await signed({ presign: 60, body: '' });
    expect(codeOf(verifySigV4(req, CREDS, { now: NOW + 59_000 }))).toBe('ok');
    const late = verifySigV4(req, CREDS, { now: NOW + 61_000 });
    expect(codeOf(late)).toBe('400 InvalidSignatureException');
    expect(late.ok || late.fault.message).toMatch(/^Signature expired/);
  });

  it('no signature: MissingAuthenticationTokenException (403)', () => {
    expect(codeOf(verifySigV4({ method: 'POST', url: '/', headers: {}, body: '' }, CREDS, { now: NOW }))).toBe('403 MissingAuthenticationTokenException');
  });

  it('unknown access key: UnrecognizedClientException', async () => {
    const r = verifySigV4(await signed({ ak: 'AKIDNOBODY' }), CREDS, { now: NOW });
    expect(codeOf(r)).toBe('400 UnrecognizedClientException');
    expect(r.ok || r.fault.message).toBe('The security token included in the request is invalid.');
  });

  it('wrong secret, changed body, changed header: InvalidSignatureException', async () => {
    expect(codeOf(verifySigV4(await signed({ secret: 'wrong' }), CREDS, { now: NOW }))).toBe('400 InvalidSignatureException');
    const req = await signed();
    expect(codeOf(verifySigV4({ ...req, body: '{"MaxRecords":21}' }, CREDS, { now: NOW }))).toBe('400 InvalidSignatureException');
    expect(codeOf(verifySigV4({ ...req, headers: { ...req.headers, 'x-amz-target': 'AmazonDMSv20160101.DeleteEndpoint' } }, CREDS, { now: NOW }))).toBe('400 InvalidSignatureException');
  });

  it('scope: another service is refused where one is expected', async () => {
    const r = verifySigV4(await signed({ service: 'kinesis' }), CREDS, { service: 'dms', now: NOW });
    expect(codeOf(r)).toBe('400 InvalidSignatureException');
    expect(r.ok || r.fault.message).toMatch(/scoped to correct service: 'dms'/);
  });

  it('clock skew: 5 minutes either way, no more', async () => {
    const req = await signed();
    expect(codeOf(verifySigV4(req, CREDS, { now: NOW + 299_000 }))).toBe('ok');
    expect(codeOf(verifySigV4(req, CREDS, { now: NOW - 299_000 }))).toBe('ok');
    const old = verifySigV4(req, CREDS, { now: NOW + 301_000 });
    expect(old.ok || old.fault.message).toBe('Signature expired: 20240102T030405Z is now earlier than 20240102T030406Z (20240102T030906Z - 5 min.)');
    const early = verifySigV4(req, CREDS, { now: NOW - 301_000 });
    expect(early.ok || early.fault.message).toMatch(/^Signature not yet current: 20240102T030405Z is still later than/);
  });

  it('malformed Authorization headers: IncompleteSignatureException, never a throw', () => {
    const base = { method: 'POST', url: '/', body: '' };
    const cases = [
      'garbage',
      'AWS4-HMAC-SHA256',
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/dms/aws4_request',
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE, SignedHeaders=host, Signature=00',
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/x/us-east-1/dms/aws4_request, SignedHeaders=host, Signature=00',
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/dms/aws4_request, SignedHeaders=host, Signature',
      'AWS3 Credential=a',
      'AWS4-HMAC-SHA256 ,,,',
    ];
    for (const authorization of cases) {
      const r = verifySigV4({ ...base, headers: { authorization, 'x-amz-date': '20240102T030405Z' } }, CREDS, { now: NOW });
      expect(codeOf(r), authorization).toBe('400 IncompleteSignatureException');
    }
    // A well-formed header without a date.
    const r = verifySigV4({ ...base, headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/dms/aws4_request, SignedHeaders=host, Signature=00' } }, CREDS, { now: NOW });
    expect(r.ok || r.fault.message).toMatch(/requires existence of either a 'X-Amz-Date' or a 'Date' header/);
    // Not-hex signature from a known key: a plain mismatch.
    const bad = verifySigV4({ ...base, headers: { host: 'h', 'x-amz-date': '20240102T030405Z', authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/dms/aws4_request, SignedHeaders=host;x-amz-date, Signature=zz' } }, CREDS, { now: NOW });
    expect(codeOf(bad)).toBe('400 InvalidSignatureException');
  });
});

describe('credentials configuration', () => {
  it('parses pairs from the variable and the file; refuses malformed entries', () => {
    expect([...parseCredentialList('a:b, c:d:e\n# comment\n')]).toEqual([['a', 'b'], ['c', 'd:e']]);
    expect(() => parseCredentialList('nocolon')).toThrow(/expected ACCESS_KEY:SECRET/);
    expect(() => parseCredentialList(':secret')).toThrow(/expected ACCESS_KEY:SECRET/);
    const dir = mkdtempSync(join(tmpdir(), 'dmslite-creds-'));
    writeFileSync(join(dir, 'creds'), '# dmslite\nFILEKEY:filesecret\n');
    const creds = credentialsFromEnv({ DMSLITE_CREDENTIALS: 'ENVKEY:envsecret', DMSLITE_CREDENTIALS_FILE: join(dir, 'creds') });
    expect(creds && [...creds]).toEqual([['ENVKEY', 'envsecret'], ['FILEKEY', 'filesecret']]);
    expect(credentialsFromEnv({})).toBeUndefined();
    expect(() => credentialsFromEnv({ DMSLITE_CREDENTIALS: ' , ' })).toThrow(/holds no/);
  });
});
