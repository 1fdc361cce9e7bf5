/**
 * Snapshots between worker threads (docs/architecture.md "workers": each worker owns
 * a shard of the clusters and its views merge per-worker snapshots the
 * same way replicas merge theirs). A worker's PortSnapshotTransport sends
 * publishes and reads over a MessagePort to the SnapshotHub on the main
 * thread, which keeps them in a backing transport (a MemorySnapshotTransport,
 * or the StateStore, so workers of several replicas meet there too).
 *
 * Messages are plain objects (structured clone); each request carries an id
 * and gets exactly one answer. A port that closes fails what is pending.
 */
import type { MessagePort } from 'node:worker_threads';
import type {
  ReplicaSnapshot,
  SnapshotTransport,
} from './snapshot-transport.js';

type HubRequest =
  | {
      readonly id: number;
      readonly op: 'publish';
      readonly kind: string;
      readonly replicaId: string;
      readonly payload: string;
      readonly ttlMs: number;
      readonly nowMs: number;
    }
  | {
      readonly id: number;
      readonly op: 'read';
      readonly kind: string;
      readonly nowMs: number;
    };

type HubAnswer =
  | {
      readonly id: number;
      readonly ok: true;
      readonly snapshots?: readonly ReplicaSnapshot[];
    }
  | { readonly id: number; readonly ok: false; readonly message: string };

/** The main thread's side: answers every connected worker from `backing`. */
export class SnapshotHub {
  private readonly _backing: SnapshotTransport;

  constructor(backing: SnapshotTransport) {
    this._backing = backing;
  }

  /** Serves one worker's port until it closes. */
  connect(port: MessagePort): void {
    port.on('message', (request: HubRequest) => {
      void this._answer(request).then(answer => port.postMessage(answer));
    });
  }

  private async _answer(request: HubRequest): Promise<HubAnswer> {
    try {
      if (request.op === 'publish') {
        await this._backing.publishSnapshot(
          request.kind,
          request.replicaId,
          request.payload,
          request.ttlMs,
          request.nowMs
        );
        return { id: request.id, ok: true };
      }
      const snapshots = await this._backing.readSnapshots(
        request.kind,
        request.nowMs
      );
      return { id: request.id, ok: true, snapshots };
    } catch (err) {
      return {
        id: request.id,
        ok: false,
        message: err instanceof Error ? err.message : String(err),
      };
    }
  }
}

interface Pending {
  resolve(answer: HubAnswer & { ok: true }): void;
  reject(err: Error): void;
}

/** A worker's side: a SnapshotTransport over its port to the SnapshotHub. */
export class PortSnapshotTransport implements SnapshotTransport {
  readonly isShared = true;
  private readonly _port: MessagePort;
  private readonly _pending = new Map<number, Pending>();
  private _nextId = 0;
  private _isClosed = false;

  constructor(port: MessagePort) {
    this._port = port;
    port.on('message', (answer: HubAnswer) => {
      const pending = this._pending.get(answer.id);
      if (pending === undefined) return;
      this._pending.delete(answer.id);
      if (answer.ok) pending.resolve(answer);
      else pending.reject(new Error(answer.message));
    });
    port.on('close', () => this._failPending('the port closed'));
  }

  async publishSnapshot(
    kind: string,
    replicaId: string,
    payload: string,
    ttlMs: number,
    nowMs: number
  ): Promise<void> {
    await this._ask({
      id: 0,
      op: 'publish',
      kind,
      replicaId,
      payload,
      ttlMs,
      nowMs,
    });
  }

  async readSnapshots(kind: string, nowMs: number): Promise<ReplicaSnapshot[]> {
    const answer = await this._ask({ id: 0, op: 'read', kind, nowMs });
    return [...(answer.snapshots ?? [])];
  }

  /** Closes the port; pending and later calls fail. */
  close(): void {
    this._port.close();
    this._failPending('the transport was closed');
  }

  private _ask(request: HubRequest): Promise<HubAnswer & { ok: true }> {
    if (this._isClosed)
      return Promise.reject(
        new Error(`cannot ${request.op} a snapshot: the port is closed`)
      );
    const id = ++this._nextId;
    return new Promise((resolve, reject) => {
      this._pending.set(id, { resolve, reject });
      this._port.postMessage({ ...request, id });
    });
  }

  private _failPending(why: string): void {
    this._isClosed = true;
    for (const pending of this._pending.values())
      pending.reject(new Error(`cannot finish a snapshot call: ${why}`));
    this._pending.clear();
  }
}
