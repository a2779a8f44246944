// The engine-neutral source contract (Debezium's split: snapshot source, streaming source, offset
// context). core/engine depends only on this file; MySQL/MariaDB and PostgreSQL implement it, and
// core/source/registry.ts maps an endpoint's EngineName to its implementation.
//
// Changed from the draft (issue 8, stage 1):
// - `rows.streamPosition` is a function of the row's index in the event (AWS's MySQL stream-position
//   names the row inside its rows event); a source whose positions are per event ignores the index.
// - `Source.listSchemas()` (RefreshSchemas) and `SourceEngine` / `SourceRegistry` (what the runner
//   and the API are given; they never name an implementation) were added.
// - `SourcePositions.resumeFromLegacy` was not added: old persisted MySQL progress (cdcFile/cdcPosition)
//   is upgraded in core/model/task.ts.
// - `PositionUnavailableError`: what `ChangeStream.start` / `onError` / `assertReadable` throw when the
//   start position is gone (fails the task instead of reconnecting).
// - `formatCheckpoint`'s transactionId is optional (a start or a DDL has none).
// - `Source.estimateRows` (FullLoadProgressPercent and the per-table progress of the console and watch).
// - `begin` events are sent before the first row a reader delivers of each transaction (MySQL: rows of
//   untracked tables are not decoded, so a transaction with none of them has only its commit).
import type { SourceEndpointConnection } from '../model/endpoint-connection.js';
import type { SourceRow, TableDef } from '../model/table.js';

/**
 * A position in the source's change log, in its serialised form: what is stored in the state
 * table and compared through `SourcePositions.compare` (never by string order).
 * MySQL: `mysql-bin.000003:1234`; PostgreSQL: an LSN `0/16B3748`.
 */
export type SourcePosition = string;

/** What a source knows about its positions: the only place positions are parsed or compared. */
export interface SourcePositions {
  /** < 0 when a is before b, 0 when equal, > 0 after. */
  compare(a: SourcePosition, b: SourcePosition): number;
  /**
   * A user's `CdcStartPosition` (native position, or a checkpoint string from RecoveryCheckpoint)
   * → a start, or a time to resolve with `Source.positionAt`. Throws InvalidParameterValueException
   * with AWS's message when the text is not a position of this engine.
   */
  parseStart(text: string): { kind: 'position'; position: SourcePosition } | { kind: 'time'; epochSeconds: number };
  /**
   * AWS's checkpoint string for RecoveryCheckpoint (accepted back by parseStart). `transactionId` is
   * that of the last transaction before the position; without one (a start, a DDL) the source derives one.
   */
  formatCheckpoint(position: SourcePosition, seq: number, transactionId?: string): string;
}

/** A table as listed by the catalog. */
export interface SourceTableRef {
  schema: string;
  table: string;
  tableType: 'table' | 'view';
}

export interface PrerequisiteIssue {
  /** Server setting or privilege concerned, e.g. `binlog_format`, `wal_level`, `REPLICATION`. */
  variable: string;
  actual: string;
  required: string;
  /** Names the setting, its value and what is required (used as LastFailureMessage). */
  message: string;
}

export interface PrerequisiteReport {
  failures: PrerequisiteIssue[];
  warnings: PrerequisiteIssue[];
}

/** A WHERE fragment built by the caller from quoted identifiers (`quoteIdentifier`) and placeholders. */
export interface SnapshotWhere {
  /** Boolean SQL expression; placeholders are `?` and are translated by the source if it needs to. */
  sql: string;
  params: unknown[];
}

export interface SnapshotReadOptions {
  /** Rows per onRows call (default 1000). */
  batchSize?: number;
  /** Stops between batches when aborted. */
  signal?: AbortSignal;
  /** Reads only this partition (or subpartition) of the table, as listed by `SnapshotSession.partitions`. */
  partition?: string;
}

/** One partition of a table and its subpartitions, in definition order. */
export interface SourcePartition {
  name: string;
  subpartitions: string[];
}

/** One consistent snapshot of the source: every table read through it sees the same state. */
export interface SnapshotSession {
  /** Change-log position matching the snapshot: changes after it are not in what it reads. */
  readonly position: SourcePosition;
  /** True when `position` is exactly the snapshot's; false when changes near it may be seen twice. */
  readonly exact: boolean;
  /** Re-reads a table's definition inside the snapshot (null when it no longer exists). */
  describeTable(schema: string, table: string): Promise<TableDef | null>;
  /**
   * The table's partitions as the snapshot sees them (empty when not partitioned). Absent for engines
   * that cannot read one partition (table-settings partitions-* then load the table as one segment).
   */
  partitions?(def: TableDef): Promise<SourcePartition[]>;
  /** Streams the rows of a table (optionally filtered) with back-pressure; returns the row count. */
  readTable(def: TableDef, where: SnapshotWhere | null, onRows: (rows: SourceRow[]) => Promise<void>, opts?: SnapshotReadOptions): Promise<number>;
  close(): Promise<void>;
}

/** Values the record formatter writes for every change of one transaction. */
export interface TransactionMeta {
  /** AWS's `transaction-id` (MySQL: (file number << 32) | offset; PostgreSQL: the xid). */
  transactionId: string;
  /** Epoch seconds of the commit (or of the change when the commit time is not known yet). */
  commitTimestamp: number;
}

/** Typed change events, in source order. Row events come in batches (one binlog rows event, one WAL message run). */
export type ChangeEvent =
  | { kind: 'begin'; position: SourcePosition; transaction: TransactionMeta }
  | {
      kind: 'rows';
      op: 'insert' | 'update' | 'delete';
      schema: string;
      table: string;
      rows: { before: SourceRow | null; after: SourceRow | null }[];
      /** Resume point replaying this transaction (its start). */
      position: SourcePosition;
      /** AWS's `stream-position` of row `rowIndex` of this event. */
      streamPosition: (rowIndex: number) => string;
      transaction: TransactionMeta;
      /** Epoch seconds of the change. */
      timestamp: number;
    }
  | { kind: 'commit'; position: SourcePosition; transaction: TransactionMeta; timestamp: number }
  | { kind: 'ddl'; schema: string; sql: string; position: SourcePosition; timestamp: number }
  /** Progress without data (rotation, heartbeat, keepalive): a safe position when nothing is in flight. */
  | { kind: 'heartbeat'; position: SourcePosition };

export interface ChangeStreamOptions {
  /** Where to start reading (inclusive of a transaction starting there). */
  from: SourcePosition;
  /** Cheap pre-filter; rows of other tables need not be decoded. */
  includeTable?: (schema: string, table: string) => boolean;
  /** Current table definition for decoding (MySQL needs it; PostgreSQL gets it from the stream). */
  tableDef?: (schema: string, table: string) => TableDef | null;
  /**
   * Whether an update's before image is used (BeforeImageSettings, a row filter); when false the
   * source may deliver `before: null` for updates and save decoding it. Default: always used.
   */
  updateBeforeImage?: (schema: string, table: string) => boolean;
  /**
   * Called for each event, one at a time; the stream reads no further while the promise is pending
   * (back-pressure). Resolve quickly when possible.
   */
  onEvent: (e: ChangeEvent) => Promise<void> | void;
  /** Called at most once; the stream is stopped after it. */
  onError: (err: Error) => void;
  /** Replica identity unique per reader (MySQL server_id, PostgreSQL slot name). */
  readerId: string;
}

export interface ChangeStream {
  /** Resolves once streaming started; rejects when `from` is not available (purged, unknown). */
  start(): Promise<void>;
  /**
   * Everything up to `position` is safely in the target: the source may release it
   * (PostgreSQL confirms the slot's flush LSN; MySQL has nothing to release).
   */
  acknowledge(position: SourcePosition): void;
  /** Stops; resolves once no onEvent call is in flight. */
  stop(): Promise<void>;
}

/** One endpoint's source: what the engine, TestConnection and RefreshSchemas use. */
export interface Source {
  readonly engine: 'mysql' | 'postgres';
  readonly positions: SourcePositions;
  /** The endpoint's FailTasksOnLobTruncation (PostgreSQL): a LOB over LobMaxSize fails the task (core/engine/lob.ts). */
  readonly failTasksOnLobTruncation?: boolean;
  /** Server version string, for logs. */
  version(): Promise<string>;
  /** User schemas (system schemas left out), sorted: RefreshSchemas. */
  listSchemas(): Promise<string[]>;
  listTables(schemas?: string[]): Promise<SourceTableRef[]>;
  describeTable(schema: string, table: string): Promise<TableDef | null>;
  /**
   * The catalog's estimate of a table's row count (MySQL information_schema.TABLES.TABLE_ROWS,
   * PostgreSQL pg_class.reltuples), read once per table at the start of its load for progress
   * reporting; null when the catalog has none (PostgreSQL: never analyzed).
   */
  estimateRows(schema: string, table: string): Promise<number | null>;
  /** AWS's source prerequisites; `cdc` adds those of change capture. */
  checkPrerequisites(opts: { cdc: boolean }): Promise<PrerequisiteReport>;
  /** The end of the change log now. */
  currentPosition(): Promise<SourcePosition>;
  /** CdcStartTime → the position of the first change at or after it; throws a clear error when the source cannot. */
  positionAt(epochSeconds: number): Promise<SourcePosition>;
  /** Throws a clear error when reading from `position` is impossible (binlog purged, WAL removed, slot gone). */
  assertReadable(position: SourcePosition): Promise<void>;
  openSnapshot(): Promise<SnapshotSession>;
  changes(opts: ChangeStreamOptions): ChangeStream;
  /**
   * Starts keeping the change log for `readerId` from now on, before a fresh task's full load or first
   * read (PostgreSQL: creates its replication slot, or checks the one SlotName names); returns the
   * position from which changes are kept. Sources whose log is kept anyway (MySQL) leave it out.
   * A later `changes()` whose retained log is gone (slot dropped) fails instead of starting afresh.
   * `restart`: the task starts over (not a resume): a log kept for an earlier run is released and
   * kept afresh from now (PostgreSQL: the task's slot is dropped and recreated).
   */
  retainChanges?(readerId: string, opts?: { restart?: boolean }): Promise<SourcePosition>;
  /** Releases source-side resources a task created (PostgreSQL: its replication slot) when the task is deleted. */
  dropTaskResources?(readerId: string): Promise<void>;
  /** Quotes an identifier for a WHERE fragment. */
  quoteIdentifier(name: string): string;
  close(): Promise<void>;
}

/** The start position of a change stream is no longer (or never was) in the source's log. */
export class PositionUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PositionUnavailableError';
  }
}

/** One engine family: its positions (usable without a connection, e.g. to validate API input) and its sources. */
export interface SourceEngine {
  readonly positions: SourcePositions;
  /** A source for one endpoint; connects lazily (the first call that needs the server fails if it cannot). */
  open(endpoint: SourceEndpointConnection): Source;
}

/** EngineName → engine family; null for engines dmslite cannot migrate from. */
export interface SourceRegistry {
  forEngine(engineName: string): SourceEngine | null;
  /** The EngineNames that have a source, for messages. */
  readonly engineNames: readonly string[];
}
