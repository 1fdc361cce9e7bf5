export {
  SeriesBatch,
  MetricType,
  DropReason,
  type MetricMetadata,
  type NativeHistogram,
  type BucketSpan,
  type Exemplar,
} from './series-batch.js';
export {
  METRIC_NAME_LABEL,
  getLabel,
  metricNameOf,
  sortLabels,
  labelsFromRecord,
  labelsToRecord,
  seriesKeyOf,
  formatSeries,
} from './labels.js';
export { BatchPool, type BatchPoolOptions } from './batch-pool.js';
export {
  parseSelectorWith,
  type SelectorOp,
  type SelectorSyntax,
} from './series-selector.js';
export { formatLe, formatGoFloat, parseLe } from './le-text.js';
export {
  type LogAnyValue,
  LogBatch,
  LogDropReason,
  type LogKeyValue,
  type LogRecord,
  type LogResource,
  type LogScope,
  emptyLogResource,
} from './log-batch.js';
export { formatSeriesHash, hashSeries } from './series-hash.js';
