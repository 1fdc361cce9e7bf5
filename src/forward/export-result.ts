/**
 * The outcome of one send to a downstream, as a value (STYLE rule 12): the
 * sender loop decides what to do from it, and nothing on this path throws.
 * Shapes follow opentelemetry-js `export-response.ts`, plus what the
 * forwarder needs for its metrics (the HTTP status, the retry reason).
 */
import type { UpstreamError } from '../errors.js';

/** Why a send is retried; the `reason` label of `fleetgate_forward_retries_total`. */
export type RetryReason = '5xx' | '429' | 'network';

/** The downstream took the batch (2xx). */
export interface ExportSuccess {
  readonly status: 'success';
  readonly httpStatus: number;
}

/** The downstream refused the batch for good (4xx other than 429): drop it. */
export interface ExportFailure {
  readonly status: 'failure';
  readonly error: UpstreamError;
  readonly httpStatus: number;
  /** The first bytes of the response body (remote write receivers explain refusals there). */
  readonly responseBody: string;
}

/** Send the same batch again later (5xx, 429, network error, timeout). */
export interface ExportRetryable {
  readonly status: 'retryable';
  readonly error: UpstreamError;
  readonly reason: RetryReason;
  /** undefined when no response arrived (network error, timeout, abort). */
  readonly httpStatus: number | undefined;
  /** From the response's Retry-After, when it had a usable one; already clamped. */
  readonly retryInMillis?: number;
}

export type ExportResult = ExportSuccess | ExportFailure | ExportRetryable;
