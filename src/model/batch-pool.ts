/**
 * A small pool of SeriesBatch objects, so concurrent requests (which may
 * await shared state mid-pipeline) each get their own batch while the typed
 * arrays are still reused across requests.
 *
 * The pool follows recent demand, so one extreme request does not pin its
 * memory (issue #11, finding 5): every `trimIntervalMs` it compares what
 * the last two intervals needed (the most series and samples one request
 * used, the most batches in use at once) with what it holds, shrinks the
 * batches that grew beyond that and lets go of the surplus ones. A request
 * an interval ago still counts, so normal-sized traffic keeps reusing its
 * batches untouched; capacity from an extreme request is gone within three
 * intervals (45 s by default). The timer is unref'd: it never keeps the
 * process alive.
 */
import { SeriesBatch } from './series-batch.js';

const DEFAULT_MAX_POOLED = 16;
/** Grown capacity goes within three intervals: 45 s by default, inside the minute #11 asks. */
const DEFAULT_TRIM_INTERVAL_MS = 15_000;
// A batch this large (1 Mi samples, ~24 MiB of sample columns alone) is let
// go at release rather than kept for even one interval.
const MAX_POOLED_SAMPLES = 1 << 20;

export interface BatchPoolOptions {
  /** Free batches kept at most (default 16). */
  maxPooled?: number;
  /** How often the pool trims itself to recent demand, in ms (default 15 s); 0 turns trimming off. */
  trimIntervalMs?: number;
}

/** The largest demand seen in one trim interval. */
interface Demand {
  series: number;
  samples: number;
  batchesInUse: number;
}

export class BatchPool {
  private readonly _free: SeriesBatch[] = [];
  private readonly _maxPooled: number;
  private _inUse = 0;
  private _current: Demand = { series: 0, samples: 0, batchesInUse: 0 };
  private _previous: Demand = { series: 0, samples: 0, batchesInUse: 0 };
  private readonly _timer: NodeJS.Timeout | undefined;

  constructor(options: BatchPoolOptions = {}) {
    this._maxPooled = options.maxPooled ?? DEFAULT_MAX_POOLED;
    const intervalMs = options.trimIntervalMs ?? DEFAULT_TRIM_INTERVAL_MS;
    if (intervalMs > 0) {
      this._timer = setInterval(() => this.trim(), intervalMs);
      this._timer.unref();
    }
  }

  acquire(): SeriesBatch {
    const batch = this._free.pop() ?? new SeriesBatch();
    batch.reset();
    this._inUse++;
    if (this._inUse > this._current.batchesInUse)
      this._current.batchesInUse = this._inUse;
    return batch;
  }

  /** Returns a batch; the caller must not touch it afterwards. */
  release(batch: SeriesBatch): void {
    this._inUse = Math.max(0, this._inUse - 1);
    const demand = this._current;
    if (batch.seriesCount > demand.series) demand.series = batch.seriesCount;
    if (batch.sampleCount > demand.samples) demand.samples = batch.sampleCount;
    if (
      this._free.length < this._maxPooled &&
      batch.values.length <= MAX_POOLED_SAMPLES
    ) {
      batch.reset();
      this._free.push(batch);
    }
  }

  /**
   * Fits the free batches to the demand of the current and the previous
   * interval, then starts a new interval. Called by the pool's timer; public
   * for tests and for callers that run without a timer.
   */
  trim(): void {
    const previous = this._previous;
    const current = this._current;
    const series = Math.max(previous.series, current.series);
    const samples = Math.max(previous.samples, current.samples);
    // Batches in use now come back later; only the free surplus goes.
    const keep = Math.max(
      0,
      Math.max(previous.batchesInUse, current.batchesInUse) - this._inUse
    );
    if (this._free.length > keep) this._free.length = keep;
    for (const batch of this._free) batch.shrinkTo(series, samples);
    this._previous = current;
    this._current = { series: 0, samples: 0, batchesInUse: this._inUse };
  }

  /** Bytes of typed-array capacity held by the free batches (fleetgate_buffer_pool_bytes). */
  get retainedBytes(): number {
    let bytes = 0;
    for (const batch of this._free) bytes += batch.capacityBytes();
    return bytes;
  }

  /** Free batches held. */
  get size(): number {
    return this._free.length;
  }

  /** Stops the trim timer and lets every free batch go. */
  close(): void {
    if (this._timer !== undefined) clearInterval(this._timer);
    this._free.length = 0;
  }
}
