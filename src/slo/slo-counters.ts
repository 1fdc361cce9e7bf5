/**
 * The event counts of one (SLO, cluster): how many events were bad-or-good
 * (channel A) and how many in total (channel T), in time buckets at four
 * resolutions, so every window from 5m to the SLO's own is a sum of at most
 * a few hundred buckets.
 *
 * | tier | bucket | kept     | slots | serves windows    |
 * |------|--------|----------|-------|-------------------|
 * | 0    | 15s    | 1h       | 241   | ≤ 1h (5m, 30m, 1h) |
 * | 1    | 2m     | 6h       | 181   | ≤ 6h (2h, 6h)      |
 * | 2    | 15m    | 3d       | 289   | ≤ 3d (1d, 3d)      |
 * | 3    | W/360  | W (SLO)  | ≤ 361 | ≤ W (the SLO window, e.g. 2h buckets for 30d) |
 *
 * Each event is added to all four tiers. A bucket holds two float64 (A, T),
 * so the state is at most (241 + 181 + 289 + 361) × 16 B = 17,152 B of
 * buckets per (SLO, cluster), whatever the traffic: well inside the 64 KiB
 * bound (MAX_COUNTERS_BYTES, asserted in the tests).
 *
 * Buckets are left-open like PromQL ranges: bucket `b` of resolution `r`
 * holds events with `b·r < t ≤ (b+1)·r`. A window `(now − W, now]` is read
 * from the finest tier that keeps W: every bucket inside, plus the bucket
 * that straddles `now − W` prorated by the share of it inside the window
 * (events are assumed uniform within one bucket), so window edges cost at
 * most part of one bucket's non-uniformity, not a whole bucket.
 *
 * Each tier is a ring: `head` is its newest bucket number; adding to a newer
 * bucket clears the slots it skips; an add older than the ring is dropped
 * for that tier only (coarser tiers may still keep it).
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** Resolution and span of the three fixed tiers. */
export const FIXED_TIERS: readonly {
  readonly resMs: number;
  readonly spanMs: number;
}[] = Object.freeze([
  { resMs: 15_000, spanMs: HOUR_MS },
  { resMs: 2 * MINUTE_MS, spanMs: 6 * HOUR_MS },
  { resMs: 15 * MINUTE_MS, spanMs: 72 * HOUR_MS },
]);

/** Buckets of the SLO-window tier, at most (plus one for the straddling bucket). */
export const SLO_TIER_BUCKETS = 360;

/** The stated bound of one (SLO, cluster)'s state. */
export const MAX_COUNTERS_BYTES = 64 * 1024;

/** Longest window any tier keeps for an SLO window. */
export function retainedWindowMs(sloWindowMs: number): number {
  return Math.max(FIXED_TIERS[FIXED_TIERS.length - 1]!.spanMs, sloWindowMs);
}

/**
 * Bucket width of the SLO-window tier: W/360 rounded up to whole minutes
 * (whole hours from 1h up), so 30d gets 2h buckets and 28d gets 2h too.
 */
export function sloTierResolutionMs(sloWindowMs: number): number {
  const raw = sloWindowMs / SLO_TIER_BUCKETS;
  if (raw <= MINUTE_MS) return MINUTE_MS;
  if (raw <= HOUR_MS) return Math.ceil(raw / MINUTE_MS) * MINUTE_MS;
  return Math.ceil(raw / HOUR_MS) * HOUR_MS;
}

/** One tier's ring as exported to a snapshot. */
export interface TierState {
  readonly resMs: number;
  /** Newest bucket number (−1: never written). */
  readonly head: number;
  /** `[A0, T0, A1, T1, …]` by slot (`bucket % slots`). */
  readonly data: Float64Array;
}

/** Bucket counts of one (SLO, cluster). */
export class SloCounters {
  private readonly _res: Float64Array;
  private readonly _spans: Float64Array;
  private readonly _slots: Uint32Array;
  private readonly _heads: Float64Array;
  private readonly _data: Float64Array[];
  /**
   * When events were last added (the engine's clock, ms), for expiry: the
   * engine sets it, `add` does not (it runs per event).
   */
  lastEventMs = 0;
  /** Events were added since the owner last published the state (the engine sets it). */
  isDirty = false;
  private readonly _one = new Float64Array(1);

  /** `sloWindowMs` sizes the last tier (see sloTierResolutionMs). */
  constructor(sloWindowMs: number) {
    const tiers = FIXED_TIERS.length + 1;
    this._res = new Float64Array(tiers);
    this._spans = new Float64Array(tiers);
    this._slots = new Uint32Array(tiers);
    this._heads = new Float64Array(tiers).fill(-1);
    this._data = [];
    for (let k = 0; k < tiers; k++) {
      const fixed = FIXED_TIERS[k];
      const res = fixed?.resMs ?? sloTierResolutionMs(sloWindowMs);
      const span = fixed?.spanMs ?? Math.ceil(sloWindowMs / res) * res;
      this._res[k] = res;
      this._spans[k] = span;
      // One more slot than the span holds, for the bucket straddling now − span.
      this._slots[k] = span / res + 1;
      this._data.push(new Float64Array(2 * this._slots[k]!));
    }
  }

  /** Bytes of bucket arrays held (the bounded part of the state). */
  get stateBytes(): number {
    let bytes = 0;
    for (const data of this._data) bytes += data.byteLength;
    return bytes;
  }

  /** The longest window this instance can answer. */
  get maxWindowMs(): number {
    return this._spans[this._spans.length - 1]!;
  }

  /**
   * Adds `inc` events at `timeMs` to channel 0 (A: bad or good) or 1 (T:
   * total). Callers pass `timeMs` ≤ now (the engine clamps future samples).
   */
  add(timeMs: number, channel: 0 | 1, inc: number): void {
    const tiers = this._data.length;
    for (let k = 0; k < tiers; k++) {
      const res = this._res[k]!;
      const bucket = Math.floor((timeMs - 1) / res);
      const slots = this._slots[k]!;
      const head = this._heads[k]!;
      if (bucket > head) this._advance(k, bucket);
      else if (bucket <= head - slots) continue;
      this._data[k]![2 * (bucket % slots) + channel]! += inc;
    }
  }

  /**
   * Adds the A and T events of the window `(nowMs − windowMs, nowMs]` to
   * `out[at]` and `out[at + 1]`. Windows longer than `maxWindowMs` read
   * what is kept.
   */
  addWindowTo(
    windowMs: number,
    nowMs: number,
    out: Float64Array,
    at: number
  ): void {
    const one = this._one;
    one[0] = windowMs;
    this.addWindowsTo(one, nowMs, out, at);
  }

  /**
   * The same for several windows at once (ascending): `[A, T]` of window j
   * are added to `out[at + 2j]`, `out[at + 2j + 1]`. Each tier is read
   * once, newest bucket first, however many of the windows it serves:
   * the answer for the whole SLO list costs one pass per tier.
   */
  addWindowsTo(
    windowsMs: ArrayLike<number>,
    nowMs: number,
    out: Float64Array,
    at: number
  ): void {
    const tiers = this._data.length;
    const count = windowsMs.length;
    let j = 0;
    for (let k = 0; k < tiers && j < count; k++) {
      const span = this._spans[k]!;
      let jEnd = j;
      while (jEnd < count && (k === tiers - 1 || windowsMs[jEnd]! <= span))
        jEnd++;
      if (jEnd === j) continue;
      const head = this._heads[k]!;
      if (head < 0) {
        j = jEnd;
        continue;
      }
      const res = this._res[k]!;
      const slots = this._slots[k]!;
      const data = this._data[k]!;
      const oldest = head - slots + 1;
      const last = Math.floor((nowMs - 1) / res);
      let b = last < head ? last : head;
      // Slot index of bucket b, walked down with a wrap instead of a modulo per bucket.
      let i = b >= oldest ? 2 * (b % slots) : 0;
      let a = 0;
      let t = 0;
      for (; j < jEnd; j++) {
        const from = nowMs - windowsMs[j]!;
        const first = Math.floor(from / res);
        const stop = first + 1 > oldest ? first + 1 : oldest;
        // Whole buckets inside the window, newest first (kept for the longer windows next).
        for (; b >= stop; b--) {
          a += data[i]!;
          t += data[i + 1]!;
          i -= 2;
          if (i < 0) i = 2 * slots - 2;
        }
        let wa = a;
        let wt = t;
        if (first >= oldest && first <= head && first <= last) {
          // The straddling bucket: only the share inside the window counts.
          const share = ((first + 1) * res - from) / res;
          const fi = 2 * (first % slots);
          wa += data[fi]! * share;
          wt += data[fi + 1]! * share;
        }
        out[at + 2 * j]! += wa;
        out[at + 2 * j + 1]! += wt;
      }
    }
  }

  /** The rings, for a snapshot. The arrays are live views. */
  exportTiers(): TierState[] {
    const out: TierState[] = [];
    for (let k = 0; k < this._data.length; k++)
      out.push({
        resMs: this._res[k]!,
        head: this._heads[k]!,
        data: this._data[k]!,
      });
    return out;
  }

  /**
   * Adds rings of the same shape (from a snapshot of an instance built for
   * the same SLO window) into this one, bucket by bucket.
   *
   * @throws RangeError when the shapes differ.
   */
  mergeTiers(tiers: readonly TierState[]): void {
    if (tiers.length !== this._data.length)
      throw new RangeError(
        `cannot merge ${tiers.length} tiers into ${this._data.length}`
      );
    for (let k = 0; k < tiers.length; k++) {
      const tier = tiers[k]!;
      if (
        tier.resMs !== this._res[k] ||
        tier.data.length !== 2 * this._slots[k]! ||
        !Number.isInteger(tier.head)
      )
        throw new RangeError(
          `cannot merge tier ${k}: resolution, size or head differs`
        );
    }
    for (let k = 0; k < tiers.length; k++) {
      const tier = tiers[k]!;
      const slots = this._slots[k]!;
      if (tier.head < 0) continue;
      if (tier.head > this._heads[k]!) this._advance(k, tier.head);
      const head = this._heads[k]!;
      const data = this._data[k]!;
      for (
        let b = Math.max(tier.head - slots + 1, head - slots + 1, 0);
        b <= tier.head;
        b++
      ) {
        const i = 2 * (b % slots);
        data[i]! += tier.data[i]!;
        data[i + 1]! += tier.data[i + 1]!;
      }
    }
    // Expiry only needs an upper bound of the newest event: the newest bucket end.
    for (let k = 0; k < this._data.length; k++) {
      const head = this._heads[k]!;
      if (head >= 0)
        this.lastEventMs = Math.max(
          this.lastEventMs,
          (head + 1) * this._res[k]!
        );
    }
  }

  /** Moves tier `k`'s head to `bucket`, clearing the slots it passes. */
  private _advance(k: number, bucket: number): void {
    const slots = this._slots[k]!;
    const data = this._data[k]!;
    const head = this._heads[k]!;
    if (head < 0 || bucket - head >= slots) data.fill(0);
    else
      for (let b = head + 1; b <= bucket; b++) {
        const i = 2 * (b % slots);
        data[i] = 0;
        data[i + 1] = 0;
      }
    this._heads[k] = bucket;
  }
}
