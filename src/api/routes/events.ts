/**
 * GET /api/v1/events: the fleet's recent Kubernetes events, newest first,
 * in the API envelope (docs/architecture.md "JSON shapes"):
 * `{"status":"success","data":{"events":[{cluster, type, reason, namespace,
 * object: {kind, name}, count, first_seen, last_seen, message,
 * reporting_component}, …]}}`, times in RFC 3339.
 *
 * Parameters (each optional; all ANDed):
 * - `cluster`: one cluster, or several when repeated; default every
 *   registered cluster;
 * - `type`: Normal, Warning, … (matched case-insensitively for known types);
 * - `reason`, `namespace`: exact;
 * - `since`: RFC 3339 time, unix seconds, or a duration back from now (`1h`);
 * - `limit`: 1 to MAX_EVENTS_LIMIT, default DEFAULT_EVENTS_LIMIT.
 * A bad parameter is an InvalidPayloadError: 400 `bad_data` from the error
 * handler.
 */
import type { Request, RequestHandler } from 'express';
import { parseDuration } from '../../config/index.js';
import { InvalidPayloadError } from '../../errors.js';
import {
  KNOWN_EVENT_TYPES,
  parseRfc3339Ms,
  type EventQuery,
  type KubernetesEvent,
} from '../../fleet/index.js';

/** What the route reads events from (KubernetesEventService). */
export interface EventReader {
  query(query: EventQuery): Promise<KubernetesEvent[]>;
}

export interface EventsRouteDeps {
  readonly events: EventReader;
  /** The registered cluster names: the clusters read when none is given. */
  readonly clusters: () => readonly string[];
  /** Wall clock in ms (for `since` durations). Default Date.now. */
  readonly now?: () => number;
}

/** One event in the API's JSON shape. */
export interface EventJson {
  readonly cluster: string;
  readonly type: string;
  readonly reason: string;
  readonly namespace: string;
  readonly object: { readonly kind: string; readonly name: string };
  readonly count: number;
  readonly first_seen: string;
  readonly last_seen: string;
  readonly message: string;
  readonly reporting_component: string;
}

export const DEFAULT_EVENTS_LIMIT = 100;
export const MAX_EVENTS_LIMIT = 1000;

const UNIX_SECONDS_RE = /^\d+(\.\d+)?$/;

/** GET /api/v1/events?cluster=&type=&reason=&namespace=&since=&limit= */
export function eventsHandler(deps: EventsRouteDeps): RequestHandler {
  const now = deps.now ?? Date.now;
  return async (req, res) => {
    const query = parseEventsQuery(queryParams(req), deps.clusters(), now());
    const events = await deps.events.query(query);
    res.json({ status: 'success', data: { events: events.map(toEventJson) } });
  };
}

/**
 * The store query for the request's parameters.
 *
 * @throws InvalidPayloadError naming the bad parameter.
 */
export function parseEventsQuery(
  params: URLSearchParams,
  registeredClusters: readonly string[],
  nowMs: number
): EventQuery {
  const clusters = params.getAll('cluster').filter(c => c !== '');
  return {
    clusters: clusters.length > 0 ? clusters : registeredClusters,
    type: eventTypeParam(single(params, 'type')),
    reason: nonEmpty(single(params, 'reason')),
    namespace: nonEmpty(single(params, 'namespace')),
    sinceMs: sinceParam(single(params, 'since'), nowMs),
    limit: limitParam(single(params, 'limit')),
  };
}

/** An event in the API's JSON shape. */
export function toEventJson(event: KubernetesEvent): EventJson {
  return {
    cluster: event.cluster,
    type: event.type,
    reason: event.reason,
    namespace: event.namespace,
    object: { kind: event.object.kind, name: event.object.name },
    count: event.count,
    first_seen: new Date(event.firstSeenMs).toISOString(),
    last_seen: new Date(event.lastSeenMs).toISOString(),
    message: event.message,
    reporting_component: event.reportingComponent,
  };
}

/** Query parameters from the raw URL, whatever query parser express uses. */
function queryParams(req: Request): URLSearchParams {
  const at = req.originalUrl.indexOf('?');
  return new URLSearchParams(at < 0 ? '' : req.originalUrl.slice(at + 1));
}

/** Known types in their canonical case (`warning` → `Warning`); others as given. */
function eventTypeParam(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  const lower = text.toLowerCase();
  return KNOWN_EVENT_TYPES.find(type => type.toLowerCase() === lower) ?? text;
}

function sinceParam(
  text: string | undefined,
  nowMs: number
): number | undefined {
  if (text === undefined || text === '') return undefined;
  const durationMs = parseDuration(text);
  if (durationMs !== undefined) return nowMs - durationMs;
  if (UNIX_SECONDS_RE.test(text)) return Math.floor(Number(text) * 1000);
  const timeMs = parseRfc3339Ms(text);
  if (timeMs !== undefined) return timeMs;
  throw new InvalidPayloadError(
    `cannot parse 'since' param ${JSON.stringify(text)}: want an RFC 3339 time, unix seconds or a duration such as 1h`
  );
}

function limitParam(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_EVENTS_LIMIT;
  if (!/^[+-]?\d+$/.test(text))
    throw new InvalidPayloadError(
      `cannot parse 'limit' param ${JSON.stringify(text)}: want an integer`
    );
  const limit = Number(text);
  if (limit < 1 || limit > MAX_EVENTS_LIMIT) {
    throw new InvalidPayloadError(
      `cannot use 'limit' param ${limit}: want 1 to ${MAX_EVENTS_LIMIT}`
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

function nonEmpty(text: string | undefined): string | undefined {
  return text === '' ? undefined : text;
}
