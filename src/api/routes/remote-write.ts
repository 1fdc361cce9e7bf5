/**
 * POST /api/v1/write: Prometheus remote write 1.0 and 2.0. The content type
 * picks the schema (2.0 spec); 2.0 answers carry the Written headers, on
 * failure too, so a sender can tell a 1.x receiver from a real 2.0 one.
 */
import type { RequestHandler, Response } from 'express';
import type { BatchPool } from '../../model/index.js';
import {
  SeriesLabelCache,
  decodeWriteRequestV1,
  decodeWriteRequestV2,
  readBody,
  remoteWriteVersionOf,
  snappyUncompress,
  type RequestLimits,
} from '../../protocol/index.js';
import type { IngestRuntime } from '../ingest-runtime.js';
import { bodyLimitsOf } from './body-limits-of.js';
import { readIngestRequest, type IngestDoor } from './read-ingest-request.js';

export interface RemoteWriteRouteDeps {
  runtime: () => IngestRuntime;
  /** Batches reused across requests; the app owns the pool (and its metric). */
  batches: BatchPool;
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

/** Remote write: the content type picks 1.0 or 2.0; the body is snappy (a missing Content-Encoding is read as snappy too). */
const REMOTE_WRITE_DOOR: IngestDoor<'v1' | 'v2'> = {
  detect: (req, res) => {
    res.locals['protocol'] = 'remote_write';
    const version = remoteWriteVersionOf(req.headers['content-type']);
    if (version === 'v2') setWritten(res, 0, 0, 0);
    return version;
  },
  read: async (req, _format, server) => {
    // Snappy is undone here, under its own cap: readBody passes it through.
    const { body } = await readBody(
      req,
      req.headers['content-encoding'] ?? 'snappy',
      bodyLimitsOf(server, server.max_body_bytes),
      ['snappy']
    );
    return snappyUncompress(body, server.max_decompressed_bytes);
  },
};

export function remoteWriteHandler(deps: RemoteWriteRouteDeps): RequestHandler {
  const pool = deps.batches;
  // Known series skip label decoding and every stage's per-series work (see SeriesBatch.stable).
  let seriesCache = new SeriesLabelCache();
  // The limits the cached series were checked against; new limits, new cache.
  let cachedUnder: RequestLimits | undefined;
  return async (req, res) => {
    const { runtime, format, identity, body, requestLimits } =
      await readIngestRequest(req, res, deps.runtime, REMOTE_WRITE_DOOR);
    if (requestLimits !== cachedUnder) {
      if (cachedUnder !== undefined) seriesCache = new SeriesLabelCache();
      cachedUnder = requestLimits;
    }
    const receivedAtMs = Date.now();
    const batch = pool.acquire();
    try {
      if (format === 'v2')
        decodeWriteRequestV2(body, batch, seriesCache, requestLimits);
      else decodeWriteRequestV1(body, batch, seriesCache, requestLimits);
      const outcome = await runtime.metrics.accept(
        batch,
        identity,
        format === 'v2' ? 'remote_write_v2' : 'remote_write_v1',
        receivedAtMs,
        { userAgent: req.headers['user-agent'] }
      );
      if (format === 'v2')
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
