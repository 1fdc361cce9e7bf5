/**
 * The outcome of one send to a downstream, as a value (STYLE rule 12): the
 * sender loop decides what to do from it, and nothing on this path throws.
 * Shapes follow opentelemetry-js `export-response.ts`, plus what the
 * forwarder needs for its metrics (the HTTP status, the retry reason).
 */
import type {
  HttpPostFailure,
  HttpPostRetryable,
  HttpPostSuccess,
} from '../http-client/index.js';

/** Why a send is retried; the `reason` label of `fleetgate_forward_retries_total`. */
export type RetryReason = '5xx' | '429' | 'network';

/** The downstream took the batch (2xx). */
export type ExportSuccess = HttpPostSuccess;

/** The downstream refused the batch for good (4xx other than 429): drop it. */
export type ExportFailure = HttpPostFailure;

/** Send the same batch again later (5xx, 429, network error, timeout). */
export interface ExportRetryable extends HttpPostRetryable {
  readonly reason: RetryReason;
}

export type ExportResult = ExportSuccess | ExportFailure | ExportRetryable;
