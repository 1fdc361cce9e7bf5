export { createApp, type AppDeps } from './create-app.js';
export {
  IngestService,
  metricClusterOf,
  type IngestRuntime,
  type IngestOutcome,
  type MetricsForwarder,
} from './ingest-service.js';
export { type Readiness } from './routes/health.js';
export { asGatewayError } from './error-handler.js';
export {
  createHttpServer,
  type ConnectionSettings,
  type GatewayHttpServer,
} from './http-server.js';
export { createErrorHandler } from './error-handler.js';
export {
  type FleetClusterJson,
  type FleetJson,
  fleetClusterHandler,
  fleetHandler,
} from './routes/fleet.js';
