/**
 * The decode-time caps of one write request (config `request_limits`): their
 * shape, defaults and config key names. The protocol decoders apply them
 * (protocol/request-limits.ts); request-limits-schema.ts reads the section.
 */
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
   * (of resources, scopes, points, exemplars and log records, counting each
   * element of an array or kvlist value and of a log body), in one request:
   * the decode's cost grows with them, whatever their grouping.
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
