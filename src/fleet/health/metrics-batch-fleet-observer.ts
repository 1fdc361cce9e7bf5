/**
 * The metrics pipeline's tap for the fleet view: after a write is
 * acknowledged, each cluster in it gets one `metrics` report (points that
 * landed, series, drops by reason, newest sample, the sender's collector).
 * A write refused with a retryable error still tells the fleet view its
 * registered cluster is alive, with the refusal.
 *
 * The parameter types are the shapes this tap reads (the pipeline's
 * ObservedWrite satisfies them): the fleet room sits below the pipeline.
 */
import type { SeriesBatch } from '../../model/index.js';
import type { CollectorResource } from './collector-identity.js';
import type { FleetTracker } from './fleet-tracker.js';
import {
  summarizeMetricsBatch,
  type DropTally,
} from './metrics-batch-report.js';

export interface FleetWriteFacts {
  readonly identity:
    | { readonly kind: 'cluster'; readonly cluster: { readonly name: string } }
    | { readonly kind: 'anonymous' };
  readonly receivedAtMs: number;
  readonly tally: DropTally;
  readonly sender: {
    readonly userAgent?: string | undefined;
    readonly resource?: CollectorResource | undefined;
  };
}

export class MetricsBatchFleetObserver {
  readonly name = 'fleet-metrics';
  private readonly _fleet: Pick<FleetTracker, 'recordIngest'>;
  private readonly _unknownCluster: string;

  /** @param unknownCluster `normalize.unknown_cluster`: the cluster of a series without one. */
  constructor(
    fleet: Pick<FleetTracker, 'recordIngest'>,
    unknownCluster: string
  ) {
    this._fleet = fleet;
    this._unknownCluster = unknownCluster;
  }

  observe(batch: SeriesBatch, write: FleetWriteFacts): void {
    const { identity, sender } = write;
    const fixed =
      identity.kind === 'cluster' ? identity.cluster.name : undefined;
    const reports = summarizeMetricsBatch(
      batch,
      write.tally,
      fixed,
      this._unknownCluster
    );
    for (const [cluster, report] of reports) {
      this._fleet.recordIngest(
        cluster,
        'metrics',
        { ...report, userAgent: sender.userAgent, resource: sender.resource },
        write.receivedAtMs
      );
    }
  }

  refused(write: FleetWriteFacts, reason: string): void {
    if (write.identity.kind !== 'cluster') return;
    this._fleet.recordIngest(
      write.identity.cluster.name,
      'metrics',
      { refused: reason, userAgent: write.sender.userAgent },
      write.receivedAtMs
    );
  }
}
