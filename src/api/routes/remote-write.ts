/**
 * POST /api/v1/write: Prometheus remote write 1.0 and 2.0. The content type
 * picks the schema (2.0 spec); 2.0 answers carry the Written headers, on
 * failure too, so a sender can tell a 1.x receiver from a real 2.0 one.
 */
import type { RequestHandler, Response } from 'express';
import { readBody, snappyUncompress } from '../../protocol/index.js';
import { toRequestLimits } from '../../config/index.js';
import {
  SeriesLabelCache,
  decodeWriteRequestV1,
  decodeWriteRequestV2,
  remoteWriteVersionOf,
  type RequestLimits,
} from '../../protocol/index.js';
import { BatchPool } from '../../model/index.js';
import type { IngestRuntime, IngestService } from '../ingest-service.js';

export interface RemoteWriteRouteDeps {
  runtime: () => IngestRuntime;
  ingest: IngestService;
}

const WRITTEN_HEADERS = [
  'X-Prometheus-Remote-Write-Samples-Written',
  'X-Prometheus-Remote-Write-Histograms-Written',
  'X-Prometheus-Remote-Write-Exemplars-Written',
] as const;

function setWritten(
  res: Response,
  samples: number,
  histograms: number,
  exemplars: number
): void {
  res.setHeader(WRITTEN_HEADERS[0], String(samples));
  res.setHeader(WRITTEN_HEADERS[1], String(histograms));
  res.setHeader(WRITTEN_HEADERS[2], String(exemplars));
}

export function remoteWriteHandler(deps: RemoteWriteRouteDeps): RequestHandler {
  const pool = new BatchPool();
  // Known series skip label decoding and every stage's per-series work (see SeriesBatch.stable).
  let seriesCache = new SeriesLabelCache();
  // The limits the cached series were checked against; new limits, new cache.
  let cachedUnder: RequestLimits | undefined;
  return async (req, res) => {
    res.locals['protocol'] = 'remote_write';
    const version = remoteWriteVersionOf(req.headers['content-type']);
    if (version === 'v2') setWritten(res, 0, 0, 0);
    const runtime = deps.runtime();
    const identity = runtime.identifier.identify(req.headers.authorization);
    const { server } = runtime.config;
    // Remote write always uses snappy; a missing header is read as snappy too.
    const limits = {
      maxBodyBytes: server.max_body_bytes,
      maxDecompressedBytes: server.max_body_bytes,
      bodyTimeoutMs: server.body_timeout,
      minBodyBytesPerSecond: server.min_body_rate,
    };
    const { body } = await readBody(
      req,
      req.headers['content-encoding'] ?? 'snappy',
      limits,
      ['snappy']
    );
    const raw = snappyUncompress(body, server.max_decompressed_bytes);
    const requestLimits = toRequestLimits(runtime.config.request_limits);
    if (requestLimits !== cachedUnder) {
      if (cachedUnder !== undefined) seriesCache = new SeriesLabelCache();
      cachedUnder = requestLimits;
    }
    const receivedAtMs = Date.now();
    const batch = pool.acquire();
    try {
      if (version === 'v2')
        decodeWriteRequestV2(raw, batch, seriesCache, requestLimits);
      else decodeWriteRequestV1(raw, batch, seriesCache, requestLimits);
      const protocol = version === 'v2' ? 'remote_write_v2' : 'remote_write_v1';
      const outcome = await deps.ingest.acceptMetrics(
        runtime,
        batch,
        identity,
        protocol,
        receivedAtMs,
        {
          userAgent: req.headers['user-agent'],
        }
      );
      if (version === 'v2')
        setWritten(
          res,
          outcome.samplesWritten,
          outcome.histogramsWritten,
          outcome.exemplarsWritten
        );
    } finally {
      pool.release(batch);
    }
    res.status(204).end();
  };
}
