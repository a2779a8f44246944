import { randomBytes } from 'node:crypto';
import { InvalidParameterValueException } from './errors.js';

export type ResourceType = 'endpoint' | 'rep' | 'task' | 'subgrp' | 'replication-config' | 'cert';

export interface Scope {
  account: string;
  region: string;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A 26-character uppercase base32 id, like AWS DMS resource ids. */
export function newResourceId(): string {
  const bytes = randomBytes(17);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < 26) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

export function buildArn(scope: Scope, type: ResourceType, id: string): string {
  return `arn:aws:dms:${scope.region}:${scope.account}:${type}:${id}`;
}

export interface ParsedArn extends Scope {
  type: string;
  id: string;
}

export function parseArn(arn: string): ParsedArn | null {
  const m = /^arn:aws[a-z-]*:dms:([a-z0-9-]+):(\d{12}):([a-z-]+):(.+)$/.exec(arn);
  if (!m) return null;
  return { region: m[1], account: m[2], type: m[3], id: m[4] };
}

/** ResourceIdentifier: AWS allows up to 31 characters, letters, digits and hyphens, starting with a letter. */
export function resourceIdFrom(requested: string | undefined): string {
  if (requested === undefined) return newResourceId();
  if (!/^[A-Za-z][A-Za-z0-9-]{0,30}$/.test(requested) || requested.endsWith('-') || requested.includes('--')) {
    throw new InvalidParameterValueException(
      'ResourceIdentifier must be 1 to 31 characters, begin with a letter, contain only ASCII letters, digits and hyphens, and not end with a hyphen or contain two consecutive hyphens.',
    );
  }
  return requested;
}

/** Resource identifiers (EndpointIdentifier, ReplicationTaskIdentifier, ...) as AWS validates them. */
export function validateIdentifier(param: string, value: string, maxLength = 255): void {
  if (
    value.length < 1 ||
    value.length > maxLength ||
    !/^[A-Za-z][A-Za-z0-9-]*$/.test(value) ||
    value.endsWith('-') ||
    value.includes('--')
  ) {
    throw new InvalidParameterValueException(
      `The parameter ${param} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`,
    );
  }
}

/** A parameter that must hold a DMS ARN of one resource type. */
export function requireArn(param: string, value: string, type: ResourceType): void {
  const parsed = parseArn(value);
  if (!parsed || parsed.type !== type) {
    throw new InvalidParameterValueException(`Invalid ${param}: ${value} is not a valid ${type} ARN`);
  }
}
