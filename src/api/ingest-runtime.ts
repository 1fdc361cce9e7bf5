/**
 * What the ingest routes read of the configuration generation in force
 * (src/runtime/build-generation.ts builds it; swapped whole on reload, and
 * a request keeps the one it started with).
 */
import type { Config } from '../config/index.js';
import type { ClusterRegistry } from '../fleet/index.js';
import type { OtlpMetricsConverter } from '../ingest/index.js';
import type { Identifier, MetricsIngestService } from '../pipeline/index.js';

export interface IngestRuntime {
  readonly config: Config;
  readonly registry: ClusterRegistry;
  readonly identifier: Identifier;
  readonly otlpConverter: OtlpMetricsConverter;
  readonly metrics: MetricsIngestService;
}
