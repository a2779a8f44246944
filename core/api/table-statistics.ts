// Table statistics and table reloads, shared by provisioned tasks (DescribeTableStatistics,
// ReloadTables) and DMS Serverless replications (DescribeReplicationTableStatistics,
// ReloadReplicationTables): the same stored documents, filters, paging and reload checks.
import type { TableToReload } from '@aws-sdk/client-database-migration-service';
import type { TableStatsDoc, TaskDoc } from '../model/task.js';

type ReloadRequest = NonNullable<TaskDoc['_reloads']>[number];
import { mutate, tableStatsKey, tableStatsPk, type Stored } from '../state/resources.js';
import type { ApiContext } from './context.js';
import { compileFilters, maxRecords, page, publicView, type Filter } from './describe.js';
import { mapStored } from './endpoints.js';
import { InvalidParameterValueException } from '../model/errors.js';

const tableStatsFilters = {
  'schema-name': (s: TableStatsDoc) => s.SchemaName,
  'table-name': (s: TableStatsDoc) => s.TableName,
  'table-state': (s: TableStatsDoc) => s.TableState,
};

/** One page of a task's or replication's table statistics (MaxRecords 20–500, default 100). */
export async function tableStatisticsPage(
  ctx: ApiContext,
  arn: string,
  input: { Filters?: readonly Filter[]; Marker?: string; MaxRecords?: number },
): Promise<{ TableStatistics: ReturnType<typeof publicView<TableStatsDoc>>[]; Marker?: string }> {
  const match = compileFilters(input.Filters, tableStatsFilters);
  const result = await page<TableStatsDoc>(
    (after) => mapStored(ctx.table.query<TableStatsDoc>(tableStatsPk(arn), after)),
    match,
    input.Marker,
    maxRecords(input.MaxRecords, { min: 20, max: 500, def: 100 }),
  );
  return { TableStatistics: result.items.map((s) => publicView(s)), ...(result.marker ? { Marker: result.marker } : {}) };
}

/** TablesToReload as AWS bounds it: 1 to 10 tables a call. */
export function checkTablesToReload(tables: TableToReload[]): void {
  if (tables.length === 0) throw new InvalidParameterValueException('TablesToReload must list at least one table');
  if (tables.length > 10) throw new InvalidParameterValueException('At most 10 tables can be reloaded at a time');
}

/** The reload requests the runner picks up, after those already pending. */
export function queueReloads(pending: ReloadRequest[] | undefined, tables: TableToReload[], option: string): ReloadRequest[] {
  return [...(pending ?? []), ...tables.map((t) => ({ schema: t.SchemaName!, table: t.TableName!, option }))];
}

/** Each reloaded table's statistics show it is being reloaded until the runner starts on it. */
export async function markReloading(ctx: ApiContext, arn: string, tables: TableToReload[]): Promise<void> {
  for (const t of tables) {
    await mutate<TableStatsDoc>(ctx.table, tableStatsKey(arn, t.SchemaName!, t.TableName!), (cur) =>
      cur ? [{ kind: 'put', key: cur.key, doc: { ...cur.doc, TableState: 'Table is being reloaded' }, ifVersion: cur.version }] : null,
    );
  }
}

/** A task's or replication's table statistics, deleted with it. */
export async function deleteTableStatistics(ctx: ApiContext, arn: string): Promise<void> {
  const stats: Stored<unknown>[] = await ctx.table.all(tableStatsPk(arn));
  for (let i = 0; i < stats.length; i += 25) {
    await Promise.all(stats.slice(i, i + 25).map((s) => ctx.table.write([{ kind: 'delete', key: s.key }]).catch(() => undefined)));
  }
}
