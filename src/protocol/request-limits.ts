/**
 * The decode-time caps of one write request (config `request_limits`). The
 * decoders check them as they read, before building anything per item, so a
 * hostile request costs at most what the caps allow, whatever its size: a
 * count is refused when it passes the cap, a string when its length prefix
 * does, before it is decoded. Over a cap, the whole request is refused with a
 * RequestLimitError naming the config key and its value: 413 for caps on the
 * whole request (the sender can split it), 400 for caps on one item.
 *
 * These are abuse caps, far above what real senders send (see
 * docs/request-limits.md for each default and why); the per-series policy
 * limits (`limits.*`: label count and lengths, cardinality) still apply later,
 * in the pipeline, and drop rather than refuse.
 */
import { RequestLimitError } from '../errors.js';
import {
  REQUEST_LIMIT_KEYS,
  type RequestLimitName,
  type RequestLimits,
} from '../config/index.js';

// The caps' shape, defaults and key names belong to the config section they
// come from (config/ is a leaf, docs/architecture.md).
export {
  DEFAULT_REQUEST_LIMITS,
  REQUEST_LIMIT_KEYS,
  type RequestLimits,
  type RequestLimitName,
} from '../config/index.js';

/** Caps on the whole request: 413, the sender can send smaller batches. */
const WHOLE_REQUEST_CAPS: ReadonlySet<RequestLimitName> = new Set([
  'maxLabelsPerRequest',
  'maxSeriesPerRequest',
  'maxPointsPerRequest',
  'maxLogRecordsPerRequest',
  'maxJsonBytes',
]);

/**
 * The refusal for `problem` (e.g. `series 3 has more than 256 label pairs`),
 * worded `<problem>, over request_limits.<key> (<value>)`.
 */
export function overRequestLimit(
  limits: RequestLimits,
  cap: RequestLimitName,
  problem: string
): RequestLimitError {
  const key = REQUEST_LIMIT_KEYS[cap];
  const value = limits[cap];
  return new RequestLimitError(
    `${problem}, over ${key} (${value})`,
    key,
    value,
    WHOLE_REQUEST_CAPS.has(cap) ? 413 : 400
  );
}

/**
 * Counts the items of one request against a per-request cap; one per
 * decode call (decoding is synchronous, so nothing is shared).
 */
export class RequestItemCounter {
  private readonly _limits: RequestLimits;
  private readonly _cap: RequestLimitName;
  private readonly _max: number;
  private readonly _noun: string;
  private _count = 0;

  /** `noun` is the plural the message uses (`data points`). */
  constructor(limits: RequestLimits, cap: RequestLimitName, noun: string) {
    this._limits = limits;
    this._cap = cap;
    this._max = limits[cap];
    this._noun = noun;
  }

  get count(): number {
    return this._count;
  }

  /** Counts `n` more items; throws once the total passes the cap. */
  add(n: number): void {
    this._count += n;
    if (this._count > this._max) {
      throw overRequestLimit(
        this._limits,
        this._cap,
        `the request has more than ${this._max} ${this._noun}`
      );
    }
  }
}

/**
 * UTF-8 length of `text` compared with `maxBytes` without encoding it when
 * the answer is clear from its UTF-16 length (each code unit is 1 to 3
 * bytes): the exact byte count only for the rare text in between.
 */
export function utf8LengthOver(text: string, maxBytes: number): boolean {
  if (text.length > maxBytes) return true;
  if (text.length * 3 <= maxBytes) return false;
  return Buffer.byteLength(text, 'utf8') > maxBytes;
}
