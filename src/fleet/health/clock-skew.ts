/**
 * Clock skew of a cluster, estimated from its own sample timestamps against
 * our receive time (issue 6 item 2).
 *
 * One observation per request: `offset = newest sample timestamp − receive
 * time`. Delivery only ever makes data *older* (scrape interval, batching,
 * queueing, network), so:
 * - a positive offset can only be a clock ahead of ours;
 * - a negative one is a clock behind *or* delay. Up to
 *   SEND_DELAY_ALLOWANCE_MS (1m: a 30–60s scrape interval plus Prometheus'
 *   5s batch_send_deadline) reads as delay, i.e. no skew.
 *
 * Robustness:
 * - Requests are sampled, one per SKEW_SAMPLE_INTERVAL_MS slot (the first
 *   one in it), so a busy cluster and a quiet one weigh time alike, and the
 *   window covers minutes, not the last second of a busy sender.
 * - The estimate is the *median* over the window (10m, at most 60
 *   observations): a few requests carrying a wrongly stamped series or
 *   stuck in a queue do not move it.
 * - Remote-write backlog replays must not read as a clock behind: after an
 *   outage, Prometheus replays its WAL and every request carries data as old
 *   as the outage. Three rules keep that out:
 *   1. a receive gap of SKEW_GAP_MS (2m) starts a new regime, and
 *      observations before it are not used;
 *   2. a regime that *starts* with old data (after a gap, or the first data
 *      ever seen, e.g. after our restart) is a suspected backlog: a "behind"
 *      verdict is withheld until its offsets catch up to within the delay
 *      allowance (the regime then restarts there) or for
 *      SKEW_REPLAY_GRACE_MS (5m);
 *   3. "behind" needs SKEW_MIN_BEHIND_OBSERVATIONS (12, two minutes of
 *      slots) and a *steady* offset: a wrong clock shifts every timestamp by
 *      a constant, while a replay makes data time run faster than ours (the
 *      offset climbs) and a sender falling behind makes it run slower (the
 *      offset sinks). Steady means the medians of the older and the newer
 *      half differ by at most max(5s, 3 × the median step between
 *      successive observations).
 *   A catch-up slower than about 1.1× real time cannot be told from a
 *   wrong clock once the grace has passed; it is then reported as behind
 *   (such a sender is losing ground anyway).
 *
 * Ahead needs only SKEW_MIN_OBSERVATIONS (6, about a minute): no delivery
 * problem makes data newer.
 */

/** One sampled request: its receive time and `newest sample − receive time`. */
export interface SkewObservation {
  readonly receivedAtMs: number;
  readonly offsetMs: number;
  /**
   * Time since the previous observation when it was at least SKEW_GAP_MS,
   * `-1` for the first observation ever (no history), 0 otherwise.
   */
  readonly gapBeforeMs: number;
}

export type SkewVerdict =
  /** Too few observations in the current regime. */
  | 'insufficient'
  /** Offsets within the send-delay allowance: no measurable skew. */
  | 'in_sync'
  | 'ahead'
  | 'behind'
  /** Old data right after a gap: a backlog replay is assumed for now. */
  | 'catching_up'
  /** Offsets drift (replay or a sender falling behind), not a constant clock offset. */
  | 'unsteady';

export interface SkewEstimate {
  /**
   * Estimated skew in ms, positive when the cluster's clock is ahead of
   * ours; 0 when in sync; undefined when it cannot be told. A "behind" value
   * includes the send delay (the two cannot be separated).
   */
  readonly skewMs: number | undefined;
  readonly verdict: SkewVerdict;
  /** Observations the estimate used. */
  readonly observations: number;
  /** Median offset of those, undefined when none. */
  readonly medianOffsetMs: number | undefined;
}

export const SKEW_SAMPLE_INTERVAL_MS = 10_000;
export const SKEW_WINDOW_MS = 10 * 60_000;
export const SKEW_MAX_OBSERVATIONS = 60;
export const SKEW_MIN_OBSERVATIONS = 6;
export const SKEW_MIN_BEHIND_OBSERVATIONS = 12;
export const SEND_DELAY_ALLOWANCE_MS = 60_000;
export const SKEW_GAP_MS = 2 * 60_000;
export const SKEW_REPLAY_GRACE_MS = 5 * 60_000;
export const SKEW_TREND_FLOOR_MS = 5_000;
export const SKEW_TREND_NOISE_FACTOR = 3;

/**
 * Adds one request's observation to `list` (sorted by receive time, owned
 * by the caller): kept only when it opens a new sample slot; the window and
 * the cap are applied. Requests that arrive out of order are ignored.
 */
export function addSkewObservation(
  list: SkewObservation[],
  receivedAtMs: number,
  newestSampleMs: number
): void {
  if (!Number.isFinite(newestSampleMs) || newestSampleMs <= 0) return;
  const last = list[list.length - 1];
  let gapBeforeMs = -1;
  if (last !== undefined) {
    if (receivedAtMs < last.receivedAtMs) return;
    if (slotOf(receivedAtMs) === slotOf(last.receivedAtMs)) return;
    const gap = receivedAtMs - last.receivedAtMs;
    gapBeforeMs = gap >= SKEW_GAP_MS ? gap : 0;
  }
  list.push({
    receivedAtMs,
    offsetMs: newestSampleMs - receivedAtMs,
    gapBeforeMs,
  });
  trimSkewObservations(list, receivedAtMs);
}

/** Drops observations outside the window before `nowMs` and past the cap. */
export function trimSkewObservations(
  list: SkewObservation[],
  nowMs: number
): void {
  let drop = 0;
  while (
    drop < list.length &&
    (list.length - drop > SKEW_MAX_OBSERVATIONS ||
      list[drop]!.receivedAtMs <= nowMs - SKEW_WINDOW_MS)
  )
    drop++;
  if (drop > 0) list.splice(0, drop);
}

/**
 * Unions observation lists from several replicas: sorted, one per slot (the
 * earliest), capped. Deterministic, so every replica merges alike.
 */
export function mergeSkewObservations(
  lists: readonly (readonly SkewObservation[])[]
): SkewObservation[] {
  const all: SkewObservation[] = [];
  for (const list of lists) all.push(...list);
  all.sort(
    (a, b) =>
      a.receivedAtMs - b.receivedAtMs ||
      a.offsetMs - b.offsetMs ||
      a.gapBeforeMs - b.gapBeforeMs
  );
  const out: SkewObservation[] = [];
  for (const observation of all) {
    const last = out[out.length - 1];
    if (last === undefined) {
      out.push(observation);
      continue;
    }
    if (slotOf(last.receivedAtMs) === slotOf(observation.receivedAtMs))
      continue;
    // Gaps are re-measured over the union: one replica's "first ever" may follow another's data.
    const gap = observation.receivedAtMs - last.receivedAtMs;
    out.push({
      receivedAtMs: observation.receivedAtMs,
      offsetMs: observation.offsetMs,
      gapBeforeMs: gap >= SKEW_GAP_MS ? gap : 0,
    });
  }
  return out.length > SKEW_MAX_OBSERVATIONS
    ? out.slice(out.length - SKEW_MAX_OBSERVATIONS)
    : out;
}

/** The skew estimate at `nowMs` from sorted observations (see the file header for the rules). */
export function estimateClockSkew(
  observations: readonly SkewObservation[],
  nowMs: number
): SkewEstimate {
  let start = 0;
  while (
    start < observations.length &&
    observations[start]!.receivedAtMs <= nowMs - SKEW_WINDOW_MS
  )
    start++;
  // Rule 1: the current regime starts at the last gap.
  for (let i = observations.length - 1; i > start; i--) {
    if (observations[i]!.gapBeforeMs !== 0) {
      start = i;
      break;
    }
  }
  let regime = observations.slice(start);
  // Rule 2: a regime that opens with old data after a gap (or with no history) may be a replay.
  let isReplaySuspected = false;
  const first = regime[0];
  if (
    first !== undefined &&
    first.gapBeforeMs !== 0 &&
    first.offsetMs < -SEND_DELAY_ALLOWANCE_MS
  ) {
    const caughtUp = regime.findIndex(
      o => o.offsetMs >= -SEND_DELAY_ALLOWANCE_MS
    );
    if (caughtUp >= 0) regime = regime.slice(caughtUp);
    else isReplaySuspected = nowMs - first.receivedAtMs < SKEW_REPLAY_GRACE_MS;
  }
  const n = regime.length;
  if (n < SKEW_MIN_OBSERVATIONS)
    return {
      skewMs: undefined,
      verdict: 'insufficient',
      observations: n,
      medianOffsetMs: n === 0 ? undefined : median(regime.map(o => o.offsetMs)),
    };
  const offsets = regime.map(o => o.offsetMs);
  const m = median(offsets);
  const result = (
    skewMs: number | undefined,
    verdict: SkewVerdict
  ): SkewEstimate => ({ skewMs, verdict, observations: n, medianOffsetMs: m });
  if (m > 0) return result(m, 'ahead');
  if (m >= -SEND_DELAY_ALLOWANCE_MS) return result(0, 'in_sync');
  if (isReplaySuspected) return result(undefined, 'catching_up');
  if (n < SKEW_MIN_BEHIND_OBSERVATIONS)
    return result(undefined, 'insufficient');
  return isSteady(offsets)
    ? result(m, 'behind')
    : result(undefined, 'unsteady');
}

/** Rule 3: the older and newer halves agree within the observed jitter. */
function isSteady(offsets: readonly number[]): boolean {
  const half = offsets.length >>> 1;
  const older = median(offsets.slice(0, half));
  const newer = median(offsets.slice(offsets.length - half));
  const steps: number[] = [];
  for (let i = 1; i < offsets.length; i++)
    steps.push(Math.abs(offsets[i]! - offsets[i - 1]!));
  const noise = median(steps);
  return (
    Math.abs(newer - older) <=
    Math.max(SKEW_TREND_FLOOR_MS, SKEW_TREND_NOISE_FACTOR * noise)
  );
}

function slotOf(ms: number): number {
  return Math.floor(ms / SKEW_SAMPLE_INTERVAL_MS);
}

/** Median of a non-empty list (mean of the middle two for an even count). */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >>> 1;
  return sorted.length % 2 === 1
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
