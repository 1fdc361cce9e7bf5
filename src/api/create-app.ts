/**
 * Every route the gateway serves, declared in one place; handlers get their
 * dependencies as parameters.
 */
import express, { type Express, type RequestHandler } from 'express';
import { NotFoundError } from '../errors.js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  BufferPoolMetrics,
  gatewayTracer,
  type Logger,
  type SelfMetrics,
} from '../telemetry/index.js';
import { BatchPool } from '../model/index.js';
import type { CardinalityQueries } from '../pipeline/index.js';
import type { FleetTracker } from '../fleet/index.js';
import type { KubernetesEventService } from '../fleet/index.js';
import type { LogsIngestService } from '../pipeline/index.js';
import { eventsHandler } from './routes/events.js';
import type { SloQueries } from '../slo/index.js';
import { sloHandler, slosListHandler } from './routes/slos.js';
import { otlpLogsHandler } from './routes/otlp-logs.js';
import { createErrorHandler } from './error-handler.js';
import { fleetClusterHandler, fleetHandler } from './routes/fleet.js';
import {
  cardinalityLabelNamesHandler,
  cardinalityLabelValuesHandler,
  cardinalityMetricsHandler,
} from './routes/cardinality.js';
import type { IngestRuntime } from './ingest-runtime.js';
import {
  healthyHandler,
  readyHandler,
  reloadHandler,
  type Readiness,
} from './routes/health.js';
import { otlpMetricsHandler } from './routes/otlp-metrics.js';
import { remoteWriteHandler } from './routes/remote-write.js';

export interface AppDeps {
  runtime: () => IngestRuntime;
  metrics: SelfMetrics;
  logger: Logger;
  readiness: () => Readiness;
  reload: () => Promise<void>;
  cardinality: () => CardinalityQueries;
  fleet: FleetTracker;
  logs: () => LogsIngestService;
  events: KubernetesEventService;
  slos: () => SloQueries;
}

/**
 * Observes the duration of every request under a bounded handler name (in
 * prom-client's histogram and, under OpenTelemetry names, in
 * `http.server.request.duration` with the route's template), and traces it
 * (a no-op unless trace export is configured).
 */
function timed(
  metrics: SelfMetrics,
  handler: string,
  inner: RequestHandler
): RequestHandler {
  const tracer = gatewayTracer();
  return (req, res, next) => {
    const end = metrics.requestDuration.startTimer({ handler });
    const span = tracer.startSpan(`${req.method} ${handler}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': req.method, 'http.route': handler },
    });
    res.once('finish', () => {
      const seconds = end({ code: String(res.statusCode) });
      // req.route is the matched route (its path the template, as
      // http.route wants), set by the time the handler ran.
      const route = (req.route as { path?: unknown } | undefined)?.path;
      metrics.otel.recordRequest(
        req.method,
        typeof route === 'string' ? route : handler,
        req.protocol,
        res.statusCode,
        seconds
      );
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    return inner(req, res, next);
  };
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const ingestDeps = { runtime: deps.runtime };
  const health = { readiness: deps.readiness, reload: deps.reload };
  const m = deps.metrics;

  // One batch pool per protocol, each trimmed to its recent demand (issue #11, finding 5).
  const remoteWriteBatches = new BatchPool();
  const otlpBatches = new BatchPool();
  const bufferPools = new BufferPoolMetrics(m.registry);
  bufferPools.watch({
    pool: 'remote_write_batches',
    retainedBytes: () => remoteWriteBatches.retainedBytes,
  });
  bufferPools.watch({
    pool: 'otlp_batches',
    retainedBytes: () => otlpBatches.retainedBytes,
  });
  const remoteWrite = timed(
    m,
    '/api/v1/write',
    remoteWriteHandler({ ...ingestDeps, batches: remoteWriteBatches })
  );
  const otlpMetrics = timed(
    m,
    '/v1/metrics',
    otlpMetricsHandler({ ...ingestDeps, batches: otlpBatches })
  );
  app.post('/api/v1/write', remoteWrite);
  app.post('/v1/metrics', otlpMetrics);
  app.post('/otlp/v1/metrics', otlpMetrics);
  const otlpLogs = timed(
    m,
    '/v1/logs',
    otlpLogsHandler({ runtime: deps.runtime, logs: deps.logs })
  );
  app.post('/v1/logs', otlpLogs);
  app.post('/otlp/v1/logs', otlpLogs);
  app.get(
    '/api/v1/events',
    timed(
      m,
      '/api/v1/events',
      eventsHandler({
        events: deps.events,
        clusters: () =>
          deps
            .runtime()
            .registry.all()
            .map(c => c.name),
      })
    )
  );

  const cardinality = { queries: deps.cardinality };
  app.get(
    '/api/v1/cardinality/label_names',
    timed(m, '/api/v1/cardinality', cardinalityLabelNamesHandler(cardinality))
  );
  app.get(
    '/api/v1/cardinality/label_values',
    timed(m, '/api/v1/cardinality', cardinalityLabelValuesHandler(cardinality))
  );
  app.get(
    '/api/v1/cardinality/metrics',
    timed(m, '/api/v1/cardinality', cardinalityMetricsHandler(cardinality))
  );

  app.get(
    '/api/v1/fleet',
    timed(m, '/api/v1/fleet', fleetHandler({ fleet: deps.fleet }))
  );
  app.get(
    '/api/v1/fleet/clusters/:cluster',
    timed(
      m,
      '/api/v1/fleet/clusters',
      fleetClusterHandler({ fleet: deps.fleet })
    )
  );

  const slos = { slos: deps.slos };
  app.get('/api/v1/slos', timed(m, '/api/v1/slos', slosListHandler(slos)));
  app.get('/api/v1/slos/:name', timed(m, '/api/v1/slos', sloHandler(slos)));

  app.get('/metrics', async (_req, res) => {
    res.type(m.contentType).send(await m.exposition());
  });
  app.get('/-/healthy', healthyHandler());
  app.head('/-/healthy', healthyHandler());
  app.get('/-/ready', readyHandler(health));
  app.head('/-/ready', readyHandler(health));
  app.post('/-/reload', timed(m, '/-/reload', reloadHandler(health)));

  app.use((req, _res, next) => {
    next(new NotFoundError(`no route for ${req.method} ${req.path}`));
  });
  app.use(
    createErrorHandler({
      logger: deps.logger,
      metrics: deps.metrics,
      remoteWriteOverloadStatus: () =>
        deps.runtime().config.server.remote_write_overload_status,
    })
  );
  return app;
}
