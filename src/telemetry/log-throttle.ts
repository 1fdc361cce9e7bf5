/**
 * At most one log line per key per interval, so an event that an attacker can
 * repeat at will (a refused connection) cannot flood the log. The line that
 * is let through says how many were held back since the last one.
 */
export class LogThrottle {
  private readonly _intervalMs: number;
  private readonly _now: () => number;
  /** Per key: when it last logged, and how many were held back since. */
  private readonly _keys = new Map<string, { atMs: number; held: number }>();

  /** `keys` are few and fixed by the caller (reasons), never sender input. */
  constructor(intervalMs: number, now: () => number = Date.now) {
    this._intervalMs = intervalMs;
    this._now = now;
  }

  /**
   * Whether to log an event of `key` now: undefined to hold it back, else the
   * number of events held back since the last line of this key.
   */
  admit(key: string): number | undefined {
    const nowMs = this._now();
    const entry = this._keys.get(key);
    if (entry === undefined) {
      this._keys.set(key, { atMs: nowMs, held: 0 });
      return 0;
    }
    if (nowMs - entry.atMs < this._intervalMs) {
      entry.held++;
      return undefined;
    }
    const held = entry.held;
    entry.atMs = nowMs;
    entry.held = 0;
    return held;
  }
}
