export { createApp, type AppDeps } from './create-app.js';
export { type IngestRuntime } from './ingest-runtime.js';
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
