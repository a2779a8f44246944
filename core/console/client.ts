import { signRequest, type KeyPair } from './sigv4.js';

// A small AWS JSON 1.1 client for the DMS API and dmslite's console API, shared by the browser
// console and `dmslite watch|status` (fetch + WebCrypto only). Signs when it has a key pair.

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = code;
  }
}

/** Faults that mean "sign your requests" (the edge with DMSLITE_CREDENTIALS). */
export const AUTH_FAULTS = new Set(['MissingAuthenticationTokenException', 'UnrecognizedClientException', 'InvalidSignatureException', 'IncompleteSignatureException', 'SignatureDoesNotMatch', 'InvalidClientTokenId', 'AccessDeniedException']);

export interface ClientOptions {
  /** The dmslite URL, e.g. http://127.0.0.1:4566 (the console: its own origin). */
  endpoint: string;
  region?: string;
  keys?: KeyPair;
  fetch?: typeof fetch;
}

export class DmsliteClient {
  endpoint: string;
  region: string;
  keys?: KeyPair;
  private readonly doFetch: typeof fetch;

  constructor(opts: ClientOptions) {
    this.endpoint = opts.endpoint.replace(/\/+$/, '') + '/';
    this.region = opts.region ?? 'us-east-1';
    this.keys = opts.keys;
    this.doFetch = opts.fetch ?? ((...a) => fetch(...a));
  }

  /** A DMS operation, e.g. `dms('DescribeReplicationTasks', {})`. */
  dms<T = Record<string, unknown>>(operation: string, input: Record<string, unknown> = {}): Promise<T> {
    return this.call<T>(`AmazonDMSv20160101.${operation}`, input);
  }

  /** A dmslite console read (core/console/observe-api.ts). */
  console<T = Record<string, unknown>>(operation: string, input: Record<string, unknown> = {}): Promise<T> {
    return this.call<T>(`DmsliteConsole.${operation}`, input);
  }

  async call<T>(target: string, input: Record<string, unknown>): Promise<T> {
    const body = JSON.stringify(input);
    let headers: Record<string, string> = { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': target };
    if (this.keys) headers = { ...headers, ...(await signRequest({ method: 'POST', url: this.endpoint, headers, body }, this.keys, this.region, 'dms')) };
    let res: Response;
    try {
      res = await this.doFetch(this.endpoint, { method: 'POST', headers, body });
    } catch (e) {
      throw new ApiError('NetworkError', `Cannot reach ${this.endpoint}: ${(e as Error).message}`, 0);
    }
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      throw new ApiError('InvalidResponse', `${this.endpoint} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`, res.status);
    }
    if (!res.ok) {
      const code = String(json.__type ?? res.headers.get('x-amzn-ErrorType') ?? `HTTP${res.status}`).split('#').pop()!.split(':')[0];
      throw new ApiError(code, String(json.message ?? json.Message ?? text), res.status);
    }
    return json as T;
  }

  /** Every page of a Describe operation (Marker/MaxRecords). */
  async describeAll<T>(operation: string, listKey: string, input: Record<string, unknown> = {}): Promise<T[]> {
    const out: T[] = [];
    let marker: string | undefined;
    do {
      const page = await this.dms<Record<string, unknown>>(operation, { ...input, MaxRecords: 100, ...(marker ? { Marker: marker } : {}) });
      out.push(...((page[listKey] as T[] | undefined) ?? []));
      marker = page.Marker as string | undefined;
    } while (marker);
    return out;
  }
}
