export {
  IngestionRateLimiter,
  RATE_LIMITED_REASON,
  INGESTION_RATE_BUCKET_PREFIX,
} from './ingestion-rate-limiter.js';
export {
  ClusterRateLimiter,
  type ClusterRateLimit,
  type ConfiguredRateLimit,
  type RateLimitUnit,
  type RateRefusal,
  type TokenBucketStore,
  type TokenTake,
} from './cluster-rate-limiter.js';
export {
  RateMetrics,
  INGESTION_REFUSED_SAMPLES_METRIC,
} from './rate-metrics.js';
