/**
 * GET /api/v1/slos and GET /api/v1/slos/{name} (docs/architecture.md, "JSON shapes"),
 * in Prometheus' envelope `{"status":"success","data":…}`.
 *
 * Parameters (each at most once):
 * - `cluster`: narrow to one cluster; the top-level figures are then that
 *   cluster's, `cluster` is set, and `clusters` holds only its entry;
 * - `window`: show only that window in `windows` (e.g. `1h`, `30d`). For
 *   one SLO it must be one of its windows (400 otherwise, listing them); in
 *   the list, an SLO without that window shows `windows: {}`.
 * Errors go through the error handler: 400 bad_data, 404 not_found.
 */
import type { Request, RequestHandler } from 'express';
import { InvalidPayloadError, NotFoundError } from '../../errors.js';
import type { SloQueries, SloQuery } from '../../slo/index.js';

export interface SloRouteDeps {
  /** The live engine's queries (the engine survives reloads). */
  readonly slos: () => SloQueries;
}

/** GET /api/v1/slos?cluster=&window= */
export function slosListHandler(deps: SloRouteDeps): RequestHandler {
  return async (req, res) => {
    const data = await deps.slos().reports(queryOf(req));
    res.json({ status: 'success', data });
  };
}

/** GET /api/v1/slos/:name?cluster=&window= */
export function sloHandler(deps: SloRouteDeps): RequestHandler {
  return async (req, res) => {
    const name = req.params['name'];
    if (typeof name !== 'string' || name === '')
      throw new InvalidPayloadError('cannot query SLO: the name is missing');
    const data = await deps.slos().report(name, queryOf(req));
    if (data === undefined)
      throw new NotFoundError(`cannot find SLO ${JSON.stringify(name)}`);
    res.json({ status: 'success', data });
  };
}

function queryOf(req: Request): SloQuery {
  const at = req.originalUrl.indexOf('?');
  const params = new URLSearchParams(
    at < 0 ? '' : req.originalUrl.slice(at + 1)
  );
  return {
    cluster: single(params, 'cluster'),
    window: single(params, 'window'),
  };
}

/** A parameter given at most once. */
function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) {
    throw new InvalidPayloadError(
      `cannot parse '${name}' param: it is given ${values.length} times, at most once is allowed`
    );
  }
  return values[0];
}
