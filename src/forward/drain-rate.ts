/**
 * How fast a shard's queue drains, in points per ms, over the last one to two
 * windows. Used to tell an overloaded sender when to come back.
 */

const DEFAULT_WINDOW_MS = 10_000;

export class DrainRate {
  private readonly _windowMs: number;
  private _windowStartMs: number;
  private _current = 0;
  private _previous = 0;

  constructor(nowMs: number, windowMs = DEFAULT_WINDOW_MS) {
    this._windowMs = windowMs;
    this._windowStartMs = nowMs;
  }

  /** Points that left the queue (delivered or dropped) at `nowMs`. */
  record(points: number, nowMs: number): void {
    this._roll(nowMs);
    this._current += points;
  }

  /**
   * Points per ms over the previous and the current window. Right after a
   * start or a quiet spell the rate reads low, which errs towards a longer
   * Retry-After.
   */
  perMs(nowMs: number): number {
    this._roll(nowMs);
    const elapsedMs = nowMs - this._windowStartMs + this._windowMs;
    return (this._previous + this._current) / elapsedMs;
  }

  private _roll(nowMs: number): void {
    const sinceStartMs = nowMs - this._windowStartMs;
    if (sinceStartMs < this._windowMs) return;
    this._previous = sinceStartMs < 2 * this._windowMs ? this._current : 0;
    this._current = 0;
    this._windowStartMs = nowMs;
  }
}
