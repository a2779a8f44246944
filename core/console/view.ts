import { tableLoadPercent as loadPercent } from '../model/load-progress.js';
import { METRIC_NAMES, pointValues, type MetricName, type MetricPoint } from '../observe/metrics.js';

// Pure presentation helpers shared by the browser console and `dmslite watch|status`.

export interface TableStat {
  SchemaName?: string;
  TableName?: string;
  TableState?: string;
  FullLoadRows?: number;
  Inserts?: number;
  Updates?: number;
  Deletes?: number;
  Ddls?: number;
  AppliedInserts?: number;
  AppliedUpdates?: number;
  AppliedDeletes?: number;
  FullLoadErrorRows?: number;
}

/** One table of the console API's GetTableEstimates. */
export interface TableEstimate {
  SchemaName: string;
  TableName: string;
  EstimatedRows?: number;
}

/** Estimates by `schema.table`. */
export function estimatesByTable(tables: TableEstimate[] | undefined): Map<string, number> {
  return new Map((tables ?? []).flatMap((t) => (t.EstimatedRows === undefined ? [] : [[`${t.SchemaName}.${t.TableName}`, t.EstimatedRows] as const])));
}

/**
 * A table's full-load progress in percent: 0 before its load, 100 once loaded, rows against the
 * catalog's estimate while loading; `null` (unknown share, rows so far shown) without an estimate.
 */
export function tableLoadPercent(s: TableStat, estimates?: Map<string, number>): number | null {
  return loadPercent({ TableState: s.TableState, FullLoadRows: s.FullLoadRows, estimatedRows: estimates?.get(`${s.SchemaName}.${s.TableName}`) });
}

export type MetricsNow = Record<MetricName, number> & { t: number };

/** The newest point, or null when the task has none yet. */
export function latestMetrics(points: MetricPoint[] | undefined): MetricsNow | null {
  const p = points?.[points.length - 1];
  return p ? pointValues(p) : null;
}

/** Columns for a chart: time, then one array per metric. */
export function metricColumns(points: MetricPoint[]): { t: number[] } & Record<MetricName, number[]> {
  const out = { t: points.map((p) => p[0]) } as { t: number[] } & Record<MetricName, number[]>;
  METRIC_NAMES.forEach((n, i) => (out[n] = points.map((p) => p[i + 1] ?? 0)));
  return out;
}

export function fmtSeconds(s: number): string {
  if (s < 10) return `${s.toFixed(2)} s`;
  if (s < 120) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function fmtRate(perSecond: number): string {
  return perSecond >= 1000 ? `${(perSecond / 1000).toFixed(1)}k rows/s` : `${perSecond.toFixed(perSecond < 10 ? 1 : 0)} rows/s`;
}

export function fmtCount(n: number | undefined): string {
  return (n ?? 0).toLocaleString('en-US');
}

/** Epoch seconds (DMS wire timestamps) → `YYYY-MM-DD HH:MM:SS` UTC. */
export function fmtTime(epochSeconds: number | undefined): string {
  if (epochSeconds === undefined) return '';
  return new Date(epochSeconds * 1000).toISOString().replace('T', ' ').slice(0, 19);
}

/** A text progress bar: `[#####.....]`. */
export function textBar(percent: number | null, width = 24, tick = 0): string {
  if (percent === null) {
    // Unknown share: a moving block shows that rows are being loaded.
    const pos = tick % width;
    return '[' + Array.from({ length: width }, (_, i) => (Math.abs(i - pos) <= 1 ? '=' : ' ')).join('') + ']';
  }
  const full = Math.round((Math.max(0, Math.min(100, percent)) / 100) * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

/** Last segment of an ARN. */
export function arnId(arn: string | undefined): string {
  return arn ? arn.split(':').pop()! : '';
}

/** Plain-text table: columns padded to their widest cell. */
export function textTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
