/**
 * The gateway's own traces, through @opentelemetry/sdk-node. Off unless an
 * OTLP endpoint is configured the standard way (OTEL_EXPORTER_OTLP_ENDPOINT
 * or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; the SDK reads the rest of the
 * OTEL_* variables itself), so the default costs nothing: without an SDK the
 * API's tracer is a no-op.
 *
 * The SDK is imported only when tracing is configured: loading it (and the
 * exporters it bundles) took over half a second of startup.
 */
import { trace, type Tracer } from '@opentelemetry/api';
import type { NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import type { Logger } from './logger.js';

export const TRACER_NAME = 'fleetgate';

/** The part of the SDK that tracing uses. */
export interface TracingSdk {
  start(): void;
  shutdown(): Promise<void>;
}

/** Builds the SDK; the default loads @opentelemetry/sdk-node on first use. */
export type TracingSdkLoader = (
  config: Partial<NodeSDKConfiguration>
) => Promise<TracingSdk>;

const loadNodeSdk: TracingSdkLoader = async config => {
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  return new NodeSDK(config);
};

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

/** Starts trace export when configured; resolves to the shutdown to call on exit. */
export async function startTracing(
  logger: Logger,
  env: Readonly<Record<string, string | undefined>> = process.env,
  loadSdk: TracingSdkLoader = loadNodeSdk
): Promise<() => Promise<void>> {
  if (!isTracingConfigured(env)) return async () => {};
  const sdk = await loadSdk({
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
