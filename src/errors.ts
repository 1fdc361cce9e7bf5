/**
 * The gateway's error taxonomy. Every failure a caller can see is one of these
 * classes, with a stable `code` and the HTTP status it maps to; the mapping to
 * a response lives in api/error-handler.ts only.
 */

export type GatewayErrorCode =
  | 'GW_ERR_INVALID_PAYLOAD'
  | 'GW_ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'GW_ERR_PAYLOAD_TOO_LARGE'
  | 'GW_ERR_REQUEST_LIMIT'
  | 'GW_ERR_UNAUTHORIZED'
  | 'GW_ERR_REQUEST_TIMEOUT'
  | 'GW_ERR_OVERLOADED'
  | 'GW_ERR_UNAVAILABLE'
  | 'GW_ERR_NOT_FOUND'
  | 'GW_ERR_CONFIG'
  | 'GW_ERR_UPSTREAM';

export interface GatewayErrorOptions {
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  readonly httpStatus: number;

  constructor(
    message: string,
    code: GatewayErrorCode,
    httpStatus: number,
    options?: GatewayErrorOptions
  ) {
    super(
      message,
      options?.cause === undefined ? undefined : { cause: options.cause }
    );
    this.name = 'GatewayError';
    this.code = code;
    this.httpStatus = httpStatus;
  }
}

/** Malformed request: the sender must not retry (400). */
export class InvalidPayloadError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super(message, 'GW_ERR_INVALID_PAYLOAD', 400, options);
    this.name = 'InvalidPayloadError';
  }
}

/** Content-Type or Content-Encoding the endpoint does not speak (415). */
export class UnsupportedMediaTypeError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super(message, 'GW_ERR_UNSUPPORTED_MEDIA_TYPE', 415, options);
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** Body over the configured cap, compressed or decompressed (413). */
export class PayloadTooLargeError extends GatewayError {
  readonly limitBytes: number;
  constructor(
    message: string,
    limitBytes: number,
    options?: GatewayErrorOptions
  ) {
    super(message, 'GW_ERR_PAYLOAD_TOO_LARGE', 413, options);
    this.name = 'PayloadTooLargeError';
    this.limitBytes = limitBytes;
  }
}

/**
 * A request over one of the decode-time caps of `request_limits` (too many
 * attributes, labels, series or points, a label too long, a JSON body too
 * big). `limit` is the config key (`request_limits.max_label_value_bytes`)
 * and `limitValue` its value, both named in the message. 413 for caps on the
 * whole request (the sender can split it), 400 for caps on one item (it
 * cannot); neither is retried.
 */
export class RequestLimitError extends GatewayError {
  readonly limit: string;
  readonly limitValue: number;
  constructor(
    message: string,
    limit: string,
    limitValue: number,
    httpStatus: 400 | 413,
    options?: GatewayErrorOptions
  ) {
    super(message, 'GW_ERR_REQUEST_LIMIT', httpStatus, options);
    this.name = 'RequestLimitError';
    this.limit = limit;
    this.limitValue = limitValue;
  }

  /** The same refusal with `prefix` before its message (`cannot decode OTLP metrics: `). */
  withPrefix(prefix: string): RequestLimitError {
    return new RequestLimitError(
      prefix + this.message,
      this.limit,
      this.limitValue,
      this.httpStatus as 400 | 413,
      { cause: this }
    );
  }
}

/** Missing or unknown bearer token (401). The token itself is never in the message. */
export class UnauthorizedError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super(message, 'GW_ERR_UNAUTHORIZED', 401, options);
    this.name = 'UnauthorizedError';
  }
}

/**
 * A request body that arrived slower than `server.min_body_rate` allows
 * (408). The connection is closed after the answer: the rest of the body is
 * never read.
 */
export class RequestTimeoutError extends GatewayError {
  /** Bytes of the body that had arrived when the time ran out. */
  readonly receivedBytes: number;
  constructor(
    message: string,
    receivedBytes: number,
    options?: GatewayErrorOptions
  ) {
    super(message, 'GW_ERR_REQUEST_TIMEOUT', 408, options);
    this.name = 'RequestTimeoutError';
    this.receivedBytes = receivedBytes;
  }
}

/**
 * A limit that will pass (queue full, ingestion rate): the sender should retry
 * after `retryAfterMs`. The status depends on the protocol, because Prometheus
 * drops data on 429 unless `retry_on_http_429` is set (PROTOCOLS.md §2.4); the
 * handler that knows the protocol picks it.
 */
export class OverloadedError extends GatewayError {
  readonly retryAfterMs: number;
  readonly reason: string;
  constructor(
    message: string,
    reason: string,
    retryAfterMs: number,
    httpStatus: 429 | 503 = 503,
    options?: GatewayErrorOptions
  ) {
    super(message, 'GW_ERR_OVERLOADED', httpStatus, options);
    this.name = 'OverloadedError';
    this.retryAfterMs = retryAfterMs;
    this.reason = reason;
  }

  /** The same overload with the status a given protocol's senders retry. */
  withStatus(httpStatus: 429 | 503): OverloadedError {
    return new OverloadedError(
      this.message,
      this.reason,
      this.retryAfterMs,
      httpStatus,
      {
        cause: this.cause,
      }
    );
  }
}

/** Our own fault that will pass (queue not writable, shutting down): 503. */
export class UnavailableError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super(message, 'GW_ERR_UNAVAILABLE', 503, options);
    this.name = 'UnavailableError';
  }
}

export class NotFoundError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super(message, 'GW_ERR_NOT_FOUND', 404, options);
    this.name = 'NotFoundError';
  }
}

/** A configuration that does not validate; `issues` name the bad keys. */
export class ConfigError extends GatewayError {
  readonly issues: readonly string[];
  constructor(
    message: string,
    issues: readonly string[],
    options?: GatewayErrorOptions
  ) {
    super(message, 'GW_ERR_CONFIG', 400, options);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** A downstream answered with an error we cannot recover from (502). */
export class UpstreamError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super(message, 'GW_ERR_UPSTREAM', 502, options);
    this.name = 'UpstreamError';
  }
}
