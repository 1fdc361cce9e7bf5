export {
  DiskForwardQueue,
  DEFAULT_FSYNC_INTERVAL_MS,
  DEFAULT_SEGMENT_BYTES,
  type DiskForwardQueueOptions,
  type FsyncPolicy,
  type QueueDrop,
  type QueueLog,
  type QueueLogLevel,
} from './disk-forward-queue.js';
export { DiskQueuePool, type DiskQueuePoolOptions } from './disk-queue-pool.js';
export { queueDirName } from './queue-dir-name.js';
