/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The dmslite console: polls the DMS API (and dmslite's console reads) of the server that serves it,
// renders in place (no reload), and acts through the same public API.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { ApiError, AUTH_FAULTS, DmsliteClient } from '../../../core/console/client.js';
import type { KeyPair } from '../../../core/console/sigv4.js';
import { arnId, estimatesByTable, fmtCount, fmtRate, fmtSeconds, fmtTime, latestMetrics, metricColumns, tableLoadPercent, type TableEstimate, type TableStat } from '../../../core/console/view.js';
import type { MetricPoint } from '../../../core/observe/metrics.js';

type Doc = Record<string, any>;

const POLL_MS = 1500;
const KEYS = 'dmslite.keys';

const $ = (id: string) => document.getElementById(id)!;

function stored(): { keys?: KeyPair; region: string } {
  try {
    const v = JSON.parse(sessionStorage.getItem(KEYS) ?? 'null');
    if (v?.accessKeyId && v?.secretAccessKey) return { keys: { accessKeyId: v.accessKeyId, secretAccessKey: v.secretAccessKey }, region: v.region || 'us-east-1' };
  } catch {
    /* nothing stored */
  }
  return { region: 'us-east-1' };
}

const saved = stored();
const client = new DmsliteClient({ endpoint: location.origin, region: saved.region, keys: saved.keys });

// ---- tiny DOM helpers: text only (never HTML from data) ----

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

interface Column<T> {
  title: string;
  /** Cell text, refreshed on every poll. */
  text?: (row: T) => string;
  cls?: (row: T) => string;
  /** Cell content built once per row (e.g. buttons) and then refreshed with `update`. */
  build?: (row: T) => Node;
  update?: (cell: HTMLTableCellElement, row: T) => void;
  testid?: string;
}

/** Keyed table renderer: rows are updated in place so buttons and selection survive polls. */
function renderTable<T>(container: HTMLElement, columns: Column<T>[], rows: T[], key: (r: T) => string, opts: { empty: string; onRow?: (r: T) => void; selected?: string } = { empty: '' }) {
  if (rows.length === 0) {
    container.replaceChildren(el('p', { class: 'empty' }, opts.empty));
    return;
  }
  let table = container.querySelector('table');
  if (!table) {
    table = el('table', {}, el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', {}, c.title)))), el('tbody'));
    container.replaceChildren(table);
  }
  const tbody = table.tBodies[0];
  const existing = new Map<string, HTMLTableRowElement>();
  for (const tr of [...tbody.rows]) existing.set(tr.dataset.key!, tr);
  const order: HTMLTableRowElement[] = [];
  for (const r of rows) {
    const k = key(r);
    let tr = existing.get(k);
    if (!tr) {
      tr = el('tr', { 'data-key': k, 'data-testid': `row-${k}` });
      for (const c of columns) {
        const td = el('td', c.testid ? { 'data-testid': c.testid } : {});
        if (c.build) td.append(c.build(r));
        tr.append(td);
      }
      if (opts.onRow) {
        tr.classList.add('clickable');
        tr.addEventListener('click', (ev) => {
          if (!(ev.target instanceof HTMLButtonElement)) opts.onRow!(r);
        });
      }
    }
    existing.delete(k);
    columns.forEach((c, i) => {
      const td = tr!.cells[i];
      if (c.text) {
        const t = c.text(r);
        if (td.textContent !== t) td.textContent = t;
      }
      if (c.update) c.update(td, r);
      td.className = c.cls ? c.cls(r) : '';
    });
    tr.classList.toggle('selected', opts.selected === k);
    order.push(tr);
  }
  for (const tr of existing.values()) tr.remove();
  order.forEach((tr, i) => {
    if (tbody.rows[i] !== tr) tbody.insertBefore(tr, tbody.rows[i] ?? null);
  });
}

// ---- errors and signing ----

function showError(text: string | null) {
  const box = $('error');
  box.hidden = !text;
  box.textContent = text ?? '';
}

function needKeys(reason: string) {
  const form = $('login') as HTMLFormElement;
  if (form.hidden) {
    form.hidden = false;
    showError(`${reason}. Enter a key pair to sign the console's requests.`);
  }
}

($('login') as HTMLFormElement).addEventListener('submit', (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target as HTMLFormElement);
  const keys = { accessKeyId: String(f.get('accessKeyId')).trim(), secretAccessKey: String(f.get('secretAccessKey')).trim() };
  const region = String(f.get('region')).trim() || 'us-east-1';
  sessionStorage.setItem(KEYS, JSON.stringify({ ...keys, region }));
  client.keys = keys;
  client.region = region;
  ($('login') as HTMLFormElement).hidden = true;
  showError(null);
  void refresh();
});

/** Runs an action through the public API and shows its error as the API gave it. */
async function act(label: string, fn: () => Promise<unknown>) {
  try {
    await fn();
    showError(null);
  } catch (e) {
    const err = e as ApiError;
    showError(`${label} failed: ${err.code ?? 'Error'}: ${err.message}`);
    if (AUTH_FAULTS.has(err.code)) needKeys(err.message);
  }
  void refresh();
}

// ---- state ----

let selected: string | undefined;
let replicationsSupported = true;
const streams = new Map<string, { cursor?: Record<string, string>; records: Doc[] }>();
let charts: { arn: string; latency: uPlot; throughput: uPlot } | undefined;

function statusCell(status: string | undefined) {
  return `status status-${(status ?? '').replace(/[^a-z-]/g, '')}`;
}

function button(label: string, testid: string, onClick: () => void) {
  const b = el('button', { type: 'button', 'data-testid': testid }, label);
  b.addEventListener('click', onClick);
  return b;
}

// ---- sections ----

function renderTasks(tasks: Doc[]) {
  renderTable<Doc>(
    $('tasks'),
    [
      { title: 'Identifier', text: (t) => t.ReplicationTaskIdentifier, testid: 'task-id' },
      { title: 'Type', text: (t) => t.MigrationType },
      { title: 'Status', text: (t) => t.Status, cls: (t) => statusCell(t.Status), testid: 'task-status' },
      { title: 'Full load', text: (t) => `${t.ReplicationTaskStats?.FullLoadProgressPercent ?? 0} %`, cls: () => 'num' },
      { title: 'Tables loaded / loading / queued / errored', text: (t) => { const s = t.ReplicationTaskStats ?? {}; return `${s.TablesLoaded ?? 0} / ${s.TablesLoading ?? 0} / ${s.TablesQueued ?? 0} / ${s.TablesErrored ?? 0}`; } },
      { title: 'Stop reason', text: (t) => t.StopReason ?? '', testid: 'task-stop-reason' },
      { title: 'Last failure', text: (t) => t.LastFailureMessage ?? '', cls: () => 'failure', testid: 'task-failure' },
      {
        title: 'Actions',
        build: (t) =>
          el(
            'span',
            {},
            button('Start', `start-${t.ReplicationTaskIdentifier}`, () =>
              act('StartReplicationTask', () => client.dms('StartReplicationTask', { ReplicationTaskArn: t.ReplicationTaskArn, StartReplicationTaskType: 'start-replication' })),
            ),
            button('Resume', `resume-${t.ReplicationTaskIdentifier}`, () =>
              act('StartReplicationTask (resume-processing)', () => client.dms('StartReplicationTask', { ReplicationTaskArn: t.ReplicationTaskArn, StartReplicationTaskType: 'resume-processing' })),
            ),
            button('Stop', `stop-${t.ReplicationTaskIdentifier}`, () => act('StopReplicationTask', () => client.dms('StopReplicationTask', { ReplicationTaskArn: t.ReplicationTaskArn }))),
          ),
      },
    ],
    tasks,
    (t) => t.ReplicationTaskIdentifier,
    {
      empty: 'No replication tasks.',
      selected: tasks.find((t) => t.ReplicationTaskArn === selected)?.ReplicationTaskIdentifier,
      onRow: (t) => {
        selected = t.ReplicationTaskArn;
        void refresh();
      },
    },
  );
}

function renderInstances(items: Doc[]) {
  renderTable<Doc>(
    $('instances'),
    [
      { title: 'Identifier', text: (i) => i.ReplicationInstanceIdentifier },
      { title: 'Class', text: (i) => i.ReplicationInstanceClass ?? '' },
      { title: 'Engine version', text: (i) => i.EngineVersion ?? '' },
      { title: 'Status', text: (i) => i.ReplicationInstanceStatus ?? '', cls: (i) => statusCell(i.ReplicationInstanceStatus) },
      { title: 'Created', text: (i) => fmtTime(i.InstanceCreateTime) },
    ],
    items,
    (i) => i.ReplicationInstanceIdentifier,
    { empty: 'No replication instances.' },
  );
}

/** What an endpoint points at; never its password or secret contents. */
function endpointTarget(e: Doc): string {
  if (e.KinesisSettings?.StreamArn) return e.KinesisSettings.StreamArn;
  const s = e.MySQLSettings ?? e.PostgreSQLSettings ?? {};
  if (s.SecretsManagerSecretId ?? e.SecretsManagerSecretId) return `secret ${s.SecretsManagerSecretId ?? e.SecretsManagerSecretId}`;
  const host = e.ServerName ?? s.ServerName;
  const port = e.Port ?? s.Port;
  const user = e.Username ?? s.Username;
  return host ? `${user ? `${user}@` : ''}${host}${port ? `:${port}` : ''}${e.DatabaseName ? `/${e.DatabaseName}` : ''}` : '';
}

function renderEndpoints(items: Doc[]) {
  renderTable<Doc>(
    $('endpoints'),
    [
      { title: 'Identifier', text: (e) => e.EndpointIdentifier },
      { title: 'Type', text: (e) => String(e.EndpointType ?? '').toLowerCase() },
      { title: 'Engine', text: (e) => e.EngineName ?? '' },
      { title: 'Points at', text: endpointTarget },
      { title: 'Status', text: (e) => e.Status ?? '', cls: (e) => statusCell(e.Status) },
    ],
    items,
    (e) => e.EndpointIdentifier,
    { empty: 'No endpoints.' },
  );
}

function renderReplications(items: Doc[] | null) {
  if (items === null) {
    $('replications').replaceChildren(el('p', { class: 'empty' }, 'This dmslite does not implement DMS Serverless replications (DescribeReplications).'));
    return;
  }
  renderTable<Doc>(
    $('replications'),
    [
      { title: 'Config identifier', text: (r) => r.ReplicationConfigIdentifier ?? arnId(r.ReplicationConfigArn) },
      { title: 'Type', text: (r) => r.ReplicationType ?? '' },
      { title: 'Status', text: (r) => r.Status ?? '', cls: (r) => statusCell(r.Status) },
      { title: 'Full load', text: (r) => `${r.ReplicationStats?.FullLoadProgressPercent ?? 0} %`, cls: () => 'num' },
      { title: 'Stop reason', text: (r) => r.StopReason ?? '' },
      { title: 'Failure', text: (r) => (r.FailureMessages ?? []).join('\n'), cls: () => 'failure' },
    ],
    items,
    (r) => r.ReplicationConfigArn,
    { empty: 'No serverless replications.' },
  );
}

function renderTableStats(task: Doc, stats: TableStat[], estimates: Map<string, number>) {
  renderTable<TableStat>(
    $('tables'),
    [
      { title: 'Schema', text: (s) => s.SchemaName ?? '' },
      { title: 'Table', text: (s) => s.TableName ?? '', testid: 'table-name' },
      { title: 'State', text: (s) => s.TableState ?? '', testid: 'table-state' },
      {
        title: 'Full load',
        testid: 'table-progress',
        build: () => el('span', {}, el('span', { class: 'bar' }, el('i')), el('span')),
        update: (td, s) => {
          const p = tableLoadPercent(s, estimates);
          const bar = td.querySelector('i') as HTMLElement;
          bar.style.width = `${p ?? 50}%`;
          bar.style.opacity = p === null ? '0.5' : '1';
          const label = td.querySelector('span > span:last-child')!;
          const t = p === null ? `${fmtCount(s.FullLoadRows)} rows…` : `${p} % (${fmtCount(s.FullLoadRows)} rows)`;
          if (label.textContent !== t) label.textContent = t;
        },
      },
      { title: 'Inserts', text: (s) => fmtCount(s.Inserts), cls: () => 'num', testid: 'table-inserts' },
      { title: 'Updates', text: (s) => fmtCount(s.Updates), cls: () => 'num', testid: 'table-updates' },
      { title: 'Deletes', text: (s) => fmtCount(s.Deletes), cls: () => 'num' },
      { title: 'DDLs', text: (s) => fmtCount(s.Ddls), cls: () => 'num' },
      { title: 'Applied (I/U/D)', text: (s) => `${fmtCount(s.AppliedInserts)} / ${fmtCount(s.AppliedUpdates)} / ${fmtCount(s.AppliedDeletes)}`, cls: () => 'num' },
      {
        title: '',
        build: (s) =>
          button('Reload', `reload-${s.SchemaName}.${s.TableName}`, () =>
            act('ReloadTables', () =>
              client.dms('ReloadTables', { ReplicationTaskArn: task.ReplicationTaskArn, TablesToReload: [{ SchemaName: s.SchemaName, TableName: s.TableName }], ReloadOption: 'data-reload' }),
            ),
          ),
      },
    ],
    stats,
    (s) => `${s.SchemaName}.${s.TableName}`,
    { empty: 'No table statistics yet.' },
  );
}

function chartOptions(title: string, series: { label: string; stroke: string }[], width: number): uPlot.Options {
  return {
    title,
    width,
    height: 180,
    scales: { x: { time: true } },
    axes: [{}, { size: 50 }],
    series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 1.5, points: { show: false } }))],
  };
}

function renderCharts(task: Doc, points: MetricPoint[]) {
  const cols = metricColumns(points);
  const latencyData: uPlot.AlignedData = [cols.t, cols.CDCLatencySource, cols.CDCLatencyTarget];
  const throughputData: uPlot.AlignedData = [cols.t, cols.CDCThroughputRowsSource, cols.CDCThroughputRowsTarget, cols.FullLoadThroughputRowsTarget];
  if (!charts || charts.arn !== task.ReplicationTaskArn) {
    charts?.latency.destroy();
    charts?.throughput.destroy();
    const w = Math.max(280, ($('chart-latency').parentElement!.clientWidth || 500) - 4);
    charts = {
      arn: task.ReplicationTaskArn,
      latency: new uPlot(chartOptions('', [{ label: 'CDCLatencySource', stroke: '#0b6bcb' }, { label: 'CDCLatencyTarget', stroke: '#c4320a' }], w), latencyData, $('chart-latency')),
      throughput: new uPlot(
        chartOptions('', [{ label: 'CDCThroughputRowsSource', stroke: '#0b6bcb' }, { label: 'CDCThroughputRowsTarget', stroke: '#c4320a' }, { label: 'FullLoadThroughputRowsTarget', stroke: '#067647' }], w),
        throughputData,
        $('chart-throughput'),
      ),
    };
  } else {
    charts.latency.setData(latencyData);
    charts.throughput.setData(throughputData);
  }
}

function renderSummary(task: Doc, points: MetricPoint[]) {
  const m = latestMetrics(points);
  const s = task.ReplicationTaskStats ?? {};
  const fig = (label: string, value: string, testid: string) => el('div', { 'data-testid': testid }, el('b', {}, value), label);
  $('detail-summary').replaceChildren(
    el(
      'div',
      { class: 'figures' },
      fig('status', task.Status, 'detail-status'),
      fig('full load', `${s.FullLoadProgressPercent ?? 0} %`, 'detail-progress'),
      fig('CDC latency source', m ? fmtSeconds(m.CDCLatencySource) : '–', 'metric-latency-source'),
      fig('CDC latency target', m ? fmtSeconds(m.CDCLatencyTarget) : '–', 'metric-latency-target'),
      fig('incoming changes', m ? fmtCount(m.CDCIncomingChanges) : '–', 'metric-incoming'),
      fig('CDC throughput (target)', m ? fmtRate(m.CDCThroughputRowsTarget) : '–', 'metric-throughput'),
      fig('full-load throughput', m ? fmtRate(m.FullLoadThroughputRowsTarget) : '–', 'metric-full-load'),
    ),
  );
}

function renderRecords(records: Doc[]) {
  const box = $('records');
  if (records.length === 0) {
    box.replaceChildren(el('p', { class: 'empty' }, 'No records in the last minute.'));
    return;
  }
  box.replaceChildren(
    ...[...records].reverse().map((r) => {
      let head = `${r.PartitionKey}`;
      let text = r.Data as string;
      try {
        const rec = JSON.parse(text) as { data?: unknown; control?: unknown; metadata?: Record<string, string> };
        const m = rec.metadata ?? {};
        head = `${m['record-type'] ?? ''} ${m.operation ?? ''} ${m['schema-name'] ?? ''}.${m['table-name'] ?? ''} · ${m.timestamp ?? ''}`;
        text = JSON.stringify(rec.data ?? rec.control ?? rec);
      } catch {
        /* not JSON: shown as is */
      }
      return el('div', { class: 'record', title: r.Data }, el('div', { class: 'meta' }, `${head} · key ${r.PartitionKey} · ${r.ShardId.replace('shardId-', 'shard ')}`), el('pre', {}, text));
    }),
  );
}

async function renderDetail(tasks: Doc[]) {
  const task = tasks.find((t) => t.ReplicationTaskArn === selected);
  $('detail').hidden = !task;
  if (!task) return;
  $('detail-title').textContent = task.ReplicationTaskIdentifier;
  const arn = task.ReplicationTaskArn;
  const stream = streams.get(arn) ?? { records: [] };
  streams.set(arn, stream);
  // The stream is read on its own: catching up on a stream being loaded can take seconds, and the
  // statistics must not wait for it.
  readStream(arn, stream);
  const [stats, metrics, log, estimates] = await Promise.all([
    client.dms<{ TableStatistics?: TableStat[] }>('DescribeTableStatistics', { ReplicationTaskArn: arn, MaxRecords: 500 }).catch((e: ApiError) => {
      // Before a task ever ran, AWS has no statistics to show.
      if (e.code === 'InvalidResourceStateFault') return { TableStatistics: [] };
      throw e;
    }),
    client.console<{ Points: MetricPoint[] }>('GetTaskMetrics', { ReplicationTaskArn: arn }),
    client.console<{ Available: boolean; Lines: string[] }>('GetTaskLogTail', { ReplicationTaskArn: arn, MaxLines: 200 }),
    client.console<{ Tables: TableEstimate[] }>('GetTableEstimates', { ReplicationTaskArn: arn }),
  ]);
  if (selected !== arn) return;
  renderSummary(task, metrics.Points);
  renderTableStats(task, stats.TableStatistics ?? [], estimatesByTable(estimates.Tables));
  renderCharts(task, metrics.Points);
  const logBox = $('log');
  const logText = log.Available ? log.Lines.join('\n') || '(no log lines: the task logs when its settings have Logging.EnableLogging true)' : '(task logs are not kept by this dmslite)';
  if (logBox.textContent !== logText) {
    const atEnd = logBox.scrollTop + logBox.clientHeight >= logBox.scrollHeight - 4;
    logBox.textContent = logText;
    if (atEnd) logBox.scrollTop = logBox.scrollHeight;
  }
  if (!streamReads.has(arn)) renderRecords(stream.records);
}

/** Target stream reads in flight, by task: one at a time per task. */
const streamReads = new Map<string, Promise<void>>();

function readStream(arn: string, stream: { cursor?: Record<string, string>; records: Doc[] }): void {
  if (streamReads.has(arn)) return;
  const read = client
    .console<{ Records: Doc[]; Cursor: Record<string, string> }>('GetStreamRecords', { ReplicationTaskArn: arn, Limit: 20, ...(stream.cursor ? { Cursor: stream.cursor } : {}) })
    .then(
      (recs) => {
        stream.cursor = recs.Cursor;
        stream.records = [...stream.records, ...recs.Records].slice(-20);
        if (selected === arn) renderRecords(stream.records);
      },
      // An unreadable stream (deleted, emulator down) leaves the panel as it was; the next poll retries.
      () => undefined,
    )
    .finally(() => streamReads.delete(arn));
  streamReads.set(arn, read);
}

// ---- polling ----

let refreshing: Promise<void> | undefined;
let again = false;

async function load(): Promise<void> {
  const [tasks, instances, endpoints] = await Promise.all([
    client.describeAll<Doc>('DescribeReplicationTasks', 'ReplicationTasks', { WithoutSettings: true }),
    client.describeAll<Doc>('DescribeReplicationInstances', 'ReplicationInstances'),
    client.describeAll<Doc>('DescribeEndpoints', 'Endpoints'),
  ]);
  let replications: Doc[] | null = null;
  if (replicationsSupported) {
    try {
      replications = await client.describeAll<Doc>('DescribeReplications', 'Replications');
    } catch (e) {
      if ((e as ApiError).code !== 'UnknownOperationException') throw e;
      replicationsSupported = false;
    }
  }
  tasks.sort((a, b) => String(a.ReplicationTaskIdentifier).localeCompare(String(b.ReplicationTaskIdentifier)));
  if (!selected || !tasks.some((t) => t.ReplicationTaskArn === selected)) {
    selected = (tasks.find((t) => t.Status === 'running') ?? tasks[0])?.ReplicationTaskArn;
  }
  renderTasks(tasks);
  renderInstances(instances);
  renderEndpoints(endpoints);
  renderReplications(replications);
  await renderDetail(tasks);
  $('conn').textContent = `${location.host} · ${client.keys ? `signed as ${client.keys.accessKeyId}` : 'unsigned'} · updated ${new Date().toLocaleTimeString()}`;
}

function refresh(): Promise<void> {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = load()
    .catch((e: ApiError) => {
      if (AUTH_FAULTS.has(e.code)) needKeys(`${e.code}: ${e.message}`);
      else $('conn').textContent = `${location.host} · ${e.code}: ${e.message}`;
    })
    .finally(() => {
      refreshing = undefined;
      if (again) {
        again = false;
        void refresh();
      }
    });
  return refreshing;
}

void refresh();
setInterval(() => void refresh(), POLL_MS);
