export type {
  HttpPostResult,
  HttpPostSuccess,
  HttpPostFailure,
  HttpPostRetryable,
} from './http-post-result.js';
export { classifyResponse } from './classify-response.js';
export { withRequestSignal } from './with-request-signal.js';
export { isRetryableStatus } from './is-retryable.js';
export { parseRetryAfter, MAX_RETRY_AFTER_MS } from './retry-after.js';
