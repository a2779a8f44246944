// CPU time of processes (utime + stime from /proc/<pid>/stat), to see which one is the bottleneck.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const TICKS = 100; // USER_HZ on Linux

export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS; // fields 14 and 15 of stat(5)
  } catch {
    return NaN;
  }
}

/** The pid of the private mariadbd (its pid file sits beside the datadir). */
export function mariadbPid(datadir: string): number | undefined {
  try {
    return Number(readFileSync(join(dirname(datadir), 'mysqld.pid'), 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

export interface CpuMeter {
  /** CPU seconds used by each process since start(). */
  stop(): Record<string, number>;
}

export function meterCpu(pids: Record<string, number | undefined>): CpuMeter {
  const start = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  return {
    stop: () => Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid) - start[k]!])),
  };
}
