import { describe, expect, it } from 'vitest';
import { alertFingerprint } from './alert-fingerprint.js';
import type { GatewayAlert } from './alert-source.js';
import { invalidAlertReason, toPostableAlert } from './postable-alert.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');

function alert(overrides: Partial<GatewayAlert> = {}): GatewayAlert {
  return {
    labels: { alertname: 'FleetgateClusterDown', cluster: 'eu-1' },
    annotations: { summary: 'down' },
    activeSinceMs: T0,
    ...overrides,
  };
}

describe('toPostableAlert()', () => {
  it('writes RFC 3339 times and copies labels and annotations', () => {
    expect(
      toPostableAlert(alert(), T0, T0 + 240_000, 'http://gw:9201/')
    ).toEqual({
      labels: { alertname: 'FleetgateClusterDown', cluster: 'eu-1' },
      annotations: { summary: 'down' },
      startsAt: '2024-05-01T10:00:00.000Z',
      endsAt: '2024-05-01T10:04:00.000Z',
      generatorURL: 'http://gw:9201/',
    });
  });

  it("prefers the alert's own generatorURL, and leaves it out when there is none", () => {
    const own = alert({ generatorURL: 'http://gw/api/v1/slos/x' });
    expect(toPostableAlert(own, T0, T0, 'http://gw/').generatorURL).toBe(
      'http://gw/api/v1/slos/x'
    );
    expect(toPostableAlert(alert(), T0, T0)).not.toHaveProperty('generatorURL');
  });

  it('leaves out labels with an empty value', () => {
    const a = alert({ labels: { alertname: 'X', cluster: '' } });
    expect(toPostableAlert(a, T0, T0).labels).toEqual({ alertname: 'X' });
  });

  it('never ends an alert before it starts', () => {
    expect(toPostableAlert(alert(), T0, T0 - 1000).endsAt).toBe(
      '2024-05-01T10:00:00.000Z'
    );
  });
});

describe('invalidAlertReason()', () => {
  it.each<[string, Partial<GatewayAlert>, string | undefined]>([
    ['a valid alert', {}, undefined],
    [
      'a dotted label name',
      { labels: { 'k8s.cluster': 'a' } },
      'invalid label name "k8s.cluster"',
    ],
    ['no labels', { labels: {} }, 'no label with a value'],
    [
      'only empty labels',
      { labels: { alertname: '' } },
      'no label with a value',
    ],
    [
      'a bad annotation name',
      { annotations: { 'runbook-url': 'x' } },
      'invalid annotation name "runbook-url"',
    ],
    [
      'a NaN start',
      { activeSinceMs: Number.NaN },
      'activeSinceMs is not a time: NaN',
    ],
  ])('%s', (_name, overrides, want) => {
    expect(invalidAlertReason(alert(overrides))).toBe(want);
  });
});

describe('alertFingerprint()', () => {
  it('ignores label order and empty values', () => {
    expect(alertFingerprint({ b: '2', a: '1', c: '' })).toBe(
      alertFingerprint({ a: '1', b: '2' })
    );
  });

  it('tells apart label sets that concatenate alike', () => {
    expect(alertFingerprint({ a: 'bc' })).not.toBe(
      alertFingerprint({ ab: 'c' })
    );
    expect(alertFingerprint({ a: '1', b: '2' })).not.toBe(
      alertFingerprint({ a: '1b2' })
    );
  });
});
