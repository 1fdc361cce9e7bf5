/**
 * The outcome of one `POST /api/v2/alerts`, as a value (STYLE rule 12): the
 * notifier decides from it whether to retry, and nothing on this path throws.
 */
import type { UpstreamError } from '../errors.js';

/** Alertmanager took the alerts (2xx). */
export interface AlertPostSuccess {
  readonly status: 'success';
  readonly httpStatus: number;
}

/** Alertmanager refused the alerts for good (4xx other than 429): retrying the same body cannot help. */
export interface AlertPostFailure {
  readonly status: 'failure';
  readonly httpStatus: number;
  readonly error: UpstreamError;
  /** The first bytes of the response body: Alertmanager says there what it refused. */
  readonly responseBody: string;
}

/** Try again later: 5xx, 429, network error or timeout. */
export interface AlertPostRetryable {
  readonly status: 'retryable';
  /** undefined when no response arrived (network error, timeout, abort). */
  readonly httpStatus: number | undefined;
  readonly error: UpstreamError;
  /** From the response's Retry-After, clamped, when it had a usable one. */
  readonly retryInMillis?: number;
}

export type AlertPostResult =
  AlertPostSuccess | AlertPostFailure | AlertPostRetryable;
