/**
 * The one place where errors become HTTP responses. Routes mark which
 * protocol they speak (`res.locals.protocol`), because the same overload
 * must be a 503 for a Prometheus sender (it drops data on 429 unless
 * `retry_on_http_429` is set) and a 429 for OTLP (spec'd as retryable), and
 * each protocol has its own error body: plain text for remote write,
 * google.rpc.Status for OTLP, Prometheus' JSON envelope for the API.
 */
import type { ErrorRequestHandler, Response } from 'express';
import {
  GatewayError,
  OverloadedError,
  RequestTimeoutError,
  UnavailableError,
} from '../errors.js';
import { encodeRpcStatus } from '../protocol/index.js';
import type { Logger } from '../telemetry/index.js';
import type { SelfMetrics } from '../telemetry/index.js';

export type ResponseProtocol =
  'remote_write' | 'otlp_protobuf' | 'otlp_json' | 'api';

/** Prometheus' API errorType for a status. */
function errorTypeOf(status: number): string {
  if (status === 400 || status === 413 || status === 415) return 'bad_data';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 429 || status === 503) return 'unavailable';
  if (status === 408) return 'timeout';
  return 'internal';
}

/** Short reason label for fleetgate_rejected_requests_total. */
function reasonOf(err: GatewayError): string {
  switch (err.code) {
    case 'GW_ERR_INVALID_PAYLOAD':
      return 'bad_data';
    case 'GW_ERR_UNSUPPORTED_MEDIA_TYPE':
      return 'unsupported_media_type';
    case 'GW_ERR_PAYLOAD_TOO_LARGE':
      return 'too_large';
    case 'GW_ERR_REQUEST_LIMIT':
      return 'request_limit';
    case 'GW_ERR_UNAUTHORIZED':
      return 'unauthorized';
    case 'GW_ERR_REQUEST_TIMEOUT':
      return 'timeout';
    case 'GW_ERR_OVERLOADED':
      return err instanceof OverloadedError ? err.reason : 'overloaded';
    case 'GW_ERR_UNAVAILABLE':
      return 'unavailable';
    default:
      return 'internal';
  }
}

// google.rpc.Code values for the OTLP error body (clients ignore them, but they should be right).
function rpcCodeOf(status: number): number {
  if (status === 400 || status === 413 || status === 415) return 3; // INVALID_ARGUMENT
  if (status === 401) return 16; // UNAUTHENTICATED
  if (status === 404) return 5; // NOT_FOUND
  if (status === 408) return 4; // DEADLINE_EXCEEDED
  if (status === 429) return 8; // RESOURCE_EXHAUSTED
  if (status === 503) return 14; // UNAVAILABLE
  return 13; // INTERNAL
}

export interface ErrorHandlerDeps {
  logger: Logger;
  metrics: SelfMetrics;
  /** Status for retryable refusals of remote write (503 default, or 429). */
  remoteWriteOverloadStatus: () => 429 | 503;
}

export function createErrorHandler(
  deps: ErrorHandlerDeps
): ErrorRequestHandler {
  return (rawError: unknown, req, res, next) => {
    if (res.headersSent) {
      next(rawError);
      return;
    }
    const protocol =
      (res.locals['protocol'] as ResponseProtocol | undefined) ?? 'api';
    const err = asGatewayError(rawError);
    let status = err.httpStatus;
    if (err instanceof OverloadedError) {
      status =
        protocol === 'remote_write' ? deps.remoteWriteOverloadStatus() : 429;
      res.setHeader(
        'Retry-After',
        String(Math.max(1, Math.ceil(err.retryAfterMs / 1000)))
      );
    } else if (err instanceof UnavailableError) {
      res.setHeader('Retry-After', '5');
    } else if (err instanceof RequestTimeoutError) {
      // The rest of the body is never read: close the connection after the
      // answer (RFC 9110 §15.5.9), so the slow sender holds nothing more.
      res.setHeader('Connection', 'close');
      deps.metrics.connectionsTimedOut.inc({ reason: 'body' });
    }
    if (protocol !== 'api') {
      deps.metrics.rejectedRequests.inc({
        protocol: metricProtocol(protocol),
        reason: reasonOf(err),
      });
    }
    const fields = {
      code: err.code,
      status,
      path: req.path,
      protocol,
      err: status >= 500 ? rawError : undefined,
    };
    if (
      status >= 500 &&
      !(err instanceof OverloadedError || err instanceof UnavailableError)
    ) {
      deps.logger.error(fields, err.message);
    } else if (err instanceof RequestTimeoutError) {
      // A slowloris can repeat this at will; the metric counts every one.
      deps.logger.debug(fields, err.message);
    } else {
      deps.logger.warn(fields, err.message);
    }
    sendError(res, protocol, status, err.message);
  };
}

function metricProtocol(protocol: ResponseProtocol): string {
  return protocol === 'remote_write' ? 'remote_write' : 'otlp';
}

function sendError(
  res: Response,
  protocol: ResponseProtocol,
  status: number,
  message: string
): void {
  res.status(status);
  switch (protocol) {
    case 'remote_write':
      // Senders log this body verbatim; keep it one readable line.
      res.type('text/plain; charset=utf-8').send(`${message}\n`);
      return;
    case 'otlp_protobuf':
      res
        .type('application/x-protobuf')
        .send(
          Buffer.from(encodeRpcStatus(rpcCodeOf(status), message, 'protobuf'))
        );
      return;
    case 'otlp_json':
      res
        .type('application/json')
        .send(Buffer.from(encodeRpcStatus(rpcCodeOf(status), message, 'json')));
      return;
    default:
      res.json({
        status: 'error',
        errorType: errorTypeOf(status),
        error: message,
      });
  }
}

/** Unknown errors become a 500 that hides internals from the caller. */
export function asGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  // Express' own errors (e.g. from a malformed URL) carry a 4xx status.
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new GatewayError(
      (err as Error).message,
      'GW_ERR_INVALID_PAYLOAD',
      status,
      { cause: err }
    );
  }
  return new GatewayError('internal error', 'GW_ERR_UPSTREAM', 500, {
    cause: err,
  });
}

/**
 * The raw answer to an error on a connection before any request exists (a
 * malformed request line, headers too large or too slow), written straight
 * to the socket, which is closed after it. Node's own defaults, in one table.
 */
export function clientErrorResponse(code: string | undefined): string {
  const [status, text] =
    code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout']
      : code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large']
        : code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
          ? [413, 'Payload Too Large']
          : [400, 'Bad Request'];
  return `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
}
