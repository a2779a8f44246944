import { randomUUID } from 'node:crypto';
import model from './dms-model.json' with { type: 'json' };
import type { Input, OperationName } from './operations.js';
import {
  DmsFault,
  InvalidParameterValueException,
  SerializationException,
  UnknownOperationException,
} from '../model/errors.js';

// AWS JSON 1.1 for DMS: X-Amz-Target routing, input validation against botocore's model,
// and the error body shape SDKs parse (`__type` + `message`).

export const TARGET_PREFIX = 'AmazonDMSv20160101';

interface Shape {
  t: 's' | 'i' | 'b' | 'd' | 't' | 'l' | 'm' | 'o';
  e?: string[];
  m?: Record<string, string>;
  r?: string[];
  i?: string;
  k?: string;
  v?: string;
}
const SHAPES = model.shapes as Record<string, Shape>;
// botocore's SourceType enum lists only replication-instance; the API reference documents
// `replication-instance | endpoint | replication-task` (API_Event), and tasks do have events.
SHAPES.SourceType = { ...SHAPES.SourceType, e: ['replication-instance', 'endpoint', 'replication-task'] };
const OPERATIONS = model.operations as Record<string, string | null>;

export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export function operationFromTarget(target: string | undefined): string {
  if (!target) throw new UnknownOperationException('Missing X-Amz-Target header');
  const dot = target.lastIndexOf('.');
  const prefix = target.slice(0, dot);
  const op = target.slice(dot + 1);
  if (dot < 0 || prefix !== TARGET_PREFIX || !Object.hasOwn(OPERATIONS, op)) {
    throw new UnknownOperationException(`Operation ${target} is not recognized by the DMS API`);
  }
  return op;
}

export function parseBody(body: string | undefined): Record<string, unknown> {
  const text = body?.trim() ? body : '{}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SerializationException('Request body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SerializationException('Request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** Checks the input against the model: required members, JSON types, enum values; drops unknown members. */
export function validateInput(op: string, input: Record<string, unknown>): Record<string, unknown> {
  const shapeName = Object.hasOwn(OPERATIONS, op) ? OPERATIONS[op] : null;
  if (!shapeName) return {};
  return validateValue(shapeName, input, '') as Record<string, unknown>;
}

/**
 * The request of an implemented operation, validated: its type is the SDK's input shape in wire
 * form because validateValue enforces exactly that shape (the model is botocore's).
 */
export function validateRequest<Op extends OperationName>(op: Op, input: Record<string, unknown>): Input<Op> {
  return validateInput(op, input) as Input<Op>;
}

function validateValue(shapeName: string, value: unknown, path: string): unknown {
  const shape = SHAPES[shapeName];
  const where = path || 'request';
  switch (shape.t) {
    case 'o': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new SerializationException(`Expected an object for ${where}`);
      }
      const obj = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const req of shape.r ?? []) {
        if (obj[req] === undefined || obj[req] === null) {
          const name = path ? `${path}.${req}` : req;
          throw new InvalidParameterValueException(`The request is missing the required parameter ${name}`);
        }
      }
      for (const [k, v] of Object.entries(obj)) {
        // Own members only: `constructor`, `__proto__`, ... are unknown members, not Object.prototype's.
        const member = shape.m && Object.hasOwn(shape.m, k) ? shape.m[k] : undefined;
        if (!member || v === null || v === undefined) continue;
        out[k] = validateValue(member, v, path ? `${path}.${k}` : k);
      }
      return out;
    }
    case 'l':
      if (!Array.isArray(value)) throw new SerializationException(`Expected a list for ${where}`);
      return value.map((v, i) => validateValue(shape.i!, v, `${where}[${i}]`));
    case 'm': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new SerializationException(`Expected a map for ${where}`);
      }
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = validateValue(shape.v!, v, `${where}.${k}`);
      return out;
    }
    case 's':
      if (typeof value !== 'string') throw new SerializationException(`Expected a string for ${where}`);
      if (shape.e && !shape.e.includes(value)) {
        throw new InvalidParameterValueException(
          `Invalid value '${value}' for ${where}. Valid values: ${shape.e.join(', ')}`,
        );
      }
      return value;
    case 'i':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        throw new SerializationException(`Expected an integer for ${where}`);
      }
      return value;
    case 'd':
      if (typeof value !== 'number') throw new SerializationException(`Expected a number for ${where}`);
      return value;
    case 'b':
      if (typeof value !== 'boolean') throw new SerializationException(`Expected a boolean for ${where}`);
      return value;
    case 't': {
      // SDKs send epoch seconds; accept ISO-8601 text too.
      if (typeof value === 'number') return value;
      if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return Date.parse(value) / 1000;
      throw new SerializationException(`Expected a timestamp for ${where}`);
    }
  }
}

export function successResult(requestId: string, output: object): HttpResult {
  return { statusCode: 200, headers: jsonHeaders(requestId), body: JSON.stringify(output) };
}

export function errorResult(requestId: string, err: unknown): HttpResult {
  const fault = err instanceof DmsFault ? err : null;
  const code = fault ? fault.code : 'InternalFailure';
  const message = fault ? fault.message : 'An internal error occurred in dmslite; see its log for details';
  return {
    // AWS returns 400 for client faults; an unexpected failure is reported as a 400 too so
    // SDKs do not retry forever, and the log carries the detail.
    statusCode: 400,
    headers: { ...jsonHeaders(requestId), 'x-amzn-ErrorType': code },
    body: JSON.stringify({ __type: code, message, ...(fault?.extra ?? {}) }),
  };
}

function jsonHeaders(requestId: string): Record<string, string> {
  return { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': requestId };
}

export function newRequestId(): string {
  return randomUUID();
}

/** Region from a SigV4 Authorization header's credential scope. */
export function regionFromAuthorization(authorization: string | undefined): string | undefined {
  const m = authorization && /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(authorization);
  return m ? m[1] : undefined;
}

export function isKnownOperation(op: string): boolean {
  return Object.hasOwn(OPERATIONS, op);
}
