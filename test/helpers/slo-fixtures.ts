/**
 * Test helpers for the SLO engine: batches built like the decoders build
 * them (stable label arrays reused across requests, as the remote write
 * series cache hands them out) and a stage context. Several engines on one
 * MemorySnapshotTransport (state/) act as replicas of one deployment.
 */
import {
  labelsFromRecord,
  SeriesBatch,
  type BucketSpan,
  type NativeHistogram,
} from '../../src/model/index.js';
import { StageTally, type StageContext } from '../../src/pipeline/index.js';

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

  /** A batch of `points`, a series entry per run of equal labels, `add` filling each point in. */
  private _build<
    P extends { readonly labels: Readonly<Record<string, string>> },
  >(
    points: readonly P[],
    add: (batch: SeriesBatch, point: P) => void
  ): SeriesBatch {
    const batch = new SeriesBatch();
    let last: string[] | undefined;
    for (const p of points) {
      const labels = this.labels(p.labels);
      if (labels !== last) {
        const index = batch.addSeries(labels);
        batch.stable[index] = this.isStable ? 1 : 0;
        last = labels;
      }
      add(batch, p);
    }
    return batch;
  }

  /** One batch; points of the same series (consecutive) share one series entry. */
  batch(points: readonly Point[]): SeriesBatch {
    return this._build(points, (batch, p) =>
      batch.addSample(p.value, p.t, p.start ?? 0)
    );
  }

  /** One batch of native histograms (their own timestamps), one series per distinct label set. */
  histogramBatch(
    points: readonly {
      readonly labels: Readonly<Record<string, string>>;
      readonly histogram: NativeHistogram;
    }[]
  ): SeriesBatch {
    return this._build(points, (batch, p) => batch.addHistogram(p.histogram));
  }
}

/** Buckets by index → count, as spans plus (integer) deltas or (float) counts. */
function encodeBuckets(
  buckets: ReadonlyMap<number, number>,
  isInteger: boolean
): { spans: BucketSpan[]; deltas: number[]; counts: number[] } {
  const indices = [...buckets.keys()].sort((a, b) => a - b);
  const spans: BucketSpan[] = [];
  const deltas: number[] = [];
  const counts: number[] = [];
  let next = 0;
  let previous = 0;
  for (const index of indices) {
    const last = spans[spans.length - 1];
    if (last !== undefined && index === next) last.length++;
    else
      spans.push({
        offset: spans.length === 0 ? index : index - next,
        length: 1,
      });
    next = index + 1;
    const count = buckets.get(index)!;
    if (isInteger) deltas.push(count - previous);
    else counts.push(count);
    previous = count;
  }
  return { spans, deltas, counts };
}

/** A native histogram with the given buckets (schema −53: `customValues` bounds). */
export function nativeHistogram(options: {
  schema: number;
  positive: ReadonlyMap<number, number>;
  negative?: ReadonlyMap<number, number>;
  zeroCount?: number;
  zeroThreshold?: number;
  isInteger?: boolean;
  customValues?: number[];
  timestampMs?: number;
  startTimestampMs?: number;
  resetHint?: number;
}): NativeHistogram {
  const isInteger = options.isInteger ?? true;
  const positive = encodeBuckets(options.positive, isInteger);
  const negative = encodeBuckets(options.negative ?? new Map(), isInteger);
  const zeroCount = options.zeroCount ?? 0;
  let count = zeroCount;
  for (const c of options.positive.values()) count += c;
  for (const c of (options.negative ?? new Map<number, number>()).values())
    count += c;
  return {
    countInt: isInteger ? count : undefined,
    countFloat: isInteger ? 0 : count,
    sum: 0,
    schema: options.schema,
    zeroThreshold: options.zeroThreshold ?? 1e-128,
    zeroCountInt: isInteger ? zeroCount : undefined,
    zeroCountFloat: isInteger ? 0 : zeroCount,
    negativeSpans: negative.spans,
    negativeDeltas: negative.deltas,
    negativeCounts: negative.counts,
    positiveSpans: positive.spans,
    positiveDeltas: positive.deltas,
    positiveCounts: positive.counts,
    resetHint: options.resetHint ?? 0,
    timestampMs: options.timestampMs ?? 0,
    customValues: options.customValues ?? [],
    startTimestampMs: options.startTimestampMs ?? 0,
  };
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
