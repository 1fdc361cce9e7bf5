/**
 * Parsing of the `Retry-After` response header (RFC 9110 §10.2.3): either
 * delay-seconds or an HTTP-date.
 */

/** A downstream cannot park a sender longer than this, whatever it asks. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

const DELAY_SECONDS_RE = /^\d+$/;
// An HTTP-date always names the day or month; without this check Date.parse
// would read a malformed "1.5" as a date in 2001.
const HAS_LETTER_RE = /[a-z]/i;

/**
 * The wait a `Retry-After` value asks for, in ms, clamped to
 * [0, MAX_RETRY_AFTER_MS]; undefined when the header is absent or unusable.
 * `nowMs` is the current Unix time in ms (for HTTP-dates).
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (DELAY_SECONDS_RE.test(text)) {
    return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  }
  if (!HAS_LETTER_RE.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - nowMs), MAX_RETRY_AFTER_MS);
}
