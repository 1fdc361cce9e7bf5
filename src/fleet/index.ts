export {
  ClusterRegistry,
  sha256Hex,
  UNSET_LABEL_VALUE,
  type RegisteredCluster,
} from './cluster-registry.js';
export {
  type EventAppendResult,
  type EventQuery,
  type EventStore,
} from './events/event-store.js';
export { KubernetesEventService } from './events/kubernetes-event-service.js';
export {
  KNOWN_EVENT_TYPES,
  type KubernetesEvent,
} from './events/kubernetes-event.js';
export { LogBatchEventsObserver } from './events/log-batch-events-observer.js';
export { parseRfc3339Ms } from './events/parse-kubernetes-time.js';
export {
  type ClusterHealth,
  type ClusterState,
  SIGNALS,
  type Signal,
} from './health/cluster-health.js';
export { type CollectorResource } from './health/collector-identity.js';
export {
  type ClusterDetail,
  type FleetEvaluation,
} from './health/fleet-health-queries.js';
export { FleetMetrics } from './health/fleet-metrics.js';
export { type IngestReport } from './health/fleet-recorder.js';
export { type StateCounts } from './health/fleet-summary.js';
export {
  FleetTracker,
  type FleetTrackerOptions,
} from './health/fleet-tracker.js';
export { type SloStatus } from './health/health-sources.js';
export { LogBatchFleetObserver } from './health/log-batch-fleet-observer.js';
export {
  MetricsBatchFleetObserver,
  type FleetWriteFacts,
} from './health/metrics-batch-fleet-observer.js';
export { summarizeMetricsBatch } from './health/metrics-batch-report.js';
