import { describe, expect, it } from 'vitest';
import {
  familyTypes,
  sampleValue as sample,
} from '../../test/helpers/prometheus-text.js';
import { OtelMetrics } from './otel-metrics.js';

/** Without the runtime gauges, so the text holds only what the test records. */
function requestMetricsOnly(): OtelMetrics {
  return new OtelMetrics({ version: '1.2.3', collectRuntimeMetrics: false });
}

describe('OtelMetrics', () => {
  it('records http.server.request.duration per method, route, scheme and status', async () => {
    const otel = requestMetricsOnly();
    otel.recordRequest('POST', '/api/v1/write', 'http', 204, 0.003);
    otel.recordRequest('POST', '/api/v1/write', 'http', 204, 0.3);
    otel.recordRequest('GET', '/api/v1/fleet', 'https', 200, 0.02);
    const text = await otel.metrics();

    expect(familyTypes(text)).toEqual(
      new Map([
        ['target_info', 'gauge'],
        ['http_server_request_duration', 'histogram'],
      ])
    );
    expect(text).toContain(
      'target_info{service_name="fleetgate",service_version="1.2.3"} 1'
    );
    const write =
      'http_request_method="POST",http_route="/api/v1/write",url_scheme="http",http_response_status_code="204",otel_scope_name="fleetgate",otel_scope_version="1.2.3"';
    expect(sample(text, `http_server_request_duration_count{${write}}`)).toBe(
      2
    );
    expect(
      sample(text, `http_server_request_duration_sum{${write}}`)
    ).toBeCloseTo(0.303);
    // The buckets the semantic conventions advise (0.005 s ... 10 s).
    expect(
      sample(text, `http_server_request_duration_bucket{${write},le="0.005"}`)
    ).toBe(1);
    expect(
      sample(text, `http_server_request_duration_bucket{${write},le="0.5"}`)
    ).toBe(2);
    expect(
      sample(text, `http_server_request_duration_bucket{${write},le="10"}`)
    ).toBe(2);
    expect(text).toContain(
      'http_server_request_duration_count{http_request_method="GET",http_route="/api/v1/fleet",url_scheme="https",http_response_status_code="200",'
    );
    expect(text).not.toContain('error_type');
  });

  it('sets error.type on server errors only', async () => {
    const otel = requestMetricsOnly();
    otel.recordRequest('POST', '/v1/logs', 'http', 429, 0.001);
    otel.recordRequest('POST', '/v1/logs', 'http', 503, 0.001);
    const text = await otel.metrics();
    expect(text).toContain(
      'http_server_request_duration_count{http_request_method="POST",http_route="/v1/logs",url_scheme="http",http_response_status_code="429",otel_scope_name'
    );
    expect(text).toContain(
      'http_server_request_duration_count{http_request_method="POST",http_route="/v1/logs",url_scheme="http",http_response_status_code="503",error_type="503",otel_scope_name'
    );
  });

  it('reads the heap and event loop gauges at scrape time', async () => {
    const otel = new OtelMetrics({ version: '1.2.3' });
    const text = await otel.metrics();
    const types = familyTypes(text);
    expect(types.get('v8js_memory_heap_used')).toBe('gauge');
    expect(types.get('v8js_memory_heap_limit')).toBe('gauge');
    expect(types.get('nodejs_eventloop_utilization')).toBe('gauge');
    expect(
      sample(text, 'v8js_memory_heap_used{v8js_heap_space_name="old_space",')
    ).toBeGreaterThan(0);
    const utilization = sample(text, 'nodejs_eventloop_utilization{');
    expect(utilization).toBeGreaterThanOrEqual(0);
    expect(utilization).toBeLessThanOrEqual(1);
    // No request recorded yet: no request series.
    expect(text).not.toContain('http_server_request_duration_count');
  });

  it('collects nothing after shutdown', async () => {
    const otel = new OtelMetrics({ version: '1.2.3' });
    await otel.shutdown();
    await expect(otel.metrics()).rejects.toThrow();
  });
});
