/**
 * What one replica knows of one cluster, in a form that merges: last-seen
 * times (max), bucketed counts (sum), skew observations (union), collectors
 * (max last-seen) and the hysteresis memory of degraded reasons (min since,
 * max last-active). The same record is the unit of the replica snapshot
 * published to the state store (see fleet-snapshot.ts for the merge rules).
 */
import type { CollectorIdentity } from './collector-identity.js';
import {
  SIGNALS,
  DEGRADED_REASON_CODES,
  type CollectorSighting,
  type DegradedReasonCode,
  type Signal,
} from './cluster-health.js';
import { mergeSkewObservations, type SkewObservation } from './clock-skew.js';
import {
  addCount,
  decodeCounts,
  encodeCounts,
  mergeCounts,
  pruneCounts,
  type BucketCounts,
  type EncodedBucketCounts,
} from './window-counts.js';

/** Count keys beyond these are not recorded (reasons are our own small sets). */
export const MAX_COUNT_KEYS_PER_CLUSTER = 64;
/** Collectors remembered per cluster; the least recently seen goes first. */
export const MAX_COLLECTORS_PER_CLUSTER = 8;

/** Count keys. */
export const REQUESTS_KEY = 'requests';
export function pointsKey(signal: Signal): string {
  return `points:${signal}`;
}
export const REFUSED_PREFIX = 'refused:';
export const DROPS_PREFIX = 'drops:';

/** Hysteresis memory of one degraded reason. */
export interface ReasonMemory {
  /** When it was raised (it stays raised while `lastActiveMs` is recent). */
  sinceMs: number;
  /** The last evaluation at which its condition held. */
  lastActiveMs: number;
  /** The message of that evaluation. */
  message: string;
}

interface MutableSighting {
  kind: string;
  version: string;
  lastSeenMs: number;
  signals: Set<Signal>;
}

export class ClusterRecord {
  firstSeenMs = Number.POSITIVE_INFINITY;
  readonly lastSeenMs: Partial<Record<Signal, number>> = {};
  readonly counts = new Map<string, BucketCounts>();
  skew: SkewObservation[] = [];
  readonly collectors = new Map<string, MutableSighting>();
  readonly reasons = new Map<DegradedReasonCode, ReasonMemory>();
  /** Active series as the publishing replica saw them (peers' records only). */
  activeSeries: number | undefined;

  noteSeen(signal: Signal, atMs: number): void {
    if (atMs < this.firstSeenMs) this.firstSeenMs = atMs;
    const last = this.lastSeenMs[signal];
    if (last === undefined || atMs > last) this.lastSeenMs[signal] = atMs;
  }

  count(key: string, atMs: number, n: number): void {
    if (n <= 0 || !Number.isFinite(n)) return;
    let counts = this.counts.get(key);
    if (counts === undefined) {
      if (this.counts.size >= MAX_COUNT_KEYS_PER_CLUSTER) return;
      counts = new Map();
      this.counts.set(key, counts);
    }
    addCount(counts, atMs, n);
  }

  countsOf(key: string): BucketCounts {
    return this.counts.get(key) ?? EMPTY_COUNTS;
  }

  noteCollector(
    collector: CollectorIdentity,
    signals: Iterable<Signal>,
    atMs: number
  ): void {
    const key = `${collector.kind}\x00${collector.version}`;
    let sighting = this.collectors.get(key);
    if (sighting === undefined) {
      if (this.collectors.size >= MAX_COLLECTORS_PER_CLUSTER)
        this._evictOldestCollector();
      sighting = {
        kind: collector.kind,
        version: collector.version,
        lastSeenMs: atMs,
        signals: new Set(),
      };
      this.collectors.set(key, sighting);
    }
    if (atMs > sighting.lastSeenMs) sighting.lastSeenMs = atMs;
    for (const signal of signals) sighting.signals.add(signal);
  }

  /** Collectors, most recently seen first. */
  collectorList(): CollectorSighting[] {
    return [...this.collectors.values()]
      .map(s => ({
        kind: s.kind,
        version: s.version,
        lastSeenMs: s.lastSeenMs,
        signals: SIGNALS.filter(signal => s.signals.has(signal)),
      }))
      .sort(
        (a, b) =>
          b.lastSeenMs - a.lastSeenMs ||
          (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0)
      );
  }

  /** Takes in what merges idempotently (so it survives the replica that saw it): all but counts. */
  absorb(other: ClusterRecord): void {
    if (other.firstSeenMs < this.firstSeenMs)
      this.firstSeenMs = other.firstSeenMs;
    for (const signal of SIGNALS) {
      const at = other.lastSeenMs[signal];
      if (at !== undefined) this.noteSeen(signal, at);
    }
    for (const s of other.collectors.values())
      this.noteCollector(s, s.signals, s.lastSeenMs);
    for (const [code, memory] of other.reasons)
      mergeReason(this.reasons, code, memory);
    if (other.skew.length > 0)
      this.skew = mergeSkewObservations([this.skew, other.skew]);
  }

  /** Adds `other`'s counts (another replica's share of the traffic). */
  addCounts(other: ClusterRecord): void {
    for (const [key, counts] of other.counts) {
      let into = this.counts.get(key);
      if (into === undefined) {
        into = new Map();
        this.counts.set(key, into);
      }
      mergeCounts(into, counts);
    }
  }

  /** Drops count buckets outside the window. */
  prune(nowMs: number): void {
    for (const [key, counts] of this.counts) {
      pruneCounts(counts, nowMs);
      if (counts.size === 0) this.counts.delete(key);
    }
  }

  /** A merged copy of several replicas' records of one cluster. */
  static merge(records: readonly ClusterRecord[]): ClusterRecord {
    const merged = new ClusterRecord();
    for (const record of records) {
      merged.absorb(record);
      merged.addCounts(record);
      if (
        record.activeSeries !== undefined &&
        (merged.activeSeries === undefined ||
          record.activeSeries > merged.activeSeries)
      )
        merged.activeSeries = record.activeSeries;
    }
    return merged;
  }

  encode(
    nowMs: number,
    activeSeries: number | undefined
  ): EncodedClusterRecord {
    const counts: Record<string, EncodedBucketCounts> = {};
    for (const [key, bucketCounts] of this.counts) {
      const encoded = encodeCounts(bucketCounts, nowMs);
      if (encoded !== undefined) counts[key] = encoded;
    }
    const reasons: Partial<
      Record<DegradedReasonCode, [number, number, string]>
    > = {};
    for (const [code, m] of this.reasons)
      reasons[code] = [m.sinceMs, m.lastActiveMs, m.message];
    const encoded: EncodedClusterRecord = {
      firstSeenMs: Number.isFinite(this.firstSeenMs) ? this.firstSeenMs : null,
      lastSeenMs: { ...this.lastSeenMs },
      counts,
      skew: this.skew.map(o => [o.receivedAtMs, o.offsetMs, o.gapBeforeMs]),
      collectors: [...this.collectors.values()].map(s => [
        s.kind,
        s.version,
        s.lastSeenMs,
        [...s.signals],
      ]),
      reasons,
    };
    if (activeSeries !== undefined) encoded.activeSeries = activeSeries;
    return encoded;
  }

  /** Decodes a peer's record; throws a TypeError on a malformed one. */
  static decode(raw: unknown): ClusterRecord {
    if (!isObject(raw)) throw new TypeError('cluster record: want an object');
    const record = new ClusterRecord();
    if (raw['firstSeenMs'] !== null)
      record.firstSeenMs = finite(raw['firstSeenMs'], 'firstSeenMs');
    const lastSeen = raw['lastSeenMs'];
    if (!isObject(lastSeen)) throw new TypeError('lastSeenMs: want an object');
    for (const signal of SIGNALS) {
      if (lastSeen[signal] !== undefined)
        record.lastSeenMs[signal] = finite(
          lastSeen[signal],
          `lastSeenMs.${signal}`
        );
    }
    const counts = raw['counts'];
    if (!isObject(counts)) throw new TypeError('counts: want an object');
    for (const key of Object.keys(counts).slice(0, MAX_COUNT_KEYS_PER_CLUSTER))
      record.counts.set(key, decodeCounts(counts[key]));
    const skew = raw['skew'];
    if (!Array.isArray(skew)) throw new TypeError('skew: want a list');
    const observations: SkewObservation[] = [];
    for (const entry of skew as unknown[]) {
      if (!Array.isArray(entry) || entry.length !== 3)
        throw new TypeError('skew: want [receivedAtMs, offsetMs, gapBeforeMs]');
      observations.push({
        receivedAtMs: finite(entry[0], 'skew'),
        offsetMs: finite(entry[1], 'skew'),
        gapBeforeMs: finite(entry[2], 'skew'),
      });
    }
    record.skew = mergeSkewObservations([observations]);
    const collectors = raw['collectors'];
    if (!Array.isArray(collectors))
      throw new TypeError('collectors: want a list');
    for (const entry of (collectors as unknown[]).slice(
      0,
      MAX_COLLECTORS_PER_CLUSTER
    )) {
      if (
        !Array.isArray(entry) ||
        typeof entry[0] !== 'string' ||
        typeof entry[1] !== 'string' ||
        !Array.isArray(entry[3])
      )
        throw new TypeError(
          'collectors: want [kind, version, lastSeenMs, signals]'
        );
      const signals = (entry[3] as unknown[]).filter((s): s is Signal =>
        SIGNALS.includes(s as Signal)
      );
      record.noteCollector(
        { kind: entry[0], version: entry[1] },
        signals,
        finite(entry[2], 'collectors')
      );
    }
    const reasons = raw['reasons'];
    if (!isObject(reasons)) throw new TypeError('reasons: want an object');
    for (const code of DEGRADED_REASON_CODES) {
      const entry = reasons[code];
      if (entry === undefined) continue;
      if (!Array.isArray(entry) || typeof entry[2] !== 'string')
        throw new TypeError(
          `reasons.${code}: want [sinceMs, lastActiveMs, message]`
        );
      record.reasons.set(code, {
        sinceMs: finite(entry[0], 'reasons'),
        lastActiveMs: finite(entry[1], 'reasons'),
        message: entry[2],
      });
    }
    if (raw['activeSeries'] !== undefined)
      record.activeSeries = finite(raw['activeSeries'], 'activeSeries');
    return record;
  }

  private _evictOldestCollector(): void {
    let oldestKey: string | undefined;
    let oldestMs = Number.POSITIVE_INFINITY;
    for (const [key, s] of this.collectors) {
      if (s.lastSeenMs < oldestMs) {
        oldestMs = s.lastSeenMs;
        oldestKey = key;
      }
    }
    if (oldestKey !== undefined) this.collectors.delete(oldestKey);
  }
}

/** A record on the wire (JSON). */
export interface EncodedClusterRecord {
  firstSeenMs: number | null;
  lastSeenMs: Partial<Record<Signal, number>>;
  counts: Record<string, EncodedBucketCounts>;
  skew: [number, number, number][];
  collectors: [string, string, number, Signal[]][];
  reasons: Partial<Record<DegradedReasonCode, [number, number, string]>>;
  activeSeries?: number;
}

/** Merges one reason memory into a map: earliest since, latest activity (and its message). */
export function mergeReason(
  into: Map<DegradedReasonCode, ReasonMemory>,
  code: DegradedReasonCode,
  memory: ReasonMemory
): void {
  const mine = into.get(code);
  if (mine === undefined) {
    into.set(code, { ...memory });
    return;
  }
  if (memory.sinceMs < mine.sinceMs) mine.sinceMs = memory.sinceMs;
  if (memory.lastActiveMs > mine.lastActiveMs) {
    mine.lastActiveMs = memory.lastActiveMs;
    mine.message = memory.message;
  }
}

const EMPTY_COUNTS: BucketCounts = new Map();

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function finite(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new TypeError(`${what}: want a finite number`);
  return value;
}
