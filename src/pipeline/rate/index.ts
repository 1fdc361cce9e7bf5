export {
  IngestionRateLimiter,
  RATE_LIMITED_REASON,
  INGESTION_RATE_BUCKET_PREFIX,
  type ClusterRateLimit,
  type TokenBucketStore,
  type TokenTake,
} from './ingestion-rate-limiter.js';
export {
  RateMetrics,
  INGESTION_REFUSED_SAMPLES_METRIC,
} from './rate-metrics.js';
