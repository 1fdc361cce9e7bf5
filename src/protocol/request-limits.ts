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

export interface RequestLimits {
  /** OTLP: attributes of one resource. */
  readonly maxAttributesPerResource: number;
  /** OTLP: attributes of one instrumentation scope. */
  readonly maxAttributesPerScope: number;
  /** OTLP metrics: attributes of one data point or exemplar. */
  readonly maxAttributesPerPoint: number;
  /** OTLP logs: attributes of one log record. */
  readonly maxAttributesPerLogRecord: number;
  /** Remote write: label pairs of one series (or exemplar). */
  readonly maxLabelPairsPerSeries: number;
  /** UTF-8 bytes of a remote write label name or an OTLP metric attribute key. */
  readonly maxLabelNameBytes: number;
  /** UTF-8 bytes of a remote write label value or an OTLP metric attribute's string value. */
  readonly maxLabelValueBytes: number;
  /**
   * Remote write label pairs (of series and exemplars), or OTLP attributes
   * (of resources, scopes, points, exemplars and log records), in one
   * request: the decode's cost grows with them, whatever their grouping.
   */
  readonly maxLabelsPerRequest: number;
  /** Remote write: series (TimeSeries entries) in one request. */
  readonly maxSeriesPerRequest: number;
  /** Remote write samples + histograms, or OTLP data points, in one request. */
  readonly maxPointsPerRequest: number;
  /** OTLP logs: log records in one request. */
  readonly maxLogRecordsPerRequest: number;
  /** OTLP/JSON: bytes of the (decompressed) body, parsed in one blocking step. */
  readonly maxJsonBytes: number;
}

export type RequestLimitName = keyof RequestLimits;

/**
 * The defaults (the config schema takes its defaults from here). Measured
 * on this project's machine so that the largest request they admit decodes
 * in one step of well under 100 ms (docs/request-limits.md).
 */
export const DEFAULT_REQUEST_LIMITS: RequestLimits = Object.freeze({
  maxAttributesPerResource: 1024,
  maxAttributesPerScope: 64,
  maxAttributesPerPoint: 256,
  maxAttributesPerLogRecord: 256,
  maxLabelPairsPerSeries: 256,
  maxLabelNameBytes: 4096,
  maxLabelValueBytes: 65536,
  maxLabelsPerRequest: 200_000,
  maxSeriesPerRequest: 10_000,
  maxPointsPerRequest: 50_000,
  maxLogRecordsPerRequest: 20_000,
  maxJsonBytes: 4 * 1024 * 1024,
});

/** The config key of each cap, as messages name it. */
export const REQUEST_LIMIT_KEYS: { readonly [K in RequestLimitName]: string } =
  Object.freeze({
    maxAttributesPerResource: 'request_limits.max_attributes_per_resource',
    maxAttributesPerScope: 'request_limits.max_attributes_per_scope',
    maxAttributesPerPoint: 'request_limits.max_attributes_per_point',
    maxAttributesPerLogRecord: 'request_limits.max_attributes_per_log_record',
    maxLabelPairsPerSeries: 'request_limits.max_label_pairs_per_series',
    maxLabelNameBytes: 'request_limits.max_label_name_bytes',
    maxLabelValueBytes: 'request_limits.max_label_value_bytes',
    maxLabelsPerRequest: 'request_limits.max_labels_per_request',
    maxSeriesPerRequest: 'request_limits.max_series_per_request',
    maxPointsPerRequest: 'request_limits.max_points_per_request',
    maxLogRecordsPerRequest: 'request_limits.max_log_records_per_request',
    maxJsonBytes: 'request_limits.max_json_bytes',
  });

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
