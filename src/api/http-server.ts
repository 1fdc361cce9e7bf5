/**
 * The gateway's HTTP server, with its connections bounded (issue #11.3): a
 * cap on open connections in all and per remote address, and timeouts on
 * the headers, the body and keep-alive idleness, so slow or idle senders
 * cannot pile up until valid writes stop being served.
 *
 * Which timer covers what:
 * - headers: Node's `headersTimeout`, from accept (a connection that never
 *   sends a byte included) or from a keep-alive request's first byte;
 * - body: `readBody`'s pace (`body_timeout` plus `min_body_rate`), answered
 *   408; bodies no handler reads fall to Node's `requestTimeout`, set to the
 *   longest time a body of `max_body_bytes` may take at that pace;
 * - idle: Node's `keepAliveTimeout`, between requests.
 */
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '../config/index.js';
import type { Logger, SelfMetrics } from '../telemetry/index.js';
import { ConnectionGuard } from './connection-guard.js';
import { clientErrorResponse } from './error-handler.js';
import { SocketReaper } from './socket-reaper.js';

/** The `server:` keys this module reads. */
export type ConnectionSettings = Pick<
  Config['server'],
  | 'max_connections'
  | 'max_connections_per_source'
  | 'headers_timeout'
  | 'body_timeout'
  | 'min_body_rate'
  | 'idle_timeout'
  | 'max_body_bytes'
>;

export interface HttpServerDeps {
  settings: ConnectionSettings;
  metrics: SelfMetrics;
  logger: Logger;
}

export interface GatewayHttpServer {
  readonly server: Server;
  /** Applies reloaded settings; open connections keep the ones they had. */
  applySettings(settings: ConnectionSettings): void;
}

/** Node checks its header and request timers this often at most. */
const MAX_TIMEOUT_CHECK_INTERVAL_MS = 1000;

/**
 * Creates (does not start) the HTTP server for `app`, with the connection
 * bounds of `settings`.
 */
export function createHttpServer(
  app: RequestListener,
  deps: HttpServerDeps
): GatewayHttpServer {
  const { settings, metrics, logger } = deps;
  const server = createServer(
    {
      // Node's default (30 s) would let a slow connection outlive its timeout by that much.
      connectionsCheckingInterval: Math.min(
        MAX_TIMEOUT_CHECK_INTERVAL_MS,
        settings.headers_timeout
      ),
    },
    app
  );
  const guard = new ConnectionGuard({
    metrics,
    logger,
    maxPerSource: settings.max_connections_per_source,
  });
  const reaper = new SocketReaper();
  let maxConnections = 0;
  const applySettings = (next: ConnectionSettings): void => {
    server.headersTimeout = next.headers_timeout;
    server.requestTimeout = requestTimeoutOf(next);
    server.keepAliveTimeout = next.idle_timeout;
    maxConnections = next.max_connections;
    // Node 20 reads 0 as no cap, later versions as "refuse all": say it plainly.
    server.maxConnections =
      next.max_connections > 0 ? next.max_connections : Infinity;
    guard.setMaxPerSource(next.max_connections_per_source);
  };
  applySettings(settings);

  // The response in flight on each connection tells a slow body from slow headers.
  const inFlight = new WeakMap<Socket, ServerResponse>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    inFlight.set(req.socket, res);
  });
  server.on('connection', (socket: Socket) => {
    guard.admit(socket);
  });
  // Node closes connections over `maxConnections` before any listener sees them.
  server.on('drop', (data?: { remoteAddress?: string }) => {
    guard.refused(
      'max_connections',
      data?.remoteAddress ?? 'unknown',
      maxConnections
    );
  });
  // Only keep-alive idleness arms a socket timeout (`server.timeout` stays 0).
  server.on('timeout', (socket: Socket) => {
    guard.timedOut('idle', socket);
    reaper.close(socket);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const res = inFlight.get(socket);
    const isAnswering = res !== undefined && !res.writableFinished;
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT')
      guard.timedOut(
        isAnswering && !res.req.complete ? 'body' : 'headers',
        socket
      );
    // An answer already under way cannot be followed by another one.
    reaper.close(
      socket,
      isAnswering && res.headersSent ? undefined : clientErrorResponse(err.code)
    );
  });
  return { server, applySettings };
}

/**
 * Node's whole-request timer, the backstop for bodies that no handler reads
 * (an unknown path, a refused token): the headers' time plus what the largest
 * accepted body may take at the minimum pace. Handlers that read a body time
 * it out sooner, by its own size.
 */
function requestTimeoutOf(settings: ConnectionSettings): number {
  return (
    settings.headers_timeout +
    settings.body_timeout +
    Math.ceil((settings.max_body_bytes * 1000) / settings.min_body_rate)
  );
}
