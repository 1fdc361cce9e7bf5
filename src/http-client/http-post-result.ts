/**
 * The outcome of one HTTP POST to a peer (a downstream, an Alertmanager), as
 * a value (STYLE rule 12): the caller's loop decides from it whether to retry,
 * and nothing on this path throws. Shapes follow opentelemetry-js
 * `export-response.ts`, plus the HTTP status the callers' metrics need.
 */
import type { UpstreamError } from '../errors.js';

/** The peer took the body (2xx). */
export interface HttpPostSuccess {
  readonly status: 'success';
  readonly httpStatus: number;
}

/** The peer refused the body for good (4xx other than 429): retrying the same body cannot help. */
export interface HttpPostFailure {
  readonly status: 'failure';
  readonly httpStatus: number;
  readonly error: UpstreamError;
  /** The first bytes of the response body: receivers explain a refusal there. */
  readonly responseBody: string;
}

/** Try again later: 5xx, 429, network error or timeout. */
export interface HttpPostRetryable {
  readonly status: 'retryable';
  /** undefined when no response arrived (network error, timeout, abort). */
  readonly httpStatus: number | undefined;
  readonly error: UpstreamError;
  /** From the response's Retry-After, when it had a usable one; already clamped. */
  readonly retryInMillis?: number;
}

export type HttpPostResult =
  HttpPostSuccess | HttpPostFailure | HttpPostRetryable;
