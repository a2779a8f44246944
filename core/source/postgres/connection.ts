// Connections to a PostgreSQL source endpoint, configured so that every value comes out as the
// server's own text (the canonical SourceValue of this engine, the same text test_decoding prints):
// no client-side type parsing, and session settings that fix the text of dates, times, intervals,
// floats and bytea whatever the server's defaults are.
import pg from 'pg';

/** PostgreSQLSettings of a source endpoint that the source acts on (botocore member names, camel-cased). */
export interface PgEndpointConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  /** DatabaseName (required for PostgreSQL endpoints). */
  database: string;
  /** Connect timeout in ms (default 10000). */
  connectTimeoutMs?: number;
  /** ExecuteTimeout, seconds (AWS default 60): the statement timeout of metadata queries. */
  executeTimeoutSeconds?: number;
  /** AfterConnectScript: run on every query connection after it connects. */
  afterConnectScript?: string;
  /** SlotName: a pre-existing logical slot to read instead of one the task creates. */
  slotName?: string;
  /** PluginName: `no-preference` (default), `test-decoding` or `pglogical`. */
  pluginName?: string;
  /** CaptureDdls (AWS default true): install the event trigger and its audit table. */
  captureDdls?: boolean;
  /** DdlArtifactsSchema (default `public`). */
  ddlArtifactsSchema?: string;
  heartbeatEnable?: boolean;
  /** HeartbeatFrequency, minutes (AWS default 5). */
  heartbeatFrequencyMinutes?: number;
  /** HeartbeatSchema (default `public`). */
  heartbeatSchema?: string;
  /** MapJsonbAsClob (table-def type of jsonb). */
  mapJsonbAsClob?: boolean;
  /** MapLongVarcharAs: `wstring` (default), `clob`, `nclob`. */
  mapLongVarcharAs?: string;
  /** MapBooleanAsBoolean. */
  mapBooleanAsBoolean?: boolean;
  /** FailTasksOnLobTruncation. */
  failTasksOnLobTruncation?: boolean;
}

export class PgSourceError extends Error {
  /** SQLSTATE when the server reported one. */
  readonly sqlState?: string;
  constructor(message: string, opts: { sqlState?: string; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'PgSourceError';
    this.sqlState = opts.sqlState;
  }
}

export function wrapPgError(err: unknown, context: string): PgSourceError {
  if (err instanceof PgSourceError) return err;
  const e = err as { message?: string; code?: string };
  return new PgSourceError(`${context}: ${e?.message ?? String(err)}`, { sqlState: e?.code, cause: err });
}

/** Session settings that fix the text form of values (see values in core/record/postgres.ts). */
export const SESSION_OPTIONS = [
  'TimeZone=UTC',
  'DateStyle=ISO,MDY',
  'IntervalStyle=postgres',
  'extra_float_digits=1',
  'bytea_output=hex',
  'lc_monetary=C',
  'client_encoding=UTF8',
];

const RAW_TYPES = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;

/** pg.Client options: values as raw text, UTC, ISO dates. */
export function clientConfig(cfg: PgEndpointConfig, extra: { replication?: boolean; statementTimeoutMs?: number } = {}): pg.ClientConfig {
  const opts = [...SESSION_OPTIONS];
  if (extra.statementTimeoutMs) opts.push(`statement_timeout=${extra.statementTimeoutMs}`);
  return {
    host: cfg.host,
    port: cfg.port,
    user: cfg.user,
    password: cfg.password,
    database: cfg.database,
    connectionTimeoutMillis: cfg.connectTimeoutMs ?? 10_000,
    keepAlive: true,
    types: RAW_TYPES,
    options: opts.map((o) => `-c ${o.replace(/ /g, '\\ ')}`).join(' '),
    application_name: 'dmslite',
    ...(extra.replication ? { replication: 'database' } : {}),
  } as pg.ClientConfig;
}

/** A connected query client (AfterConnectScript applied). Throws PgSourceError. */
export async function openClient(cfg: PgEndpointConfig, opts: { statementTimeout?: boolean } = {}): Promise<pg.Client> {
  const timeout = opts.statementTimeout === false ? undefined : (cfg.executeTimeoutSeconds ?? 60) * 1000;
  const c = new pg.Client(clientConfig(cfg, { statementTimeoutMs: timeout }));
  // A connection lost later surfaces on the next query; never as an unhandled 'error' event.
  c.on('error', () => undefined);
  try {
    await c.connect();
    if (cfg.afterConnectScript && cfg.afterConnectScript.trim() !== '') await c.query(cfg.afterConnectScript);
  } catch (err) {
    await c.end().catch(() => undefined);
    throw wrapPgError(err, `cannot connect to PostgreSQL ${cfg.host}:${cfg.port} database ${cfg.database}`);
  }
  return c;
}

export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

export function quoteTable(schema: string, table: string): string {
  return quoteIdent(schema) + '.' + quoteIdent(table);
}

export function quoteLiteral(s: string): string {
  return "'" + s.replace(/'/g, "''") + "'";
}
