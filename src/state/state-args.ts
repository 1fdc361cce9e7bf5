/**
 * Argument checks shared by every StateStore. A bad argument is a caller
 * bug, not a runtime condition: every store rejects it with the same
 * RangeError, before touching any state or backend.
 */

/** @throws RangeError when `nowMs` is NaN or infinite. */
export function assertFiniteTime(nowMs: number): void {
  if (!Number.isFinite(nowMs)) {
    throw new RangeError(`cannot use time ${nowMs}: nowMs must be finite`);
  }
}

/** @throws RangeError unless a positive, finite window. */
export function assertWindow(windowMs: number): void {
  if (!Number.isFinite(windowMs) || windowMs <= 0) {
    throw new RangeError(
      `cannot count active series: windowMs must be a finite number > 0, got ${windowMs}`
    );
  }
}

/** @throws RangeError unless a finite, non-negative failover timeout. */
export function assertFailoverTimeout(failoverTimeoutMs: number): void {
  if (!Number.isFinite(failoverTimeoutMs) || failoverTimeoutMs < 0) {
    throw new RangeError(
      `cannot elect a replica: failoverTimeoutMs must be a finite number >= 0, got ${failoverTimeoutMs}`
    );
  }
}

/** @throws RangeError unless a finite, positive snapshot TTL. */
export function assertSnapshotTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new RangeError(
      `cannot publish a snapshot: ttlMs must be a finite number > 0, got ${ttlMs}`
    );
  }
}

/**
 * @throws RangeError when `tokens` is negative, `ratePerSecond` or `burst`
 *   not positive, or any of them or `nowMs` is not finite.
 */
export function assertTokenBucketArgs(
  tokens: number,
  ratePerSecond: number,
  burst: number,
  nowMs: number
): void {
  if (
    !Number.isFinite(tokens) ||
    tokens < 0 ||
    !Number.isFinite(ratePerSecond) ||
    ratePerSecond <= 0 ||
    !Number.isFinite(burst) ||
    burst <= 0 ||
    !Number.isFinite(nowMs)
  ) {
    throw new RangeError(
      `cannot take tokens: want tokens >= 0, ratePerSecond > 0, burst > 0 and a finite nowMs, got tokens=${tokens} ratePerSecond=${ratePerSecond} burst=${burst} nowMs=${nowMs}`
    );
  }
}
