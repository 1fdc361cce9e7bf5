/**
 * What every metrics write does after its protocol is decoded, in order:
 *
 * 1. the pipeline's stages (build-pipeline.ts: normalize, HA dedup,
 *    relabel, limits, cardinality) rewrite labels and mark dropped series;
 * 2. forward: the live series are appended to every downstream's queue,
 *    which may refuse with a retryable OverloadedError before anything is
 *    acknowledged;
 * 3. observe: the after-acknowledgement taps (SLO, fleet) see the batch
 *    (../batch-observer.ts says why after);
 * 4. count: requests, series, samples, conflicts and drops per cluster.
 *
 * Built anew with each configuration, like the logs service beside it; a
 * request keeps the service it started with.
 */
import type { SeriesBatch } from '../../model/index.js';
import { GatewayError } from '../../errors.js';
import type { Counter } from 'prom-client';
import {
  notifyObservers,
  notifyRefused,
  type BatchObserver,
  type ObservedWrite,
  type SenderInfo,
} from '../batch-observer.js';
import { HA_NOT_ELECTED_REASON } from '../ha/index.js';
import type { Identity } from '../identify.js';
import { UNREGISTERED_CLUSTER } from '../normalize-labels.js';
import type { Pipeline } from '../pipeline.js';
import { StageTally, type IngestProtocol } from '../stage.js';

/** Where normalized batches go; the forward fan-out implements it. */
export interface MetricsForwarder {
  /**
   * Copies the live series out of `batch` (synchronously: the batch may be
   * reused at once); throws OverloadedError when full. A returned promise
   * resolves when the data is durable, and the request waits for it.
   */
  enqueue(batch: SeriesBatch): Promise<void> | undefined;
}

export interface IngestOutcome {
  /** Float samples that landed (acknowledged). */
  samplesWritten: number;
  histogramsWritten: number;
  exemplarsWritten: number;
  /** Series dropped by a policy stage. */
  seriesDropped: number;
  /** Samples and histograms in those series. */
  pointsDropped: number;
  /** One line per drop reason, for OTLP partial_success.error_message. */
  dropMessages: string[];
}

/** The cluster label used in the gateway's own metrics for an identity. */
export function metricClusterOf(identity: Identity): string {
  return identity.kind === 'cluster'
    ? identity.cluster.name
    : UNREGISTERED_CLUSTER;
}

/** The counters a write adds to (SelfMetrics has them; the pipeline room does not import telemetry). */
export interface MetricsIngestCounters {
  readonly receivedRequests: Counter<'cluster' | 'protocol'>;
  readonly receivedSeries: Counter<'cluster' | 'protocol'>;
  readonly receivedSamples: Counter<'cluster' | 'protocol'>;
  readonly receivedHistograms: Counter<'cluster' | 'protocol'>;
  readonly labelConflicts: Counter<'cluster' | 'label'>;
  readonly droppedSeries: Counter<'cluster' | 'reason'>;
  readonly droppedSamples: Counter<'cluster' | 'reason'>;
}

export interface MetricsIngestServiceDeps {
  /** The stages of this configuration (build-pipeline.ts). */
  readonly pipeline: Pipeline;
  readonly forwarder: MetricsForwarder;
  /** The after-acknowledgement taps (SLO, fleet). */
  readonly observers: readonly BatchObserver<SeriesBatch>[];
  readonly metrics: MetricsIngestCounters;
  /** Told about a tap that threw (the request still succeeds: its data is queued). */
  readonly onObserverError: (err: unknown, observer: string) => void;
}

export class MetricsIngestService {
  private readonly _pipeline: Pipeline;
  private readonly _forwarder: MetricsForwarder;
  private readonly _observers: readonly BatchObserver<SeriesBatch>[];
  private readonly _metrics: MetricsIngestCounters;
  private readonly _onObserverError: (err: unknown, observer: string) => void;

  constructor(deps: MetricsIngestServiceDeps) {
    this._pipeline = deps.pipeline;
    this._forwarder = deps.forwarder;
    this._observers = deps.observers;
    this._metrics = deps.metrics;
    this._onObserverError = deps.onObserverError;
  }

  /**
   * Runs the steps above over a decoded batch. Throws OverloadedError (a
   * rate limit or a full queue) or UnavailableError (forwarding stopping)
   * before anything is acknowledged.
   */
  async accept(
    batch: SeriesBatch,
    identity: Identity,
    protocol: IngestProtocol,
    receivedAtMs: number,
    sender: SenderInfo = {}
  ): Promise<IngestOutcome> {
    const tally = new StageTally();
    const write: ObservedWrite = {
      identity,
      protocol,
      receivedAtMs,
      tally,
      sender,
    };
    try {
      await this._pipeline.run(batch, write);
      const durable = this._forwarder.enqueue(batch);
      if (durable !== undefined) await durable;
    } catch (err) {
      // A refusal the sender will retry (rate limit, full queue) still tells the fleet view the cluster is alive.
      if (err instanceof GatewayError) {
        const refused =
          err.code === 'GW_ERR_OVERLOADED'
            ? ((err as { reason?: string }).reason ?? 'overloaded')
            : err.code;
        notifyRefused(this._observers, write, refused);
      }
      throw err;
    }
    const observed = notifyObservers(
      this._observers,
      batch,
      write,
      this._onObserverError
    );
    if (observed !== undefined) await observed;

    const cluster = metricClusterOf(identity);
    const metricProtocol = protocol === 'otlp' ? 'otlp' : 'remote_write';
    const labels = { cluster, protocol: metricProtocol };
    this._metrics.receivedRequests.inc(labels);
    this._metrics.receivedSeries.inc(labels, batch.seriesCount);
    this._metrics.receivedSamples.inc(labels, batch.sampleCount);
    if (batch.histograms.length > 0)
      this._metrics.receivedHistograms.inc(labels, batch.histograms.length);
    for (const [key, count] of tally.conflicts) {
      const [c, label] = key.split('\x00') as [string, string];
      this._metrics.labelConflicts.inc({ cluster: c, label }, count);
    }
    const outcome = countWritten(batch);
    for (const [key, [series, points]] of tally.drops) {
      const [c, reason] = key.split('\x00') as [string, string];
      this._metrics.droppedSeries.inc({ cluster: c, reason }, series);
      this._metrics.droppedSamples.inc({ cluster: c, reason }, points);
      outcome.seriesDropped += series;
      // A non-elected HA replica's data is acknowledged by design, not refused: OTLP must not warn about it.
      if (reason === HA_NOT_ELECTED_REASON) continue;
      outcome.pointsDropped += points;
      outcome.dropMessages.push(
        `${points} points of ${series} series dropped for cluster ${c}: ${tally.reasonText(reason)}`
      );
    }
    return outcome;
  }
}

/** What landed: the points of the series no stage dropped. */
function countWritten(batch: SeriesBatch): IngestOutcome {
  const outcome: IngestOutcome = {
    samplesWritten: batch.sampleCount,
    histogramsWritten: batch.histograms.length,
    exemplarsWritten: batch.exemplars.length,
    seriesDropped: 0,
    pointsDropped: 0,
    dropMessages: [],
  };
  if (batch.liveSeriesCount() === batch.seriesCount) return outcome;
  outcome.samplesWritten = 0;
  outcome.histogramsWritten = 0;
  outcome.exemplarsWritten = 0;
  for (let s = 0; s < batch.seriesCount; s++) {
    if (batch.dropped[s] !== 0) continue;
    outcome.samplesWritten += batch.sampleStart[s + 1]! - batch.sampleStart[s]!;
    outcome.histogramsWritten +=
      batch.histogramStart[s + 1]! - batch.histogramStart[s]!;
    outcome.exemplarsWritten +=
      batch.exemplarStart[s + 1]! - batch.exemplarStart[s]!;
  }
  return outcome;
}
