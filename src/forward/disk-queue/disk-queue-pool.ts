/**
 * Opens the disk queues of every downstream's shards under one `queue_dir`
 * (`<queue_dir>/<downstream dir>/shard-<n>/`) and closes them together.
 * Its `createQueue` plugs into RemoteWriteForwarderDeps.createQueue.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { ForwardQueue } from '../forward-queue.js';
import type { QueueCapacity, QueueTarget } from '../remote-write-forwarder.js';
import {
  DiskForwardQueue,
  type FsyncPolicy,
  type QueueDrop,
  type QueueLog,
} from './disk-forward-queue.js';
import { queueDirName } from './queue-dir-name.js';

export interface DiskQueuePoolOptions {
  /** `forward.queue_dir`. */
  readonly queueDir: string;
  readonly fsync: FsyncPolicy;
  readonly fsyncIntervalMs: number;
  /** Bytes on disk per downstream, split evenly across its shards. */
  readonly maxBytes: number;
  /** undefined: records are kept until sent. */
  readonly maxAgeMs: number | undefined;
  readonly segmentBytes: number;
  readonly registry: Registry;
  readonly log?: QueueLog;
  /** Told about records dropped unsent (age limit, corruption), per downstream. */
  readonly onDropped?: (downstream: string, drop: QueueDrop) => void;
  /** Unix time in ms; default Date.now. */
  readonly now?: () => number;
}

export class DiskQueuePool {
  private readonly _options: DiskQueuePoolOptions;
  private readonly _queues: DiskForwardQueue[] = [];

  constructor(options: DiskQueuePoolOptions) {
    this._options = options;
  }

  /**
   * Opens shard `shard` of `target.downstream` (synchronously: see
   * DiskForwardQueue.open). The forwarder's point capacity is not applied:
   * a disk queue is bounded by bytes (`max_bytes`), so an outage of hours
   * fits. Throws when the directory cannot be used.
   */
  readonly createQueue = (
    shard: number,
    _capacity: QueueCapacity,
    target: QueueTarget
  ): ForwardQueue => {
    const options = this._options;
    const downstreamDir = join(
      options.queueDir,
      queueDirName(target.downstream)
    );
    if (shard === 0) this._warnOrphanShards(downstreamDir, target);
    const onDropped = options.onDropped;
    const queue = DiskForwardQueue.open({
      dir: join(downstreamDir, `shard-${shard}`),
      downstream: target.downstream,
      capacityBytes: Math.max(1, Math.floor(options.maxBytes / target.shards)),
      fsync: options.fsync,
      fsyncIntervalMs: options.fsyncIntervalMs,
      segmentBytes: options.segmentBytes,
      maxAgeMs: options.maxAgeMs,
      registry: options.registry,
      ...(options.log === undefined ? {} : { log: options.log }),
      ...(onDropped === undefined
        ? {}
        : {
            onDropped: (drop: QueueDrop) => onDropped(target.downstream, drop),
          }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    this._queues.push(queue);
    return queue;
  };

  /** Queues opened and not yet closed. */
  get queues(): readonly DiskForwardQueue[] {
    return this._queues;
  }

  /**
   * Closes every queue (final fsync and cursor), releasing their
   * directories. Call after the forwarders using them have stopped.
   */
  async close(): Promise<void> {
    const queues = this._queues.splice(0);
    await Promise.all(queues.map(queue => queue.close()));
  }

  /** Data left in shard dirs past the configured shard count is not sent: say so. */
  private _warnOrphanShards(downstreamDir: string, target: QueueTarget): void {
    const log = this._options.log;
    if (log === undefined || !existsSync(downstreamDir)) return;
    for (const name of readdirSync(downstreamDir)) {
      const match = /^shard-(\d+)$/.exec(name);
      if (match === null || Number(match[1]) < target.shards) continue;
      const hasSegments = readdirSync(join(downstreamDir, name)).some(file =>
        file.endsWith('.seg')
      );
      if (!hasSegments) continue;
      log(
        'warn',
        'queued data in a shard beyond the configured shard count is not sent; restore the shard count to send it',
        {
          downstream: target.downstream,
          dir: join(downstreamDir, name),
          shards: target.shards,
        }
      );
    }
  }
}
