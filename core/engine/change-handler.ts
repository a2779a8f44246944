import { matchesSelection } from '../mapping/select.js';
import type { TablePlan } from '../mapping/plan.js';
import type { TableMappings } from '../mapping/types.js';
import type { CdcStop } from '../model/positions.js';
import { STOP_REASON, type TableStatsDoc } from '../model/task.js';
import type { SourceRow } from '../model/table.js';
import type { RecordFormatter, TransactionInfo } from '../record/formatter.js';
import type { KinesisRecord } from '../sink/kinesis/sink.js';
import type { ChangeEvent, SourcePosition, SourcePositions } from '../source/contract.js';
import { parseDdl } from './ddl.js';
import type { LobCheck } from './lob.js';
import type { AppliedCounts, CheckpointLedger } from './ledger.js';
import { tableKey } from './run-state.js';

// The change-event handler: source events → records of the tracked tables, handed to the ledger.
// It applies DDL (control records, plans following the table), the full-load-and-cdc skip rules
// (a table's changes up to its snapshot are in its loaded rows) and the CDC stop conditions.

export interface TrackedTable {
  plan: TablePlan;
  /** Rows of transactions starting before this position are already in the full load. */
  snapshot?: SourcePosition;
}

export interface ChangeHandlerOptions {
  positions: SourcePositions;
  formatter: RecordFormatter;
  ledger: CheckpointLedger;
  mappings: TableMappings;
  /** The table's plan for its current definition (null when it no longer exists). */
  planFor: (schema: string, table: string) => Promise<TablePlan | null>;
  /** Applies a change to one table's statistics. */
  stats: (schema: string, table: string, fn: (s: TableStatsDoc) => void) => void;
  /** KinesisSettings.IncludeTableAlterOperations. */
  includeAlterOperations: boolean;
  /** CdcStopPosition. */
  stopAt: CdcStop | null;
  /** StopTaskCachedChangesApplied: where the change log stood when the full load ended. */
  cachedUntil: SourcePosition | null;
  /** SQL dialect of the DDL text the source captures. */
  ddlDialect?: 'mysql' | 'postgres';
  /** A DDL of a tracked (or newly selected) table was captured: for the task log. */
  onDdlCaptured?: (text: string) => void;
  /** FailTasksOnLobTruncation's check (core/engine/lob.ts), when it applies. */
  lobCheck?: LobCheck | null;
  /** Row changes turned into records (one call per source rows event, for CDC metrics). */
  onCaptured?: (records: number, timestamp: number) => void;
  /** BeforeImageSettings: records of updates carry the before image. */
  beforeImages?: boolean;
}

type Counts = { inserts: number; updates: number; deletes: number; ddls: number };

export class ChangeEventHandler {
  readonly tracked = new Map<string, TrackedTable>();
  /** Set once the task must stop (a stop condition was met); no further event is handled. */
  stopReason: string | null = null;
  /** Set when the task must fail (nothing further is handled). */
  failure: Error | null = null;
  private readonly o: ChangeHandlerOptions;
  /** The last record emitted (its transaction id and record number): AWS's prev-transaction-* fields. */
  private prevId: string | null = null;
  private prevRecord = 0;
  private txn: { id: string; position: SourcePosition; record: number; counts: AppliedCounts | undefined } | null = null;

  constructor(o: ChangeHandlerOptions, tables: TrackedTable[]) {
    this.o = o;
    for (const t of tables) this.tracked.set(tableKey(t.plan.source.schema, t.plan.source.table), t);
  }

  /** Whether the stream should decode a table's rows (tracked, or selected and yet to be created). */
  includeTable = (schema: string, table: string): boolean =>
    this.tracked.has(tableKey(schema, table)) || matchesSelection(this.o.mappings, schema, table, 'table');

  /**
   * Whether updates of a table need their before image: for BeforeImageSettings, or to see a row
   * leave its filter. A table not tracked yet (created later) is given one to be safe.
   */
  updateBeforeImage = (schema: string, table: string): boolean => {
    if (this.o.beforeImages) return true;
    const t = this.tracked.get(tableKey(schema, table));
    return !t || t.plan.where !== null;
  };

  /** The definition rows of a table are decoded with. */
  tableDef = (schema: string, table: string) => this.tracked.get(tableKey(schema, table))?.plan.source ?? null;

  /** A reconnect: the stream starts again at a transaction boundary. */
  restart(): void {
    this.txn = null;
    this.o.ledger.abandonTransaction();
  }

  /** StopTaskCachedChangesApplied: stops once the read reaches where the log stood when the full load ended. */
  reached(position: SourcePosition): void {
    const until = this.o.cachedUntil;
    if (until && this.o.positions.compare(position, until) >= 0) this.stopReason ??= STOP_REASON.afterCachedEvents;
  }

  handle(e: ChangeEvent): Promise<void> | void {
    if (this.stopReason || this.failure) return;
    switch (e.kind) {
      case 'begin':
        return;
      case 'rows':
        return this.rows(e);
      case 'commit':
        return this.commit(e);
      case 'ddl':
        return this.ddl(e).then(() => this.reached(e.position));
      case 'heartbeat':
        // Progress without data: a checkpoint when no transaction is open.
        if (this.txn === null) void this.o.ledger.boundary(e.position);
        this.reached(e.position);
        return;
    }
  }

  private rows(e: Extract<ChangeEvent, { kind: 'rows' }>): void {
    const stopAt = this.o.stopAt;
    if (stopAt?.kind === 'commit_time' && e.timestamp > stopAt.epochSeconds) {
      // Changes committed after the stop time are not applied: stop before them, at the last commit.
      this.stopReason = STOP_REASON.atCommitTime;
      return;
    }
    const key = tableKey(e.schema, e.table);
    const t = this.tracked.get(key);
    if (!t) return;
    if (t.snapshot && this.o.positions.compare(e.position, t.snapshot) < 0) return;
    let txn = this.txn;
    if (!txn || txn.position !== e.position) {
      txn = this.txn = { id: e.transaction.transactionId, position: e.position, record: 0, counts: undefined };
      this.o.ledger.begin(e.position);
    }
    txn.counts ??= new Map();
    let c = txn.counts.get(key);
    if (!c) txn.counts.set(key, (c = { inserts: 0, updates: 0, deletes: 0, ddls: 0 }));
    const { plan } = t;
    const details = this.o.formatter.transactionDetails;
    const records: KinesisRecord[] = [];
    for (let i = 0; i < e.rows.length; i++) {
      const { before, after } = e.rows[i]!;
      const row = (e.op === 'delete' ? before : after) as SourceRow;
      if (this.o.lobCheck && e.op !== 'delete') {
        try {
          this.o.lobCheck(plan.source, row);
        } catch (err) {
          // Nothing of this transaction is written: the task fails at its last checkpoint.
          this.failure = err as Error;
          return;
        }
      }
      // An update that moves a row out of (or into) the filter is still one change of a row we track.
      if (!plan.matches(row) && !(e.op === 'update' && before && plan.matches(before))) continue;
      txn.record++;
      const info: TransactionInfo = {
        transactionId: txn.id,
        transactionRecordId: txn.record,
        commitTimestamp: e.timestamp,
        // Rendered only when the records carry it (IncludeTransactionDetails).
        streamPosition: details ? e.streamPosition(i) : null,
      };
      if (this.prevId !== null) {
        info.prevTransactionId = this.prevId;
        info.prevTransactionRecordId = this.prevRecord;
      }
      this.prevId = txn.id;
      this.prevRecord = txn.record;
      records.push(this.o.formatter.change(e.op, plan.target, plan.toTargetRow(row), before && e.op === 'update' ? plan.toTargetRow(before) : null, info));
    }
    if (records.length === 0) return;
    this.o.onCaptured?.(records.length, e.timestamp);
    if (e.op === 'insert') c.inserts += records.length;
    else if (e.op === 'update') c.updates += records.length;
    else c.deletes += records.length;
    const n = records.length;
    this.o.stats(e.schema, e.table, e.op === 'insert' ? (s) => { s.Inserts += n; } : e.op === 'update' ? (s) => { s.Updates += n; } : (s) => { s.Deletes += n; });
    void this.o.ledger.write(records);
  }

  private commit(e: Extract<ChangeEvent, { kind: 'commit' }>): void {
    const txn = this.txn;
    this.txn = null;
    void this.o.ledger.commit(e.position, txn?.id ?? e.transaction.transactionId, txn?.counts);
    const stopAt = this.o.stopAt;
    if (stopAt?.kind === 'commit_time' && e.timestamp >= stopAt.epochSeconds) this.stopReason = STOP_REASON.atCommitTime;
    this.reached(e.position);
  }

  private async ddl(e: Extract<ChangeEvent, { kind: 'ddl' }>): Promise<void> {
    const o = this.o;
    const ddl = parseDdl(e.sql, e.schema, this.o.ddlDialect ?? 'mysql');
    if (o.onDdlCaptured && ddl.tables.some((t) => this.tracked.has(tableKey(t.schema, t.table)) || (ddl.kind === 'create' && matchesSelection(o.mappings, t.schema, t.table, 'table')))) {
      o.onDdlCaptured(`DDL captured: ${ddl.kind} of ${ddl.tables.map((t) => `'${t.schema}'.'${t.table}'`).join(', ')} at '${e.position}'`);
    }
    const records: KinesisRecord[] = [];
    const applied: AppliedCounts = new Map();
    const counted = (schema: string, table: string, fn?: (s: TableStatsDoc) => void) => {
      o.stats(schema, table, (s) => {
        fn?.(s);
        s.Ddls += 1;
      });
      applied.set(tableKey(schema, table), { inserts: 0, updates: 0, deletes: 0, ddls: 1 } satisfies Counts);
    };
    for (let i = 0; i < ddl.tables.length; i++) {
      const { schema, table } = ddl.tables[i]!;
      const key = tableKey(schema, table);
      const t = this.tracked.get(key);
      if (t?.snapshot && o.positions.compare(e.position, t.snapshot) <= 0) {
        // Before the table's full-load snapshot: already in the loaded rows, so no record and no
        // count; the plan still follows the table's current definition.
        if (ddl.kind === 'alter') {
          const plan = await o.planFor(schema, table);
          if (plan) this.tracked.set(key, { plan, snapshot: t.snapshot });
        }
        continue;
      }
      if (ddl.kind === 'create') {
        if (t || !matchesSelection(o.mappings, schema, table, 'table')) continue;
        const plan = await o.planFor(schema, table);
        if (!plan) continue;
        this.tracked.set(key, { plan });
        records.push(o.formatter.control('create-table', plan.target));
        counted(schema, table, (s) => { s.TableState = 'Table completed'; });
        continue;
      }
      if (!t) {
        // A rename may bring a table into the selection.
        if (ddl.renamedTo?.[i]) await this.trackRenamed(ddl.renamedTo[i]!);
        continue;
      }
      if (ddl.kind === 'drop') {
        this.tracked.delete(key);
        continue;
      }
      if (ddl.kind === 'rename' || ddl.renamedTo) {
        this.tracked.delete(key);
        if (ddl.renamedTo?.[i]) await this.trackRenamed(ddl.renamedTo[i]!);
        if (ddl.kind === 'rename') continue;
      }
      counted(schema, table);
      if (ddl.kind === 'alter' && this.tracked.has(key)) {
        const plan = await o.planFor(schema, table);
        if (plan) this.tracked.set(key, { plan });
        if (o.includeAlterOperations && plan) {
          for (const op of ddl.operations) records.push(o.formatter.control(op, plan.target));
        }
      }
    }
    this.txn = null;
    // Control records use their own partition keys: they are acknowledged before later rows are
    // sent, so a consumer sees a table's new definition before its changes.
    await o.ledger.boundary(e.position, records, applied);
  }

  private async trackRenamed(to: { schema: string; table: string }): Promise<void> {
    if (!matchesSelection(this.o.mappings, to.schema, to.table, 'table')) return;
    const plan = await this.o.planFor(to.schema, to.table);
    if (plan) this.tracked.set(tableKey(to.schema, to.table), { plan });
  }
}
