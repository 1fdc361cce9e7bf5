/**
 * The fleet tracker: per cluster (the registry's, plus unregistered senders
 * listed apart) and per signal, what arrived and when, and from that each
 * cluster's state and reasons (cluster-health.ts, health-rules.ts).
 *
 * Fed by the ingest path: one `recordIngest()` per request and cluster,
 * accepted or refused (refused requests count as contact: the cluster is
 * reachable, and its refusals are a degraded reason, not silence).
 *
 * Several replicas answer alike: every SYNC_INTERVAL_MS each replica
 * publishes its records as a snapshot (`fleet-health`, TTL three
 * intervals) and reads the others'. The answer merges them all:
 * - last-seen: max; first-seen: min;
 * - counts (samples, log lines, events, requests, refusals, drops): summed
 *   bucket by bucket, so rates are the sum of the replicas' rates;
 * - skew observations: union (one per sample slot), then the estimate;
 * - collectors: max last-seen; active series: max (routing is sticky per
 *   cluster, so one replica holds its series; max does not double count
 *   after a failover);
 * - reason memories (hysteresis): earliest since, latest activity.
 * Everything but the counts is also absorbed into the local records, so a
 * cluster's last contact and held reasons outlive the replica that saw
 * them; counts stay per replica (absorbing them would count them twice)
 * and leave with their replica's snapshot.
 *
 * Times come from the injected clock (STYLE rule 25); nothing here reads
 * Date.now() directly.
 */
import { hostname } from 'node:os';
import type { RegisteredCluster } from '../cluster-registry.js';
import { UNSET_LABEL_VALUE } from '../cluster-registry.js';
import type { ReplicaSnapshot } from '../../state/index.js';
import {
  CLUSTER_STATES,
  DEGRADED_REASON_CODES,
  NO_DATA_REASON,
  compareWorstFirst,
  newestLastSeen,
  type ClusterHealth,
  type ClusterState,
  type HealthReason,
  type Signal,
} from './cluster-health.js';
import {
  addSkewObservation,
  estimateClockSkew,
  type SkewEstimate,
} from './clock-skew.js';
import {
  ClusterRecord,
  DROPS_PREFIX,
  REFUSED_PREFIX,
  REQUESTS_KEY,
  pointsKey,
} from './cluster-record.js';
import {
  identifyCollector,
  type CollectorIdentity,
  type CollectorResource,
} from './collector-identity.js';
import {
  CLEAR_AFTER_MS,
  WARNING_BASELINE_WINDOW_MS,
  WARNING_SPIKE_WINDOW_MS,
  cardinalityReason,
  clockSkewReason,
  humanDuration,
  refusalReason,
  sloFastBurnReason,
  warningSpikeReason,
  type ActiveReason,
} from './health-rules.js';
import {
  countEntries,
  type CardinalityBudgetSource,
  type CountsByReason,
  type SloAlertSource,
  type SloStatus,
  type WarningEventSource,
} from './health-sources.js';
import { COUNT_WINDOW_MS, ratePerSecond, sumCounts } from './window-counts.js';
import { formatDuration } from '../../config/index.js';

/** Snapshot kind in the state store. */
export const FLEET_SNAPSHOT_KIND = 'fleet-health';
/** How often a replica publishes, reads its peers and re-evaluates (with `start()`). */
export const SYNC_INTERVAL_MS = 5000;
const SNAPSHOT_TTL_INTERVALS = 3;
/** Unregistered senders tracked by name; more are folded into UNREGISTERED_OVERFLOW. */
export const MAX_UNREGISTERED_CLUSTERS = 100;
export const UNREGISTERED_OVERFLOW = 'unregistered';
/** Warning events by reason shown in a cluster's detail. */
export const WARNING_DETAIL_WINDOW_MS = 60 * 60_000;
const SNAPSHOT_VERSION = 1;
const MAX_CACHED_USER_AGENTS = 256;

/** The registry as the tracker reads it (ClusterRegistry fits). */
export interface ClusterDirectory {
  all(): readonly RegisteredCluster[];
  byName(name: string): RegisteredCluster | undefined;
}

/** The part of the StateStore the tracker uses. */
export interface FleetSnapshotStore {
  readonly isShared: boolean;
  publishSnapshot(
    kind: string,
    replicaId: string,
    payload: string,
    ttlMs: number,
    nowMs: number
  ): Promise<void>;
  readSnapshots(kind: string, nowMs: number): Promise<ReplicaSnapshot[]>;
}

/** The `fleet` config section (durations in ms). */
export interface FleetThresholds {
  readonly stale_after: number;
  readonly down_after: number;
  readonly max_clock_skew: number;
}

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
  readonly store?: FleetSnapshotStore | undefined;
  /** This replica's id in snapshots (default hostname-pid). */
  readonly replicaId?: string | undefined;
  /** Hysteresis: a degraded reason clears after this long without its condition (default 5m). */
  readonly clearAfterMs?: number | undefined;
  readonly syncIntervalMs?: number | undefined;
  /** Failures of sources and of the store; the tracker goes on without them. */
  readonly onError?: ((err: unknown) => void) | undefined;
}

/** One request of one cluster, as the ingest path saw it. */
export interface IngestReport {
  /** Points that landed: samples + histograms (metrics), log records (logs), events (events). */
  readonly samples?: number | undefined;
  /** Series in the request. */
  readonly series?: number | undefined;
  /** Series dropped by a policy, by reason (`fleetgate_series_dropped_total`'s reasons). */
  readonly drops?: CountsByReason | undefined;
  /** Set when the whole request was refused (e.g. `rate_limited`, `overloaded`); its points did not land. */
  readonly refused?: string | undefined;
  readonly userAgent?: string | undefined;
  /** OTLP resource attributes of the request's first resource. */
  readonly resource?: CollectorResource | undefined;
  /** Metrics: the newest sample timestamp of the request's live series (clock skew). */
  readonly newestSampleMs?: number | undefined;
}

/** Clusters by state, with the total. */
export type StateCounts = Record<ClusterState, number> & { total: number };

export interface FleetSummary {
  /** Registered clusters by state, plus the `unregistered` senders. */
  readonly byState: StateCounts;
  /** Registered clusters by region, then state. */
  readonly byRegion: Readonly<Record<string, StateCounts>>;
  readonly byEnv: Readonly<Record<string, StateCounts>>;
}

/** One evaluation of the whole fleet. */
export interface FleetEvaluation {
  readonly atMs: number;
  readonly summary: FleetSummary;
  /** Registered clusters, worst first. */
  readonly clusters: readonly ClusterHealth[];
  /** Unregistered senders, worst first. */
  readonly unregistered: readonly ClusterHealth[];
  /** Fleet-wide SLO status (empty without an SLO source). */
  readonly slos: readonly SloStatus[];
}

/** One cluster with what only its detail shows. */
export interface ClusterDetail extends ClusterHealth {
  readonly atMs: number;
  readonly slos: readonly SloStatus[];
  /** Warning events by reason within WARNING_DETAIL_WINDOW_MS; undefined without an events source. */
  readonly warningEvents:
    | {
        readonly windowMs: number;
        readonly byReason: Readonly<Record<string, number>>;
      }
    | undefined;
  readonly skew: SkewEstimate;
}

export class FleetTracker {
  readonly replicaId: string;
  private readonly _registry: () => ClusterDirectory;
  private readonly _thresholds: () => FleetThresholds;
  private readonly _now: () => number;
  private readonly _slos: SloAlertSource | undefined;
  private readonly _warnings: WarningEventSource | undefined;
  private readonly _cardinality: CardinalityBudgetSource | undefined;
  private readonly _store: FleetSnapshotStore | undefined;
  private readonly _clearAfterMs: number;
  private readonly _syncIntervalMs: number;
  private readonly _onError: (err: unknown) => void;
  private readonly _local = new Map<string, ClusterRecord>();
  private _unregisteredCount = 0;
  /** Peers' records from the last sync, by replica. */
  private _peers = new Map<string, PeerRecords>();
  private readonly _collectorCache = new Map<
    string,
    CollectorIdentity | undefined
  >();
  private _timer: NodeJS.Timeout | undefined;
  private _ticking: Promise<void> | undefined;

  constructor(options: FleetTrackerOptions) {
    this._registry = options.registry;
    this._thresholds = options.thresholds;
    this._now = options.now ?? Date.now;
    this._slos = options.slos;
    this._warnings = options.warnings;
    this._cardinality = options.cardinality;
    this._store = options.store;
    this.replicaId = options.replicaId ?? `${hostname()}-${process.pid}`;
    this._clearAfterMs = options.clearAfterMs ?? CLEAR_AFTER_MS;
    this._syncIntervalMs = options.syncIntervalMs ?? SYNC_INTERVAL_MS;
    this._onError =
      options.onError ??
      (() => {
        /* sources and store failures are optional to report */
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
    const record = this._recordFor(cluster);
    record.noteSeen(signal, receivedAtMs);
    record.count(REQUESTS_KEY, receivedAtMs, 1);
    if (report.refused !== undefined) {
      record.count(REFUSED_PREFIX + report.refused, receivedAtMs, 1);
    } else {
      record.count(pointsKey(signal), receivedAtMs, report.samples ?? 0);
      if (signal === 'metrics' && report.newestSampleMs !== undefined)
        addSkewObservation(record.skew, receivedAtMs, report.newestSampleMs);
    }
    if (report.drops !== undefined) {
      for (const [reason, n] of countEntries(report.drops))
        record.count(DROPS_PREFIX + reason, receivedAtMs, n);
    }
    if (report.userAgent !== undefined || report.resource !== undefined) {
      const collector = this._identify(report.userAgent, report.resource);
      if (collector !== undefined)
        record.noteCollector(collector, [signal], receivedAtMs);
    }
  }

  /** identifyCollector, memoized per User-Agent when there are no resource attributes (most requests). */
  private _identify(
    userAgent: string | undefined,
    resource: CollectorResource | undefined
  ): CollectorIdentity | undefined {
    if (resource !== undefined || userAgent === undefined)
      return identifyCollector(userAgent, resource);
    const cache = this._collectorCache;
    if (cache.has(userAgent)) return cache.get(userAgent);
    const collector = identifyCollector(userAgent, undefined);
    // Senders choose the header: a full cache starts over rather than grow.
    if (cache.size >= MAX_CACHED_USER_AGENTS) cache.clear();
    cache.set(userAgent, collector);
    return collector;
  }

  /**
   * Evaluates every cluster now: states, reasons (updating the hysteresis
   * memory), rates and counts, merged over all replicas as of the last
   * sync. Never rejects because of a source: failing sources are reported
   * to `onError` and skipped.
   */
  async evaluate(): Promise<FleetEvaluation> {
    const nowMs = this._now();
    const thresholds = this._thresholds();
    const directory = this._registry();
    const merged = this._mergedRecords();
    const pending: Promise<ClusterHealth>[] = [];
    for (const registered of directory.all()) {
      pending.push(
        this._evaluateCluster(
          registered.name,
          registered,
          merged.get(registered.name),
          nowMs,
          thresholds
        )
      );
    }
    for (const [name, record] of merged) {
      if (directory.byName(name) !== undefined) continue;
      if (this._isForgotten(record, nowMs, thresholds)) continue;
      pending.push(
        this._evaluateCluster(name, undefined, record, nowMs, thresholds)
      );
    }
    const all = await Promise.all(pending);
    const clusters = all.filter(c => c.isRegistered).sort(compareWorstFirst);
    const unregistered = all
      .filter(c => !c.isRegistered)
      .sort(compareWorstFirst);
    this._forget(nowMs, thresholds, directory);
    const slos =
      this._slos === undefined
        ? []
        : ((await this._ask(() => this._slos!.fleetSlos())) ?? []);
    return {
      atMs: nowMs,
      summary: summarizeFleet(clusters, unregistered),
      clusters,
      unregistered,
      slos,
    };
  }

  /** One cluster's detail, or undefined when it is neither registered nor tracked. */
  async clusterDetail(cluster: string): Promise<ClusterDetail | undefined> {
    const nowMs = this._now();
    const thresholds = this._thresholds();
    const registered = this._registry().byName(cluster);
    const record = this._mergedRecords(cluster).get(cluster);
    if (
      registered === undefined &&
      (record === undefined || this._isForgotten(record, nowMs, thresholds))
    )
      return undefined;
    const health = await this._evaluateCluster(
      cluster,
      registered,
      record,
      nowMs,
      thresholds
    );
    const slos =
      this._slos === undefined
        ? []
        : ((await this._ask(() => this._slos!.clusterSlos(cluster))) ?? []);
    let warningEvents: ClusterDetail['warningEvents'];
    if (this._warnings !== undefined) {
      const counts = await this._ask(() =>
        this._warnings!.recentWarnings(
          cluster,
          nowMs - WARNING_DETAIL_WINDOW_MS
        )
      );
      warningEvents = {
        windowMs: WARNING_DETAIL_WINDOW_MS,
        byReason:
          counts === undefined ? {} : Object.fromEntries(countEntries(counts)),
      };
    }
    return {
      ...health,
      atMs: nowMs,
      slos,
      warningEvents,
      skew: estimateClockSkew(record?.skew ?? [], nowMs),
    };
  }

  /**
   * Publishes this replica's records and reads the other replicas' (only
   * with a shared store). Never rejects: store failures go to `onError` and
   * the last peers' view is kept until their snapshots would have expired.
   */
  async sync(): Promise<void> {
    const store = this._store;
    if (store?.isShared !== true) return;
    const nowMs = this._now();
    try {
      await store.publishSnapshot(
        FLEET_SNAPSHOT_KIND,
        this.replicaId,
        this.encodeSnapshot(nowMs),
        SNAPSHOT_TTL_INTERVALS * this._syncIntervalMs,
        nowMs
      );
      this._takePeers(
        await store.readSnapshots(FLEET_SNAPSHOT_KIND, nowMs),
        nowMs
      );
    } catch (err) {
      this._onError(err);
    }
  }

  /** This replica's records as a snapshot payload (JSON). */
  encodeSnapshot(nowMs: number): string {
    const clusters: Record<string, unknown> = {};
    for (const [name, record] of this._local) {
      record.prune(nowMs);
      clusters[name] = record.encode(
        nowMs,
        this._cardinality?.activeSeries(name)
      );
    }
    return JSON.stringify({ v: SNAPSHOT_VERSION, clusters });
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

  private _recordFor(cluster: string): ClusterRecord {
    let record = this._local.get(cluster);
    if (record !== undefined) return record;
    let name = cluster;
    if (this._registry().byName(cluster) === undefined) {
      if (this._unregisteredCount >= MAX_UNREGISTERED_CLUSTERS) {
        name = UNREGISTERED_OVERFLOW;
        record = this._local.get(name);
        if (record !== undefined) return record;
      }
      this._unregisteredCount++;
    }
    record = new ClusterRecord();
    this._local.set(name, record);
    return record;
  }

  /** Local records merged with the peers' (all clusters, or one). */
  private _mergedRecords(only?: string): Map<string, ClusterRecord> {
    // A peer view kept through failing syncs ends when its snapshot would have expired in the store.
    const liveFromMs =
      this._now() - SNAPSHOT_TTL_INTERVALS * this._syncIntervalMs;
    const peers: Map<string, ClusterRecord>[] = [];
    for (const peer of this._peers.values())
      if (peer.publishedAtMs > liveFromMs) peers.push(peer.records);
    const names = new Set<string>();
    if (only !== undefined) names.add(only);
    else {
      for (const name of this._local.keys()) names.add(name);
      for (const records of peers)
        for (const name of records.keys()) names.add(name);
    }
    const merged = new Map<string, ClusterRecord>();
    for (const name of names) {
      const parts: ClusterRecord[] = [];
      const local = this._local.get(name);
      if (local !== undefined) parts.push(local);
      for (const records of peers) {
        const peer = records.get(name);
        if (peer !== undefined) parts.push(peer);
      }
      if (parts.length > 0) merged.set(name, ClusterRecord.merge(parts));
    }
    return merged;
  }

  private async _evaluateCluster(
    name: string,
    registered: RegisteredCluster | undefined,
    record: ClusterRecord | undefined,
    nowMs: number,
    thresholds: FleetThresholds
  ): Promise<ClusterHealth> {
    const lastSeenMs = { ...(record?.lastSeenMs ?? {}) };
    const newest = newestLastSeen(lastSeenMs);
    const windowFromMs = nowMs - COUNT_WINDOW_MS;
    const drops: Record<string, number> = {};
    const refusals: Record<string, number> = {};
    let requests = 0;
    if (record !== undefined) {
      for (const [key, counts] of record.counts) {
        const n = sumCounts(counts, windowFromMs, nowMs);
        if (n === 0) continue;
        if (key.startsWith(DROPS_PREFIX))
          drops[key.slice(DROPS_PREFIX.length)] = n;
        else if (key.startsWith(REFUSED_PREFIX))
          refusals[key.slice(REFUSED_PREFIX.length)] = n;
        else if (key === REQUESTS_KEY) requests = n;
      }
    }
    const skew = estimateClockSkew(record?.skew ?? [], nowMs);
    const localActive = this._cardinality?.activeSeries(name);
    const peerActive = record?.activeSeries;
    const activeSeries =
      localActive === undefined
        ? peerActive
        : peerActive === undefined
          ? localActive
          : Math.max(localActive, peerActive);
    const seriesBudget = this._cardinality?.seriesBudget(name);
    const firstSeenMs = record?.firstSeenMs ?? nowMs;
    const rate = (signal: Signal): number =>
      record === undefined
        ? 0
        : ratePerSecond(record.countsOf(pointsKey(signal)), nowMs, firstSeenMs);

    let state: ClusterState;
    let reasons: HealthReason[] = [];
    if (newest === undefined) {
      state = registered === undefined ? 'unregistered' : 'unknown';
    } else if (nowMs - newest >= thresholds.stale_after) {
      const silentMs = nowMs - newest;
      state = silentMs >= thresholds.down_after ? 'down' : 'stale';
      reasons = [
        {
          code: NO_DATA_REASON,
          message: `no data for ${humanDuration(silentMs)} (stale after ${formatDuration(thresholds.stale_after)}, down after ${formatDuration(thresholds.down_after)})`,
          sinceMs: newest + thresholds.stale_after,
        },
      ];
      if (registered === undefined) state = 'unregistered';
    } else {
      const active = await this._conditions(
        name,
        drops,
        refusals,
        requests,
        activeSeries,
        seriesBudget,
        skew,
        nowMs,
        thresholds
      );
      reasons = this._hold(name, active, nowMs);
      state =
        registered === undefined
          ? 'unregistered'
          : reasons.length > 0
            ? 'degraded'
            : 'healthy';
    }
    return {
      cluster: name,
      region: registered?.region ?? UNSET_LABEL_VALUE,
      env: registered?.env ?? UNSET_LABEL_VALUE,
      team: registered?.team ?? UNSET_LABEL_VALUE,
      isRegistered: registered !== undefined,
      state,
      reasons,
      lastSeenMs,
      samplesPerSecond: rate('metrics'),
      logLinesPerSecond: rate('logs'),
      eventsPerSecond: rate('events'),
      activeSeries,
      seriesBudget,
      budgetUse:
        activeSeries !== undefined &&
        seriesBudget !== undefined &&
        seriesBudget > 0
          ? activeSeries / seriesBudget
          : undefined,
      drops,
      refusals,
      requests,
      countWindowMs: COUNT_WINDOW_MS,
      clockSkewMs: skew.skewMs,
      skewVerdict: skew.verdict,
      skewObservations: skew.observations,
      collectors: record?.collectorList() ?? [],
    };
  }

  /** The degraded conditions that hold now. */
  private async _conditions(
    name: string,
    drops: Readonly<Record<string, number>>,
    refusals: Readonly<Record<string, number>>,
    requests: number,
    activeSeries: number | undefined,
    seriesBudget: number | undefined,
    skew: SkewEstimate,
    nowMs: number,
    thresholds: FleetThresholds
  ): Promise<ActiveReason[]> {
    const active: (ActiveReason | undefined)[] = [];
    if (this._slos !== undefined) {
      const firing = await this._ask(() => this._slos!.firingPageAlerts(name));
      if (firing !== undefined) active.push(sloFastBurnReason(firing));
    }
    active.push(
      cardinalityReason(
        Object.entries(drops),
        activeSeries,
        seriesBudget,
        COUNT_WINDOW_MS
      ),
      refusalReason(Object.entries(refusals), requests, COUNT_WINDOW_MS)
    );
    if (this._warnings !== undefined) {
      const warnings = this._warnings;
      const spikeFrom = nowMs - WARNING_SPIKE_WINDOW_MS;
      const [recent, withBaseline] = await Promise.all([
        this._ask(() => warnings.recentWarnings(name, spikeFrom)),
        this._ask(() =>
          warnings.recentWarnings(name, spikeFrom - WARNING_BASELINE_WINDOW_MS)
        ),
      ]);
      if (recent !== undefined && withBaseline !== undefined) {
        const recentEntries = countEntries(recent);
        const previousHour = Math.max(
          0,
          total(countEntries(withBaseline)) - total(recentEntries)
        );
        active.push(warningSpikeReason(recentEntries, previousHour));
      }
    }
    active.push(clockSkewReason(skew, thresholds.max_clock_skew));
    return active.filter((r): r is ActiveReason => r !== undefined);
  }

  /** Hysteresis: raises what holds now, keeps what held within the clear-after time, clears the rest. */
  private _hold(
    name: string,
    active: readonly ActiveReason[],
    nowMs: number
  ): HealthReason[] {
    const memory = this._recordFor(name).reasons;
    const clearAfter = this._clearAfterMs;
    const activeCodes = new Set<string>();
    for (const reason of active) {
      activeCodes.add(reason.code);
      const held = memory.get(reason.code);
      if (held === undefined || nowMs - held.lastActiveMs >= clearAfter) {
        memory.set(reason.code, {
          sinceMs: nowMs,
          lastActiveMs: nowMs,
          message: reason.message,
        });
      } else {
        held.lastActiveMs = Math.max(held.lastActiveMs, nowMs);
        held.message = reason.message;
      }
    }
    const out: HealthReason[] = [];
    for (const code of DEGRADED_REASON_CODES) {
      const held = memory.get(code);
      if (held === undefined) continue;
      const quietMs = nowMs - held.lastActiveMs;
      if (quietMs >= clearAfter) {
        memory.delete(code);
        continue;
      }
      const message = activeCodes.has(code)
        ? held.message
        : `${held.message} (last true ${humanDuration(quietMs)} ago; clears after ${formatDuration(clearAfter)} without it)`;
      out.push({ code, message, sinceMs: held.sinceMs });
    }
    return out;
  }

  private _isForgotten(
    record: ClusterRecord,
    nowMs: number,
    thresholds: FleetThresholds
  ): boolean {
    const newest = newestLastSeen(record.lastSeenMs);
    return newest === undefined || nowMs - newest >= thresholds.down_after;
  }

  /** Unregistered senders silent for `down_after` are forgotten; registered clusters are kept (down, not unknown). */
  private _forget(
    nowMs: number,
    thresholds: FleetThresholds,
    directory: ClusterDirectory
  ): void {
    let unregistered = 0;
    for (const [name, record] of this._local) {
      record.prune(nowMs);
      if (directory.byName(name) !== undefined) continue;
      if (this._isForgotten(record, nowMs, thresholds))
        this._local.delete(name);
      else unregistered++;
    }
    // Recounted, not decremented: a reload may have registered (or dropped) a tracked name.
    this._unregisteredCount = unregistered;
  }

  private _takePeers(
    snapshots: readonly ReplicaSnapshot[],
    nowMs: number
  ): void {
    const peers = new Map<string, PeerRecords>();
    for (const snapshot of snapshots) {
      if (snapshot.replicaId === this.replicaId) continue;
      let records: Map<string, ClusterRecord>;
      try {
        records = decodeSnapshot(snapshot.payload);
      } catch (err) {
        this._onError(
          new Error(
            `cannot decode the fleet snapshot of replica ${snapshot.replicaId}: ${err instanceof Error ? err.message : String(err)}`,
            { cause: err }
          )
        );
        continue;
      }
      for (const [name, record] of records) {
        // An expired memory is a finished episode: it must not lend its start to a new one.
        for (const [code, memory] of record.reasons)
          if (nowMs - memory.lastActiveMs >= this._clearAfterMs)
            record.reasons.delete(code);
        this._recordFor(name).absorb(record);
      }
      peers.set(snapshot.replicaId, {
        publishedAtMs: snapshot.publishedAtMs,
        records,
      });
    }
    this._peers = peers;
  }

  /** Calls a source; a throw or rejection goes to onError and reads as "no answer". */
  private async _ask<T>(call: () => T | Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (err) {
      this._onError(err);
      return undefined;
    }
  }
}

interface PeerRecords {
  readonly publishedAtMs: number;
  readonly records: Map<string, ClusterRecord>;
}

/** Counts by state, region and env (region and env of registered clusters only). */
export function summarizeFleet(
  clusters: readonly ClusterHealth[],
  unregistered: readonly ClusterHealth[]
): FleetSummary {
  const byState = emptyStateCounts();
  const byRegion: Record<string, StateCounts> = {};
  const byEnv: Record<string, StateCounts> = {};
  for (const c of clusters) {
    add(byState, c.state);
    add((byRegion[c.region] ??= emptyStateCounts()), c.state);
    add((byEnv[c.env] ??= emptyStateCounts()), c.state);
  }
  for (const c of unregistered) add(byState, c.state);
  return { byState, byRegion, byEnv };
}

function emptyStateCounts(): StateCounts {
  const counts = { total: 0 } as StateCounts;
  for (const state of CLUSTER_STATES) counts[state] = 0;
  return counts;
}

function add(counts: StateCounts, state: ClusterState): void {
  counts[state]++;
  counts.total++;
}

function total(entries: readonly (readonly [string, number])[]): number {
  let sum = 0;
  for (const [, n] of entries) sum += n;
  return sum;
}

/** Decodes a replica snapshot; throws on a malformed or newer-version one. */
function decodeSnapshot(payload: string): Map<string, ClusterRecord> {
  const raw: unknown = JSON.parse(payload);
  if (
    typeof raw !== 'object' ||
    raw === null ||
    (raw as { v?: unknown }).v !== SNAPSHOT_VERSION
  )
    throw new TypeError(`want a version ${SNAPSHOT_VERSION} fleet snapshot`);
  const clusters = (raw as { clusters?: unknown }).clusters;
  if (typeof clusters !== 'object' || clusters === null)
    throw new TypeError('clusters: want an object');
  const records = new Map<string, ClusterRecord>();
  for (const [name, encoded] of Object.entries(
    clusters as Record<string, unknown>
  ))
    records.set(name, ClusterRecord.decode(encoded));
  return records;
}
