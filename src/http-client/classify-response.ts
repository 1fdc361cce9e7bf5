import type { UpstreamError } from '../errors.js';
import type { HttpPostResult } from './http-post-result.js';
import { isRetryableStatus } from './is-retryable.js';
import { parseRetryAfter } from './retry-after.js';

/**
 * The HttpPostResult of a response that arrived: 2xx success; 429 and 5xx
 * retryable, with the Retry-After it asked for; any other status a failure
 * carrying `responseBody`. `refusal` builds the error of a non-2xx answer
 * (each client words its own); `now` is the Unix time in ms, for
 * Retry-After HTTP-dates.
 */
export function classifyResponse(
  response: Response,
  responseBody: string,
  refusal: () => UpstreamError,
  now: () => number
): HttpPostResult {
  const httpStatus = response.status;
  if (httpStatus >= 200 && httpStatus <= 299) {
    return { status: 'success', httpStatus };
  }
  const error = refusal();
  if (!isRetryableStatus(httpStatus)) {
    return { status: 'failure', httpStatus, error, responseBody };
  }
  const retryInMillis = parseRetryAfter(
    response.headers.get('retry-after'),
    now()
  );
  return retryInMillis === undefined
    ? { status: 'retryable', httpStatus, error }
    : { status: 'retryable', httpStatus, error, retryInMillis };
}
