export {
  CLUSTER_STATES,
  DEGRADED_REASON_CODES,
  NO_DATA_REASON,
  SIGNALS,
  compareWorstFirst,
  newestLastSeen,
  stateRank,
  type ClusterHealth,
  type ClusterState,
  type CollectorSighting,
  type DegradedReasonCode,
  type HealthReason,
  type Signal,
} from './cluster-health.js';
export {
  SEND_DELAY_ALLOWANCE_MS,
  SKEW_GAP_MS,
  SKEW_MIN_BEHIND_OBSERVATIONS,
  SKEW_MIN_OBSERVATIONS,
  SKEW_REPLAY_GRACE_MS,
  SKEW_SAMPLE_INTERVAL_MS,
  SKEW_WINDOW_MS,
  addSkewObservation,
  estimateClockSkew,
  mergeSkewObservations,
  type SkewEstimate,
  type SkewObservation,
  type SkewVerdict,
} from './clock-skew.js';
export {
  collectorFromResource,
  collectorFromUserAgent,
  identifyCollector,
  type CollectorIdentity,
  type CollectorResource,
} from './collector-identity.js';
export {
  FleetTracker,
  SYNC_INTERVAL_MS,
  type FleetTrackerOptions,
} from './fleet-tracker.js';
export {
  MAX_UNREGISTERED_CLUSTERS,
  UNREGISTERED_OVERFLOW,
  type ClusterDirectory,
  type IngestReport,
} from './fleet-recorder.js';
export {
  WARNING_DETAIL_WINDOW_MS,
  type ClusterDetail,
  type FleetEvaluation,
  type FleetThresholds,
} from './fleet-health-queries.js';
export {
  summarizeFleet,
  type FleetSummary,
  type StateCounts,
} from './fleet-summary.js';
export { FLEET_SNAPSHOT_KIND, mergeClusterRecords } from './fleet-snapshot.js';
export {
  CLUSTER_STATE_METRIC,
  FleetMetrics,
  type FleetEvaluationSource,
} from './fleet-metrics.js';
export {
  CARDINALITY_DROP_REASONS,
  CLEAR_AFTER_MS,
  REFUSAL_MIN_RATIO,
  REFUSAL_MIN_REQUESTS,
  WARNING_SPIKE_FACTOR,
  WARNING_SPIKE_MIN_EVENTS,
} from './health-rules.js';
export type {
  CardinalityBudgetSource,
  CountsByReason,
  MaybePromise,
  SloAlertSource,
  SloStatus,
  WarningEventSource,
} from './health-sources.js';
export {
  summarizeMetricsBatch,
  type DropTally,
} from './metrics-batch-report.js';
export {
  COUNT_BUCKET_MS,
  COUNT_WINDOW_MS,
  RATE_WINDOW_MS,
} from './window-counts.js';
export { LogBatchFleetObserver } from './log-batch-fleet-observer.js';
export {
  MetricsBatchFleetObserver,
  type FleetWriteFacts,
} from './metrics-batch-fleet-observer.js';
