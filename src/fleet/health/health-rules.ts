/**
 * The rules that make a cluster degraded, one function each, and the
 * hysteresis that keeps a reason from flapping. Each rule is a condition
 * over already-windowed numbers and returns the reason with its numbers in
 * the message, or undefined.
 *
 * | code                          | raised when (evaluated every few seconds)                                                  |
 * | `slo_fast_burn`               | a page-severity (fast-burn: 14.4× over 1h/5m or 6× over 6h/30m) SLO alert fires for the cluster |
 * | `cardinality_budget_exceeded` | series dropped over a cardinality budget within the last 5m, or active series ≥ `max_series_per_cluster` |
 * | `ingestion_refusals`          | within the last 5m, ≥ 3 requests refused whole and ≥ 5% of its requests                    |
 * | `warning_events_spike`        | ≥ 10 Warning events in the last 10m and ≥ 3× the rate of the hour before                   |
 * | `clock_skew`                  | |estimated skew| > `fleet.max_clock_skew` (clock-skew.ts)                                   |
 *
 * Hysteresis (rancher#37807: states flapping Active↔Unavailable): a reason
 * is raised at the first evaluation where its condition holds, and clears
 * only after its condition has been false for CLEAR_AFTER_MS (5m) in a row;
 * while held, its message tells when it was last true. The conditions
 * themselves are windowed (5m, 10m, the skew median), which smooths the way
 * up. Stale and down need no hysteresis: they follow the newest last-seen,
 * which only moves forward, and any request is proof of contact.
 */
import { formatDuration } from '../../config/index.js';
import type { DegradedReasonCode } from './cluster-health.js';
import type { SkewEstimate } from './clock-skew.js';

/** A reason clears after this long without its condition. */
export const CLEAR_AFTER_MS = 5 * 60_000;

/**
 * The cardinality limiter's drop reasons (pipeline/limit: SERIES_LIMIT_*_REASON),
 * repeated here because the fleet room sits below the pipeline.
 */
export const CARDINALITY_DROP_REASONS: ReadonlySet<string> = new Set([
  'series_limit_cluster',
  'series_limit_metric',
  'series_limit_metric_fleet',
]);

export const REFUSAL_MIN_REQUESTS = 3;
export const REFUSAL_MIN_RATIO = 0.05;

export const WARNING_SPIKE_WINDOW_MS = 10 * 60_000;
export const WARNING_BASELINE_WINDOW_MS = 60 * 60_000;
export const WARNING_SPIKE_MIN_EVENTS = 10;
export const WARNING_SPIKE_FACTOR = 3;

/** A condition that holds now. */
export interface ActiveReason {
  readonly code: DegradedReasonCode;
  readonly message: string;
}

/** At most this many reasons are named in a message. */
const MAX_NAMED = 5;

export function sloFastBurnReason(
  firingSlos: readonly string[]
): ActiveReason | undefined {
  if (firingSlos.length === 0) return undefined;
  const names = [...firingSlos].sort();
  const shown = names.slice(0, MAX_NAMED).join(', ');
  const more =
    names.length > MAX_NAMED ? `, and ${names.length - MAX_NAMED} more` : '';
  return {
    code: 'slo_fast_burn',
    message: `fast-burn page alert firing for ${names.length} SLO${names.length === 1 ? '' : 's'}: ${shown}${more}`,
  };
}

export function cardinalityReason(
  dropsByReason: readonly (readonly [string, number])[],
  activeSeries: number | undefined,
  seriesBudget: number | undefined,
  windowMs: number
): ActiveReason | undefined {
  const drops = dropsByReason.filter(([reason]) =>
    CARDINALITY_DROP_REASONS.has(reason)
  );
  let dropped = 0;
  for (const [, n] of drops) dropped += n;
  const isFull =
    activeSeries !== undefined &&
    seriesBudget !== undefined &&
    seriesBudget > 0 &&
    activeSeries >= seriesBudget;
  if (dropped === 0 && !isFull) return undefined;
  const parts: string[] = [];
  if (dropped > 0)
    parts.push(
      `${dropped} series dropped over cardinality budgets in the last ${formatDuration(windowMs)} (${formatCounts(drops)})`
    );
  if (
    activeSeries !== undefined &&
    seriesBudget !== undefined &&
    seriesBudget > 0
  )
    parts.push(
      `${activeSeries} of ${seriesBudget} active series (${formatPercent(activeSeries / seriesBudget)} of max_series_per_cluster)`
    );
  return { code: 'cardinality_budget_exceeded', message: parts.join('; ') };
}

export function refusalReason(
  refusedByReason: readonly (readonly [string, number])[],
  requests: number,
  windowMs: number
): ActiveReason | undefined {
  let refused = 0;
  for (const [, n] of refusedByReason) refused += n;
  if (refused < REFUSAL_MIN_REQUESTS) return undefined;
  const ratio = requests > 0 ? refused / requests : 1;
  if (ratio < REFUSAL_MIN_RATIO) return undefined;
  return {
    code: 'ingestion_refusals',
    message: `${refused} of ${Math.max(requests, refused)} requests refused in the last ${formatDuration(windowMs)} (${formatPercent(ratio)}): ${formatCounts(refusedByReason)}`,
  };
}

/**
 * @param recent Warning events by reason within WARNING_SPIKE_WINDOW_MS.
 * @param previousHour Warning events in the WARNING_BASELINE_WINDOW_MS before that.
 */
export function warningSpikeReason(
  recent: readonly (readonly [string, number])[],
  previousHour: number
): ActiveReason | undefined {
  let count = 0;
  for (const [, n] of recent) count += n;
  if (count < WARNING_SPIKE_MIN_EVENTS) return undefined;
  const baseline =
    previousHour / (WARNING_BASELINE_WINDOW_MS / WARNING_SPIKE_WINDOW_MS);
  if (count < WARNING_SPIKE_FACTOR * baseline) return undefined;
  const window = formatDuration(WARNING_SPIKE_WINDOW_MS);
  const versus =
    baseline === 0
      ? 'none in the hour before'
      : `${round1(count / baseline)}x the hour before (${round1(baseline)} per ${window})`;
  return {
    code: 'warning_events_spike',
    message: `${count} Warning events in the last ${window}, ${versus}: ${formatCounts(recent)}`,
  };
}

export function clockSkewReason(
  estimate: SkewEstimate,
  maxClockSkewMs: number
): ActiveReason | undefined {
  const skew = estimate.skewMs;
  if (skew === undefined || Math.abs(skew) <= maxClockSkewMs) return undefined;
  const amount = humanDuration(Math.abs(skew));
  const limit = formatDuration(maxClockSkewMs);
  const over = `median of ${estimate.observations} requests; max_clock_skew ${limit}`;
  return {
    code: 'clock_skew',
    message:
      skew > 0
        ? `clock ${amount} ahead: newest samples arrive stamped ${Math.round(skew / 1000)}s in the future (${over})`
        : `clock ${amount} behind: newest samples arrive ${Math.round(-skew / 1000)}s old, send delay included (${over})`,
  };
}

/** "8m12s", "1h5m0s", "42s": whole seconds, largest units first (Prometheus duration syntax). */
export function humanDuration(ms: number): string {
  let seconds = Math.round(Math.abs(ms) / 1000);
  if (seconds === 0) return '0s';
  let out = '';
  for (const [unit, size] of DURATION_UNITS) {
    if (seconds < size && out === '') continue;
    out += `${Math.floor(seconds / size)}${unit}`;
    seconds %= size;
    if (seconds === 0) break;
  }
  return out;
}

const DURATION_UNITS: readonly (readonly [string, number])[] = [
  ['d', 86_400],
  ['h', 3600],
  ['m', 60],
  ['s', 1],
];

/** "rate_limited 10, queue_full 2": largest first, at most five. */
export function formatCounts(
  counts: readonly (readonly [string, number])[]
): string {
  const sorted = [...counts]
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const shown = sorted
    .slice(0, MAX_NAMED)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
  return sorted.length > MAX_NAMED
    ? `${shown}, and ${sorted.length - MAX_NAMED} more`
    : shown;
}

function formatPercent(ratio: number): string {
  return `${round1(ratio * 100)}%`;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
