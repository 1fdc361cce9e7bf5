export { decodeMetricsProtobuf } from './decode-metrics-protobuf.js';
export { decodeMetricsJson } from './decode-metrics-json.js';
export {
  OtlpMetricsConverter,
  MAX_CONVERT_ERRORS,
  type ConvertResult,
  type OtlpMetricsConverterOptions,
} from './otlp-metrics-converter.js';
export {
  DeltaToCumulative,
  DEFAULT_DELTA_IDLE_MS,
  DEFAULT_DELTA_MAX_ENTRIES,
  type DeltaToCumulativeOptions,
} from './delta-to-cumulative.js';
export {
  encodeExportMetricsResponse,
  encodeExportLogsResponse,
  encodeRpcStatus,
  type OtlpFormat,
} from './export-response.js';
export {
  buildMetricName,
  buildUnitName,
  sanitizeLabelName,
  formatPrometheusFloat,
  type MetricNameKind,
} from './prometheus-naming.js';
export { formatAnyValue } from './format-any-value.js';
export { STALE_NAN, isStaleNaN } from './stale-nan.js';
export {
  AggregationTemporality,
  DataPointFlags,
  type OtlpMetricsRequest,
  type OtlpResourceMetrics,
  type OtlpResource,
  type OtlpScopeMetrics,
  type OtlpInstrumentationScope,
  type OtlpMetric,
  type OtlpMetricData,
  type OtlpGauge,
  type OtlpSum,
  type OtlpHistogram,
  type OtlpExponentialHistogram,
  type OtlpSummary,
  type OtlpNumberDataPoint,
  type OtlpHistogramDataPoint,
  type OtlpExponentialHistogramDataPoint,
  type OtlpSummaryDataPoint,
  type OtlpValueAtQuantile,
  type OtlpBuckets,
  type OtlpExemplar,
  type OtlpKeyValue,
  type OtlpKeyValueList,
  type OtlpAnyValue,
} from './otlp-metrics-model.js';
export {
  DEFAULT_REQUEST_LIMITS,
  REQUEST_LIMIT_KEYS,
  overRequestLimit,
  type RequestLimits,
} from '../request-limits.js';
