/**
 * How the remote write decoders word a refusal. Every malformed request
 * becomes one InvalidPayloadError (400: the sender must not retry, remote
 * write 1.0 "invalid samples" and 2.0 §status codes) whose message starts
 * with `cannot decode write request: ` and says which series was at fault.
 */
import { InvalidPayloadError, RequestLimitError } from '../../errors.js';
import { formatSeries } from '../../model/index.js';
import { overRequestLimit, type RequestLimits } from '../request-limits.js';

export const WRITE_REQUEST_ERROR_PREFIX = 'cannot decode write request: ';

// Label values are unbounded; an error body (which senders log) is not.
const MAX_SERIES_RENDERING_CHARS = 200;

/** A refusal whose message is `cannot decode write request: <problem>`. */
export function writeRequestError(
  problem: string,
  cause?: unknown
): InvalidPayloadError {
  return new InvalidPayloadError(
    WRITE_REQUEST_ERROR_PREFIX + problem,
    cause === undefined ? undefined : { cause }
  );
}

/** `series 3 (up{job="api"})`, shortened for long label sets. */
export function describeSeries(
  index: number,
  labels: readonly string[]
): string {
  let rendered = formatSeries(labels);
  if (rendered.length > MAX_SERIES_RENDERING_CHARS) {
    rendered = `${rendered.slice(0, MAX_SERIES_RENDERING_CHARS)}…`;
  }
  return `series ${index} (${rendered})`;
}

/**
 * Turns an error thrown while decoding into the request's refusal: wire-level
 * errors from ProtobufReader get the prefix and the position in the request
 * (`where`, e.g. `series 3`), and so do request-limit refusals (keeping
 * their status); refusals already worded pass through. Anything
 * else is a bug of ours and is rethrown unchanged, so it surfaces as a 500.
 */
export function wrapDecodeError(err: unknown, where: string): unknown {
  if (err instanceof RequestLimitError) {
    if (err.message.startsWith(WRITE_REQUEST_ERROR_PREFIX)) return err;
    return err.withPrefix(
      WRITE_REQUEST_ERROR_PREFIX + (where === '' ? '' : `${where}: `)
    );
  }
  if (!(err instanceof InvalidPayloadError)) return err;
  if (err.message.startsWith(WRITE_REQUEST_ERROR_PREFIX)) return err;
  return writeRequestError(
    where === '' ? err.message : `${where}: ${err.message}`,
    err
  );
}

/** A series (or exemplar) over `maxLabelPairsPerSeries`. */
export function tooManyLabelPairs(limits: RequestLimits): Error {
  return overRequestLimit(
    limits,
    'maxLabelPairsPerSeries',
    `more than ${limits.maxLabelPairsPerSeries} label pairs`
  );
}

/** A request over `maxPointsPerRequest`. */
export function tooManyPoints(limits: RequestLimits): Error {
  return overRequestLimit(
    limits,
    'maxPointsPerRequest',
    `the request has more than ${limits.maxPointsPerRequest} samples and histograms`
  );
}

/** A request over `maxSeriesPerRequest`. */
export function tooManySeries(limits: RequestLimits): Error {
  return overRequestLimit(
    limits,
    'maxSeriesPerRequest',
    `the request has more than ${limits.maxSeriesPerRequest} series`
  );
}
