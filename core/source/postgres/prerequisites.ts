// AWS's PostgreSQL source prerequisites (CHAP_Source.PostgreSQL, "Working with a self-managed
// PostgreSQL database as a source" and the RDS section; aws-dms-postgresql.md §1):
// wal_level=logical; max_replication_slots and max_wal_senders with one free for the task;
// wal_sender_timeout 0 or at least 10000 ms; a user with REPLICATION (or superuser, or RDS's
// rds_replication); CaptureDdls' event trigger needs superuser (rds_superuser); PluginName=pglogical
// needs the pglogical extension.
import type pg from 'pg';
import type { PrerequisiteIssue, PrerequisiteReport } from '../contract.js';
import type { PgEndpointConfig } from './connection.js';

interface Facts {
  wal_level: string;
  max_replication_slots: string;
  slots_used: string;
  max_wal_senders: string;
  senders_used: string;
  wal_sender_timeout: string;
  user: string;
  rolsuper: string;
  rolreplication: string;
  rds_replication: string;
  rds_superuser: string;
  pglogical: string;
}

export async function checkPgPrerequisites(c: pg.Client, cfg: PgEndpointConfig, opts: { cdc: boolean; slotName?: string }): Promise<PrerequisiteReport> {
  const failures: PrerequisiteIssue[] = [];
  const warnings: PrerequisiteIssue[] = [];
  if (!opts.cdc) return { failures, warnings };
  const r = await c.query<Facts>(`
    SELECT current_setting('wal_level') AS wal_level,
           current_setting('max_replication_slots') AS max_replication_slots,
           (SELECT count(*) FROM pg_replication_slots)::text AS slots_used,
           current_setting('max_wal_senders') AS max_wal_senders,
           (SELECT count(*) FROM pg_stat_replication)::text AS senders_used,
           current_setting('wal_sender_timeout') AS wal_sender_timeout,
           r.rolname AS user, r.rolsuper::text AS rolsuper, r.rolreplication::text AS rolreplication,
           (EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = 'rds_replication' AND pg_has_role(r.oid, g.oid, 'MEMBER')))::text AS rds_replication,
           (EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = 'rds_superuser' AND pg_has_role(r.oid, g.oid, 'MEMBER')))::text AS rds_superuser,
           (EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pglogical'))::text AS pglogical
      FROM pg_roles r WHERE r.rolname = current_user`);
  const f = r.rows[0]!;
  const add = (variable: string, actual: string, required: string, message: string) => failures.push({ variable, actual, required, message });
  if (f.wal_level !== 'logical') {
    add('wal_level', f.wal_level, 'logical',
      `wal_level is '${f.wal_level}' on the source; change data capture needs wal_level=logical (rds.logical_replication=1 on RDS and Aurora), which takes a server restart`);
  }
  const slots = Number(f.max_replication_slots);
  const used = Number(f.slots_used);
  // A task that reads an existing slot (SlotName, or its own slot from an earlier run) needs no new one.
  const ownSlot = opts.slotName ? (await c.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [opts.slotName])).rowCount! > 0 : false;
  if (slots < 1 || (!ownSlot && used >= slots)) {
    add('max_replication_slots', String(slots), `more than the ${used} replication slots in use`,
      `max_replication_slots is ${slots} and ${used} replication slots exist; a CDC task needs a free replication slot (raise max_replication_slots or drop unused slots)`);
  }
  const senders = Number(f.max_wal_senders);
  const busy = Number(f.senders_used);
  if (senders < 1 || busy >= senders) {
    add('max_wal_senders', String(senders), `more than the ${busy} WAL senders in use`,
      `max_wal_senders is ${senders} and ${busy} WAL senders are in use; a CDC task needs a free WAL sender (raise max_wal_senders)`);
  }
  const timeoutMs = parseDurationMs(f.wal_sender_timeout);
  if (timeoutMs !== null && timeoutMs !== 0 && timeoutMs < 10_000) {
    add('wal_sender_timeout', f.wal_sender_timeout, '0 or at least 10000 ms',
      `wal_sender_timeout is ${f.wal_sender_timeout}; AWS DMS requires 0 (disabled) or at least 10000 ms`);
  }
  const superuser = f.rolsuper === 'true' || f.rds_superuser === 'true';
  if (!superuser && f.rolreplication !== 'true' && f.rds_replication !== 'true') {
    add('REPLICATION', 'not granted', 'REPLICATION (or superuser / rds_replication)',
      `user ${f.user} has no REPLICATION privilege; change data capture needs a user with REPLICATION (ALTER ROLE ${f.user} REPLICATION), superuser, or rds_replication on RDS and Aurora`);
  }
  if ((cfg.captureDdls ?? true) && !superuser) {
    add('CaptureDdls', 'true', 'superuser (rds_superuser) or CaptureDdls=false',
      `CaptureDdls is on but user ${f.user} is not a superuser: the DDL event trigger needs superuser (rds_superuser on RDS and Aurora); grant it or set PostgreSQLSettings CaptureDdls=false`);
  }
  if ((cfg.pluginName ?? '').toLowerCase() === 'pglogical' && f.pglogical !== 'true') {
    add('PluginName', 'pglogical', 'the pglogical extension',
      `PluginName is pglogical but the pglogical extension is not installed in database ${cfg.database} (shared_preload_libraries=pglogical and CREATE EXTENSION pglogical), or use PluginName test-decoding`);
  }
  return { failures, warnings };
}

/** `60s`, `10000ms`, `1min`, `0` → milliseconds (null when unparseable). */
export function parseDurationMs(text: string): number | null {
  const m = /^(\d+)\s*(ms|s|min|h|d)?$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  switch (m[2]) {
    case 's': return n * 1000;
    case 'min': return n * 60_000;
    case 'h': return n * 3_600_000;
    case 'd': return n * 86_400_000;
    default: return n; // ms, or a bare number (the setting's unit is ms)
  }
}
