export type {
  HaElection,
  ReplicaSnapshot,
  SketchAdd,
  StateStore,
  StoreHealth,
  TokenBucketResult,
} from './state-store.js';
export {
  createStateStore,
  type CreateStateStoreOptions,
} from './create-state-store.js';
export {
  MemoryStateStore,
  type MemoryStateStoreOptions,
} from './memory-state-store.js';
export {
  RedisStateStore,
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_CONNECT_GRACE_MS,
  DEFAULT_MAX_DEGRADED_SERIES,
  type RedisStateStoreOptions,
} from './redis-state-store.js';
export { StateKeys, escapeKeyPart, type TaggedKey } from './state-keys.js';
export {
  ACTIVE_SERIES_BUCKET_MS,
  DEFAULT_ACTIVE_SERIES_RETENTION_MS,
  MAX_ACTIVE_SERIES_RETENTION_MS,
} from './active-series-buckets.js';
export type { EventLog } from './event-log.js';
export {
  MemorySnapshotTransport,
  PortSnapshotTransport,
  SnapshotExchange,
  SnapshotHub,
  collectByKey,
  type PeerSnapshot,
  type SnapshotCodec,
  type SnapshotExchangeOptions,
  type SnapshotTransport,
} from './snapshot/index.js';
export { MemoryEventLog } from './event-log-memory.js';
export { RedisEventLog } from './event-log-redis.js';
