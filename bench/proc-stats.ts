/**
 * CPU time and memory of a process and its descendants, from /proc (Linux).
 * CPU is utime + stime (proc(5) fields 14 and 15), in clock ticks converted
 * with `getconf CLK_TCK`; threads are included, since /proc/<pid>/stat sums
 * them. Descendants are found through their ppid, so a system under test
 * that forks workers is measured whole.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second, from `getconf CLK_TCK` (100 on nearly every Linux). */
export const CLOCK_TICKS_PER_SECOND: number = (() => {
  try {
    const n = Number(
      execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()
    );
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

interface StatFields {
  ppid: number;
  cpuTicks: number;
}

/** Reads ppid and utime+stime of one pid; undefined when it has gone. */
function readStat(pid: number): StatFields | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm (field 2) may hold spaces and parentheses: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return {
    ppid: Number(rest[1]),
    cpuTicks: Number(rest[11]) + Number(rest[12]),
  };
}

/** `pid` and every live descendant. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const child = Number(entry);
    if (!Number.isInteger(child) || child <= 0) continue;
    const stat = readStat(child);
    if (stat === undefined) continue;
    const list = children.get(stat.ppid);
    if (list === undefined) children.set(stat.ppid, [child]);
    else list.push(child);
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    out.push(p);
    for (const c of children.get(p) ?? []) stack.push(c);
  }
  return out;
}

/** CPU seconds (user + system) used so far by `pid` and its descendants. */
export function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) ticks += readStat(p)?.cpuTicks ?? 0;
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/** Resident memory now and at its peak (VmRSS, VmHWM) in bytes, summed over the tree. */
export function memoryBytes(pid: number): { rss: number; peakRss: number } {
  let rss = 0;
  let peakRss = 0;
  for (const p of processTree(pid)) {
    let text: string;
    try {
      text = readFileSync(`/proc/${p}/status`, 'utf8');
    } catch {
      continue;
    }
    rss += Number(/^VmRSS:\s+(\d+) kB/m.exec(text)?.[1] ?? 0) * 1024;
    peakRss += Number(/^VmHWM:\s+(\d+) kB/m.exec(text)?.[1] ?? 0) * 1024;
  }
  return { rss, peakRss };
}

/** The CPU model name from /proc/cpuinfo. */
export function cpuModel(): string {
  try {
    return (
      /^model name\s*:\s*(.+)$/m
        .exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]
        ?.trim() ?? 'unknown'
    );
  } catch {
    return 'unknown';
  }
}
