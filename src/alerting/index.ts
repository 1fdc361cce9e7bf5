export type { AlertSource, GatewayAlert } from './alert-source.js';
export { alertFingerprint } from './alert-fingerprint.js';
export {
  invalidAlertReason,
  toPostableAlert,
  type PostableAlert,
} from './postable-alert.js';
export type {
  AlertPostResult,
  AlertPostSuccess,
  AlertPostFailure,
  AlertPostRetryable,
} from './alert-post-result.js';
export {
  AlertmanagerClient,
  alertmanagerNameOf,
  ALERTS_API_PATH,
  DEFAULT_ALERTMANAGER_TIMEOUT_MS,
  type AlertmanagerClientOptions,
} from './alertmanager-client.js';
export {
  AlertingMetrics,
  ALERTS_SENT_METRIC,
  ALERTS_ACTIVE_METRIC,
  type AlertSendResult,
} from './alerting-metrics.js';
export {
  AlertNotifier,
  FIRING_ENDS_AFTER_INTERVALS,
  RESOLVED_RESEND_INTERVALS,
  MAX_RESOLVED_RESEND_MS,
  MAX_ALERTS_PER_REQUEST,
  type AlertNotifierConfig,
  type AlertNotifierDeps,
} from './alert-notifier.js';
export {
  SloAlertSource,
  type SloReportSource,
  type SloAlertCluster,
  type SloAlertClusters,
} from './slo-alert-source.js';
export {
  FleetAlertSource,
  type FleetEvaluationSource,
} from './fleet-alert-source.js';
