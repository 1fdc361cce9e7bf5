/**
 * `fleetgate_buffer_pool_bytes{pool}`: bytes the gateway's reusable buffers
 * hold between requests, read from each pool at scrape time. It shows
 * whether capacity grown by an extreme request has come back (issue #11,
 * finding 5); per-series caches and limiter state are not in it.
 */
import { Gauge, type Registry } from 'prom-client';

/** A named pool and how to read the bytes it holds now. */
export interface BufferPoolSource {
  readonly pool: string;
  retainedBytes(): number;
}

export class BufferPoolMetrics {
  private readonly _sources: BufferPoolSource[] = [];

  constructor(registry: Registry) {
    const sources = this._sources;
    new Gauge({
      name: 'fleetgate_buffer_pool_bytes',
      help: 'Bytes held by reusable buffers between requests, by pool (remote_write_batches, otlp_batches); they shrink back to recent demand within a minute.',
      labelNames: ['pool'],
      registers: [registry],
      collect(this: Gauge<'pool'>) {
        for (const source of sources)
          this.set({ pool: source.pool }, source.retainedBytes());
      },
    });
  }

  /** Reports `source` from the next scrape on. */
  watch(source: BufferPoolSource): void {
    this._sources.push(source);
  }
}
