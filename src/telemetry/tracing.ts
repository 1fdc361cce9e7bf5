/**
 * The gateway's own traces, through @opentelemetry/sdk-node. Off unless an
 * OTLP endpoint is configured the standard way (OTEL_EXPORTER_OTLP_ENDPOINT
 * or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; the SDK reads the rest of the
 * OTEL_* variables itself), so the default costs nothing: without an SDK the
 * API's tracer is a no-op.
 */
import { trace, type Tracer } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { Logger } from './logger.js';

export const TRACER_NAME = 'fleetgate';

/** The tracer handlers use (a no-op until startTracing registered an SDK). */
export function gatewayTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** Whether the environment asks for trace export. */
export function isTracingConfigured(
  env: Readonly<Record<string, string | undefined>>
): boolean {
  return Boolean(
    env['OTEL_EXPORTER_OTLP_ENDPOINT'] ||
    env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']
  );
}

/** Starts trace export when configured; returns the shutdown to call on exit. */
export function startTracing(
  logger: Logger,
  env = process.env
): () => Promise<void> {
  if (!isTracingConfigured(env)) return async () => {};
  const sdk = new NodeSDK({
    serviceName: env['OTEL_SERVICE_NAME'] ?? 'fleetgate',
  });
  sdk.start();
  logger.info(
    {
      endpoint:
        env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ??
        env['OTEL_EXPORTER_OTLP_ENDPOINT'],
    },
    'exporting traces over OTLP'
  );
  return () => sdk.shutdown();
}
