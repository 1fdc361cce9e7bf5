/**
 * The disk queue's own metrics, on the gateway's prom-client Registry. The
 * shards of a downstream (and a reloaded queue of the same downstream) share
 * one instrument per name, found on the registry or created once, and bind
 * their `downstream` label once (STYLE rule 16).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

type DownstreamLabel = 'downstream';

function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export class DiskQueueMetrics {
  readonly corruptRecords: Counter.Internal;
  readonly corruptBytes: Counter.Internal;
  readonly expiredRecords: Counter.Internal;
  readonly expiredPoints: Counter.Internal;
  readonly diskBytes: Gauge.Internal<DownstreamLabel>;
  readonly segments: Gauge.Internal<DownstreamLabel>;
  readonly rolledBackRecords: Counter.Internal;
  readonly fsyncSeconds: Histogram.Internal<DownstreamLabel>;

  constructor(registry: Registry, downstream: string) {
    const registers = [registry];
    const labelNames = ['downstream'] as const;
    const labels = { downstream };
    this.corruptRecords = getOrCreate(
      registry,
      'fleetgate_queue_corrupt_records_total',
      () =>
        new Counter({
          name: 'fleetgate_queue_corrupt_records_total',
          help: 'Torn or corrupt queue records found (on open or on read), cut off or skipped, by downstream.',
          labelNames,
          registers,
        })
    ).labels(labels);
    this.corruptBytes = getOrCreate(
      registry,
      'fleetgate_queue_corrupt_bytes_total',
      () =>
        new Counter({
          name: 'fleetgate_queue_corrupt_bytes_total',
          help: 'Bytes of queue segments cut off or skipped as torn or corrupt, by downstream.',
          labelNames,
          registers,
        })
    ).labels(labels);
    this.expiredRecords = getOrCreate(
      registry,
      'fleetgate_queue_expired_records_total',
      () =>
        new Counter({
          name: 'fleetgate_queue_expired_records_total',
          help: 'Queued records dropped unsent because they were older than forward.queue.max_age, by downstream.',
          labelNames,
          registers,
        })
    ).labels(labels);
    this.expiredPoints = getOrCreate(
      registry,
      'fleetgate_queue_expired_samples_total',
      () =>
        new Counter({
          name: 'fleetgate_queue_expired_samples_total',
          help: 'Samples and histograms dropped unsent because they were older than forward.queue.max_age, by downstream.',
          labelNames,
          registers,
        })
    ).labels(labels);
    this.diskBytes = getOrCreate(
      registry,
      'fleetgate_queue_disk_bytes',
      () =>
        new Gauge({
          name: 'fleetgate_queue_disk_bytes',
          help: 'Bytes of queue segment files on disk, sent or not yet, by downstream.',
          labelNames,
          registers,
        })
    ).labels(labels);
    this.segments = getOrCreate(
      registry,
      'fleetgate_queue_segments',
      () =>
        new Gauge({
          name: 'fleetgate_queue_segments',
          help: 'Queue segment files on disk, by downstream (set from the files found on open, then kept as they are created and deleted).',
          labelNames,
          registers,
        })
    ).labels(labels);
    this.rolledBackRecords = getOrCreate(
      registry,
      'fleetgate_queue_rolled_back_records_total',
      () =>
        new Counter({
          name: 'fleetgate_queue_rolled_back_records_total',
          help: 'Queue records of refused requests cut off again (a write or fsync failed for part of the request), by downstream.',
          labelNames,
          registers,
        })
    ).labels(labels);
    this.fsyncSeconds = getOrCreate(
      registry,
      'fleetgate_queue_fsync_duration_seconds',
      () =>
        new Histogram({
          name: 'fleetgate_queue_fsync_duration_seconds',
          help: 'Time of one queue fsync round (all segments with unsynced appends), by downstream.',
          labelNames,
          buckets: [
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
          ],
          registers,
        })
    ).labels(labels);
  }
}
