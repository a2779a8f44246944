import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  IncompleteSignatureException,
  InvalidSignatureException,
  MissingAuthenticationTokenException,
  UnrecognizedClientException,
  type AuthenticationFault,
} from '../model/errors.js';
import { ALGORITHM, formatAmzDate, headerValue, parseQuery, sha256Hex, signingKey, stringToSign, type SignedRequest } from '../sigv4.js';

export type { SignedRequest } from '../sigv4.js';

// SigV4 verification for the local edge (`npm start`) when DMSLITE_CREDENTIALS is set. Pure: the
// caller hands in the request as received and the clock. Follows the SigV4 spec
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html) for
// the Authorization header and presigned query strings; AWS allows 5 minutes of clock skew
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html).
// A deployed Lambda does not use this: API Gateway's IAM authorization checks signatures there.

export type Credentials = ReadonlyMap<string, string>;

export interface Identity {
  accessKeyId: string;
  region: string;
  service: string;
}

export type AuthOutcome = { ok: true; identity: Identity } | { ok: false; fault: AuthenticationFault };

export const MAX_SKEW_MS = 5 * 60_000;
const MAX_PRESIGN_EXPIRES_S = 7 * 24 * 3600;

/** `AK:SECRET[,AK:SECRET...]` (commas or newlines; `#` starts a comment in a file). */
export function parseCredentialList(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/[,\n]/)) {
    const entry = raw.replace(/#.*$/, '').trim();
    if (!entry) continue;
    const colon = entry.indexOf(':');
    const ak = colon > 0 ? entry.slice(0, colon).trim() : '';
    const secret = colon > 0 ? entry.slice(colon + 1).trim() : '';
    if (!ak || !secret || /\s|\//.test(ak)) {
      throw new Error(`Invalid credential entry '${entry.slice(0, Math.max(0, colon)) || entry.slice(0, 8)}…': expected ACCESS_KEY:SECRET`);
    }
    out.set(ak, secret);
  }
  return out;
}

/** DMSLITE_CREDENTIALS or the file named by DMSLITE_CREDENTIALS_FILE; undefined when neither is set. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const inline = env.DMSLITE_CREDENTIALS?.trim();
  const file = env.DMSLITE_CREDENTIALS_FILE?.trim();
  if (!inline && !file) return undefined;
  const creds = new Map<string, string>();
  if (inline) for (const [k, v] of parseCredentialList(inline)) creds.set(k, v);
  if (file) for (const [k, v] of parseCredentialList(readFileSync(file, 'utf8'))) creds.set(k, v);
  if (creds.size === 0) throw new Error('DMSLITE_CREDENTIALS / DMSLITE_CREDENTIALS_FILE is set but holds no ACCESS_KEY:SECRET pair');
  return creds;
}

/** `20240102T030405Z` → epoch ms; NaN when malformed. */
function parseAmzDate(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

interface Parsed {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  /** Presigned: seconds the URL stays valid. */
  expires?: number;
}

/** The Authorization header's three parameters, checked the way AWS reports them. */
function parseAuthorizationHeader(value: string): Omit<Parsed, 'amzDate'> {
  const space = value.indexOf(' ');
  const algorithm = space < 0 ? value : value.slice(0, space);
  if (algorithm !== ALGORITHM) {
    if (!value.includes('=')) {
      throw new IncompleteSignatureException(`'${value.slice(0, 200)}' not a valid key=value pair (missing equal-sign) in Authorization header: '${value.slice(0, 200)}'.`);
    }
    throw new IncompleteSignatureException(`Unsupported AWS 'algorithm': '${algorithm.slice(0, 100)}'; only ${ALGORITHM} (SigV4) is accepted.`);
  }
  const params = new Map<string, string>();
  for (const part of value.slice(space + 1).split(',')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq <= 0) throw new IncompleteSignatureException(`'${p.slice(0, 200)}' not a valid key=value pair (missing equal-sign) in Authorization header: '${value.slice(0, 200)}'.`);
    params.set(p.slice(0, eq), p.slice(eq + 1));
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((k) => !params.get(k));
  if (missing.length) {
    throw new IncompleteSignatureException(
      `${missing.map((k) => `Authorization header requires '${k}' parameter.`).join(' ')} Authorization=${value.slice(0, 200)}`,
    );
  }
  return { ...parseCredential(params.get('Credential')!), signedHeaders: params.get('SignedHeaders')!.split(';'), signature: params.get('Signature')! };
}

function parseCredential(credential: string): Pick<Parsed, 'accessKeyId' | 'date' | 'region' | 'service'> {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '') || parts[4] !== 'aws4_request') {
    throw new IncompleteSignatureException(
      `Credential should be scoped to a valid region, not '${parts[2] ?? ''}'. Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential.slice(0, 200)}'`,
    );
  }
  if (!/^\d{8}$/.test(parts[1])) throw new IncompleteSignatureException(`Credential date '${parts[1].slice(0, 20)}' is not of the form yyyyMMdd`);
  return { accessKeyId: parts[0], date: parts[1], region: parts[2], service: parts[3] };
}

function parseRequest(req: SignedRequest, query: [string, string][]): Parsed {
  const authorization = headerValue(req.headers, 'authorization');
  const q = new Map(query);
  if (authorization === undefined && !q.has('X-Amz-Algorithm')) throw new MissingAuthenticationTokenException();
  if (authorization !== undefined) {
    const parsed = parseAuthorizationHeader(authorization);
    const amzDate = headerValue(req.headers, 'x-amz-date');
    const date = headerValue(req.headers, 'date');
    let stamp = amzDate;
    if (stamp === undefined && date !== undefined) {
      const ms = Date.parse(date);
      stamp = Number.isNaN(ms) ? undefined : formatAmzDate(ms);
    }
    if (stamp === undefined) {
      throw new IncompleteSignatureException(`Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${authorization.slice(0, 200)}`);
    }
    return { ...parsed, amzDate: stamp };
  }
  // Presigned URL (query-string authentication).
  if (q.get('X-Amz-Algorithm') !== ALGORITHM) throw new IncompleteSignatureException(`Unsupported X-Amz-Algorithm '${q.get('X-Amz-Algorithm')?.slice(0, 100)}'; only ${ALGORITHM} is accepted.`);
  const missing = ['X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date', 'X-Amz-Expires'].filter((k) => !q.get(k));
  if (missing.length) throw new IncompleteSignatureException(`AWS query-string parameters missing: ${missing.join(', ')}`);
  const expires = Number(q.get('X-Amz-Expires'));
  if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGN_EXPIRES_S) {
    throw new IncompleteSignatureException(`X-Amz-Expires must be a whole number of seconds between 1 and ${MAX_PRESIGN_EXPIRES_S}`);
  }
  return {
    ...parseCredential(q.get('X-Amz-Credential')!),
    signedHeaders: q.get('X-Amz-SignedHeaders')!.split(';'),
    signature: q.get('X-Amz-Signature')!,
    amzDate: q.get('X-Amz-Date')!,
    expires,
  };
}

function check(req: SignedRequest, creds: Credentials, expectedService: string | undefined, now: number): Identity {
  const qmark = req.url.indexOf('?');
  const parsed = parseRequest(req, parseQuery(qmark < 0 ? '' : req.url.slice(qmark + 1)));
  const secret = creds.get(parsed.accessKeyId);
  if (secret === undefined) throw new UnrecognizedClientException();
  if (expectedService !== undefined && parsed.service !== expectedService) {
    throw new InvalidSignatureException(`Credential should be scoped to correct service: '${expectedService}'. `);
  }
  const signed = parsed.signedHeaders.map((h) => h.toLowerCase());
  if (!signed.includes('host')) {
    throw new InvalidSignatureException(`'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.`);
  }
  const at = parseAmzDate(parsed.amzDate);
  if (Number.isNaN(at)) throw new IncompleteSignatureException(`Date must be in ISO-8601 'basic format'. Got '${parsed.amzDate.slice(0, 40)}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  if (parsed.amzDate.slice(0, 8) !== parsed.date) {
    throw new InvalidSignatureException(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${parsed.date}' != '${parsed.amzDate.slice(0, 8)}', from '${parsed.amzDate}'.`);
  }
  if (parsed.expires !== undefined) {
    if (now > at + parsed.expires * 1000) throw new InvalidSignatureException(`Signature expired: ${parsed.amzDate} is now earlier than ${formatAmzDate(now - parsed.expires * 1000)} (${formatAmzDate(now)} - ${parsed.expires} sec.)`);
    if (at > now + MAX_SKEW_MS) throw new InvalidSignatureException(`Signature not yet current: ${parsed.amzDate} is still later than ${formatAmzDate(now + MAX_SKEW_MS)} (${formatAmzDate(now)} + 5 min.)`);
  } else if (at < now - MAX_SKEW_MS) {
    throw new InvalidSignatureException(`Signature expired: ${parsed.amzDate} is now earlier than ${formatAmzDate(now - MAX_SKEW_MS)} (${formatAmzDate(now)} - 5 min.)`);
  } else if (at > now + MAX_SKEW_MS) {
    throw new InvalidSignatureException(`Signature not yet current: ${parsed.amzDate} is still later than ${formatAmzDate(now + MAX_SKEW_MS)} (${formatAmzDate(now)} + 5 min.)`);
  }
  const declared = headerValue(req.headers, 'x-amz-content-sha256');
  if (declared !== undefined && declared !== sha256Hex(req.body)) {
    throw new InvalidSignatureException("The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  const expected = createHmac('sha256', signingKey(secret, parsed.date, parsed.region, parsed.service)).update(stringToSign(req, { ...parsed, signedHeaders: signed })).digest();
  const given = /^[0-9a-f]{64}$/.test(parsed.signature) ? Buffer.from(parsed.signature, 'hex') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new InvalidSignatureException(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
  return { accessKeyId: parsed.accessKeyId, region: parsed.region, service: parsed.service };
}

/**
 * Verifies the request's SigV4 signature against `creds`: signature, credential scope (the
 * service when `expectedService` is given) and date within AWS's skew. Never throws.
 */
export function verifySigV4(req: SignedRequest, creds: Credentials, opts: { service?: string; now?: number } = {}): AuthOutcome {
  try {
    return { ok: true, identity: check(req, creds, opts.service, opts.now ?? Date.now()) };
  } catch (e) {
    if (e instanceof MissingAuthenticationTokenException || e instanceof IncompleteSignatureException || e instanceof UnrecognizedClientException || e instanceof InvalidSignatureException) {
      return { ok: false, fault: e };
    }
    return { ok: false, fault: new IncompleteSignatureException(`The request signature could not be read: ${(e as Error).message}`) };
  }
}
