export { ForwardFanout } from './forward-fanout.js';
export {
  RemoteWriteForwarder,
  METADATA_SHARD,
  QUEUE_BYTES_PER_POINT,
  MAX_SEND_BYTES,
  MIN_QUEUE_FULL_RETRY_AFTER_MS,
  MAX_QUEUE_FULL_RETRY_AFTER_MS,
  type RemoteWriteForwarderDeps,
  type QueueCapacity,
} from './remote-write-forwarder.js';
export type {
  Forwarder,
  ForwarderStats,
  ForwarderStopReport,
  ShardStats,
} from './forwarder.js';
export type { ForwardQueue, QueuedBatch } from './forward-queue.js';
export {
  MemoryForwardQueue,
  type MemoryForwardQueueOptions,
} from './memory-forward-queue.js';
export {
  RemoteWriteClient,
  RESPONSE_BODY_LOG_BYTES,
  type RemoteWriteClientConfig,
  type RemoteWriteClientDeps,
} from './remote-write-client.js';
export type {
  ExportResult,
  ExportSuccess,
  ExportFailure,
  ExportRetryable,
  RetryReason,
} from './export-result.js';
export { Backoff } from './backoff.js';
export { hashLabels } from './hash-labels.js';
export { downstreamNameOf } from './downstream-name.js';
export { readFleetgateVersion } from './fleetgate-version.js';
export { DiskQueuePool } from './disk-queue/disk-queue-pool.js';
export { LogForwardFanout } from './logs/log-forward-fanout.js';
