/**
 * Timestamps as Kubernetes events carry them to fleetgate:
 *
 * - RFC 3339 (`2024-05-01T10:00:00Z`, MicroTime `…00.123456Z`), in the
 *   object bodies of the k8sobjects receiver;
 * - Go's `time.Time.String()` (`2024-05-01 10:00:00.5 +0000 UTC`), which
 *   the k8s_events receiver writes into `k8s.event.start_time`
 *   (`CreationTimestamp.String()`, contrib k8s_event_to_logdata.go).
 *
 * Times before 1970 are treated as absent: an unset Go time renders as
 * year 1, and no event happened before the epoch.
 */

const RFC3339_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
// `2006-01-02 15:04:05.999999999 -0700 MST`, optionally with the monotonic
// clock reading (`m=+0.000000001`) that time.Now() values print.
const GO_TIME_RE =
  /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)? ([+-])(\d{2})(\d{2})(?: [A-Za-z0-9+-]+)?(?: m=[+-]\d+(?:\.\d+)?)?$/;
/** 10000-01-01T00:00:00Z: later times are not real event times. */
const MAX_TIME_MS = 253_402_300_800_000;

/** ms since the epoch of an RFC 3339 time, or undefined when it is not one. */
export function parseRfc3339Ms(text: string): number | undefined {
  const m = RFC3339_RE.exec(text);
  if (m === null) return undefined;
  const offsetMinutes =
    m[8] !== undefined
      ? 0
      : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  return toMs(m, offsetMinutes);
}

/**
 * ms since the epoch of an RFC 3339 or Go `time.String()` time, or
 * undefined when neither (or before 1970).
 */
export function parseKubernetesTimeMs(text: string): number | undefined {
  const rfc = parseRfc3339Ms(text);
  if (rfc !== undefined) return rfc;
  const m = GO_TIME_RE.exec(text);
  if (m === null) return undefined;
  const offsetMinutes =
    (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
  return toMs(m, offsetMinutes);
}

/** Whether `ms` is a plausible event time (1970 ≤ t < 10000); 0 is unset. */
export function isEventTimeMs(ms: number): boolean {
  return Number.isFinite(ms) && ms > 0 && ms < MAX_TIME_MS;
}

/** Groups 1-7 are year, month, day, hour, minute, second, fraction. */
function toMs(m: RegExpExecArray, offsetMinutes: number): number | undefined {
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (
    year < 1970 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    hour > 23 ||
    minute > 59 ||
    second > 60
  ) {
    return undefined;
  }
  // Fractions beyond ms are truncated, like the OTLP model's timestamps.
  // (by digits: `0.57 * 1000` is 569.99… in floating point).
  const fractionMs =
    m[7] === undefined ? 0 : Number(m[7].slice(1, 4).padEnd(3, '0'));
  const utcMs =
    Date.UTC(year, month - 1, day, hour, minute, second, fractionMs) -
    offsetMinutes * 60_000;
  // Date.UTC rolls 31 February over into March; refuse such dates.
  if (new Date(utcMs + offsetMinutes * 60_000).getUTCDate() !== day)
    return undefined;
  return isEventTimeMs(utcMs) ? utcMs : undefined;
}
