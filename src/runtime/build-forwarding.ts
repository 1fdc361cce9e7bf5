/**
 * The forwarders of one configuration generation and the disk queues they
 * own: the metrics fan-out (remote write downstreams) and the logs fan-out
 * (Loki and OTLP downstreams), sharing one disk queue pool when the queue
 * is on disk.
 */
import type { Config } from '../config/index.js';
import {
  DiskQueuePool,
  ForwardFanout,
  LogForwardFanout,
} from '../forward/index.js';
import type { Logger, SelfMetrics } from '../telemetry/index.js';

export interface Forwarding {
  readonly fanout: ForwardFanout;
  readonly logs: LogForwardFanout;
  readonly pool: DiskQueuePool | undefined;
}

export interface ForwardingDeps {
  readonly metrics: SelfMetrics;
  readonly logger: Logger;
}

/** Builds and starts the forwarders of `config`. */
export function buildForwarding(
  config: Config,
  deps: ForwardingDeps
): Forwarding {
  const { metrics, logger } = deps;
  const { forward } = config;
  const queue = forward.queue;
  const downstreams =
    forward.remote_write.length + forward.loki.length + forward.otlp.length;
  const pool =
    queue.type === 'disk' && downstreams > 0
      ? new DiskQueuePool({
          queueDir: forward.queue_dir,
          fsync: queue.fsync,
          fsyncIntervalMs: queue.fsync_interval,
          maxBytes: queue.max_bytes,
          maxAgeMs: queue.max_age,
          segmentBytes: queue.segment_bytes,
          registry: metrics.registry,
          log: (level, message, fields) => logger[level](fields, message),
          onDropped: (downstream, drop) => {
            metrics.forwardQueueSamples.dec({ downstream }, drop.points);
            metrics.forwardFailedSamples.inc(
              { downstream, reason: drop.reason },
              drop.points
            );
          },
        })
      : undefined;
  const fanout = new ForwardFanout(forward.remote_write, {
    metrics,
    logger,
    ...(pool === undefined ? {} : { createQueue: pool.createQueue }),
  });
  fanout.start();
  const logs = new LogForwardFanout(forward, config.logs, {
    logger,
    metrics,
    // Log queues get their own directories: `logs-loki-<name>`, `logs-otlp-<name>`.
    ...(pool === undefined
      ? {}
      : {
          createQueue: (kind, downstream, capacity) =>
            pool.createQueue(0, capacity, {
              downstream: `logs-${kind}-${downstream}`,
              shards: 1,
            }),
        }),
  });
  logs.start();
  return { fanout, logs, pool };
}

/** Stops a generation's forwarders: memory queues drain for up to `drainMs`; disk queues keep what is unsent for the next start. */
export async function closeForwarding(
  forwarding: Forwarding,
  drainMs: number
): Promise<void> {
  const drain =
    forwarding.pool === undefined ? drainMs : Math.min(drainMs, 5000);
  await Promise.all([
    forwarding.fanout.stop(drain),
    forwarding.logs.stop(drain),
  ]);
  await forwarding.pool?.close();
}
