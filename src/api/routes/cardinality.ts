/**
 * GET /api/v1/cardinality/label_names, /label_values (Mimir's parameters and
 * bare response objects, PROTOCOLS.md §2.15: Mimir writes the object itself,
 * not Prometheus' status/data envelope) and /metrics (fleetgate's own view of
 * budget use, in the API envelope). All take `cluster` to answer for one
 * cluster instead of the fleet. Parameter errors are InvalidPayloadError:
 * 400 `{"status":"error","errorType":"bad_data",…}` from the error handler.
 *
 * With a shared store and a selector, an answer covers only this replica's
 * series; the response then carries `Fleetgate-Cardinality-Scope: replica`
 * (otherwise `fleet`). See pipeline/limit/cardinality-queries.ts.
 */
import type { Request, RequestHandler, Response } from 'express';
import { InvalidPayloadError } from '../../errors.js';
import {
  DEFAULT_QUERY_LIMIT,
  MAX_LABEL_NAMES_PER_QUERY,
  MAX_QUERY_LIMIT,
  parseSeriesSelector,
  type CardinalityQueries,
  type LabelMatcher,
} from '../../pipeline/index.js';

export interface CardinalityRouteDeps {
  /** The queries over the live limiter's index (the limiter survives reloads). */
  readonly queries: () => CardinalityQueries;
}

/** Response header telling whether an answer covers the fleet or one replica. */
export const CARDINALITY_SCOPE_HEADER = 'Fleetgate-Cardinality-Scope';

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const COUNT_METHODS = ['active', 'inmemory'];

/** GET /api/v1/cardinality/label_names?selector=&limit=&count_method=&cluster= */
export function cardinalityLabelNamesHandler(
  deps: CardinalityRouteDeps
): RequestHandler {
  return async (req, res) => {
    const params = queryParams(req);
    const common = commonParams(params);
    const queries = deps.queries();
    setScope(res, queries, common.matchers);
    res.json(await queries.labelNames(common));
  };
}

/** GET /api/v1/cardinality/label_values?label_names[]=…&selector=&limit=&count_method=&cluster= */
export function cardinalityLabelValuesHandler(
  deps: CardinalityRouteDeps
): RequestHandler {
  return async (req, res) => {
    const params = queryParams(req);
    const labelNames = params.getAll('label_names[]');
    if (labelNames.length === 0)
      throw new InvalidPayloadError(
        "cannot query label values: 'label_names[]' param is required"
      );
    if (labelNames.length > MAX_LABEL_NAMES_PER_QUERY) {
      throw new InvalidPayloadError(
        `cannot query label values: ${labelNames.length} 'label_names[]' params, at most ${MAX_LABEL_NAMES_PER_QUERY} are allowed`
      );
    }
    for (const name of labelNames) {
      if (!LABEL_NAME_RE.test(name))
        throw new InvalidPayloadError(
          `cannot query label values: invalid 'label_names[]' param ${JSON.stringify(name)}`
        );
    }
    const common = commonParams(params);
    const queries = deps.queries();
    setScope(res, queries, common.matchers);
    res.json(
      await queries.labelValues({
        ...common,
        labelNames: [...new Set(labelNames)],
      })
    );
  };
}

/** GET /api/v1/cardinality/metrics?cluster=&limit=&sort=series|dropped */
export function cardinalityMetricsHandler(
  deps: CardinalityRouteDeps
): RequestHandler {
  return async (req, res) => {
    const params = queryParams(req);
    const sort = single(params, 'sort') ?? 'series';
    if (sort !== 'series' && sort !== 'dropped') {
      throw new InvalidPayloadError(
        `cannot parse 'sort' param ${JSON.stringify(sort)}: want series or dropped`
      );
    }
    const data = await deps.queries().metrics({
      cluster: clusterParam(params),
      limit: limitParam(params),
      sort,
    });
    res.setHeader(CARDINALITY_SCOPE_HEADER, 'fleet');
    res.json({ status: 'success', data });
  };
}

/** Query parameters from the raw URL, whatever query parser express is set to (`label_names[]` stays literal). */
function queryParams(req: Request): URLSearchParams {
  const at = req.originalUrl.indexOf('?');
  return new URLSearchParams(at < 0 ? '' : req.originalUrl.slice(at + 1));
}

function commonParams(params: URLSearchParams): {
  cluster: string | undefined;
  matchers: LabelMatcher[];
  limit: number;
} {
  const countMethod = single(params, 'count_method');
  // Both methods answer from the active index: it holds exactly the active series.
  if (countMethod !== undefined && !COUNT_METHODS.includes(countMethod)) {
    throw new InvalidPayloadError(
      `cannot parse 'count_method' param ${JSON.stringify(countMethod)}: valid options are [${COUNT_METHODS.join(',')}]`
    );
  }
  const selector = single(params, 'selector');
  const matchers =
    selector === undefined || selector.trim() === ''
      ? []
      : parseSeriesSelector(selector);
  return { cluster: clusterParam(params), matchers, limit: limitParam(params) };
}

function setScope(
  res: Response,
  queries: CardinalityQueries,
  matchers: readonly LabelMatcher[]
): void {
  res.setHeader(
    CARDINALITY_SCOPE_HEADER,
    queries.isReplicaScoped(matchers) ? 'replica' : 'fleet'
  );
}

function clusterParam(params: URLSearchParams): string | undefined {
  const cluster = single(params, 'cluster');
  return cluster === '' ? undefined : cluster;
}

/** `limit`: 0 to 500, default 20 (Mimir's bounds). */
function limitParam(params: URLSearchParams): number {
  const text = single(params, 'limit');
  if (text === undefined || text === '') return DEFAULT_QUERY_LIMIT;
  if (!/^[+-]?\d+$/.test(text))
    throw new InvalidPayloadError(
      `cannot parse 'limit' param ${JSON.stringify(text)}: want an integer`
    );
  const limit = Number(text);
  if (limit < 0)
    throw new InvalidPayloadError(
      `cannot use 'limit' param ${limit}: it cannot be less than 0`
    );
  if (limit > MAX_QUERY_LIMIT) {
    throw new InvalidPayloadError(
      `cannot use 'limit' param ${limit}: it cannot be greater than ${MAX_QUERY_LIMIT}`
    );
  }
  return limit;
}

/** A parameter given at most once. */
function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1)
    throw new InvalidPayloadError(
      `cannot parse '${name}' param: it is given ${values.length} times, at most once is allowed`
    );
  return values[0];
}
