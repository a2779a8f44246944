import { validateIdentifier, type Scope } from '../model/arn.js';
import { ResourceAlreadyExistsFault } from '../model/errors.js';
import { ConditionFailed, identKey, type DocumentTable, type ResourceKind, type WriteOp } from '../state/resources.js';

// The user-chosen identifiers of endpoints, replication instances, tasks and replication configs:
// validated, unique per account and region ignoring case (an `ident#` row keyed in lower case claims
// each one), and changed by Modify* the same way for all of them.

export interface IdentifierRule {
  kind: ResourceKind;
  param: string;
  maxLength: number;
  /** AWS stores the identifier in lower case (ReplicationInstanceIdentifier, per the API reference). */
  lowercase: boolean;
  /** The ResourceAlreadyExistsFault message when another resource holds the identifier. */
  taken: string;
}

export const IDENTIFIERS = {
  endpoint: {
    kind: 'endpoint',
    param: 'EndpointIdentifier',
    maxLength: 255,
    lowercase: false,
    taken: 'The specified endpoint identifier already exists',
  },
  instance: {
    kind: 'instance',
    param: 'ReplicationInstanceIdentifier',
    maxLength: 63,
    lowercase: true,
    taken: 'The specified replication instance already exists',
  },
  task: {
    kind: 'task',
    param: 'ReplicationTaskIdentifier',
    maxLength: 255,
    lowercase: false,
    taken: 'The specified replication task already exists',
  },
  replicationConfig: {
    kind: 'repconfig',
    param: 'ReplicationConfigIdentifier',
    maxLength: 255,
    lowercase: false,
    taken: 'The specified replication config already exists',
  },
} as const satisfies Record<string, IdentifierRule>;

/** The identifier as stored; InvalidParameterValueException when it is not a valid identifier. */
export function storedIdentifier(rule: IdentifierRule, value: string): string {
  const id = rule.lowercase ? value.toLowerCase() : value;
  validateIdentifier(rule.param, id, rule.maxLength);
  return id;
}

/** The write that claims an identifier for `arn`; its condition fails when another resource holds it. */
export function claimIdentifier(scope: Scope, rule: IdentifierRule, identifier: string, arn: string): WriteOp {
  return { kind: 'put', key: identKey(rule.kind, scope, identifier), doc: { arn }, ifAbsent: true };
}

export function releaseIdentifier(scope: Scope, rule: IdentifierRule, identifier: string): WriteOp {
  return { kind: 'delete', key: identKey(rule.kind, scope, identifier) };
}

export interface Rename {
  /** The identifier to store. */
  identifier: string;
  /** The identifier newly claimed, when it changed (ignoring case). */
  claimed?: string;
  /** Claim of the new identifier, then release of the old one; empty when it did not change. */
  ops: WriteOp[];
}

/**
 * Modify*'s identifier member. Absent: unchanged. Invalid (even if equal to the current one):
 * InvalidParameterValueException. Equal ignoring case: no identifier writes, the new spelling is
 * stored. Otherwise the new one is claimed and the old one released in the same transaction, which
 * fails with ResourceAlreadyExistsFault (see rethrowTaken) when another resource holds the new one.
 */
export function renameIdentifier(
  scope: Scope,
  rule: IdentifierRule,
  arn: string,
  current: string,
  requested: string | undefined,
): Rename {
  if (requested === undefined) return { identifier: current, ops: [] };
  const identifier = storedIdentifier(rule, requested);
  if (identifier.toLowerCase() === current.toLowerCase()) return { identifier, ops: [] };
  return {
    identifier,
    claimed: identifier,
    ops: [claimIdentifier(scope, rule, identifier, arn), releaseIdentifier(scope, rule, current)],
  };
}

/**
 * Turns the failed claim of `identifier` (the write at index 1, right after the resource's own
 * document) into ResourceAlreadyExistsFault carrying the holder's ARN, as CreateEndpoint's fault
 * does; rethrows anything else. For a create, a transaction conflict (index null) is a concurrent
 * create of the same identifier and counts as taken too.
 */
export async function rethrowTaken(
  ctx: { scope: Scope; table: Pick<DocumentTable, 'get'> },
  rule: IdentifierRule,
  e: unknown,
  identifier: string | undefined,
  creating = false,
): Promise<never> {
  const claimFailed = e instanceof ConditionFailed && (e.index === 1 || (creating && e.index === null));
  if (!claimFailed || identifier === undefined) throw e;
  const holder = await ctx.table.get<{ arn: string }>(identKey(rule.kind, ctx.scope, identifier));
  throw new ResourceAlreadyExistsFault(rule.taken, holder?.doc.arn);
}
