export { Identifier, isLoopbackHost, type Identity } from './identify.js';
export {
  NormalizeLabels,
  CANONICAL_LABELS,
  UNREGISTERED_CLUSTER,
  type CanonicalLabel,
  type NormalizeOptions,
} from './normalize-labels.js';
export { Pipeline } from './pipeline.js';
export {
  StageTally,
  type Stage,
  type StageContext,
  type IngestProtocol,
} from './stage.js';
export {
  Relabel,
  compileRelabelRule,
  validateRelabelRule,
  relabelRecord,
  hashmodOf,
  type CompiledRelabelRule,
  type RelabelAction,
} from './relabel.js';
export {
  compileRelabelRegex,
  parseTemplate,
  expandTemplate,
} from './relabel-regex.js';
export {
  HaDeduplicator,
  HA_NOT_ELECTED_REASON,
  type HaConfig,
} from './ha/index.js';
export { IngestionRateLimiter, RATE_LIMITED_REASON } from './rate/index.js';
export {
  CardinalityLimiter,
  CardinalityQueries,
  LabelLimits,
} from './limit/index.js';
export {
  buildMetricsPipeline,
  METRICS_STAGE_ORDER,
  type PipelineParts,
  type StageSpec,
} from './build-pipeline.js';
export {
  notifyObservers,
  notifyRefused,
  type BatchObserver,
  type ObservedWrite,
  type SenderInfo,
} from './batch-observer.js';
export {
  DEFAULT_QUERY_LIMIT,
  MAX_LABEL_NAMES_PER_QUERY,
  MAX_QUERY_LIMIT,
} from './limit/cardinality-queries.js';
export {
  type CardinalitySketchAdd,
  type CardinalityStore,
} from './limit/cardinality-store.js';
export {
  type LabelMatcher,
  parseSeriesSelector,
} from './limit/series-selector.js';
export { LogsIngestService } from './logs/logs-ingest-service.js';
export {
  MetricsIngestService,
  metricClusterOf,
  type IngestOutcome,
  type MetricsForwarder,
  type MetricsIngestCounters,
  type MetricsIngestServiceDeps,
} from './metrics/metrics-ingest-service.js';
