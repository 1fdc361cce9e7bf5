export {
  LogsIngestService,
  LINE_TOO_LONG_REASON,
  type LogBatchObserver,
  type LogBatchForwarder,
  type LogsIngestServiceDeps,
  type LogsIngestOutcome,
} from './logs-ingest-service.js';
export { LogNormalizer } from './log-normalizer.js';
export {
  LogRateLimiter,
  LOG_RATE_LIMITED_REASON,
  LOG_INGESTION_RATE_BUCKET_PREFIX,
  type LogVolume,
  type LogRateRefusal,
} from './log-rate-limiter.js';
export {
  LogIngestMetrics,
  RECEIVED_LOG_RECORDS_METRIC,
  RECEIVED_LOG_BYTES_METRIC,
  REJECTED_LOG_RECORDS_METRIC,
  REFUSED_LOG_BYTES_METRIC,
  LOG_LABEL_CONFLICTS_METRIC,
  LOG_OBSERVER_ERRORS_METRIC,
} from './log-ingest-metrics.js';
