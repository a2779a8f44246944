// Source prerequisites of AWS DMS for a MySQL / MariaDB source (behaviour doc §13).
// The evaluation is a pure function over the server's variables and the user's
// grants, so it is unit-tested without a server.
import type { SourceConnection } from './connection.js';

export interface PrerequisiteIssue {
  /** Server variable or privilege concerned, e.g. `binlog_format`, `REPLICATION SLAVE`. */
  variable: string;
  actual: string;
  required: string;
  /** Human message naming variable, actual and required value (used as LastFailureMessage). */
  message: string;
}

export interface PrerequisiteReport {
  /** Problems that make the task fail. */
  failures: PrerequisiteIssue[];
  /** Worth logging, not fatal. */
  warnings: PrerequisiteIssue[];
}

export interface PrerequisiteInput {
  /** GLOBAL variables, names lower-case (missing ones are simply not checked). */
  variables: Record<string, string>;
  /** Lines of SHOW GRANTS for the endpoint user. */
  grants: string[];
  cdc: boolean;
}

const DAY = 86_400;

function upper(v: string | undefined): string {
  return (v ?? '').trim().toUpperCase();
}

/** Privileges granted ON *.* (upper-case), plus schema-level SELECT grants. */
export function parseGrants(grants: string[]): { global: Set<string>; selectSchemas: Set<string>; hasRoles: boolean } {
  const global = new Set<string>();
  const selectSchemas = new Set<string>();
  let hasRoles = false;
  for (const line of grants) {
    const m = /^\s*GRANT\s+(.+?)\s+ON\s+(\S+)\s+TO\s+/i.exec(line);
    if (!m) {
      // `GRANT role TO user` (no ON clause)
      if (/^\s*GRANT\s+[^ ]/i.test(line) && !/\sON\s/i.test(line)) hasRoles = true;
      continue;
    }
    const privs = m[1]!.split(',').map((p) => p.trim().toUpperCase().replace(/\s+/g, ' ').replace(/\s*\(.*\)$/, ''));
    const target = m[2]!;
    const all = privs.some((p) => p === 'ALL PRIVILEGES' || p === 'ALL');
    if (target === '*.*') {
      for (const p of privs) global.add(p);
      if (all) global.add('ALL PRIVILEGES');
    } else {
      const sm = /^`?((?:[^`]|``)*)`?\.\*$/.exec(target) ?? /^`?((?:[^`]|``)*)`?\./.exec(target);
      if (sm && (all || privs.includes('SELECT'))) selectSchemas.add(sm[1]!.replace(/``/g, '`'));
    }
  }
  return { global, selectSchemas, hasRoles };
}

function hasGlobal(g: Set<string>, priv: string): boolean {
  if (g.has('ALL PRIVILEGES') || g.has(priv)) return true;
  // MariaDB 10.5+: REPLICATION CLIENT is an alias of BINLOG MONITOR, REPLICATION SLAVE of REPLICATION SLAVE only.
  if (priv === 'REPLICATION CLIENT' && g.has('BINLOG MONITOR')) return true;
  return false;
}

/** Pure evaluation of the prerequisites (see checkSourcePrerequisites). */
export function evaluatePrerequisites(input: PrerequisiteInput): PrerequisiteReport {
  const failures: PrerequisiteIssue[] = [];
  const warnings: PrerequisiteIssue[] = [];
  const v = input.variables;
  const fail = (variable: string, actual: string, required: string, message?: string) =>
    failures.push({ variable, actual, required, message: message ?? `${variable} is ${actual}; AWS DMS ${input.cdc ? 'CDC' : 'full load'} requires ${variable}=${required}` });
  const warn = (variable: string, actual: string, required: string, message: string) =>
    warnings.push({ variable, actual, required, message });

  // Privileges
  const g = parseGrants(input.grants);
  const missing: string[] = [];
  const needs = input.cdc ? ['SELECT', 'REPLICATION CLIENT', 'REPLICATION SLAVE'] : ['SELECT'];
  for (const p of needs) {
    if (p === 'SELECT' ? hasGlobal(g.global, 'SELECT') || g.selectSchemas.size > 0 : hasGlobal(g.global, p)) continue;
    missing.push(p);
  }
  if (missing.length > 0) {
    const issue = {
      variable: 'privileges',
      actual: `missing ${missing.join(', ')}`,
      required: needs.join(', '),
      message: `the source endpoint user lacks ${missing.join(', ')}; AWS DMS ${input.cdc ? 'CDC' : 'full load'} requires ${needs.join(', ')} ON *.*`,
    };
    // Privileges may come from a granted role that SHOW GRANTS does not expand: warn only.
    if (g.hasRoles) warnings.push({ ...issue, message: issue.message + ' (a role is granted; its privileges were not checked)' });
    else failures.push(issue);
  }

  if (!input.cdc) return { failures, warnings };

  if (v['log_bin'] !== undefined && upper(v['log_bin']) !== 'ON' && upper(v['log_bin']) !== '1') {
    fail('log_bin', upper(v['log_bin']), 'ON');
  }
  if (v['binlog_format'] !== undefined && upper(v['binlog_format']) !== 'ROW') {
    fail('binlog_format', upper(v['binlog_format']), 'ROW');
  }
  if (v['binlog_row_image'] !== undefined && upper(v['binlog_row_image']) !== 'FULL') {
    fail('binlog_row_image', upper(v['binlog_row_image']), 'FULL');
  }
  if (v['server_id'] !== undefined) {
    const sid = Number(v['server_id']);
    if (!(sid >= 1)) fail('server_id', String(v['server_id']), 'a value >= 1', `server_id is ${v['server_id']}; AWS DMS CDC requires server_id >= 1`);
  }
  // binlog_checksum: AWS DMS asks for NONE; this reader decodes NONE and CRC32, so neither fails.
  const ck = v['binlog_checksum'];
  if (ck !== undefined && upper(ck) !== 'NONE' && upper(ck) !== 'CRC32') {
    fail('binlog_checksum', upper(ck), 'NONE');
  }
  // Binlog retention: 0 means "never purged", which is safe; a retention under one day
  // risks losing the binlogs a stopped task needs to resume.
  const secs = v['binlog_expire_logs_seconds'] !== undefined ? Number(v['binlog_expire_logs_seconds']) : NaN;
  const days = v['expire_logs_days'] !== undefined ? Number(v['expire_logs_days']) : NaN;
  const retention = Number.isFinite(secs) && secs > 0 ? secs : Number.isFinite(days) && days > 0 ? days * DAY : 0;
  if (retention > 0 && retention < DAY) {
    warn('binlog_expire_logs_seconds', String(retention), `>= ${DAY}`,
      `binlog retention is ${retention}s; AWS DMS asks for expire_logs_days >= 1 (binlog_expire_logs_seconds >= ${DAY}) so that a stopped task can resume`);
  }
  // binlog_row_metadata: not required. Without FULL, column names and ENUM/SET labels come
  // from information_schema at read time (a column change between write and read can misdecode).
  const meta = v['binlog_row_metadata'];
  if (meta !== undefined && upper(meta) !== 'FULL') {
    warn('binlog_row_metadata', upper(meta), 'FULL',
      `binlog_row_metadata is ${upper(meta)}; ENUM/SET labels and column names are recovered from the current table metadata, so ALTER TABLE during CDC can misdecode older events (FULL avoids it)`);
  }
  // log_slave_updates only matters when the source is itself a replica.
  const ro = upper(v['read_only']);
  const lsu = v['log_slave_updates'] ?? v['log_replica_updates'];
  if (ro === 'ON' && lsu !== undefined && upper(lsu) !== 'ON') {
    warn('log_slave_updates', upper(lsu), 'ON',
      `log_slave_updates is ${upper(lsu)} on a read-only server; if it is a replica, AWS DMS requires log_slave_updates=ON to see replicated changes`);
  }
  return { failures, warnings };
}

const VARIABLES = [
  'log_bin', 'binlog_format', 'binlog_row_image', 'server_id', 'binlog_checksum',
  'expire_logs_days', 'binlog_expire_logs_seconds', 'binlog_row_metadata',
  'log_slave_updates', 'log_replica_updates', 'read_only',
];

/** Reads the variables and grants the evaluation needs. */
export async function readPrerequisiteInput(conn: SourceConnection, cdc: boolean): Promise<PrerequisiteInput> {
  const rows = await conn.query<{ Variable_name: string; Value: string }[]>(
    `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${VARIABLES.map(() => '?').join(',')})`, VARIABLES);
  const variables: Record<string, string> = {};
  for (const r of rows) variables[r.Variable_name.toLowerCase()] = String(r.Value);
  const grantRows = await conn.query<Record<string, string>[]>('SHOW GRANTS');
  const grants = grantRows.map((r) => String(Object.values(r)[0] ?? ''));
  return { variables, grants, cdc };
}

/** Checks the source against the AWS DMS prerequisites; `cdc` adds the binlog checks. */
export async function checkSourcePrerequisites(conn: SourceConnection, opts: { cdc: boolean }): Promise<PrerequisiteReport> {
  return evaluatePrerequisites(await readPrerequisiteInput(conn, opts.cdc));
}
