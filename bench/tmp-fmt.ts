import { createRecordFormatter, mysqlTransactionIdText } from '../core/record/formatter.js';
import { buildTablePlan, parseTableMappings } from '../core/mapping/index.js';
import type { ColumnDef, SourceRow, TableDef } from '../core/model/table.js';
const column = (name: string, dataType: string, extra: Partial<ColumnDef> = {}): ColumnDef => ({ name, dataType, columnType: dataType, unsigned: false, nullable: true, charMaxLength: null, numericPrecision: null, numericScale: null, datetimePrecision: null, collation: null, ...extra });
const items: TableDef = { schema: 'bench', table: 'items', columns: [column('id', 'bigint', { nullable: false }), column('qty', 'int', { nullable: false }), column('name', 'varchar', { charMaxLength: 64 }), column('created', 'datetime'), column('amount', 'decimal', { columnType: 'decimal(12,2)', numericPrecision: 12, numericScale: 2 }), column('ratio', 'double'), column('flag', 'tinyint'), column('code', 'varchar', { charMaxLength: 16 })], primaryKey: ['id'], collation: 'utf8mb4_general_ci' };
function row(id: number): SourceRow { return { id, qty: id, name: `name-${id}-${'x'.repeat(id % 24)}`, created: '2024-01-01 00:00:00', amount: (((id * 37) % 10000000) / 100).toFixed(2), ratio: id / 7, flag: (id % 256) - 128, code: `c${id}` }; }
const mappings = parseTableMappings(JSON.stringify({ rules: [{ 'rule-type': 'selection', 'rule-id': '1', 'rule-name': '1', 'object-locator': { 'schema-name': 'bench', 'table-name': '%' }, 'rule-action': 'include' }] }));
const f = createRecordFormatter({ kinesis: { MessageFormat: 'json' }, taskResourceId: 'BENCHTASK', parallelApply: false, beforeImage: null });
const plan = buildTablePlan(mappings, items);
const N = 200_000; const rows = Array.from({ length: N }, (_, i) => row(i + 1));
for (let round = 0; round < 4; round++) {
  let t = process.cpuUsage(); let n = 0;
  for (let i = 0; i < N; i++) n += f.load(plan.target, plan.toTargetRow(rows[i]!)).data.length;
  const a = process.cpuUsage(t); t = process.cpuUsage();
  for (let i = 0; i < N; i++) n += f.change('update', plan.target, plan.toTargetRow(rows[i]!), null, { transactionId: mysqlTransactionIdText('mysql-bin.000001', 1000 + i * 300), transactionRecordId: 1, commitTimestamp: 1700000000, streamPosition: null, prevTransactionId: '123', prevTransactionRecordId: 1 }).data.length;
  const b = process.cpuUsage(t);
  console.log(`load ${((a.user + a.system) / N).toFixed(2)} µs  change ${((b.user + b.system) / N).toFixed(2)} µs`, n > 0);
}
