/**
 * What every ingest route does before its decoder runs, in one place: pick
 * the wire format from the headers (a bad one is 415), name the sender's
 * cluster from its token (401), and read the body under the size, time and
 * decompression caps of the configuration in force (413, 408). The routes
 * keep only decoding and the answer.
 */
import type { Request, Response } from 'express';
import { toRequestLimits, type Config } from '../../config/index.js';
import { UnsupportedMediaTypeError } from '../../errors.js';
import type { Identifier, Identity } from '../../pipeline/index.js';
import type { RequestLimits } from '../../protocol/index.js';
import type { ServerLimits } from './body-limits-of.js';
import { readOtlpBody } from './read-otlp-body.js';

/** What the helper needs of the generation in force (IngestRuntime satisfies it). */
export interface IngestRequestRuntime {
  readonly identifier: Identifier;
  readonly config: {
    readonly server: ServerLimits;
    readonly request_limits: Config['request_limits'];
  };
}

/** One protocol's entry: how it names its format and reads its body. */
export interface IngestDoor<F> {
  /** Reads the format from the request (throws UnsupportedMediaTypeError) and marks the response for it. */
  detect(req: Request, res: Response): F;
  /** The decompressed body. */
  read(
    req: Request,
    format: F,
    server: ServerLimits,
    requestLimits: RequestLimits
  ): Promise<Uint8Array>;
}

export interface IngestRequest<R, F> {
  readonly runtime: R;
  readonly format: F;
  readonly identity: Identity;
  readonly body: Uint8Array;
  readonly requestLimits: RequestLimits;
}

export async function readIngestRequest<R extends IngestRequestRuntime, F>(
  req: Request,
  res: Response,
  runtimeInForce: () => R,
  door: IngestDoor<F>
): Promise<IngestRequest<R, F>> {
  const format = door.detect(req, res);
  const runtime = runtimeInForce();
  const identity = runtime.identifier.identify(req.headers.authorization);
  const requestLimits = toRequestLimits(runtime.config.request_limits);
  const body = await door.read(
    req,
    format,
    runtime.config.server,
    requestLimits
  );
  return { runtime, format, identity, body, requestLimits };
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

/** OTLP/HTTP: protobuf or JSON, identity or gzip; a JSON body is capped at `request_limits.max_json_bytes` (read-otlp-body.ts). */
function otlpDoor(signal: 'metrics' | 'logs'): IngestDoor<'protobuf' | 'json'> {
  return {
    detect: (req, res) => {
      // Set before anything can fail, so even a 415 gets an OTLP error body.
      res.locals['protocol'] = 'otlp_protobuf';
      const format = otlpFormatOf(req.headers['content-type']);
      res.locals['protocol'] =
        format === 'json' ? 'otlp_json' : 'otlp_protobuf';
      return format;
    },
    read: (req, format, server, requestLimits) =>
      readOtlpBody(req, format, signal, server, requestLimits),
  };
}

export const OTLP_METRICS_DOOR = otlpDoor('metrics');
export const OTLP_LOGS_DOOR = otlpDoor('logs');
