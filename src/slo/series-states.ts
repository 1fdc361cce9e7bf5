/**
 * The last value of every counter series an SLO reads, so each new sample
 * yields an increase (slo-ingest-stage.ts has the rules). Bounded and expiring:
 * - an entry not updated for `ttlMs` is forgotten by `sweep()` (a series
 *   that stops adds nothing; if it comes back it starts over);
 * - at most `maxSeries` entries: past it, a new series is not tracked (it
 *   adds nothing and is counted) until a sweep frees room.
 * Forgetting a series raises `horizonMs` to its last sample time: a series
 * seen again later counts its first value only if its start timestamp says
 * it (re)started after that, so forgetting never counts events twice.
 */
import type { SloCounters } from './slo-counters.js';

/** One tracked series: where its increases go and its last sample. */
export class SeriesEntry {
  /** Always true (NoMatch is the other kind of memo value). */
  readonly matched = true;
  /** Series identity (its 64-bit hash in hex). */
  readonly key: string;
  /** The engine generation its targets were resolved for. */
  generation: number;
  /**
   * Counters fed by this series, with the channel of each (0: A, 1: total,
   * NATIVE_CHANNEL: both, from a native histogram).
   */
  counters: SloCounters[];
  channels: number[];
  /** Per NATIVE_CHANNEL target in order: its threshold and SLO; undefined for float series. */
  native: NativeTargets | undefined = undefined;
  /** Last counter value (a native histogram's count) and its timestamp (−Infinity: no sample yet). */
  lastValue = 0;
  lastTs = Number.NEGATIVE_INFINITY;
  /** Engine clock at the last update, for expiry. */
  seenMs = 0;
  /** Set when the table forgot the entry; a memo holding it must resolve again. */
  isEvicted = false;

  constructor(
    key: string,
    generation: number,
    counters: SloCounters[],
    channels: number[]
  ) {
    this.key = key;
    this.generation = generation;
    this.counters = counters;
    this.channels = channels;
  }
}

/** A target fed by a native histogram's count (total) and its observations under a threshold (A). */
export const NATIVE_CHANNEL = 2;

/** What a native-histogram series needs per NATIVE_CHANNEL target. */
export interface NativeTargets {
  readonly thresholds: number[];
  /** `thresholds` as `le` text. */
  readonly thresholdTexts: string[];
  /** Where the bucket bounds seen go (the threshold's warning). */
  readonly observedLe: Set<string>[];
  /** Last count at or below each threshold. */
  readonly lastGood: number[];
}

/** A memoized "this series feeds no SLO" for one engine generation. */
export interface NoMatch {
  readonly matched: false;
  readonly generation: number;
  readonly isEvicted: false;
}

export class SeriesStates {
  private readonly _entries = new Map<string, SeriesEntry>();
  private readonly _maxSeries: number;
  private readonly _ttlMs: number;
  /** Newest last-sample time of any forgotten entry (see the header). */
  horizonMs: number;
  /** Entries forgotten since start (expired or cleared). */
  evicted = 0;

  constructor(maxSeries: number, ttlMs: number, horizonMs: number) {
    this._maxSeries = maxSeries;
    this._ttlMs = ttlMs;
    this.horizonMs = horizonMs;
  }

  get size(): number {
    return this._entries.size;
  }

  get(key: string): SeriesEntry | undefined {
    return this._entries.get(key);
  }

  /** Tracks `entry`; false when the table is full (the series is then not tracked). */
  add(entry: SeriesEntry, nowMs: number): boolean {
    if (this._entries.size >= this._maxSeries) {
      this.sweep(nowMs);
      if (this._entries.size >= this._maxSeries) return false;
    }
    entry.isEvicted = false;
    entry.seenMs = nowMs;
    this._entries.set(entry.key, entry);
    return true;
  }

  /** Forgets entries not updated within the TTL; returns how many went. */
  sweep(nowMs: number): number {
    const cutoff = nowMs - this._ttlMs;
    let removed = 0;
    for (const [key, entry] of this._entries) {
      if (entry.seenMs > cutoff) continue;
      this._forget(key, entry);
      removed++;
    }
    return removed;
  }

  /** Forgets everything (e.g. after a reconfigure that dropped every SLO). */
  clear(): void {
    for (const [key, entry] of this._entries) this._forget(key, entry);
  }

  private _forget(key: string, entry: SeriesEntry): void {
    this._entries.delete(key);
    if (entry.lastTs > this.horizonMs) this.horizonMs = entry.lastTs;
    entry.isEvicted = true;
    entry.lastTs = Number.NEGATIVE_INFINITY;
    entry.lastValue = 0;
    this.evicted++;
  }
}
