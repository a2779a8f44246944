// Connections to a MySQL / MariaDB source endpoint, configured so that query
// results come out in the canonical SourceValue form (core/model/table.ts):
// - dateStrings: DATE / DATETIME / TIMESTAMP as the server's own text (fraction kept)
// - session time_zone '+00:00': TIMESTAMP text is UTC
// - supportBigNumbers without bigNumberStrings: BIGINT is a number when safe, else an exact string
// - DECIMAL stays an exact string (mysql2 default, decimalNumbers off)
// - jsonStrings: MySQL JSON columns as their text (MariaDB JSON is LONGTEXT anyway)
import mysql from 'mysql2';

export interface MySqlEndpointConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  database?: string;
  /** Connect timeout in ms (default 10000). */
  connectTimeoutMs?: number;
}

/** mysql2 options shared by query connections and the binlog reader (zongji reads the same ones). */
export function connectionOptions(cfg: MySqlEndpointConfig): mysql.ConnectionOptions {
  return {
    host: cfg.host,
    port: cfg.port,
    user: cfg.user,
    password: cfg.password,
    database: cfg.database || undefined,
    charset: 'utf8mb4',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: false,
    jsonStrings: true,
    // Only used where the driver itself converts times (zongji TIMESTAMP epoch -> text): UTC.
    timezone: 'Z',
    connectTimeout: cfg.connectTimeoutMs ?? 10_000,
    enableKeepAlive: true,
    keepAliveInitialDelay: 10_000,
    multipleStatements: false,
  } as mysql.ConnectionOptions;
}

export class MySqlSourceError extends Error {
  /** Server error number (e.g. 1045 access denied, 1236 binlog not found) when known. */
  readonly errno?: number;
  readonly sqlCode?: string;
  constructor(message: string, opts: { errno?: number; code?: string; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'MySqlSourceError';
    this.errno = opts.errno;
    this.sqlCode = opts.code;
  }
}

/** A promise-friendly wrapper over one mysql2 callback connection (kept raw for streaming). */
export class SourceConnection {
  readonly raw: mysql.Connection;
  readonly serverVersion: string;
  readonly isMariaDb: boolean;
  private closed = false;

  private constructor(raw: mysql.Connection, version: string) {
    this.raw = raw;
    this.serverVersion = version;
    this.isMariaDb = /mariadb/i.test(version);
  }

  static async open(cfg: MySqlEndpointConfig): Promise<SourceConnection> {
    const raw = mysql.createConnection(connectionOptions(cfg));
    // An 'error' without a pending query (e.g. server gone) must not crash the process.
    raw.on('error', () => { /* surfaced by the next query */ });
    try {
      await new Promise<void>((resolve, reject) => raw.connect((err) => (err ? reject(err) : resolve())));
      const c0 = new SourceConnection(raw, '');
      await c0.query("SET time_zone = '+00:00'");
      const rows = await c0.query<{ v: string }[]>('SELECT VERSION() AS v');
      return new SourceConnection(raw, String(rows[0]?.v ?? ''));
    } catch (err) {
      raw.destroy();
      throw wrapError(err, `cannot connect to ${cfg.host}:${cfg.port} as ${cfg.user}`);
    }
  }

  query<T = any>(sql: string, params?: unknown[]): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.raw.query({ sql, values: params as any }, (err, rows) => {
        if (err) reject(wrapError(err));
        else resolve(rows as T);
      });
    });
  }

  get isClosed(): boolean { return this.closed; }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.raw.end(() => resolve()));
    this.raw.destroy();
  }

  /** Drops the socket at once (e.g. after an aborted streaming query). */
  destroy(): void {
    this.closed = true;
    this.raw.destroy();
  }
}

export function openConnection(cfg: MySqlEndpointConfig): Promise<SourceConnection> {
  return SourceConnection.open(cfg);
}

export function wrapError(err: unknown, context?: string): Error {
  if (err instanceof MySqlSourceError) return err;
  const e = err as { message?: string; errno?: number; code?: string };
  const msg = e?.message ?? String(err);
  return new MySqlSourceError(context ? `${context}: ${msg}` : msg, { errno: e?.errno, code: e?.code, cause: err });
}

/** Backtick-quotes one identifier, doubling embedded backticks. */
export function quoteId(name: string): string {
  return '`' + String(name).replace(/`/g, '``') + '`';
}

/** `schema`.`table` */
export function quoteTable(schema: string, table: string): string {
  return `${quoteId(schema)}.${quoteId(table)}`;
}
