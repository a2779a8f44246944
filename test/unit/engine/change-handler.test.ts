import { describe, expect, it } from 'vitest';
import { ChangeEventHandler, type TrackedTable } from '../../../core/engine/change-handler.js';
import { CheckpointLedger, type Checkpoint } from '../../../core/engine/ledger.js';
import { tableKey } from '../../../core/engine/run-state.js';
import { buildTablePlan, parseTableMappings } from '../../../core/mapping/index.js';
import type { CdcStop } from '../../../core/model/positions.js';
import { newTableStats, STOP_REASON, type TableStatsDoc } from '../../../core/model/task.js';
import type { SourceRow, TableDef } from '../../../core/model/table.js';
import { createRecordFormatter } from '../../../core/record/formatter.js';
import type { ChangeEvent } from '../../../core/source/contract.js';
import { col, doc, sel, tableDef } from '../mapping/helpers.js';
import { FakeSink, fakePositions, flush } from './fakes.js';

// The change-event handler driven by synthetic events, with a real ledger over a fake sink.

const mappings = parseTableMappings(doc(sel('app', '%')));
const items = (...extra: string[]): TableDef => tableDef('app', 'items', [col('id'), col('name', 'varchar'), ...extra.map((c) => col(c))], ['id']);

function setup(opts: { tables?: TrackedTable[]; stopAt?: CdcStop; cachedUntil?: string; defs?: Map<string, TableDef> } = {}) {
  const sink = new FakeSink();
  const checkpoints: Checkpoint[] = [];
  const stats = new Map<string, TableStatsDoc>();
  const ledger = new CheckpointLedger({ sink, positions: fakePositions, onCheckpoint: (c) => checkpoints.push(c) });
  const defs = opts.defs ?? new Map([['app\u0000items', items()]]);
  const handler = new ChangeEventHandler(
    {
      positions: fakePositions,
      formatter: createRecordFormatter({
        kinesis: { MessageFormat: 'json-unformatted', IncludeTransactionDetails: true, IncludeTableAlterOperations: true },
        taskResourceId: 'TASK',
        parallelApply: false,
        beforeImage: null,
        clock: () => 'T',
      }),
      ledger,
      mappings,
      planFor: async (schema, table) => {
        const d = defs.get(tableKey(schema, table));
        return d ? buildTablePlan(mappings, d) : null;
      },
      stats: (schema, table, fn) => {
        const key = tableKey(schema, table);
        if (!stats.has(key)) stats.set(key, newTableStats(schema, table, 0));
        fn(stats.get(key)!);
      },
      includeAlterOperations: true,
      stopAt: opts.stopAt ?? null,
      cachedUntil: opts.cachedUntil ?? null,
    },
    opts.tables ?? [{ plan: buildTablePlan(mappings, items()) }],
  );
  const records = () =>
    sink.texts().map((t) => JSON.parse(t) as { data: Record<string, unknown>; metadata: Record<string, unknown>; control?: unknown });
  const ops = () => records().map((r) => `${r.metadata.operation}:${r.metadata['table-name']}${r.data?.id !== undefined ? ':' + String(r.data.id) : ''}`);
  return { sink, ledger, handler, checkpoints, stats, records, ops, defs, at: () => checkpoints.map((c) => c.position) };
}

let now = 1_700_000_000;
function txn(id: string, position: string) {
  const transaction = { transactionId: id, commitTimestamp: now };
  return {
    begin: (): ChangeEvent => ({ kind: 'begin', position, transaction }),
    rows: (op: 'insert' | 'update' | 'delete', rows: SourceRow[], table = 'items', timestamp = now): ChangeEvent => ({
      kind: 'rows',
      op,
      schema: 'app',
      table,
      rows: rows.map((r) => (op === 'delete' ? { before: r, after: null } : { before: op === 'update' ? r : null, after: r })),
      position,
      streamPosition: (i) => `${position}:${i}`,
      transaction,
      timestamp,
    }),
    commit: (at: string, timestamp = now): ChangeEvent => ({ kind: 'commit', position: at, transaction, timestamp }),
  };
}

async function feed(h: ChangeEventHandler, events: ChangeEvent[]): Promise<void> {
  for (const e of events) await h.handle(e);
}

describe('ChangeEventHandler', () => {
  it('rows of tracked tables become records with transaction details; the commit checkpoints once they are in', async () => {
    const s = setup();
    const t1 = txn('11', '1.100');
    await feed(s.handler, [t1.begin(), t1.rows('insert', [{ id: 1, name: 'a' }, { id: 2, name: 'b' }]), t1.rows('insert', [{ id: 9 }], 'other'), t1.commit('1.200')]);
    expect(s.ops()).toEqual(['insert:items:1', 'insert:items:2']);
    const meta = s.records().map((r) => [r.metadata['transaction-id'], r.metadata['transaction-record-id'], r.metadata['stream-position']]);
    expect(meta).toEqual([[11, 1, '1.100:0'], [11, 2, '1.100:1']]);
    expect(s.at()).toEqual([]);
    await s.sink.ackAll();
    expect(s.at()).toEqual(['1.200']);
    expect(s.stats.get('app\u0000items')).toMatchObject({ Inserts: 2 });
  });

  it('full-load-and-cdc: changes of transactions before a table snapshot are skipped for that table only', async () => {
    const s = setup({
      tables: [{ plan: buildTablePlan(mappings, items()), snapshot: '1.500' }],
    });
    s.sink.autoAck = true;
    const old = txn('1', '1.300');
    const later = txn('2', '1.500');
    await feed(s.handler, [old.begin(), old.rows('update', [{ id: 1, name: 'in the snapshot' }]), old.commit('1.400')]);
    await feed(s.handler, [later.begin(), later.rows('update', [{ id: 1, name: 'after' }]), later.commit('1.600')]);
    await flush();
    expect(s.ops()).toEqual(['update:items:1']);
    expect(s.records()[0]!.data.name).toBe('after');
    expect(s.at()).toEqual(['1.400', '1.600']);
  });

  it('DDL between rows: control records are acknowledged before later rows, which follow the new definition', async () => {
    const s = setup();
    const t1 = txn('1', '1.100');
    await feed(s.handler, [t1.begin(), t1.rows('insert', [{ id: 1, name: 'a' }]), t1.commit('1.200')]);
    s.defs.set('app\u0000items', items('extra'));
    const ddl = s.handler.handle({ kind: 'ddl', schema: 'app', sql: 'ALTER TABLE items ADD COLUMN extra int', position: '1.300', timestamp: now });
    await flush();
    expect(s.ops()).toEqual(['insert:items:1', 'add-column:items']);
    let ddlDone = false;
    void Promise.resolve(ddl).then(() => (ddlDone = true));
    await flush();
    expect(ddlDone).toBe(false); // the reader waits for the control record
    await s.sink.ackAll();
    expect(ddlDone).toBe(true);
    const t2 = txn('2', '1.300');
    await feed(s.handler, [t2.begin(), t2.rows('insert', [{ id: 2, name: 'b', extra: 5 }]), t2.commit('1.400')]);
    await s.sink.ackAll();
    expect(s.ops()).toEqual(['insert:items:1', 'add-column:items', 'insert:items:2']);
    expect(s.records()[2]!.data).toEqual({ id: 2, name: 'b', extra: 5 });
    expect(s.at()).toEqual(['1.200', '1.300', '1.400']);
    expect(s.stats.get('app\u0000items')).toMatchObject({ Inserts: 2, Ddls: 1 });
  });

  it('CREATE TABLE of a selected table announces and tracks it; DROP stops tracking', async () => {
    const s = setup();
    s.sink.autoAck = true;
    s.defs.set('app\u0000fresh', tableDef('app', 'fresh', [col('id')], ['id']));
    await s.handler.handle({ kind: 'ddl', schema: 'app', sql: 'CREATE TABLE fresh (id int primary key)', position: '1.100', timestamp: now });
    const t = txn('1', '1.100');
    await feed(s.handler, [t.begin(), t.rows('insert', [{ id: 7 }], 'fresh'), t.commit('1.200')]);
    await s.handler.handle({ kind: 'ddl', schema: 'app', sql: 'DROP TABLE fresh', position: '1.300', timestamp: now });
    const t2 = txn('2', '1.300');
    await feed(s.handler, [t2.begin(), t2.rows('insert', [{ id: 8 }], 'fresh'), t2.commit('1.400')]);
    await flush();
    expect(s.ops()).toEqual(['create-table:fresh', 'insert:fresh:7']);
  });

  it('a stop position (commit_time) inside a transaction stops before it, at the last commit', async () => {
    const s = setup({ stopAt: { kind: 'commit_time', epochSeconds: now + 10 } });
    s.sink.autoAck = true;
    const t1 = txn('1', '1.100');
    const t2 = txn('2', '1.200');
    await feed(s.handler, [t1.begin(), t1.rows('insert', [{ id: 1 }], 'items', now + 5), t1.commit('1.200', now + 5)]);
    expect(s.handler.stopReason).toBeNull();
    await feed(s.handler, [t2.begin(), t2.rows('insert', [{ id: 2 }], 'items', now + 20), t2.rows('insert', [{ id: 3 }], 'items', now + 20), t2.commit('1.300', now + 20)]);
    await flush();
    expect(s.handler.stopReason).toBe(STOP_REASON.atCommitTime);
    expect(s.ops()).toEqual(['insert:items:1']);
    expect(s.at()).toEqual(['1.200']);
  });

  it('restart from a mid-transaction checkpoint: the transaction is read again whole and checkpointed once', async () => {
    const s = setup();
    const t1 = txn('1', '1.100');
    const t2 = txn('2', '1.200');
    await feed(s.handler, [t1.begin(), t1.rows('insert', [{ id: 1 }]), t1.commit('1.200'), t2.begin(), t2.rows('insert', [{ id: 2 }])]);
    await s.sink.ackAll();
    expect(s.at()).toEqual(['1.200']);
    expect(s.ledger.openTransaction).toBe('1.200');
    // The source went away before t2 committed; the stream restarts at the checkpoint.
    s.handler.restart();
    expect(s.ledger.openTransaction).toBeNull();
    await feed(s.handler, [{ kind: 'heartbeat', position: '1.200' }, t2.begin(), t2.rows('insert', [{ id: 2 }, { id: 3 }]), t2.commit('1.300')]);
    await s.sink.ackAll();
    expect(s.ops()).toEqual(['insert:items:1', 'insert:items:2', 'insert:items:2', 'insert:items:3']);
    expect(s.at()).toEqual(['1.200', '1.200', '1.300']);
  });

  it('heartbeats checkpoint only outside transactions; StopTaskCachedChangesApplied stops where the log stood', async () => {
    const s = setup({ cachedUntil: '1.500' });
    s.sink.autoAck = true;
    const t = txn('1', '1.100');
    await feed(s.handler, [t.begin(), t.rows('insert', [{ id: 1 }]), { kind: 'heartbeat', position: '1.150' }]);
    await flush();
    expect(s.at()).toEqual([]);
    await feed(s.handler, [t.commit('1.200'), { kind: 'heartbeat', position: '1.300' }]);
    await flush();
    expect(s.at()).toEqual(['1.200', '1.300']);
    expect(s.handler.stopReason).toBeNull();
    await s.handler.handle({ kind: 'heartbeat', position: '1.500' });
    expect(s.handler.stopReason).toBe(STOP_REASON.afterCachedEvents);
  });

  it('a filtered update still counts when the row moves out of the filter', async () => {
    const filtered = parseTableMappings(doc(sel('app', 'items', 'include', { filters: [{ 'filter-type': 'source', 'column-name': 'id', 'filter-conditions': [{ 'filter-operator': 'lte', value: '10' }] }] })));
    const s = setup({ tables: [{ plan: buildTablePlan(filtered, items()) }] });
    s.sink.autoAck = true;
    const t = txn('1', '1.100');
    const update: ChangeEvent = { ...(t.rows('update', []) as Extract<ChangeEvent, { kind: 'rows' }>), rows: [{ before: { id: 5, name: 'x' }, after: { id: 50, name: 'x' } }, { before: { id: 60 }, after: { id: 61 } }] };
    await feed(s.handler, [t.begin(), update, t.commit('1.200')]);
    await flush();
    expect(s.ops()).toEqual(['update:items:50']);
  });

  it('asks the source for update before images only where they are used', () => {
    const filtered = parseTableMappings(doc(sel('app', 'items', 'include', { filters: [{ 'filter-type': 'source', 'column-name': 'id', 'filter-conditions': [{ 'filter-operator': 'lte', value: '10' }] }] })));
    const plain = setup();
    expect(plain.handler.updateBeforeImage('app', 'items')).toBe(false);
    // A table not tracked yet (it may be created later and match a rule): keep them.
    expect(plain.handler.updateBeforeImage('app', 'other')).toBe(true);
    // A row filter needs the before image to see a row leave it.
    expect(setup({ tables: [{ plan: buildTablePlan(filtered, items()) }] }).handler.updateBeforeImage('app', 'items')).toBe(true);
  });
});
