/**
 * A shared SnapshotTransport inside one process: every view handed the
 * same instance sees the others' snapshots, as replicas do through Redis.
 * Used by tests of several engines and benches; a worker-thread hub keeps
 * its snapshots the same way on the main thread.
 */
import type {
  ReplicaSnapshot,
  SnapshotTransport,
} from './snapshot-transport.js';

interface HeldSnapshot extends ReplicaSnapshot {
  readonly expiresAtMs: number;
}

export class MemorySnapshotTransport implements SnapshotTransport {
  readonly isShared: boolean;
  /** Publishes so far (tests assert on traffic). */
  publishes = 0;
  /** kind → replicaId → snapshot */
  private readonly _kinds = new Map<string, Map<string, HeldSnapshot>>();

  /** `isShared: false` stands for a store that no one else reads (views then skip publishing). */
  constructor(options: { readonly isShared?: boolean } = {}) {
    this.isShared = options.isShared ?? true;
  }

  async publishSnapshot(
    kind: string,
    replicaId: string,
    payload: string,
    ttlMs: number,
    nowMs: number
  ): Promise<void> {
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
      throw new RangeError(
        `cannot publish a snapshot: ttlMs must be a finite number > 0, got ${ttlMs}`
      );
    }
    this.publishes++;
    let held = this._kinds.get(kind);
    if (held === undefined)
      this._kinds.set(kind, (held = new Map<string, HeldSnapshot>()));
    held.set(replicaId, {
      replicaId,
      payload,
      publishedAtMs: nowMs,
      expiresAtMs: nowMs + ttlMs,
    });
  }

  async readSnapshots(kind: string, nowMs: number): Promise<ReplicaSnapshot[]> {
    const held = this._kinds.get(kind);
    if (held === undefined) return [];
    const live: ReplicaSnapshot[] = [];
    for (const s of held.values()) {
      if (s.expiresAtMs > nowMs)
        live.push({
          replicaId: s.replicaId,
          payload: s.payload,
          publishedAtMs: s.publishedAtMs,
        });
    }
    return live.sort((a, b) =>
      a.replicaId < b.replicaId ? -1 : a.replicaId > b.replicaId ? 1 : 0
    );
  }
}
