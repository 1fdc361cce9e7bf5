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
import { toRequestLimits, type Config } from '../../config/index.js';
import { encodeExportLogsResponse } from '../../protocol/index.js';
import { decodeLogsJson, decodeLogsProtobuf } from '../../protocol/index.js';
import type { Identifier } from '../../pipeline/index.js';
import type { LogsIngestService } from '../../pipeline/index.js';
import { otlpFormatOf } from './otlp-metrics.js';
import { readOtlpBody } from './read-otlp-body.js';

/** What the route needs of the current runtime (IngestRuntime satisfies it). */
export interface OtlpLogsRuntime {
  readonly identifier: Identifier;
  readonly config: {
    readonly server: Pick<
      Config['server'],
      | 'max_body_bytes'
      | 'max_decompressed_bytes'
      | 'body_timeout'
      | 'min_body_rate'
    >;
    readonly request_limits: Config['request_limits'];
  };
}

export interface OtlpLogsRouteDeps {
  /** The runtime of the current configuration (swapped on reload). */
  runtime: () => OtlpLogsRuntime;
  /** The logs service of the current configuration (swapped on reload). */
  logs: () => LogsIngestService;
}

export function otlpLogsHandler(deps: OtlpLogsRouteDeps): RequestHandler {
  return async (req, res) => {
    // Set before anything can fail, so even a 415 gets an OTLP error body.
    res.locals['protocol'] = 'otlp_protobuf';
    const format = otlpFormatOf(req.headers['content-type']);
    res.locals['protocol'] = format === 'json' ? 'otlp_json' : 'otlp_protobuf';
    const runtime = deps.runtime();
    const logs = deps.logs();
    const identity = runtime.identifier.identify(req.headers.authorization);
    const { server } = runtime.config;
    const requestLimits = toRequestLimits(runtime.config.request_limits);
    const body = await readOtlpBody(req, format, 'logs', server, requestLimits);
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
