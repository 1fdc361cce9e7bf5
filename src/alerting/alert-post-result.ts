/**
 * The outcome of one `POST /api/v2/alerts`, as a value (STYLE rule 12): the
 * notifier decides from it whether to retry, and nothing on this path throws.
 * The shapes are the shared HTTP POST outcome (http-client/).
 */
import type {
  HttpPostFailure,
  HttpPostResult,
  HttpPostRetryable,
  HttpPostSuccess,
} from '../http-client/index.js';

/** Alertmanager took the alerts (2xx). */
export type AlertPostSuccess = HttpPostSuccess;
/** Alertmanager refused the alerts for good (4xx other than 429); `responseBody` says what it refused. */
export type AlertPostFailure = HttpPostFailure;
/** Try again later: 5xx, 429, network error or timeout. */
export type AlertPostRetryable = HttpPostRetryable;
export type AlertPostResult = HttpPostResult;
