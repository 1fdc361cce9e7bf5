/**
 * A small pool of SeriesBatch objects, so concurrent requests (which may
 * await shared state mid-pipeline) each get their own batch while the typed
 * arrays are still reused across requests.
 */
import { SeriesBatch } from './series-batch.js';

const DEFAULT_MAX_POOLED = 16;

export class BatchPool {
  private readonly _free: SeriesBatch[] = [];
  private readonly _maxPooled: number;

  constructor(maxPooled = DEFAULT_MAX_POOLED) {
    this._maxPooled = maxPooled;
  }

  acquire(): SeriesBatch {
    const batch = this._free.pop() ?? new SeriesBatch();
    batch.reset();
    return batch;
  }

  /** Returns a batch; the caller must not touch it afterwards. */
  release(batch: SeriesBatch): void {
    // A batch that grew for one huge request is let go rather than pinned forever.
    if (this._free.length < this._maxPooled && batch.values.length <= 1 << 20) {
      batch.reset();
      this._free.push(batch);
    }
  }
}
