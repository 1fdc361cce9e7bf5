/**
 * One view's side of the snapshot-and-merge contract: publish this
 * publisher's snapshot of one kind, read every publisher's live one,
 * decoded. What to merge and how stays with the view (a pure function per
 * view, unit-tested there); the transport (Redis or memory StateStore,
 * MemorySnapshotTransport, a worker-thread hub next) stays behind
 * SnapshotTransport.
 *
 * Reads are cached for `readCacheMs` (one answer often reads several
 * times; an own publish invalidates), and each publisher's decoded snapshot
 * is reused until it publishes again, so a read of N unchanged publishers
 * decodes nothing. A snapshot that does not decode is reported and left out:
 * one bad publisher never hides the others.
 */
import type {
  ReplicaSnapshot,
  SnapshotTransport,
} from './snapshot-transport.js';

/**
 * A view's snapshot as text and back; `decode` throws on a malformed
 * payload. What a view publishes (`S`) and what it reads back (`P`) may
 * differ in form (e.g. prepared JSON out, live records in).
 */
export interface SnapshotCodec<S, P = S> {
  encode(snapshot: S): string;
  decode(payload: string): P;
}

/** One publisher's decoded snapshot. Decoded values are shared between reads: treat them as read-only. */
export interface PeerSnapshot<S> {
  readonly replicaId: string;
  readonly publishedAtMs: number;
  readonly snapshot: S;
}

export interface SnapshotExchangeOptions<S, P = S> {
  readonly transport: SnapshotTransport;
  readonly kind: string;
  /** This publisher's id; keep it stable across restarts. */
  readonly replicaId: string;
  readonly codec: SnapshotCodec<S, P>;
  /** What the snapshot holds, for error messages ("fleet", "SLO window sums"). */
  readonly what: string;
  /** How long a read is reused (default 0: every read asks the transport). */
  readonly readCacheMs?: number | undefined;
  /** Snapshots that do not decode; without it they are skipped silently. */
  readonly onError?: ((err: unknown) => void) | undefined;
}

export class SnapshotExchange<S, P = S> {
  readonly kind: string;
  readonly replicaId: string;
  private readonly _transport: SnapshotTransport;
  private readonly _codec: SnapshotCodec<S, P>;
  private readonly _what: string;
  private readonly _readCacheMs: number;
  private readonly _onError: ((err: unknown) => void) | undefined;
  private readonly _decoded = new Map<string, PeerSnapshot<P>>();
  private _lastRead:
    | { readonly atMs: number; readonly all: readonly PeerSnapshot<P>[] }
    | undefined;

  constructor(options: SnapshotExchangeOptions<S, P>) {
    this.kind = options.kind;
    this.replicaId = options.replicaId;
    this._transport = options.transport;
    this._codec = options.codec;
    this._what = options.what;
    this._readCacheMs = options.readCacheMs ?? 0;
    this._onError = options.onError;
  }

  /** Whether anyone else reads what is published (otherwise views answer locally). */
  get isShared(): boolean {
    return this._transport.isShared;
  }

  /** Replaces this publisher's snapshot; live for `ttlMs` from `nowMs`. */
  async publish(snapshot: S, ttlMs: number, nowMs: number): Promise<void> {
    const payload = this._codec.encode(snapshot);
    await this._transport.publishSnapshot(
      this.kind,
      this.replicaId,
      payload,
      ttlMs,
      nowMs
    );
    this._lastRead = undefined;
  }

  /** Every publisher's live snapshot, this one's included, sorted by replicaId. */
  async read(nowMs: number): Promise<readonly PeerSnapshot<P>[]> {
    const cached = this._lastRead;
    if (
      cached !== undefined &&
      nowMs >= cached.atMs &&
      nowMs - cached.atMs < this._readCacheMs
    )
      return cached.all;
    const raw = await this._transport.readSnapshots(this.kind, nowMs);
    const all: PeerSnapshot<P>[] = [];
    const seen = new Set<string>();
    for (const snapshot of raw) {
      const decoded = this._decode(snapshot);
      if (decoded === undefined) continue;
      all.push(decoded);
      seen.add(snapshot.replicaId);
    }
    for (const id of this._decoded.keys())
      if (!seen.has(id)) this._decoded.delete(id);
    this._lastRead = { atMs: nowMs, all };
    return all;
  }

  /** The other publishers' live snapshots (this one's left out: its live state is local). */
  async readPeers(nowMs: number): Promise<readonly PeerSnapshot<P>[]> {
    return (await this.read(nowMs)).filter(p => p.replicaId !== this.replicaId);
  }

  /** Forgets the cached read (the next read asks the transport). */
  invalidate(): void {
    this._lastRead = undefined;
  }

  private _decode(snapshot: ReplicaSnapshot): PeerSnapshot<P> | undefined {
    const cached = this._decoded.get(snapshot.replicaId);
    if (cached !== undefined && cached.publishedAtMs === snapshot.publishedAtMs)
      return cached;
    try {
      const decoded: PeerSnapshot<P> = {
        replicaId: snapshot.replicaId,
        publishedAtMs: snapshot.publishedAtMs,
        snapshot: this._codec.decode(snapshot.payload),
      };
      this._decoded.set(snapshot.replicaId, decoded);
      return decoded;
    } catch (err) {
      this._onError?.(
        new Error(
          `cannot decode the ${this._what} snapshot of replica ${snapshot.replicaId}: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err }
        )
      );
      return undefined;
    }
  }
}

/**
 * Groups keyed parts from several snapshots (the local one first): key →
 * its parts, in source order. The merges of fleet records and cardinality
 * summaries start from this.
 */
export function collectByKey<V>(
  sources: Iterable<ReadonlyMap<string, V>>,
  only?: string
): Map<string, V[]> {
  const out = new Map<string, V[]>();
  for (const source of sources) {
    if (only !== undefined) {
      const part = source.get(only);
      if (part !== undefined) appendTo(out, only, part);
      continue;
    }
    for (const [key, part] of source) appendTo(out, key, part);
  }
  return out;
}

function appendTo<V>(out: Map<string, V[]>, key: string, part: V): void {
  const parts = out.get(key);
  if (parts === undefined) out.set(key, [part]);
  else parts.push(part);
}
