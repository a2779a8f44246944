// In-process measure of the engine's CDC path against its full-load path, on the same rows:
// `npm run bench:cdc-engine` (BENCH_EVENTS, BENCH_ROUNDS, BENCH_ACK_MS); to profile,
// `node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/cdc-engine.ts`.
//
// CDC: the real runCdc (change-event handler, checkpoint ledger, record formatter, the Kinesis sink
// with one ordered lane) fed by the MySQL adapter (binlogToChangeEvents) with N single-row UPDATE
// transactions of bench/cdc.ts's `items` shape, delivered one at a time as the binlog reader does.
// Full load: the same rows mapped, formatted (formatter.load) and written in 1,000-row batches to
// the same kind of sink. The sink's PutRecords client acknowledges every call on the next turn of
// the event loop (no network): what is measured is the runner's own CPU per event and per row.
import type { PutRecordsCommandInput, PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { runCdc } from '../core/engine/cdc.js';
import type { RunContext } from '../core/engine/context.js';
import { RunState } from '../core/engine/run-state.js';
import { buildTablePlan, parseTableMappings } from '../core/mapping/index.js';
import type { ColumnDef, SourceRow, TableDef } from '../core/model/table.js';
import type { TaskDoc } from '../core/model/task.js';
import { NO_TASK_LOG } from '../core/observe/task-log.js';
import { createRecordFormatter } from '../core/record/formatter.js';
import { defaultTaskSettings, effectiveSettings } from '../core/settings/index.js';
import { createKinesisSink, type KinesisRecord } from '../core/sink/kinesis/index.js';
import type { ChangeStreamOptions, Source } from '../core/source/contract.js';
import type { BinlogEvent } from '../core/source/mysql/binlog.js';
import { binlogToChangeEvents, mysqlEngine } from '../core/source/mysql/source.js';

const N = Number(process.env.BENCH_EVENTS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SCHEMA = 'bench';
/** BENCH_ACK_MS: how long a PutRecords call takes (0: the next turn of the event loop). A real
 * one-shard stream takes tens of ms, so calls carry hundreds of records. */
const ACK_MS = Number(process.env.BENCH_ACK_MS ?? 0);

const column = (name: string, dataType: string, extra: Partial<ColumnDef> = {}): ColumnDef => ({
  name, dataType, columnType: dataType, unsigned: false, nullable: true, charMaxLength: null,
  numericPrecision: null, numericScale: null, datetimePrecision: null, collation: null, ...extra,
});
const items: TableDef = {
  schema: SCHEMA,
  table: 'items',
  columns: [
    column('id', 'bigint', { nullable: false }),
    column('qty', 'int', { nullable: false }),
    column('name', 'varchar', { charMaxLength: 64, collation: 'utf8mb4_general_ci', nullable: false }),
    column('created', 'datetime', { nullable: false }),
    column('amount', 'decimal', { columnType: 'decimal(12,2)', numericPrecision: 12, numericScale: 2 }),
    column('ratio', 'double'),
    column('flag', 'tinyint'),
    column('code', 'varchar', { charMaxLength: 16, collation: 'utf8mb4_general_ci' }),
  ],
  primaryKey: ['id'],
  collation: 'utf8mb4_general_ci',
};

/** Row `id` in the canonical form both readers produce (bench/cdc.ts's values). */
function row(id: number, qty: number): SourceRow {
  const created = new Date(Date.UTC(2024, 0, 1) + id * 1000).toISOString().slice(0, 19).replace('T', ' ');
  return { id, qty, name: `name-${id}-${'x'.repeat(id % 24)}`, created, amount: (((id * 37) % 10000000) / 100).toFixed(2), ratio: id / 7, flag: (id % 256) - 128, code: id % 10 === 0 ? null : `c${id.toString(16).toUpperCase()}` };
}

/** A PutRecords client that accepts every record on the next turn of the event loop. */
const client = {
  putRecords(input: PutRecordsCommandInput): Promise<PutRecordsCommandOutput> {
    const n = input.Records!.length;
    const answer = (resolve: (o: PutRecordsCommandOutput) => void) => () => resolve({
      $metadata: { httpStatusCode: 200 },
      FailedRecordCount: 0,
      Records: Array.from({ length: n }, () => ({ SequenceNumber: '1', ShardId: 'shardId-000000000000' })),
    });
    return new Promise((resolve) => (ACK_MS > 0 ? setTimeout(answer(resolve), ACK_MS) : setImmediate(answer(resolve))));
  },
};

const mappings = parseTableMappings(JSON.stringify({ rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': '1', 'object-locator': { 'schema-name': SCHEMA, 'table-name': '%' }, 'rule-action': 'include' }] }));
const formatter = () => createRecordFormatter({ kinesis: { MessageFormat: 'json' }, taskResourceId: 'BENCHTASK', parallelApply: false, beforeImage: null });
const rows = Array.from({ length: N }, (_, i) => row(i + 1, i));
const updated = Array.from({ length: N }, (_, i) => ({ ...rows[i]!, qty: i + 1, code: `u${(i + 1) % 1000}` }));

/** N single-row UPDATE transactions through runCdc; resolves with CPU µs per event. */
async function cdcRound(): Promise<number> {
  const stop = new AbortController();
  let delivered = 0;
  let acked = 0;
  const source = {
    engine: 'mysql',
    positions: mysqlEngine.positions,
    checkPrerequisites: async () => ({ failures: [], warnings: [] }),
    assertReadable: async () => undefined,
    currentPosition: async () => 'mysql-bin.000001:4',
    describeTable: async () => items,
    changes(opts: ChangeStreamOptions) {
      const translate = binlogToChangeEvents(opts.onEvent);
      let stopped = false;
      // The binlog reader's delivery: one event at a time (awaited), yielding every 5 ms.
      const run = async () => {
        let since = Date.now();
        let pos = 4;
        const deliver = async (e: BinlogEvent) => {
          if (Date.now() - since > 5) {
            await new Promise((r) => setImmediate(r));
            since = Date.now();
          }
          await translate(e);
        };
        for (let i = 0; i < N && !stopped; i++) {
          const start = pos;
          pos += 300;
          await deliver({ kind: 'rows', op: 'update', schema: SCHEMA, table: 'items', rows: [{ before: rows[i]!, after: updated[i]! }], position: { file: 'mysql-bin.000001', position: start }, eventIndex: 1, timestamp: 1_700_000_000 + i / 1000 | 0 });
          await deliver({ kind: 'commit', position: { file: 'mysql-bin.000001', position: pos }, timestamp: 1_700_000_000 + i / 1000 | 0, xid: String(i) });
          delivered++;
        }
      };
      let done: Promise<void> = Promise.resolve();
      return {
        start: async () => { done = run(); },
        acknowledge: () => undefined,
        stop: async () => { stopped = true; await done; },
      };
    },
  } as unknown as Source;
  const sink = createKinesisSink({ client, streamName: 'bench' });
  const changeSink = createKinesisSink({ client, streamName: 'bench', maxInFlight: 1 });
  const task = { ReplicationTaskArn: 'arn:aws:dms:us-east-1:000000000000:task:BENCHTASK', MigrationType: 'cdc', CdcStartPosition: 'mysql-bin.000001:4' } as TaskDoc;
  const state = new RunState({}, [], Date.now() / 1000);
  const ctx: RunContext = {
    env: { task, source: {} as never, sourceEngine: mysqlEngine, kinesis: { MessageFormat: 'json', StreamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/bench' }, now: () => Date.now() / 1000 },
    state,
    settings: effectiveSettings(defaultTaskSettings()),
    mappings,
    formatter: formatter(),
    sink,
    changeSink,
    source,
    signal: stop.signal,
    now: () => Date.now() / 1000,
    log: NO_TASK_LOG,
  };
  const before = process.cpuUsage();
  const run = runCdc(ctx, [buildTablePlan(mappings, items)]);
  // Done once every update is acknowledged (AppliedUpdates counts acknowledged changes).
  while (acked < N) {
    await new Promise((r) => setTimeout(r, 5));
    acked = state.tables.get(`${SCHEMA}\u0000items`)?.AppliedUpdates ?? 0;
  }
  const used = process.cpuUsage(before);
  stop.abort();
  await run;
  if (delivered !== N) throw new Error(`delivered ${delivered} of ${N}`);
  return (used.user + used.system) / N;
}

/** The same rows as a full load: mapped, formatted, written 1,000 at a time; CPU µs per row. */
async function fullLoadRound(): Promise<number> {
  const sink = createKinesisSink({ client, streamName: 'bench' });
  const plan = buildTablePlan(mappings, items);
  const f = formatter();
  const before = process.cpuUsage();
  const writes: Promise<void>[] = [];
  for (let from = 0; from < N; from += 1000) {
    const batch: KinesisRecord[] = [];
    for (let i = from; i < Math.min(N, from + 1000); i++) batch.push(f.load(plan.target, plan.toTargetRow(rows[i]!)));
    writes.push(sink.write(batch));
    // The snapshot reader hands over 1,000 rows per turn.
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(writes);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / N;
}

async function main(): Promise<void> {
  const cdc: number[] = [];
  const fl: number[] = [];
  // BENCH_ONLY=cdc (or full-load) runs one side only, for a profile of it alone.
  const only = process.env.BENCH_ONLY;
  for (let r = 0; r < ROUNDS; r++) {
    fl.push(only === 'cdc' ? NaN : await fullLoadRound());
    cdc.push(only === 'full-load' ? NaN : await cdcRound());
    process.stderr.write(`round ${r + 1}: CDC ${cdc[r]!.toFixed(1)} µs/event, full load ${fl[r]!.toFixed(1)} µs/row\n`);
  }
  const range = (xs: number[]) => `${Math.min(...xs).toFixed(1)} – ${Math.max(...xs).toFixed(1)}`;
  const ratio = cdc.map((c, i) => c / fl[i]!);
  console.log(`| engine CPU per CDC event vs per full-load row (${N.toLocaleString('en')} events, ${ROUNDS} rounds) | ${range(cdc)} | ${range(fl)} | ${range(ratio)}× |`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
