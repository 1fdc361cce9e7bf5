/**
 * The Prometheus staleness marker: a NaN with the bit pattern
 * 0x7ff0000000000002 (prometheus/model/value.StaleNaN). An OTLP point with the
 * NO_RECORDED_VALUE flag becomes this value. Ordinary NaN arithmetic may
 * change NaN payloads, so compare bits with {@link isStaleNaN}, never `===`.
 */

const STALE_NAN_HIGH_WORD = 0x7ff00000;
const STALE_NAN_LOW_WORD = 0x00000002;

const scratch = new DataView(new ArrayBuffer(8));
scratch.setUint32(0, STALE_NAN_HIGH_WORD);
scratch.setUint32(4, STALE_NAN_LOW_WORD);

/** The stale marker, built from its bit pattern. */
export const STALE_NAN: number = scratch.getFloat64(0);

/** True when `value` carries exactly the stale marker's bits. */
export function isStaleNaN(value: number): boolean {
  if (!Number.isNaN(value)) return false;
  scratch.setFloat64(0, value);
  return (
    scratch.getUint32(0) === STALE_NAN_HIGH_WORD &&
    scratch.getUint32(4) === STALE_NAN_LOW_WORD
  );
}
