// Reproducible garbage for the DMS API: X-Amz-Target values, bodies shaped after botocore's model
// (mostly well-typed, so they get past validation into the operations) and mutated Authorization
// headers. The operation list comes from core/api at call time, so new operations are fuzzed too.
import model from '../../core/api/dms-model.json' with { type: 'json' };
import { IMPLEMENTED_OPERATIONS } from '../../core/api/index.js';
import { ROLE_ARN } from './dms.js';
import { seededRandom as random } from './random.js';

export const DMS_PREFIX = 'AmazonDMSv20160101';
const MODEL_OPERATIONS = Object.keys(model.operations);
const SHAPES = model.shapes as Record<string, { t: string; m?: Record<string, string>; i?: string; e?: string[] }>;

export interface FuzzRequest {
  target: string | undefined;
  /** The operation when the target names one. */
  operation: string | undefined;
  body: string | undefined;
  /** A region for a (dummy) SigV4 scope, or none. */
  region: string | undefined;
}

export function fuzzer(seed: number) {
  const r = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  // Header values must be printable ASCII (fetch refuses others); bodies get any UTF-16 unit.
  const ascii = (max = 12) => Array.from({ length: Math.floor(r() * max) }, () => String.fromCharCode(33 + Math.floor(r() * 94))).join('');
  const text = (max = 12) => Array.from({ length: Math.floor(r() * max) }, () => String.fromCharCode(r() < 0.9 ? 32 + Math.floor(r() * 95) : Math.floor(r() * 0xffff))).join('');
  const value = (depth: number): unknown => {
    switch (Math.floor(r() * (depth > 2 ? 6 : 9))) {
      case 0: return null;
      case 1: return r() < 0.5;
      case 2: return Math.floor(r() * 2000) - 1000;
      case 3: return r() * 1e6;
      case 4: return text();
      case 5: return pick(['source', 'target', 'kinesis', 'mysql', 'arn:aws:dms:us-east-1:000000000000:endpoint:X', 'dms.t3.micro', '{"rules":[]}', '2020-01-01T00:00:00', 'full-load']);
      case 6: return Array.from({ length: Math.floor(r() * 4) }, () => value(depth + 1));
      default: return Object.fromEntries(Array.from({ length: Math.floor(r() * 4) }, () => [pick(['Name', 'Values', 'Key', '__proto__', 'constructor', text(6)]), value(depth + 1)]));
    }
  };
  const STRINGS = ['source', 'target', 'kinesis', 'mysql', 'mariadb', 'postgres', 'json', 'full-load', 'cdc', 'start-replication', 'dms.t3.micro', '3.5.3',
    'arn:aws:dms:us-east-1:000000000000:endpoint:X', 'arn:aws:dms:us-east-1:000000000000:task:X', 'arn:aws:dms:us-east-1:000000000000:rep:X',
    'arn:aws:kinesis:us-east-1:000000000000:stream/s', ROLE_ARN, '{"rules":[]}', '{"rules": }', '{}', '{"Logging":{"EnableLogging":true}}',
    'endpoint-arn', 'endpoint-id', 'replication-task-id', 'replication-task-arn', 'mysql-bin.000001:4', 'server_time:2020-01-01T00:00:00', 'fuzz-id', '127.0.0.1', ''];
  const typed = (shapeName: string, depth: number): unknown => {
    const shape = SHAPES[shapeName];
    if (!shape || r() < 0.1 || depth > 3) return value(depth);
    switch (shape.t) {
      case 's': return shape.e && r() < 0.8 ? pick(shape.e) : r() < 0.7 ? pick(STRINGS) : text(20);
      case 'i': return pick([0, 1, 20, 100, 3306, -1, 1e9]);
      case 'd': return r() * 100;
      case 'b': return r() < 0.5;
      case 't': return pick([0, 1590524772.505, '2020-01-01T00:00:00Z']);
      case 'l': return Array.from({ length: Math.floor(r() * 3) }, () => typed(shape.i!, depth + 1));
      case 'o': return Object.fromEntries(Object.entries(shape.m ?? {}).filter(() => r() < 0.6).map(([k, v]) => [k, typed(v, depth + 1)]));
    }
    return value(depth);
  };
  const memberInput = (op: string): unknown => {
    const shapeName = (model.operations as Record<string, string | null>)[op];
    return shapeName ? typed(shapeName, 0) : value(0);
  };
  const target = (): string | undefined => {
    switch (Math.floor(r() * 14)) {
      case 0: return undefined;
      case 1: return ascii(30);
      case 2: return `${DMS_PREFIX}.${ascii(20)}`;
      case 3: return `${DMS_PREFIX}.${pick(['toString', '__proto__', 'constructor', 'valueOf', '', '.', 'CreateEndpoint.x'])}`;
      case 4: return pick(['AmazonSQS.ListQueues', DMS_PREFIX, 'DMS.CreateEndpoint', '.', ' ', `${DMS_PREFIX} .DescribeEndpoints`]);
      case 5: return `${DMS_PREFIX}.${pick(MODEL_OPERATIONS)}`;
      default: return `${DMS_PREFIX}.${pick(IMPLEMENTED_OPERATIONS)}`;
    }
  };
  const body = (op: string | undefined): string | undefined => {
    switch (Math.floor(r() * 6)) {
      case 0: return undefined;
      case 1: return text(200);
      case 2: return JSON.stringify(value(0));
      case 3: return JSON.stringify(memberInput(op ?? '')).slice(0, Math.floor(r() * 200));
      default: return JSON.stringify(memberInput(op ?? ''));
    }
  };
  /** A mutated, printable Authorization header. */
  const authorization = (): string => {
    const good = `AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20240102/us-east-1/dms/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=${'0'.repeat(64)}`;
    switch (Math.floor(r() * 8)) {
      case 0: return ascii(60);
      case 1: return good.slice(0, Math.floor(r() * good.length));
      case 2: return good.replace(/[=,/ ]/g, () => (r() < 0.3 ? ascii(2) : '='));
      case 3: return `AWS4-HMAC-SHA256 ${ascii(40)}`;
      case 4: return good.replace('20240102', ascii(8));
      case 5: return good.replace('aws4_request', ascii(12));
      case 6: return `AWS4-HMAC-SHA256 Credential=${ascii(20)}/${ascii(8)}/${ascii(6)}/${ascii(4)}/${ascii(12)}, SignedHeaders=${ascii(20)}, Signature=${ascii(64)}`;
      default: return good.replace(/./g, (c) => (r() < 0.05 ? ascii(1) || c : c));
    }
  };
  return {
    r,
    pick,
    authorization,
    next(): FuzzRequest {
      const t = target();
      const operation = t?.startsWith(`${DMS_PREFIX}.`) ? t.slice(DMS_PREFIX.length + 1) : undefined;
      return { target: t, operation, body: body(operation), region: r() < 0.5 ? pick(['us-east-1', 'eu-west-1']) : undefined };
    },
  };
}
