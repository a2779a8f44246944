// What AWS DMS creates on a PostgreSQL source: the DDL capture artifacts (CaptureDdls) and the
// heartbeat table (HeartbeatEnable). Definitions as AWS documents them (CHAP_Source.PostgreSQL,
// "Removing AWS DMS artifacts" / "Capturing DDL"; aws-dms-postgresql.md §2).
import type pg from 'pg';
import { quoteIdent, wrapPgError } from './connection.js';

export const DDL_AUDIT_TABLE = 'awsdms_ddl_audit';
export const HEARTBEAT_TABLE = 'awsdms_heartbeat';

/** Creates awsdms_ddl_audit, awsdms_intercept_ddl() and the event trigger when missing (needs superuser). */
export async function installDdlCapture(c: pg.Client, schema: string): Promise<void> {
  const s = quoteIdent(schema);
  // Installed already: do nothing (a CREATE … IF NOT EXISTS would itself fire the trigger).
  const have = await c.query(
    `SELECT 1 FROM pg_event_trigger WHERE evtname = 'awsdms_intercept_ddl' AND EXISTS (
       SELECT 1 FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = $1 AND t.relname = '${DDL_AUDIT_TABLE}')`,
    [schema],
  );
  if (have.rowCount) return;
  try {
    await c.query(`CREATE TABLE IF NOT EXISTS ${s}.${DDL_AUDIT_TABLE} (
      c_key bigserial primary key, c_time timestamp, c_user varchar(64), c_txn varchar(16), c_tag varchar(24),
      c_oid integer, c_name varchar(64), c_schema varchar(64), c_ddlqry text)`);
    // AWS's function: the statement text and the transaction of CREATE/ALTER/DROP TABLE, inserted
    // (and so written to the WAL, where the change stream reads it) and deleted again.
    await c.query(`CREATE OR REPLACE FUNCTION ${s}.awsdms_intercept_ddl() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
      declare _qry text;
      BEGIN
        if (tg_tag = 'CREATE TABLE' or tg_tag = 'ALTER TABLE' or tg_tag = 'DROP TABLE' or tg_tag = 'CREATE TABLE AS') then
          SELECT current_query() into _qry;
          insert into ${s}.${DDL_AUDIT_TABLE}
          values (default, current_timestamp, current_user, cast(TXID_CURRENT() as varchar(16)), tg_tag, 0, '', current_schema, _qry);
          delete from ${s}.${DDL_AUDIT_TABLE};
        end if;
      END;
      $$`);
    const r = await c.query(`SELECT 1 FROM pg_event_trigger WHERE evtname = 'awsdms_intercept_ddl'`);
    if (r.rowCount === 0) {
      await c.query(`CREATE EVENT TRIGGER awsdms_intercept_ddl ON ddl_command_end EXECUTE PROCEDURE ${s}.awsdms_intercept_ddl()`).catch((e: { code?: string }) => {
        if (e?.code !== '42710') throw e; // created meanwhile by another task
      });
    }
  } catch (err) {
    throw wrapPgError(err, `CaptureDdls: cannot create the DDL capture artifacts in schema ${schema} (the event trigger needs superuser or rds_superuser; or set CaptureDdls=false)`);
  }
}

/** One heartbeat: creates awsdms_heartbeat when missing and updates its row (a small transaction in the WAL). */
export async function beat(c: pg.Client, schema: string): Promise<void> {
  const t = `${quoteIdent(schema)}.${HEARTBEAT_TABLE}`;
  await c.query(`CREATE TABLE IF NOT EXISTS ${t} (hb_key integer NOT NULL PRIMARY KEY, hb_created_at timestamp,
    hb_created_by varchar(64), hb_last_heartbeat_at timestamp, hb_last_heartbeat_by varchar(64))`);
  await c.query(`INSERT INTO ${t} VALUES (1, now(), current_user, now(), current_user)
    ON CONFLICT (hb_key) DO UPDATE SET hb_last_heartbeat_at = now(), hb_last_heartbeat_by = current_user`);
}
