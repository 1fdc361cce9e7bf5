/**
 * Test helpers for the SLO engine: batches built like the decoders build
 * them (stable label arrays reused across requests, as the remote write
 * series cache hands them out), a stage context, and a shared in-memory
 * store (MemoryStateStore, announced as shared) so several engines act as
 * replicas of one deployment.
 */
import { labelsFromRecord, SeriesBatch } from '../../model/index.js';
import { StageTally, type StageContext } from '../../pipeline/index.js';
import { MemoryStateStore } from '../../state/index.js';
import type { SloSnapshot, SloStore } from '../slo-store.js';

/** 2030-01-01T00:00:00Z: aligned to every bucket width. */
export const T0 = Date.UTC(2030, 0, 1);
export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export interface Point {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly t: number;
  /** Start (created) timestamp; 0 or absent: unknown. */
  readonly start?: number;
}

/** Builds batches; with `stable`, one label array per distinct series, reused (like the decoder's cache). */
export class SeriesFeed {
  private readonly _arrays = new Map<string, string[]>();
  readonly isStable: boolean;

  constructor(isStable = true) {
    this.isStable = isStable;
  }

  labels(record: Readonly<Record<string, string>>): string[] {
    if (!this.isStable) return labelsFromRecord(record);
    const key = JSON.stringify(labelsFromRecord(record));
    let labels = this._arrays.get(key);
    if (labels === undefined) {
      labels = Object.freeze(labelsFromRecord(record)) as string[];
      this._arrays.set(key, labels);
    }
    return labels;
  }

  /** One batch; points of the same series (consecutive) share one series entry. */
  batch(points: readonly Point[]): SeriesBatch {
    const batch = new SeriesBatch();
    let last: string[] | undefined;
    for (const p of points) {
      const labels = this.labels(p.labels);
      if (labels !== last) {
        const index = batch.addSeries(labels);
        batch.stable[index] = this.isStable ? 1 : 0;
        last = labels;
      }
      batch.addSample(p.value, p.t, p.start ?? 0);
    }
    return batch;
  }
}

/** A context as the pipeline hands it (anonymous: clusters come from the `cluster` label). */
export function contextOf(): StageContext {
  return {
    identity: { kind: 'anonymous' },
    protocol: 'remote_write_v1',
    receivedAtMs: 0,
    tally: new StageTally(),
  };
}

/** One MemoryStateStore that says it is shared: engines on it behave as replicas. */
export class SharedMemoryStore implements SloStore {
  readonly isShared = true;
  readonly inner = new MemoryStateStore();
  publishes = 0;

  publishSnapshot(
    kind: string,
    replicaId: string,
    payload: string,
    ttlMs: number,
    nowMs: number
  ): Promise<void> {
    this.publishes++;
    return this.inner.publishSnapshot(kind, replicaId, payload, ttlMs, nowMs);
  }

  readSnapshots(kind: string, nowMs: number): Promise<SloSnapshot[]> {
    return this.inner.readSnapshots(kind, nowMs);
  }
}
