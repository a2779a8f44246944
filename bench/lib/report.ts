// Output of the benchmarks: a compact table on stdout and a section of BENCHMARKS.md.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './env.js';

export interface Machine {
  date: string;
  nproc: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  /** The source server, e.g. `MariaDB 11.4.2`. */
  source: string;
  commit: string;
  /** 1-minute load averages sampled every 5 s during the run (the machines are shared). */
  load: number[];
}

export function machine(sourceVersion: string, sourceName = 'MariaDB'): Machine {
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc;
  } catch { /* keep os.cpus() */ }
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['describe', '--always', '--dirty'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch { /* not a checkout */ }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    nproc,
    cpu: cpus()[0]?.model?.replace(/\s+/g, ' ').trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    source: `${sourceName} ${sourceVersion}`,
    commit,
    load: startLoadSampler(),
  };
}

function startLoadSampler(): number[] {
  const samples = [loadavg()[0]!];
  setInterval(() => samples.push(loadavg()[0]!), 5000).unref();
  return samples;
}

export function machineLine(m: Machine): string {
  const mean = m.load.reduce((a, b) => a + b, 0) / m.load.length;
  return `${m.date} · nproc ${m.nproc} (${m.cpu}) · ${m.memoryGiB} GiB · Node ${m.node} · ${m.source} · `
    + `dmslite ${m.commit} · 1-min load average during the run ${mean.toFixed(1)} (${Math.min(...m.load).toFixed(1)}–${Math.max(...m.load).toFixed(1)})`;
}

export type Row = string[];

/** Plain-text table for the terminal. */
export function textTable(header: Row, rows: Row[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: Row) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable(header: Row, rows: Row[]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

const HEADER = `# Benchmarks

\`npm run bench\` (= \`bench:full-load\` then \`bench:cdc\`) measures dmslite end to end against the raw
limits of its parts, measured in the same run on the same machine. Each benchmark starts its own
MariaDB, DynamoDB Local and kinesalite, the DMS API in the benchmark's process and the runner as a separate
process (\`node --import tsx handlers/runner.ts\`), whose peak RSS is its VmHWM. Each rewrites its
own section below (between its markers) with the figures of its last run. They are not part of \`npm test\`.

The machines are shared: every section gives the 1-minute load average seen during its run, and
figures taken at a load average well above \`nproc\` are noise-bound. Ratios compare figures of the
same run. Knobs (environment): \`BENCH_ROWS\`, \`BENCH_FORMATS\`, \`BENCH_RAW_PUT\` (full load);
\`BENCH_UPDATES\`, \`BENCH_INSERT_TXNS\`, \`BENCH_LATENCY_SECONDS\`, \`BENCH_LATENCY_RATE\`, \`BENCH_CDC_WRITERS\`,
\`BENCH_RAW_PUT\` (CDC); \`BENCH_NO_WRITE=1\` leaves this file alone; \`BENCH_RUNNER_NODE_ARGS\` passes node
flags to the runner, e.g. \`--cpu-prof --cpu-prof-dir=/tmp/prof\` to profile it.
`;

/** Replaces (or appends) the section between `<!-- bench:<id> -->` markers in BENCHMARKS.md. */
export function writeSection(id: string, markdown: string): string {
  const file = join(ROOT, 'BENCHMARKS.md');
  const begin = `<!-- bench:${id}:begin -->`;
  const end = `<!-- bench:${id}:end -->`;
  const block = `${begin}\n${markdown.trim()}\n${end}`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : HEADER;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) text = text.slice(0, i) + block + text.slice(j + end.length);
  else text = text.replace(/\s*$/, '\n\n') + block + '\n';
  writeFileSync(file, text);
  return file;
}

export const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
export const fmtRate = (n: number) => `${fmtInt(n)}/s`;
export const fmtRatio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '–');
export const fmtMs = (n: number) => `${n < 10 ? n.toFixed(1) : Math.round(n)} ms`;

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
