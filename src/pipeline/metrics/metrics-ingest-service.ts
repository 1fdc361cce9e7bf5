/**
 * What every metrics write does after its protocol is decoded: run the
 * pipeline, hand the live series to the forwarders (which may refuse with a
 * retryable OverloadedError before anything is acknowledged), let the taps
 * observe what was acknowledged (pipeline/batch-observer.ts), and count.
 * Kept apart from the route handlers so they stay thin glue.
 */
import type { Config } from '../config/index.js';
import type { SeriesBatch } from '../model/index.js';
import {
  HA_NOT_ELECTED_REASON,
  StageTally,
  UNREGISTERED_CLUSTER,
  notifyObservers,
  notifyRefused,
  type BatchObserver,
  type Identifier,
  type Identity,
  type IngestProtocol,
  type ObservedWrite,
  type Pipeline,
  type SenderInfo,
} from '../pipeline/index.js';
import type { OtlpMetricsConverter } from '../ingest/index.js';
import type { SelfMetrics } from '../telemetry/index.js';
import { GatewayError } from '../errors.js';
import type { ClusterRegistry } from '../fleet/index.js';

/** Where normalized batches go; the forward fan-out implements it. */
export interface MetricsForwarder {
  /**
   * Copies the live series out of `batch` (synchronously: the batch may be
   * reused at once); throws OverloadedError when full. A returned promise
   * resolves when the data is durable, and the request waits for it.
   */
  enqueue(batch: SeriesBatch): Promise<void> | undefined;
}

/** Everything built from one configuration; swapped whole on reload. */
export interface IngestRuntime {
  readonly config: Config;
  readonly registry: ClusterRegistry;
  readonly identifier: Identifier;
  readonly pipeline: Pipeline;
  readonly otlpConverter: OtlpMetricsConverter;
  readonly forwarder: MetricsForwarder;
  /** The after-acknowledgement taps (SLO, fleet). */
  readonly observers: readonly BatchObserver<SeriesBatch>[];
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

export class IngestService {
  private readonly _metrics: SelfMetrics;
  private readonly _onObserverError: (err: unknown, observer: string) => void;

  /** @param onObserverError told about a tap that threw (the request still succeeds: its data is queued). */
  constructor(
    metrics: SelfMetrics,
    onObserverError: (err: unknown, observer: string) => void
  ) {
    this._metrics = metrics;
    this._onObserverError = onObserverError;
  }

  /** Runs the pipeline over a decoded batch, forwards it, then lets the taps observe it. */
  async acceptMetrics(
    runtime: IngestRuntime,
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
      await runtime.pipeline.run(batch, write);
      const durable = runtime.forwarder.enqueue(batch);
      if (durable !== undefined) await durable;
    } catch (err) {
      // A refusal the sender will retry (rate limit, full queue) still tells the fleet view the cluster is alive.
      if (err instanceof GatewayError) {
        const refused =
          err.code === 'GW_ERR_OVERLOADED'
            ? ((err as { reason?: string }).reason ?? 'overloaded')
            : err.code;
        notifyRefused(runtime.observers, write, refused);
      }
      throw err;
    }
    const observed = notifyObservers(
      runtime.observers,
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
