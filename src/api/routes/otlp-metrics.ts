/**
 * POST /v1/metrics (and /otlp/v1/metrics): OTLP/HTTP metrics, protobuf or
 * JSON, optionally gzip. The answer uses the request's content type; points
 * refused one by one come back as partial_success (the client must not retry
 * those), the rest lands.
 */
import type { RequestHandler } from 'express';
import type { BatchPool } from '../../model/index.js';
import {
  decodeMetricsJson,
  decodeMetricsProtobuf,
  encodeExportMetricsResponse,
} from '../../protocol/index.js';
import type { IngestRuntime } from '../ingest-runtime.js';
import { OTLP_METRICS_DOOR, readIngestRequest } from './read-ingest-request.js';

export interface OtlpRouteDeps {
  runtime: () => IngestRuntime;
  /** Batches reused across requests; the app owns the pool (and its metric). */
  batches: BatchPool;
}

export function otlpMetricsHandler(deps: OtlpRouteDeps): RequestHandler {
  const pool = deps.batches;
  return async (req, res) => {
    const { runtime, format, identity, body, requestLimits } =
      await readIngestRequest(req, res, deps.runtime, OTLP_METRICS_DOOR);
    const request =
      format === 'json'
        ? decodeMetricsJson(body, requestLimits)
        : decodeMetricsProtobuf(body, requestLimits);
    const receivedAtMs = Date.now();
    const scope = identity.kind === 'cluster' ? identity.cluster.name : '';
    const batch = pool.acquire();
    let rejected: number;
    let message: string;
    try {
      const converted = runtime.otlpConverter.convert(request, batch, scope);
      const outcome = await runtime.metrics.accept(
        batch,
        identity,
        'otlp',
        receivedAtMs,
        {
          userAgent: req.headers['user-agent'],
          resource: request.resourceMetrics[0]?.resource.attributes,
        }
      );
      rejected = converted.rejectedPoints + outcome.pointsDropped;
      message = [...converted.errors, ...outcome.dropMessages].join('; ');
    } finally {
      pool.release(batch);
    }
    res
      .status(200)
      .type(format === 'json' ? 'application/json' : 'application/x-protobuf');
    res.send(
      Buffer.from(encodeExportMetricsResponse(rejected, message, format))
    );
  };
}
