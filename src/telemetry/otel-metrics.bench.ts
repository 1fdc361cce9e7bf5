/**
 * Per-request cost of the request-duration bookkeeping in api/create-app.ts
 * `timed()`: prom-client's histogram alone, and with the OpenTelemetry
 * `http.server.request.duration` record next to it. Routes and statuses
 * rotate over a realistic handful so attribute sets are looked up, not just
 * the last one reused.
 */
import { bench, describe } from 'vitest';
import { OtelMetrics } from './otel-metrics.js';
import { SelfMetrics } from './self-metrics.js';

const ROUTES = ['/api/v1/write', '/v1/metrics', '/v1/logs', '/api/v1/fleet'];
const STATUSES = [204, 200, 429, 503];

describe('request duration bookkeeping, per request', () => {
  const metrics = new SelfMetrics({ collectProcessMetrics: false });
  const otel = new OtelMetrics({
    version: 'bench',
    collectRuntimeMetrics: false,
  });
  let i = 0;

  bench('prom-client histogram only', () => {
    const route = ROUTES[i & 3]!;
    const status = STATUSES[(i >> 2) & 3]!;
    i++;
    const end = metrics.requestDuration.startTimer({ handler: route });
    end({ code: String(status) });
  });

  bench('prom-client histogram + OpenTelemetry record', () => {
    const route = ROUTES[i & 3]!;
    const status = STATUSES[(i >> 2) & 3]!;
    i++;
    const end = metrics.requestDuration.startTimer({ handler: route });
    const seconds = end({ code: String(status) });
    otel.recordRequest('POST', route, 'http', status, seconds);
  });
});
