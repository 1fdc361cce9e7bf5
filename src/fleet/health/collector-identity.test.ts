import { describe, expect, it } from 'vitest';
import {
  collectorFromResource,
  collectorFromUserAgent,
  identifyCollector,
} from './collector-identity.js';

describe('collectorFromUserAgent()', () => {
  it.each([
    ['Prometheus/2.42.0', 'prometheus', '2.42.0'],
    ['Prometheus/3.1.0-rc.0', 'prometheus', '3.1.0-rc.0'],
    [
      'OpenTelemetry Collector Contrib/0.91.0 (linux/amd64)',
      'otelcol-contrib',
      '0.91.0',
    ],
    ['OpenTelemetry Collector/0.96.0 (linux/arm64)', 'otelcol', '0.96.0'],
    [
      'OpenTelemetry Collector for Kubernetes/0.110.0 (linux/amd64)',
      'otelcol-k8s',
      '0.110.0',
    ],
    ['Alloy/v1.5.0 (linux; helm)', 'alloy', '1.5.0'],
    ['GrafanaAgent/v0.40.2 (static; linux; binary)', 'grafana-agent', '0.40.2'],
    ['vmagent', 'vmagent', ''],
    ['OTel-OTLP-Exporter-JavaScript/0.52.1', 'otel-sdk-nodejs', '0.52.1'],
    ['OTel OTLP Exporter Go/1.21.0', 'otel-sdk-go', '1.21.0'],
    ['OTel-OTLP-Exporter-Python/1.20.0', 'otel-sdk-python', '1.20.0'],
    ['OTel-OTLP-Exporter-Java/1.32.0', 'otel-sdk-java', '1.32.0'],
    ['curl/8.5.0', 'curl', '8.5.0'],
  ])('reads %j as %s %s', (userAgent, kind, version) => {
    expect(collectorFromUserAgent(userAgent)).toEqual({ kind, version });
  });

  it.each([undefined, '', '   ', '(compatible)'])('reads %j as nothing', ua => {
    expect(collectorFromUserAgent(ua)).toBeUndefined();
  });

  it('bounds sender-controlled text', () => {
    const got = collectorFromUserAgent(
      `${'x'.repeat(500)}/${'1'.repeat(500)}"<>`
    )!;
    expect(got.kind.length).toBeLessThanOrEqual(48);
    expect(got.version).toMatch(/^[0-9]{1,32}$/);
  });
});

describe('collectorFromResource()', () => {
  it("reads a collector's own telemetry from service.name and service.version", () => {
    expect(
      collectorFromResource([
        { key: 'service.name', value: 'otelcol-contrib' },
        { key: 'service.version', value: '0.91.0' },
      ])
    ).toEqual({ kind: 'otelcol-contrib', version: '0.91.0' });
  });

  it('reads an SDK from telemetry.sdk.*', () => {
    expect(
      collectorFromResource({
        'service.name': 'checkout',
        'telemetry.sdk.name': 'opentelemetry',
        'telemetry.sdk.language': 'nodejs',
        'telemetry.sdk.version': '2.1.0',
      })
    ).toEqual({ kind: 'otel-sdk-nodejs', version: '2.1.0' });
  });

  it('reads nothing from unrelated attributes', () => {
    expect(
      collectorFromResource([{ key: 'k8s.pod.name', value: 'x' }])
    ).toBeUndefined();
    expect(collectorFromResource(undefined)).toBeUndefined();
  });
});

describe('identifyCollector()', () => {
  it('prefers the User-Agent, and the resource over a generic HTTP client', () => {
    const resource = {
      'telemetry.sdk.language': 'go',
      'telemetry.sdk.version': '1.30.0',
    };
    expect(identifyCollector('Prometheus/2.42.0', resource)).toEqual({
      kind: 'prometheus',
      version: '2.42.0',
    });
    expect(identifyCollector('Go-http-client/1.1', resource)).toEqual({
      kind: 'otel-sdk-go',
      version: '1.30.0',
    });
    expect(identifyCollector('Go-http-client/1.1', undefined)).toEqual({
      kind: 'go-http-client',
      version: '1.1',
    });
    expect(identifyCollector(undefined, undefined)).toBeUndefined();
  });
});
