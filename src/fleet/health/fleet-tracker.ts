/**
 * The fleet tracker: per cluster (the registry's, plus unregistered senders
 * listed apart) and per signal, what arrived and when, and from that each
 * cluster's state and reasons. Three parts, wired here:
 * - ingest (fleet-recorder.ts): one `recordIngest()` per request and
 *   cluster into this replica's records;
 * - replication (fleet-replication.ts, fleet-snapshot.ts) through the
 *   snapshot-and-merge component: every SYNC_INTERVAL_MS each replica
 *   publishes its records and reads the others', and answers merge them;
 * - queries (fleet-health-queries.ts): states, reasons, rates and counts.
 *
 * Times come from the injected clock (STYLE rule 25); nothing here reads
 * Date.now() directly.
 */
import { hostname } from 'node:os';
import type { SnapshotTransport } from '../../state/index.js';
import type { Signal } from './cluster-health.js';
import type { ClusterRecord } from './cluster-record.js';
import {
  FleetHealthQueries,
  type ClusterDetail,
  type FleetEvaluation,
  type FleetThresholds,
} from './fleet-health-queries.js';
import {
  FleetRecorder,
  type ClusterDirectory,
  type IngestReport,
} from './fleet-recorder.js';
import { FleetReplication } from './fleet-replication.js';
import {
  mergeClusterRecords,
  type EncodedFleetRecords,
} from './fleet-snapshot.js';
import { CLEAR_AFTER_MS } from './health-rules.js';
import type {
  CardinalityBudgetSource,
  SloAlertSource,
  WarningEventSource,
} from './health-sources.js';

/** How often a replica publishes, reads its peers and re-evaluates (with `start()`). */
export const SYNC_INTERVAL_MS = 5000;

export interface FleetTrackerOptions {
  /** The live registry (it is rebuilt on reload). */
  readonly registry: () => ClusterDirectory;
  /** The live `fleet` config. */
  readonly thresholds: () => FleetThresholds;
  /** Clock in ms (default Date.now). */
  readonly now?: (() => number) | undefined;
  readonly slos?: SloAlertSource | undefined;
  readonly warnings?: WarningEventSource | undefined;
  readonly cardinality?: CardinalityBudgetSource | undefined;
  /** Shared state; snapshots are exchanged only when `store.isShared`. */
  readonly store?: SnapshotTransport | undefined;
  /** This replica's id in snapshots (default hostname-pid). */
  readonly replicaId?: string | undefined;
  /** Hysteresis: a degraded reason clears after this long without its condition (default 5m). */
  readonly clearAfterMs?: number | undefined;
  readonly syncIntervalMs?: number | undefined;
  /** Failures of sources and of the store; the tracker goes on without them. */
  readonly onError?: ((err: unknown) => void) | undefined;
}

export class FleetTracker {
  readonly replicaId: string;
  private readonly _now: () => number;
  private readonly _cardinality: CardinalityBudgetSource | undefined;
  private readonly _onError: (err: unknown) => void;
  private readonly _syncIntervalMs: number;
  private readonly _recorder: FleetRecorder;
  /** Present with a shared store only. */
  private readonly _replication: FleetReplication | undefined;
  private readonly _queries: FleetHealthQueries;
  private _timer: NodeJS.Timeout | undefined;
  private _ticking: Promise<void> | undefined;

  constructor(options: FleetTrackerOptions) {
    this._now = options.now ?? Date.now;
    this._cardinality = options.cardinality;
    this.replicaId = options.replicaId ?? `${hostname()}-${process.pid}`;
    const clearAfterMs = options.clearAfterMs ?? CLEAR_AFTER_MS;
    this._syncIntervalMs = options.syncIntervalMs ?? SYNC_INTERVAL_MS;
    this._onError =
      options.onError ??
      (() => {
        /* sources and store failures are optional to report */
      });
    this._recorder = new FleetRecorder(options.registry);
    this._replication =
      options.store?.isShared === true
        ? new FleetReplication({
            transport: options.store,
            replicaId: this.replicaId,
            syncIntervalMs: this._syncIntervalMs,
            clearAfterMs,
            onError: this._onError,
          })
        : undefined;
    this._queries = new FleetHealthQueries({
      registry: options.registry,
      thresholds: options.thresholds,
      now: this._now,
      slos: options.slos,
      warnings: options.warnings,
      cardinality: options.cardinality,
      clearAfterMs,
      onError: this._onError,
      recorder: this._recorder,
      merged: only => this._mergedRecords(only),
    });
  }

  /**
   * Records one request of `cluster` on `signal`, received at
   * `receivedAtMs` (the gateway's clock). Constant work per call; a
   * cluster outside the registry is tracked as an unregistered sender.
   */
  recordIngest(
    cluster: string,
    signal: Signal,
    report: IngestReport,
    receivedAtMs: number
  ): void {
    this._recorder.recordIngest(cluster, signal, report, receivedAtMs);
  }

  /**
   * Evaluates every cluster now: states, reasons (updating the hysteresis
   * memory), rates and counts, merged over all replicas as of the last
   * sync. Never rejects because of a source: failing sources are reported
   * to `onError` and skipped.
   */
  evaluate(): Promise<FleetEvaluation> {
    return this._queries.evaluate();
  }

  /** One cluster's detail, or undefined when it is neither registered nor tracked. */
  clusterDetail(cluster: string): Promise<ClusterDetail | undefined> {
    return this._queries.clusterDetail(cluster);
  }

  /**
   * Publishes this replica's records and reads the other replicas' (only
   * with a shared store). Never rejects: store failures go to `onError` and
   * the last peers' view is kept until their snapshots would have expired.
   */
  async sync(): Promise<void> {
    const replication = this._replication;
    if (replication === undefined) return;
    const nowMs = this._now();
    let own: EncodedFleetRecords;
    try {
      own = this._encodeRecords(nowMs);
    } catch (err) {
      this._onError(err);
      return;
    }
    await replication.sync(
      own,
      (name, record) => this._recorder.recordFor(name).absorb(record),
      nowMs
    );
  }

  /** Starts the round (sync, then evaluate, every sync interval); the timer is unref'd. */
  start(): void {
    if (this._timer !== undefined) return;
    this._timer = setInterval(() => {
      void this.tick();
    }, this._syncIntervalMs);
    this._timer.unref();
  }

  /** Stops the round and waits for one in flight. */
  async stop(): Promise<void> {
    if (this._timer !== undefined) clearInterval(this._timer);
    this._timer = undefined;
    await this._ticking;
  }

  /** One round: sync with the peers, then evaluate (so reasons are tracked when nobody asks). */
  tick(): Promise<void> {
    this._ticking ??= (async () => {
      try {
        await this.sync();
        await this.evaluate();
      } catch (err) {
        this._onError(err);
      }
    })().finally(() => {
      this._ticking = undefined;
    });
    return this._ticking;
  }

  private _encodeRecords(nowMs: number): EncodedFleetRecords {
    return this._recorder.encode(nowMs, name =>
      this._cardinality?.activeSeries(name)
    );
  }

  /** Local records merged with the live peers' (all clusters, or one). */
  private _mergedRecords(only?: string): Map<string, ClusterRecord> {
    const peers = this._replication?.livePeers(this._now()) ?? [];
    return mergeClusterRecords(this._recorder.records, peers, only);
  }
}
