import { Writable } from 'node:stream';
import { describe, expect, it, vi, type Mock } from 'vitest';
import { createLogger } from './logger.js';
import {
  isTracingConfigured,
  startTracing,
  type TracingSdk,
  type TracingSdkLoader,
} from './tracing.js';

/** A logger whose JSON lines land in `lines`. */
function capturingLogger(): {
  logger: ReturnType<typeof createLogger>;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

function fakeSdk(): {
  start: Mock<TracingSdk['start']>;
  shutdown: Mock<TracingSdk['shutdown']>;
} {
  return {
    start: vi.fn<TracingSdk['start']>(),
    shutdown: vi.fn<TracingSdk['shutdown']>(() => Promise.resolve()),
  };
}

describe('isTracingConfigured()', () => {
  it.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: '' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318' }, true],
  ])('%j -> %s', (env, want) => {
    expect(isTracingConfigured(env)).toBe(want);
  });
});

describe('startTracing()', () => {
  it('does not load the SDK when no endpoint is configured', async () => {
    const load = vi.fn<TracingSdkLoader>();
    const { logger, lines } = capturingLogger();
    const stop = await startTracing(logger, {}, load);
    expect(load).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
    await expect(stop()).resolves.toBeUndefined();
  });

  it('loads and starts the SDK when an endpoint is configured, and stops it on shutdown', async () => {
    const sdk = fakeSdk();
    const load = vi.fn<TracingSdkLoader>(() => Promise.resolve(sdk));
    const { logger, lines } = capturingLogger();
    const stop = await startTracing(
      logger,
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
        OTEL_SERVICE_NAME: 'gw-eu-1',
      },
      load
    );
    expect(load).toHaveBeenCalledExactlyOnceWith({ serviceName: 'gw-eu-1' });
    expect(sdk.start).toHaveBeenCalledOnce();
    expect(lines).toMatchObject([
      { msg: 'exporting traces over OTLP', endpoint: 'http://127.0.0.1:4318' },
    ]);
    expect(sdk.shutdown).not.toHaveBeenCalled();
    await stop();
    expect(sdk.shutdown).toHaveBeenCalledOnce();
  });

  it('starts the real SDK and shuts it down', async () => {
    const { logger } = capturingLogger();
    // Nothing listens there: the SDK only exports when a span ends.
    const stop = await startTracing(logger, {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:9/v1/traces',
    });
    await expect(stop()).resolves.toBeUndefined();
  });
});
