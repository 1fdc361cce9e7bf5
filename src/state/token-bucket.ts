/**
 * The token bucket arithmetic, pure. The memory store runs it directly; the
 * Redis store runs the same steps in Lua (redis-scripts.ts
 * `TOKEN_BUCKET_SCRIPT`), and the contract suite holds both to the same
 * answers.
 *
 * Steps of one take at `nowMs`:
 * 1. an unknown bucket starts full (`burst` tokens);
 * 2. refill `(nowMs - lastRefillMs) * ratePerSecond / 1000`, capped at
 *    `burst`; time that goes backwards (another replica's clock ahead)
 *    refills nothing and never moves `lastRefillMs` back;
 * 3. allow when `tokens >= take`, or when `take > burst` and the bucket is
 *    full: the bucket then goes into debt (`burst - take`), so the rate
 *    still holds over time and a single oversized request passes
 *    eventually;
 * 4. when refused, nothing is taken and `retryAfterMs` is the time until
 *    `min(take, burst)` tokens are there.
 */
import type { TokenBucketResult } from './state-store.js';

/** Stored state of one bucket. `tokens` may be negative (debt). */
export interface TokenBucketState {
  readonly tokens: number;
  readonly lastRefillMs: number;
}

/** The state after one take, and the caller's answer. */
export interface TokenBucketTake {
  readonly state: TokenBucketState;
  readonly result: TokenBucketResult;
}

/** Applies one take to `state` (undefined: a new, full bucket). */
export function takeFromTokenBucket(
  state: TokenBucketState | undefined,
  take: number,
  ratePerSecond: number,
  burst: number,
  nowMs: number
): TokenBucketTake {
  let tokens = state === undefined ? burst : state.tokens;
  let lastRefillMs = state === undefined ? nowMs : state.lastRefillMs;
  if (nowMs > lastRefillMs) {
    // Same operation order as the Lua script, so both round alike.
    tokens = Math.min(
      burst,
      tokens + ((nowMs - lastRefillMs) * ratePerSecond) / 1000
    );
    lastRefillMs = nowMs;
  }
  // A lowered burst applies at once.
  tokens = Math.min(tokens, burst);
  if (tokens >= take || (take > burst && tokens >= burst)) {
    tokens -= take;
    return {
      state: { tokens, lastRefillMs },
      result: {
        allowed: true,
        remaining: Math.max(0, Math.floor(tokens)),
        retryAfterMs: 0,
      },
    };
  }
  const missing = Math.min(take, burst) - tokens;
  return {
    state: { tokens, lastRefillMs },
    result: {
      allowed: false,
      remaining: 0,
      retryAfterMs: Math.max(1, Math.ceil((missing * 1000) / ratePerSecond)),
    },
  };
}

/** Ms until `state` is full again, after which it equals a forgotten bucket. */
export function msUntilFull(
  state: TokenBucketState,
  ratePerSecond: number,
  burst: number
): number {
  return Math.max(
    0,
    Math.ceil(((burst - state.tokens) * 1000) / ratePerSecond)
  );
}
