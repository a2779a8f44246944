// Full-load progress from the source catalog's row estimates (Source.estimateRows): rows loaded
// against the estimated rows of the tables to load. AWS documents FullLoadProgressPercent only as
// "the percent complete for the full load migration task" and bases it on estimated row counts too;
// DescribeTableStatistics has no estimate, so the per-table figure is dmslite's (console API).
// Shared by the engine (ReplicationTaskStats) and the console and `dmslite watch` (per table).

export interface TableLoad {
  TableState?: string;
  FullLoadRows?: number;
  /** The catalog's estimate when the full load started; undefined or null when it had none. */
  estimatedRows?: number | null;
}

const DONE = new Set(['Table completed', 'Table error']);
const LOADING = new Set(['Full load', 'Table is being reloaded']);

/**
 * One table's progress in percent: 0 before its load, 100 once loaded, rows against the estimate
 * while loading (at most 99: an estimate may be low); null while loading without an estimate.
 */
export function tableLoadPercent(s: TableLoad): number | null {
  if (s.TableState && DONE.has(s.TableState)) return 100;
  if (!s.TableState || !LOADING.has(s.TableState)) return 0;
  const est = s.estimatedRows;
  if (est === undefined || est === null || est <= 0) return (s.FullLoadRows ?? 0) > 0 ? null : 0;
  return Math.min(99, Math.floor((100 * (s.FullLoadRows ?? 0)) / est));
}

/**
 * The task's progress over the tables of its full load: rows loaded against the rows expected (a done
 * table: the rows it had; otherwise the larger of estimate and rows so far). Null when a table still
 * to load has no estimate (the caller then counts tables).
 */
export function rowsLoadPercent(tables: TableLoad[]): number | null {
  let loaded = 0;
  let expected = 0;
  for (const t of tables) {
    const rows = t.FullLoadRows ?? 0;
    if (t.TableState && DONE.has(t.TableState)) {
      loaded += rows;
      expected += rows;
      continue;
    }
    if (t.estimatedRows === undefined || t.estimatedRows === null) return null;
    loaded += LOADING.has(t.TableState ?? '') ? rows : 0;
    expected += Math.max(t.estimatedRows, rows);
  }
  if (expected === 0) return null;
  return Math.min(99, Math.floor((100 * loaded) / expected));
}
