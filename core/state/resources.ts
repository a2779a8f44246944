import { ConditionFailed, DocumentTable, type Key, type Stored, type WriteOp } from './dynamo.js';
import type { Scope } from '../model/arn.js';

// Key layout of the single state table:
//   res#<kind>#<account>#<region>   / <arn>                  a resource document
//   ident#<kind>#<account>#<region> / <identifier, lower>    identifier uniqueness
//   work                            / <task or config arn>   tasks and replications a runner must own
//   tstats#<task or config arn>     / <schema>\0<table>      table statistics
//   conn#<account>#<region>         / <instance>|<endpoint>  connection test results
//   tasklog#<task arn>              / tail                   a task's recent log lines and total size
//   evt#<account>#<region>          / <time>#<random>        DMS events, in time order
//   esub#<account>#<region>         / <name, lower>          event subscriptions

export type ResourceKind = 'endpoint' | 'instance' | 'task' | 'subgrp' | 'cert' | 'repconfig';

export const resourceKey = (kind: ResourceKind, scope: Scope, arn: string): Key => ({
  pk: `res#${kind}#${scope.account}#${scope.region}`,
  sk: arn,
});
export const identKey = (kind: ResourceKind, scope: Scope, identifier: string): Key => ({
  pk: `ident#${kind}#${scope.account}#${scope.region}`,
  sk: identifier.toLowerCase(),
});
export const WORK_PK = 'work';
export const workKey = (taskArn: string): Key => ({ pk: WORK_PK, sk: taskArn });
export const tableStatsPk = (taskArn: string): string => `tstats#${taskArn}`;
export const tableStatsKey = (taskArn: string, schema: string, table: string): Key => ({
  pk: tableStatsPk(taskArn),
  sk: `${schema}\u0000${table}`,
});
export const connectionKey = (scope: Scope, instanceArn: string, endpointArn: string): Key => ({
  pk: `conn#${scope.account}#${scope.region}`,
  sk: `${instanceArn}|${endpointArn}`,
});
export const connectionPk = (scope: Scope): string => `conn#${scope.account}#${scope.region}`;

export const taskLogKey = (taskArn: string): Key => ({ pk: `tasklog#${taskArn}`, sk: 'tail' });
export const eventPk = (scope: Scope): string => `evt#${scope.account}#${scope.region}`;
export const subscriptionPk = (scope: Scope): string => `esub#${scope.account}#${scope.region}`;
export const subscriptionKey = (scope: Scope, name: string): Key => ({ pk: subscriptionPk(scope), sk: name.toLowerCase() });

export type { Stored, WriteOp };
export { ConditionFailed, DocumentTable };

/**
 * Read-modify-write with optimistic locking: `fn` sees the current document and returns the writes,
 * the first one conditioned on the version it saw; when that one loses a race, `fn` runs again on
 * fresh data. A failed condition of a later write (e.g. identifier uniqueness) is thrown at once.
 */
export async function mutate<T>(
  table: DocumentTable,
  key: Key,
  fn: (current: Stored<T> | null) => Promise<WriteOp[] | null> | WriteOp[] | null,
  attempts = 20,
): Promise<void> {
  for (let i = 0; ; i++) {
    const current = await table.get<T>(key);
    const ops = await fn(current);
    if (!ops || ops.length === 0) return;
    try {
      await table.write(ops);
      return;
    } catch (e) {
      if (!(e instanceof ConditionFailed) || (e.index !== 0 && e.index !== null) || i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * (i + 1)));
    }
  }
}
