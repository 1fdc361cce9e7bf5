/**
 * The logs pipeline's tap for Kubernetes events: hands each normalized log
 * batch's live records, grouped by their canonical cluster, to the event
 * service, and tells the fleet view which clusters sent events.
 */
import {
  LogDropReason,
  type LogBatch,
  type LogRecord,
} from '../../model/index.js';
import type { LogRecordView } from './log-record-view.js';
import type { KubernetesEventService } from './kubernetes-event-service.js';

const NANOS_PER_MS = 1_000_000n;

/** Records the fleet view that a cluster sent events (FleetTracker implements it). */
export interface EventSightings {
  recordIngest(
    cluster: string,
    signal: 'events',
    report: { samples: number },
    receivedAtMs: number
  ): void;
}

function viewOf(batch: LogBatch, record: LogRecord): LogRecordView {
  return {
    resourceAttributes: batch.resourceOf(record).attributes,
    attributes: record.attributes,
    body: record.body,
    severityText: record.severityText,
    severityNumber: record.severityNumber,
    timeUnixMs: Number(record.timeUnixNano / NANOS_PER_MS),
    observedTimeUnixMs: Number(record.observedTimeUnixNano / NANOS_PER_MS),
  };
}

export class LogBatchEventsObserver {
  readonly name = 'k8s-events';
  private readonly _events: KubernetesEventService;
  private readonly _sightings: EventSightings | undefined;

  constructor(events: KubernetesEventService, sightings?: EventSightings) {
    this._events = events;
    this._sightings = sightings;
  }

  async observe(batch: LogBatch): Promise<void> {
    const byCluster = new Map<string, LogRecordView[]>();
    for (let i = 0; i < batch.records.length; i++) {
      if (batch.dropped[i] !== LogDropReason.NONE) continue;
      const record = batch.records[i]!;
      const cluster = batch.resourceOf(record).cluster;
      let views = byCluster.get(cluster);
      if (views === undefined) byCluster.set(cluster, (views = []));
      views.push(viewOf(batch, record));
    }
    const nowMs = Date.now();
    for (const [cluster, views] of byCluster) {
      const result = await this._events.observe(views, cluster);
      if (result.events > 0)
        this._sightings?.recordIngest(
          cluster,
          'events',
          { samples: result.events },
          nowMs
        );
    }
  }
}
