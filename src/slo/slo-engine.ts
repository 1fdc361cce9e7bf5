/**
 * Global SLOs computed as the data arrives (docs/architecture.md; issue 5), in three
 * parts that this engine wires together:
 * - the ingest stage (slo-ingest-stage.ts, the rules of counting): a
 *   read-only pipeline tap that turns counter samples into event counts
 *   per (SLO, cluster) in time buckets (slo-counters.ts);
 * - replication (slo-replication.ts) through the snapshot-and-merge
 *   component, with a shared store (`isShared`): publishes window sums and
 *   bucket state, merges the other replicas' (slo-window-sums.ts);
 * - queries (slo-queries.ts): error ratios, burn rates, budgets and alert
 *   states (slo-report.ts) for the API and /metrics (slo-metrics.ts), from
 *   local state or, shared, from the merged sums.
 * The compiled SLO set and its counters (slo-set.ts) are what they share.
 */
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import type { SeriesBatch } from '../model/index.js';
import type { BatchObserver, StageContext } from '../pipeline/index.js';
import type { SnapshotTransport } from '../state/index.js';
import type { SloDefinition, SloSpec } from './slo-definition.js';
import { SloIngestStage } from './slo-ingest-stage.js';
import { SloMetrics, type SloEngineStats } from './slo-metrics.js';
import {
  SloReportQueries,
  type SloQueries,
  type SloQuery,
} from './slo-queries.js';
import type { SloReport, SloSums } from './slo-report.js';
import { SloReplication } from './slo-replication.js';
import { SloSet, type SloRuntime } from './slo-set.js';
import { localSloSums } from './slo-window-sums.js';

export const DEFAULT_SLO_TICK_INTERVAL_MS = 1000;
export const DEFAULT_SLO_PUBLISH_INTERVAL_MS = 5000;
export const DEFAULT_SLO_STATE_INTERVAL_MS = 60_000;
export const DEFAULT_SLO_MAX_SERIES = 1_000_000;
export const DEFAULT_SLO_SERIES_TTL_MS = 15 * 60_000;
export const DEFAULT_SLO_MAX_GAP_MS = 10 * 60_000;
export const DEFAULT_SLO_MAX_CLUSTERS = 1000;
/** Idle series and clusters are swept this often. */
const SWEEP_INTERVAL_MS = 60_000;

export interface SloEngineOptions {
  /** Shared state: publish and merge when `store.isShared`, reload own state at start. */
  readonly store?: SnapshotTransport | undefined;
  /** This replica's id in published snapshots; keep it stable across restarts (default hostname-pid). */
  readonly replicaId?: string | undefined;
  /** Where the `fleetgate_slo_*` gauges go (slo-metrics.ts). */
  readonly registry?: Registry | undefined;
  /** Clock in ms (tests inject one). */
  readonly now?: (() => number) | undefined;
  /** Background round (sweeps, publishing when due); default 1s. */
  readonly tickIntervalMs?: number | undefined;
  /** Window sums are published this often (shared store; default 5s): answers lag by at most this. */
  readonly publishIntervalMs?: number | undefined;
  /**
   * Bucket state of changed SLOs is published this often (shared store;
   * default 1 min) and at stop: a crash loses at most this much. About
   * 11 KiB per (SLO, cluster) once its buckets are full.
   */
  readonly stateIntervalMs?: number | undefined;
  /** How long a read of the others' published sums is reused (default 1s). */
  readonly readCacheMs?: number | undefined;
  /** /metrics reuses computed figures this long (one scrape reads many gauges; default 1s). */
  readonly metricsCacheMs?: number | undefined;
  /** Counter series whose last value is kept, at most (default 1,000,000, about 200 B each). */
  readonly maxSeries?: number | undefined;
  /** A series not seen for this long is forgotten (default 15m). */
  readonly seriesTtlMs?: number | undefined;
  /** A sample this much newer than its series' previous one counts as a first sample (default 10m). */
  readonly maxGapMs?: number | undefined;
  /** Clusters per SLO, at most; the rest share SLO_OVERFLOW_CLUSTER (default 1000). */
  readonly maxClustersPerSlo?: number | undefined;
  /** Failures of background store work (log them); ingestion never waits on them. */
  readonly onError?: ((err: unknown) => void) | undefined;
}

/** The SLO engine: an after-acknowledgement tap (pipeline/batch-observer.ts says why) plus the queries over its state. */
export class SloEngine implements BatchObserver<SeriesBatch>, SloQueries {
  readonly name = 'slo';
  readonly replicaId: string;
  private readonly _set: SloSet;
  private readonly _ingest: SloIngestStage;
  /** Present with a shared store only. */
  private readonly _replication: SloReplication | undefined;
  private readonly _queries: SloReportQueries;
  private readonly _clock: () => number;
  private _lastNowMs = Number.NEGATIVE_INFINITY;
  private readonly _tickIntervalMs: number;
  private readonly _onError: ((err: unknown) => void) | undefined;
  private _timer: NodeJS.Timeout | undefined;
  private _maintaining: Promise<void> | undefined;
  private _lastSweepMs: number;

  /**
   * @throws SloSpecError when a spec does not compile (config validation
   *   reports the same problems earlier, with their paths).
   */
  constructor(specs: readonly SloSpec[], options: SloEngineOptions = {}) {
    this._clock = options.now ?? Date.now;
    this.replicaId = options.replicaId ?? `${hostname()}-${process.pid}`;
    this._tickIntervalMs =
      options.tickIntervalMs ?? DEFAULT_SLO_TICK_INTERVAL_MS;
    this._onError = options.onError;
    const now = (): number => this._now();
    const nowMs = now();
    this._lastSweepMs = nowMs;
    this._set = new SloSet(
      options.maxClustersPerSlo ?? DEFAULT_SLO_MAX_CLUSTERS
    );
    this._ingest = new SloIngestStage(this._set, {
      maxSeries: options.maxSeries ?? DEFAULT_SLO_MAX_SERIES,
      seriesTtlMs: options.seriesTtlMs ?? DEFAULT_SLO_SERIES_TTL_MS,
      maxGapMs: options.maxGapMs ?? DEFAULT_SLO_MAX_GAP_MS,
      now,
    });
    const store = options.store;
    this._replication =
      store?.isShared === true
        ? new SloReplication(
            this._set,
            {
              transport: store,
              replicaId: this.replicaId,
              publishIntervalMs:
                options.publishIntervalMs ?? DEFAULT_SLO_PUBLISH_INTERVAL_MS,
              stateIntervalMs:
                options.stateIntervalMs ?? DEFAULT_SLO_STATE_INTERVAL_MS,
              readCacheMs: options.readCacheMs ?? 1000,
              onError: options.onError,
            },
            nowMs
          )
        : undefined;
    this._queries = new SloReportQueries(
      this._set,
      (atMs, only) => this._sums(atMs, only),
      now,
      options.metricsCacheMs ?? 1000
    );
    this.reconfigure(specs);
    if (options.registry !== undefined) new SloMetrics(options.registry, this);
  }

  /** Compiled SLOs, in config order. */
  get definitions(): readonly SloDefinition[] {
    return this._set.slos.map(s => s.def);
  }

  /**
   * Replaces the SLO set (config reload). An SLO whose name, SLI and window
   * are unchanged keeps its counts; others start empty.
   *
   * @throws SloSpecError (and keeps the previous set) when a spec is invalid.
   */
  reconfigure(specs: readonly SloSpec[]): void {
    this._set.reconfigure(specs);
    this._ingest.invalidate();
    this._replication?.invalidate();
    this._queries.invalidate();
  }

  /** Counts an acknowledged batch's events; never mutates it. */
  observe(batch: SeriesBatch, context: StageContext): void {
    this._ingest.process(batch, context);
  }

  /** Starts the background timer after reloading this replica's state (shared store only). */
  async start(): Promise<void> {
    const replication = this._replication;
    if (replication !== undefined) {
      try {
        const nowMs = this._now();
        await replication.loadStates(nowMs, true, this._ingest);
        await replication.publish(this._now());
      } catch (err) {
        this._onError?.(err);
      }
    }
    if (this._timer !== undefined) return;
    this._timer = setInterval(() => {
      void this.maintain();
    }, this._tickIntervalMs);
    this._timer.unref();
  }

  /** Stops the timer and publishes the final window sums and bucket state (shared store). */
  async stop(): Promise<void> {
    if (this._timer !== undefined) clearInterval(this._timer);
    this._timer = undefined;
    await this._maintaining;
    if (this._replication === undefined) return;
    try {
      await this.publish();
      await this.publishState(true);
    } catch (err) {
      this._onError?.(err);
    }
  }

  /**
   * One background round: sweep idle series and clusters; when shared,
   * publish what is due and load gone replicas' state. Never rejects.
   */
  maintain(): Promise<void> {
    this._maintaining ??= this._maintain().finally(() => {
      this._maintaining = undefined;
    });
    return this._maintaining;
  }

  /** Publishes this replica's window sums now (shared store only). */
  async publish(): Promise<void> {
    await this._replication?.publish(this._now());
  }

  /** Publishes this replica's bucket state of every SLO that changed (all with `force`). */
  async publishState(force = false): Promise<void> {
    await this._replication?.publishState(this._now(), force);
  }

  /**
   * Every SLO's report, in config order (GET /api/v1/slos). With `window`,
   * an SLO that does not report that window shows no windows.
   *
   * @throws InvalidPayloadError when `window` is not a duration.
   */
  reports(query: SloQuery = {}): Promise<SloReport[]> {
    return this._queries.reports(query);
  }

  /**
   * One SLO's report (GET /api/v1/slos/{name}); undefined for an unknown name.
   *
   * @throws InvalidPayloadError when `window` is not one of its windows.
   */
  report(name: string, query: SloQuery = {}): Promise<SloReport | undefined> {
    return this._queries.report(name, query);
  }

  /** Every SLO's report for /metrics, computed at most once per `metricsCacheMs`. */
  metricsReports(): Promise<SloReport[]> {
    return this._queries.metricsReports();
  }

  /** Counters of the engine's own health (for /metrics). */
  stats(): SloEngineStats {
    let stateBytes = 0;
    let counters = 0;
    for (const slo of this._set.slos) {
      for (const c of slo.counters.values()) {
        stateBytes += c.stateBytes;
        counters++;
      }
    }
    return { ...this._ingest.stats(), counters, stateBytes };
  }

  private async _sums(
    nowMs: number,
    only: SloRuntime | undefined
  ): Promise<SloSums[]> {
    if (this._replication !== undefined)
      return this._replication.sums(nowMs, only);
    const slos = only === undefined ? this._set.slos : [only];
    return slos.map(slo => localSloSums(slo, nowMs));
  }

  private async _maintain(): Promise<void> {
    try {
      const nowMs = this._now();
      if (nowMs - this._lastSweepMs >= SWEEP_INTERVAL_MS) {
        this._lastSweepMs = nowMs;
        this._ingest.sweep(nowMs);
        const dropped = this._set.sweepIdleClusters(nowMs);
        this._replication?.sweep(nowMs);
        // Memoized entries point at the dropped counters: resolve them again.
        if (dropped) this._ingest.invalidate();
      }
      await this._replication?.maintain(nowMs, this._ingest);
    } catch (err) {
      // Background work never stops ingestion: report and go on with local state.
      this._onError?.(err);
    }
  }

  /** The injected clock, never going backwards. */
  private _now(): number {
    const now = this._clock();
    if (now > this._lastNowMs) this._lastNowMs = now;
    return this._lastNowMs;
  }
}
