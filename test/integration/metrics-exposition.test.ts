/**
 * GET /metrics of the built gateway serves prom-client's `fleetgate_*`
 * families and the OpenTelemetry SDK's (HTTP server semantic conventions,
 * runtime) in one scrape that the real promtool parses, with every family
 * declared once and each request counted once in each family.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startGateway,
  type GatewayProcess,
} from '../helpers/gateway-process.js';
import { familyTypes, sampleValue } from '../helpers/prometheus-text.js';
import { runPromtool } from '../helpers/promtool.js';

const FLEET_REQUESTS = 3;

let gateway: GatewayProcess;
let exposition = '';

beforeAll(async () => {
  gateway = await startGateway('{}\n');
  for (let i = 0; i < FLEET_REQUESTS; i++)
    expect((await fetch(`${gateway.url}/api/v1/fleet`)).status).toBe(200);
  expect(
    (await fetch(`${gateway.url}/api/v1/fleet/clusters/nope`)).status
  ).toBe(404);
  const res = await fetch(`${gateway.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(
    /^text\/plain; version=0\.0\.4/
  );
  exposition = await res.text();
});

afterAll(async () => {
  await gateway?.stop();
});

describe('GET /metrics', () => {
  it('passes promtool check metrics: it parses, and the only lint findings are in prom-client default metrics', async () => {
    const { code, output } = await runPromtool(
      ['check', 'metrics'],
      exposition
    );
    // 0: clean; 3: lint problems only (1 would be a parse error).
    expect([0, 3], output).toContain(code);
    const findings = output.split('\n').filter(l => l.trim() !== '');
    for (const finding of findings)
      expect(finding, output).toMatch(/^fleetgate_nodejs_\S+ /);
  });

  it('declares every family once, and no name is in both sets', () => {
    const names = [...familyTypes(exposition).keys()];
    const otel = names.filter(n => !n.startsWith('fleetgate_'));
    expect(otel).toContain('http_server_request_duration');
    expect(otel).toContain('target_info');
    // Everything else is a runtime gauge under its OpenTelemetry name.
    for (const name of otel)
      expect(name).toMatch(
        /^(http_server_request_duration|target_info|v8js_\w+|nodejs_eventloop_\w+)$/
      );
    expect(names.length - otel.length).toBeGreaterThan(20);
  });

  it('counts each request once in each family, under the route template', () => {
    expect(
      sampleValue(
        exposition,
        'fleetgate_request_duration_seconds_count{handler="/api/v1/fleet",code="200"}'
      )
    ).toBe(FLEET_REQUESTS);
    expect(
      sampleValue(
        exposition,
        'http_server_request_duration_count{http_request_method="GET",http_route="/api/v1/fleet",url_scheme="http",http_response_status_code="200",'
      )
    ).toBe(FLEET_REQUESTS);
    expect(
      sampleValue(
        exposition,
        'http_server_request_duration_count{http_request_method="GET",http_route="/api/v1/fleet/clusters/:cluster",url_scheme="http",http_response_status_code="404",'
      )
    ).toBe(1);
    // The scrape itself is in neither.
    expect(exposition).not.toContain('http_route="/metrics"');
    expect(exposition).not.toContain('handler="/metrics"');
    expect(exposition).toMatch(
      /^target_info\{service_name="fleetgate",service_version="\d+\.\d+\.\d+[^"]*"\} 1$/m
    );
  });
});
