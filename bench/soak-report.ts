/**
 * The soak's plan and verdict (`npm run bench -- --soak=SECONDS`, issue
 * #11 item 7): how a soak of a given length is cut into report intervals,
 * and whether RSS and p99 latency stayed flat after warm-up. Pure, so the
 * rules are unit-tested apart from the minutes a soak takes.
 */

/** Share of the load a soak offers, of the capacity measured first. */
export const SOAK_LOAD_SHARE = 0.8;
/** How far a post-warm-up interval may stray from the reference (±). */
export const SOAK_FLAT_TOLERANCE = 0.1;
/** Intervals a soak of up to ten minutes is cut into; longer ones report each minute. */
const SOAK_INTERVALS_UP_TO_10_MIN = 10;
const MAX_INTERVAL_S = 60;
/** The first two intervals (two minutes of a ten-minute soak) are warm-up. */
const WARMUP_INTERVALS = 2;
const MIN_CAPACITY_S = 10;
const MAX_CAPACITY_S = 30;

export interface SoakPlan {
  durationS: number;
  intervalS: number;
  intervals: number;
  warmupIntervals: number;
  /** Length of the closed-loop run that measures capacity before the soak. */
  capacityS: number;
}

/** Cuts a soak of `durationS` seconds into report intervals (each minute from ten minutes on). */
export function planSoak(durationS: number): SoakPlan {
  if (!Number.isFinite(durationS) || durationS < SOAK_INTERVALS_UP_TO_10_MIN)
    throw new Error(
      `cannot plan a soak of ${durationS} s: want at least ${SOAK_INTERVALS_UP_TO_10_MIN} s`
    );
  const intervalS = Math.min(
    MAX_INTERVAL_S,
    durationS / SOAK_INTERVALS_UP_TO_10_MIN
  );
  return {
    durationS,
    intervalS,
    intervals: Math.round(durationS / intervalS),
    warmupIntervals: WARMUP_INTERVALS,
    capacityS: Math.min(
      MAX_CAPACITY_S,
      Math.max(MIN_CAPACITY_S, Math.round(durationS / 20))
    ),
  };
}

/** Whether a series of per-interval figures stayed inside ±tolerance of its median. */
export interface Flatness {
  /** The median of the values judged. */
  reference: number;
  /** Largest deviations below and above the reference, as signed shares (-0.04, +0.07). */
  lowest: number;
  highest: number;
  isFlat: boolean;
}

/**
 * Judges `values` (the post-warm-up intervals) against their median: flat
 * when every one is within ±`tolerance` of it. The median, not the first
 * interval, is the reference, so one noisy interval is not taken as the
 * baseline for all the others.
 */
export function judgeFlatness(
  values: readonly number[],
  tolerance = SOAK_FLAT_TOLERANCE
): Flatness {
  if (values.length === 0)
    throw new Error('cannot judge flatness: no interval after warm-up');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const reference =
    sorted.length % 2 === 1
      ? sorted[mid]!
      : (sorted[mid - 1]! + sorted[mid]!) / 2;
  if (reference <= 0)
    return { reference, lowest: 0, highest: 0, isFlat: false };
  const lowest = sorted[0]! / reference - 1;
  const highest = sorted[sorted.length - 1]! / reference - 1;
  return {
    reference,
    lowest,
    highest,
    isFlat: lowest >= -tolerance && highest <= tolerance,
  };
}

/** One interval of a soak as reported. */
export interface SoakInterval {
  index: number;
  endS: number;
  requests: number;
  okRequests: number;
  acceptedSamples: number;
  latencyMsP50: number;
  latencyMsP99: number;
  rssMeanBytes: number;
  rssMaxBytes: number;
  behindMs: number;
  /** CPU seconds the gateway used in the interval (utime + stime). */
  cpuS: number;
  /** The machine's 1-minute load average at the interval's end (others' work included). */
  loadAverage: number;
}

export interface SoakVerdict {
  rss: Flatness;
  p99: Flatness;
  /** Every request of the soak answered 2xx. */
  isAllAccepted: boolean;
  isPass: boolean;
}

/** RSS (interval means) and p99 after warm-up, both flat; and nothing refused. */
export function judgeSoak(
  intervals: readonly SoakInterval[],
  warmupIntervals: number
): SoakVerdict {
  const judged = intervals.slice(warmupIntervals);
  const rss = judgeFlatness(judged.map(i => i.rssMeanBytes));
  const p99 = judgeFlatness(judged.map(i => i.latencyMsP99));
  const isAllAccepted = intervals.every(i => i.okRequests === i.requests);
  return {
    rss,
    p99,
    isAllAccepted,
    isPass: rss.isFlat && p99.isFlat && isAllAccepted,
  };
}

const MIB = 1024 * 1024;

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

function share(x: number): string {
  return `${x >= 0 ? '+' : '−'}${fmt(Math.abs(x) * 100, 1)}%`;
}

/** The per-interval table, warm-up rows marked. */
export function renderSoakTable(
  intervals: readonly SoakInterval[],
  plan: SoakPlan
): string {
  const lines = [
    '| interval | ends at s | requests 2xx/sent | samples/s | p50 ms | **p99 ms** | **RSS mean MiB** | RSS max MiB | schedule behind ms | gateway CPU % | machine load (1 min) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const i of intervals) {
    const warm = i.index < plan.warmupIntervals ? ' (warm-up)' : '';
    lines.push(
      `| ${i.index + 1}${warm} | ${fmt(i.endS)} | ${fmt(i.okRequests)}/${fmt(i.requests)} | ${fmt(i.acceptedSamples / plan.intervalS)} | ${fmt(i.latencyMsP50, 1)} | **${fmt(i.latencyMsP99, 1)}** | **${fmt(i.rssMeanBytes / MIB)}** | ${fmt(i.rssMaxBytes / MIB)} | ${fmt(i.behindMs)} | ${fmt((100 * i.cpuS) / plan.intervalS)} | ${fmt(i.loadAverage, 1)} |`
    );
  }
  return lines.join('\n');
}

/** The PASS/FAIL lines, with the figures behind them. */
export function renderSoakVerdict(verdict: SoakVerdict): string {
  const line = (what: string, f: Flatness, unit: string, scale = 1): string =>
    `- ${what} after warm-up: median ${fmt(f.reference / scale, 1)} ${unit}, intervals ${share(f.lowest)} … ${share(f.highest)} of it → ${f.isFlat ? 'flat' : 'NOT flat'} (±${fmt(SOAK_FLAT_TOLERANCE * 100)}%)`;
  return [
    line('RSS (interval mean)', verdict.rss, 'MiB', MIB),
    line('p99 latency', verdict.p99, 'ms'),
    `- every request answered 2xx: ${verdict.isAllAccepted ? 'yes' : 'NO'}`,
    `- **soak ${verdict.isPass ? 'PASS' : 'FAIL'}**`,
  ].join('\n');
}
