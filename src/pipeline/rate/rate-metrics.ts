/**
 * The ingestion rate limiter's own metric. The error handler already counts
 * refused requests by reason (`fleetgate_rejected_requests_total`); this
 * counter adds the per-cluster view in samples that the fleet API needs.
 */
import { Counter, type Registry } from 'prom-client';

export const INGESTION_REFUSED_SAMPLES_METRIC =
  'fleetgate_ingestion_refused_samples_total';

/**
 * Instruments on a given Registry. Get-or-create: the pipeline is rebuilt on
 * every config reload against the same registry, and prom-client refuses to
 * register a name twice, so a later instance reuses the counter.
 */
export class RateMetrics {
  private readonly _refusedSamples: Counter<'cluster' | 'reason'>;

  constructor(registry: Registry) {
    const existing = registry.getSingleMetric(INGESTION_REFUSED_SAMPLES_METRIC);
    this._refusedSamples =
      existing instanceof Counter
        ? existing
        : new Counter({
            name: INGESTION_REFUSED_SAMPLES_METRIC,
            help: 'Samples (floats and histograms) in write requests refused by an ingestion limit, by cluster and reason (rate_limited). The sender keeps and retries them.',
            labelNames: ['cluster', 'reason'],
            registers: [registry],
          });
  }

  /** `cluster` must be bounded (a registered name or `unregistered`). */
  countRefused(cluster: string, reason: string, samples: number): void {
    this._refusedSamples.inc({ cluster, reason }, samples);
  }
}
