/**
 * The SLO view's replication through the snapshot-and-merge component
 * (state/snapshot/): with a shared transport, every `publishIntervalMs` a
 * replica publishes the window sums of its own events (slo-snapshot.ts) and
 * every `stateIntervalMs` (and at stop) its bucket rings per SLO. Answers
 * are the sum over every live replica's published window sums
 * (slo-window-sums.ts), so two replicas give the same answer; a replica
 * whose window sums lapsed (gone) is counted from its last bucket state.
 * `loadStates(…, true)` at start reloads this replica's own bucket state
 * (give replicas a stable `replicaId`).
 */
import {
  SnapshotExchange,
  type PeerSnapshot,
  type SnapshotCodec,
  type SnapshotTransport,
} from '../state/index.js';
import {
  FIXED_TIERS,
  retainedWindowMs,
  sloTierResolutionMs,
  SloCounters,
} from './slo-counters.js';
import type { SloSums } from './slo-report.js';
import type { SloRuntime, SloSet } from './slo-set.js';
import {
  decodeStateSnapshot,
  decodeWindowsSnapshot,
  encodeStateSnapshot,
  encodeWindowsSnapshot,
  sloStateSnapshotKind,
  SLO_WINDOWS_SNAPSHOT_KIND,
  type StateSnapshot,
  type WindowsSnapshotSlo,
} from './slo-snapshot.js';
import {
  compareText,
  localSloSums,
  mergeSloSums,
  type OrphanSloState,
  type ReplicaWindowSums,
} from './slo-window-sums.js';

/** A window-sums snapshot lives this many publish intervals. */
const WINDOWS_TTL_INTERVALS = 3;
/** Bucket state outlives what it can answer by this much. */
const STATE_TTL_SLACK_MS = 3_600_000;

/** Every SLO's published window sums, by SLO name. */
type WindowsSnapshot = ReadonlyMap<string, WindowsSnapshotSlo>;

const WINDOWS_CODEC: SnapshotCodec<WindowsSnapshot> = {
  encode: slos => encodeWindowsSnapshot([...slos.values()]),
  decode: payload =>
    new Map(decodeWindowsSnapshot(payload).map(s => [s.name, s])),
};

/** Another replica counted from its bucket state (its window sums lapsed). */
interface OrphanState {
  readonly publishedAtMs: Map<string, number>;
  /** SLO name → its state. */
  readonly slos: Map<string, OrphanSloState>;
}

export interface SloReplicationOptions {
  readonly transport: SnapshotTransport;
  readonly replicaId: string;
  readonly publishIntervalMs: number;
  readonly stateIntervalMs: number;
  /** How long a read of the others' published sums is reused. */
  readonly readCacheMs: number;
  readonly onError?: ((err: unknown) => void) | undefined;
}

/** What replication changes in the ingest stage (SloIngestStage). */
export interface RestoreTarget {
  /** Restored state was written at this time (series born later count whole). */
  restoredUntil(writtenAtMs: number): void;
  /** Counters were replaced: memoized targets are stale. */
  invalidate(): void;
}

export class SloReplication {
  private readonly _set: SloSet;
  private readonly _transport: SnapshotTransport;
  private readonly _replicaId: string;
  private readonly _windows: SnapshotExchange<WindowsSnapshot>;
  private readonly _publishIntervalMs: number;
  private readonly _stateIntervalMs: number;
  private readonly _onError: ((err: unknown) => void) | undefined;
  private _lastPublishMs = Number.NEGATIVE_INFINITY;
  private _lastStatePublishMs: number;
  private _orphans = new Map<string, OrphanState>();
  /** Replica ids seen publishing window sums; one that vanishes triggers an orphan load. */
  private readonly _knownReplicas = new Set<string>();
  private _isOrphanLoadDue = false;

  constructor(set: SloSet, options: SloReplicationOptions, nowMs: number) {
    this._set = set;
    this._transport = options.transport;
    this._replicaId = options.replicaId;
    this._publishIntervalMs = options.publishIntervalMs;
    this._stateIntervalMs = options.stateIntervalMs;
    this._onError = options.onError;
    this._lastStatePublishMs = nowMs;
    this._windows = new SnapshotExchange({
      transport: options.transport,
      kind: SLO_WINDOWS_SNAPSHOT_KIND,
      replicaId: options.replicaId,
      codec: WINDOWS_CODEC,
      what: 'SLO window sums',
      readCacheMs: options.readCacheMs,
      onError: options.onError,
    });
  }

  /** The set changed: cached reads may name other SLOs. */
  invalidate(): void {
    this._windows.invalidate();
  }

  /** Publishes what is due, then notices replicas that went away and loads their state. */
  async maintain(nowMs: number, ingest: RestoreTarget): Promise<void> {
    if (nowMs - this._lastStatePublishMs >= this._stateIntervalMs)
      await this.publishState(nowMs);
    if (nowMs - this._lastPublishMs < this._publishIntervalMs) return;
    await this.publish(nowMs);
    await this._readWindows(nowMs);
    if (this._isOrphanLoadDue) {
      this._isOrphanLoadDue = false;
      await this.loadStates(nowMs, false, ingest);
    }
  }

  /** Publishes this replica's window sums. */
  async publish(nowMs: number): Promise<void> {
    this._lastPublishMs = nowMs;
    const slos = new Map<string, WindowsSnapshotSlo>();
    for (const slo of this._set.slos) {
      slos.set(slo.def.name, {
        name: slo.def.name,
        fingerprint: slo.def.fingerprint,
        le: [...slo.observedLe],
        hasTotal: slo.hasTotal,
        clusters: localSloSums(slo, nowMs).clusters,
      });
    }
    await this._windows.publish(
      slos,
      WINDOWS_TTL_INTERVALS * this._publishIntervalMs,
      nowMs
    );
  }

  /** Publishes this replica's bucket state of every SLO that changed (all with `force`). */
  async publishState(nowMs: number, force = false): Promise<void> {
    this._lastStatePublishMs = nowMs;
    for (const slo of this._set.slos) {
      let isDirty = force;
      for (const counters of slo.counters.values()) {
        isDirty ||= counters.isDirty;
        counters.isDirty = false;
      }
      if (!isDirty) continue;
      const clusters = new Map<
        string,
        ReturnType<SloCounters['exportTiers']>
      >();
      for (const [cluster, counters] of slo.counters)
        clusters.set(cluster, counters.exportTiers());
      await this._stateExchange(slo).publish(
        { stateKey: slo.def.stateKey, clusters },
        retainedWindowMs(slo.def.windowMs) + STATE_TTL_SLACK_MS,
        nowMs
      );
    }
  }

  /** Sums of the SLOs (or one), over every live replica and the gone ones' state. */
  async sums(nowMs: number, only: SloRuntime | undefined): Promise<SloSums[]> {
    const replicas = await this._readWindows(nowMs);
    const live = new Set(replicas.map(r => r.replicaId));
    const orphans = [...this._orphans]
      .filter(([id]) => !live.has(id) && id !== this._replicaId)
      .sort(([a], [b]) => compareText(a, b))
      .map(([, orphan]) => orphan);
    const out: SloSums[] = [];
    for (const slo of only === undefined ? this._set.slos : [only]) {
      const name = slo.def.name;
      const published: ReplicaWindowSums[] = [];
      for (const replica of replicas) {
        const sums = replica.snapshot.get(name);
        if (sums !== undefined)
          published.push({ replicaId: replica.replicaId, sums });
      }
      const states: OrphanSloState[] = [];
      for (const orphan of orphans) {
        const state = orphan.slos.get(name);
        if (state !== undefined) states.push(state);
      }
      out.push(mergeSloSums(slo.def, published, states, nowMs));
    }
    return out;
  }

  /** Forgets orphan state older than what its SLO keeps (or of SLOs no longer configured). */
  sweep(nowMs: number): void {
    for (const [id, orphan] of this._orphans) {
      for (const [name, at] of orphan.publishedAtMs) {
        const slo = this._set.byName.get(name);
        if (
          slo === undefined ||
          at < nowMs - retainedWindowMs(slo.def.windowMs)
        ) {
          orphan.slos.delete(name);
          orphan.publishedAtMs.delete(name);
        }
      }
      if (orphan.slos.size === 0) this._orphans.delete(id);
    }
  }

  /**
   * Reads every SLO's bucket state: with `restoreOwn`, this replica's own is
   * merged into its counters (restart); other replicas without live window
   * sums become orphans, counted from their state.
   */
  async loadStates(
    nowMs: number,
    restoreOwn: boolean,
    ingest: RestoreTarget
  ): Promise<void> {
    this._windows.invalidate();
    const live = new Set(
      (await this._readWindows(nowMs)).map(r => r.replicaId)
    );
    const orphans = new Map<string, OrphanState>();
    let restoredUntilMs = Number.POSITIVE_INFINITY;
    for (const slo of this._set.slos) {
      const def = slo.def;
      for (const peer of await this._stateExchange(slo).read(nowMs)) {
        const isOwn = peer.replicaId === this._replicaId;
        if (isOwn ? !restoreOwn : live.has(peer.replicaId)) continue;
        const state = peer.snapshot;
        if (state.stateKey !== def.stateKey) continue;
        const counters = new Map<string, SloCounters>();
        for (const [cluster, tiers] of state.clusters) {
          const target = isOwn
            ? this._set.countersFor(slo, cluster, nowMs)
            : new SloCounters(def.windowMs);
          try {
            target.mergeTiers(tiers);
          } catch (err) {
            this._onError?.(err);
            continue;
          }
          counters.set(cluster, target);
        }
        if (isOwn) {
          restoredUntilMs = Math.min(restoredUntilMs, peer.publishedAtMs);
          continue;
        }
        let orphan = orphans.get(peer.replicaId);
        if (orphan === undefined) {
          orphan = { publishedAtMs: new Map(), slos: new Map() };
          orphans.set(peer.replicaId, orphan);
        }
        orphan.slos.set(def.name, { stateKey: def.stateKey, counters });
        orphan.publishedAtMs.set(def.name, peer.publishedAtMs);
      }
    }
    this._orphans = orphans;
    for (const id of orphans.keys()) this._knownReplicas.add(id);
    if (restoredUntilMs !== Number.POSITIVE_INFINITY)
      ingest.restoredUntil(restoredUntilMs);
    if (restoreOwn) ingest.invalidate();
  }

  /** Every live replica's window sums; a known replica missing from them makes an orphan load due. */
  private async _readWindows(
    nowMs: number
  ): Promise<readonly PeerSnapshot<WindowsSnapshot>[]> {
    const replicas = await this._windows.read(nowMs);
    const seen = new Set(replicas.map(r => r.replicaId));
    for (const id of this._knownReplicas) {
      if (!seen.has(id) && id !== this._replicaId && !this._orphans.has(id))
        this._isOrphanLoadDue = true;
    }
    for (const id of seen) this._knownReplicas.add(id);
    return replicas;
  }

  /** The exchange of one SLO's bucket state (its tiers decide how it decodes). */
  private _stateExchange(slo: SloRuntime): SnapshotExchange<StateSnapshot> {
    const resolutions = [
      ...FIXED_TIERS.map(t => t.resMs),
      sloTierResolutionMs(slo.def.windowMs),
    ];
    return new SnapshotExchange({
      transport: this._transport,
      kind: sloStateSnapshotKind(slo.def.name),
      replicaId: this._replicaId,
      codec: {
        encode: encodeStateSnapshot,
        decode: payload => decodeStateSnapshot(payload, resolutions),
      },
      what: `SLO state of ${slo.def.name}`,
      onError: this._onError,
    });
  }
}
