/**
 * The fleet tracker's ingest side: one `recordIngest()` per request and
 * cluster, accepted or refused (refused requests count as contact: the
 * cluster is reachable, and its refusals are a degraded reason, not
 * silence), into this replica's records per cluster. Constant work per
 * call; a cluster outside the registry is tracked as an unregistered
 * sender, up to MAX_UNREGISTERED_CLUSTERS by name.
 */
import type { RegisteredCluster } from '../cluster-registry.js';
import type { Signal } from './cluster-health.js';
import { addSkewObservation } from './clock-skew.js';
import {
  ClusterRecord,
  DROPS_PREFIX,
  REFUSED_PREFIX,
  REQUESTS_KEY,
  pointsKey,
  type EncodedClusterRecord,
} from './cluster-record.js';
import {
  identifyCollector,
  type CollectorIdentity,
  type CollectorResource,
} from './collector-identity.js';
import type { EncodedFleetRecords } from './fleet-snapshot.js';
import { countEntries, type CountsByReason } from './health-sources.js';

/** Unregistered senders tracked by name; more are folded into UNREGISTERED_OVERFLOW. */
export const MAX_UNREGISTERED_CLUSTERS = 100;
export const UNREGISTERED_OVERFLOW = 'unregistered';
const MAX_CACHED_USER_AGENTS = 256;

/** The registry as the tracker reads it (ClusterRegistry fits). */
export interface ClusterDirectory {
  all(): readonly RegisteredCluster[];
  byName(name: string): RegisteredCluster | undefined;
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

export class FleetRecorder {
  /** This replica's records, by cluster. */
  readonly records = new Map<string, ClusterRecord>();
  private readonly _registry: () => ClusterDirectory;
  private _unregisteredCount = 0;
  private readonly _collectorCache = new Map<
    string,
    CollectorIdentity | undefined
  >();

  constructor(registry: () => ClusterDirectory) {
    this._registry = registry;
  }

  /** Records one request of `cluster` on `signal`, received at `receivedAtMs` (the gateway's clock). */
  recordIngest(
    cluster: string,
    signal: Signal,
    report: IngestReport,
    receivedAtMs: number
  ): void {
    const record = this.recordFor(cluster);
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

  /** The local record of a cluster, created on first use (unregistered past the cap: the overflow's). */
  recordFor(cluster: string): ClusterRecord {
    let record = this.records.get(cluster);
    if (record !== undefined) return record;
    let name = cluster;
    if (this._registry().byName(cluster) === undefined) {
      if (this._unregisteredCount >= MAX_UNREGISTERED_CLUSTERS) {
        name = UNREGISTERED_OVERFLOW;
        record = this.records.get(name);
        if (record !== undefined) return record;
      }
      this._unregisteredCount++;
    }
    record = new ClusterRecord();
    this.records.set(name, record);
    return record;
  }

  /** The records as published, pruned to the count window. */
  encode(
    nowMs: number,
    activeSeries: (cluster: string) => number | undefined
  ): EncodedFleetRecords {
    const clusters: Record<string, EncodedClusterRecord> = {};
    for (const [name, record] of this.records) {
      record.prune(nowMs);
      clusters[name] = record.encode(nowMs, activeSeries(name));
    }
    return clusters;
  }

  /**
   * Prunes counts; forgets unregistered senders for which `isForgotten`
   * holds (registered clusters are kept: down, not unknown).
   */
  forget(
    nowMs: number,
    directory: ClusterDirectory,
    isForgotten: (record: ClusterRecord) => boolean
  ): void {
    let unregistered = 0;
    for (const [name, record] of this.records) {
      record.prune(nowMs);
      if (directory.byName(name) !== undefined) continue;
      if (isForgotten(record)) this.records.delete(name);
      else unregistered++;
    }
    // Recounted, not decremented: a reload may have registered (or dropped) a tracked name.
    this._unregisteredCount = unregistered;
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
}
