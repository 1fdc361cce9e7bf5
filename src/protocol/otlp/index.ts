export { decodeMetricsProtobuf } from './decode-metrics-protobuf.js';
export { decodeMetricsJson } from './decode-metrics-json.js';
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
  type RequestLimits,
} from '../request-limits.js';
export { decodeLogsProtobuf } from './logs/decode-logs-protobuf.js';
export { decodeLogsJson } from './logs/decode-logs-json.js';
export {
  encodeResourceLogs,
  encodeExportLogsRequest,
} from './logs/encode-logs-protobuf.js';
