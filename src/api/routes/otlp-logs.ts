/**
 * POST /v1/logs (and /otlp/v1/logs): OTLP/HTTP logs, protobuf or JSON,
 * optionally gzip. Thin glue: the token names the cluster, the body is read
 * with the size caps and decoded, LogsIngestService does the rest. The
 * answer uses the request's content type; records refused one by one come
 * back as partial_success (the client must not retry those). Errors go to
 * the error handler: malformed input 400, bad token 401, too large 413,
 * over the rate limit or a full queue 429 with Retry-After.
 */
import type { RequestHandler } from 'express';
import type { LogsIngestService } from '../../pipeline/index.js';
import {
  decodeLogsJson,
  decodeLogsProtobuf,
  encodeExportLogsResponse,
} from '../../protocol/index.js';
import {
  OTLP_LOGS_DOOR,
  readIngestRequest,
  type IngestRequestRuntime,
} from './read-ingest-request.js';

export interface OtlpLogsRouteDeps {
  /** The runtime of the current configuration (swapped on reload). */
  runtime: () => IngestRequestRuntime;
  /** The logs service of the current configuration (swapped on reload). */
  logs: () => LogsIngestService;
}

export function otlpLogsHandler(deps: OtlpLogsRouteDeps): RequestHandler {
  return async (req, res) => {
    const logs = deps.logs();
    const { format, identity, body, requestLimits } = await readIngestRequest(
      req,
      res,
      deps.runtime,
      OTLP_LOGS_DOOR
    );
    const batch =
      format === 'json'
        ? decodeLogsJson(body, requestLimits)
        : decodeLogsProtobuf(body, requestLimits);
    const outcome = await logs.accept(batch, identity, Date.now());
    res
      .status(200)
      .type(format === 'json' ? 'application/json' : 'application/x-protobuf');
    res.send(
      Buffer.from(
        encodeExportLogsResponse(
          outcome.rejectedRecords,
          outcome.message,
          format
        )
      )
    );
  };
}
