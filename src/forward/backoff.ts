/**
 * Exponential backoff with full jitter between retries of one batch.
 *
 * The ceiling doubles from `minMs` up to `maxMs`; each delay is drawn
 * uniformly below the ceiling ("full jitter", so shards and replicas that
 * failed together do not retry together) but never below `minMs`, so a
 * retry never spins in a tight loop.
 */
export class Backoff {
  private readonly _minMs: number;
  private readonly _maxMs: number;
  private readonly _random: () => number;
  private _ceilingMs: number;

  /** `random` returns [0, 1) like Math.random (injected by tests). */
  constructor(
    minMs: number,
    maxMs: number,
    random: () => number = Math.random
  ) {
    this._minMs = Math.max(1, minMs);
    this._maxMs = Math.max(this._minMs, maxMs);
    this._random = random;
    this._ceilingMs = this._minMs;
  }

  /** The delay before the next retry, in ms; raises the ceiling for the one after. */
  nextDelayMs(): number {
    const delay = Math.max(
      this._minMs,
      Math.floor(this._random() * this._ceilingMs)
    );
    this._ceilingMs = Math.min(this._maxMs, this._ceilingMs * 2);
    return delay;
  }

  /** Back to `minMs` (after a send went through). */
  reset(): void {
    this._ceilingMs = this._minMs;
  }
}
