/**
 * POST /v1/metrics (and /otlp/v1/metrics): OTLP/HTTP metrics, protobuf or
 * JSON, optionally gzip. The answer uses the request's content type; points
 * refused one by one come back as partial_success (the client must not retry
 * those), the rest lands.
 */
import type { RequestHandler } from 'express';
import { toRequestLimits } from '../../config/index.js';
import { UnsupportedMediaTypeError } from '../../errors.js';
import {
  decodeMetricsJson,
  decodeMetricsProtobuf,
  encodeExportMetricsResponse,
} from '../../protocol/index.js';
import { BatchPool } from '../../model/index.js';
import { readOtlpBody } from './read-otlp-body.js';
import type { IngestRuntime, IngestService } from '../ingest-service.js';

export interface OtlpRouteDeps {
  runtime: () => IngestRuntime;
  ingest: IngestService;
}

/** 'protobuf' or 'json' from a Content-Type; other types are 415. */
export function otlpFormatOf(
  contentType: string | undefined
): 'protobuf' | 'json' {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (
    mediaType === 'application/x-protobuf' ||
    mediaType === 'application/protobuf'
  )
    return 'protobuf';
  if (mediaType === 'application/json') return 'json';
  throw new UnsupportedMediaTypeError(
    `cannot read OTLP request: unsupported Content-Type ${JSON.stringify(contentType ?? '')} (want application/x-protobuf or application/json)`
  );
}

export function otlpMetricsHandler(deps: OtlpRouteDeps): RequestHandler {
  const pool = new BatchPool();
  return async (req, res) => {
    res.locals['protocol'] = 'otlp_protobuf';
    const format = otlpFormatOf(req.headers['content-type']);
    res.locals['protocol'] = format === 'json' ? 'otlp_json' : 'otlp_protobuf';
    const runtime = deps.runtime();
    const identity = runtime.identifier.identify(req.headers.authorization);
    const { server } = runtime.config;
    const requestLimits = toRequestLimits(runtime.config.request_limits);
    const body = await readOtlpBody(
      req,
      format,
      'metrics',
      server,
      requestLimits
    );
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
      const outcome = await deps.ingest.acceptMetrics(
        runtime,
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
