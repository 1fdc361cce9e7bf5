/**
 * The logs pipeline's tap for the fleet view: counts each normalized log
 * batch's live records per canonical cluster as that cluster's `logs` signal
 * (last seen, lines per second).
 */
import { LogDropReason, type LogBatch } from '../../model/index.js';
import type { FleetTracker } from './fleet-tracker.js';

export class LogBatchFleetObserver {
  readonly name = 'fleet-logs';
  private readonly _fleet: Pick<FleetTracker, 'recordIngest'>;

  constructor(fleet: Pick<FleetTracker, 'recordIngest'>) {
    this._fleet = fleet;
  }

  observe(batch: LogBatch): void {
    const counts = new Map<string, number>();
    for (let i = 0; i < batch.records.length; i++) {
      if (batch.dropped[i] !== LogDropReason.NONE) continue;
      const cluster = batch.resourceOf(batch.records[i]!).cluster;
      counts.set(cluster, (counts.get(cluster) ?? 0) + 1);
    }
    const nowMs = Date.now();
    for (const [cluster, records] of counts)
      this._fleet.recordIngest(cluster, 'logs', { samples: records }, nowMs);
  }
}
