import { describe, expect, it } from 'vitest';
import {
  compileSlo,
  formatSloProblem,
  SloSpecError,
  validateSloSpec,
  type SloSpec,
} from './slo-definition.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../test/helpers/slo-fixtures.js';

const RATIO: SloSpec = {
  name: 'checkout-availability',
  service: 'checkout',
  objective: 0.999,
  window: 30 * DAY_MS,
  sli: {
    ratio: {
      bad: 'http_requests_total{job="checkout",code=~"5.."}',
      total: 'http_requests_total{job="checkout"}',
    },
  },
};

const LATENCY: SloSpec = {
  name: 'checkout-latency',
  service: 'checkout',
  objective: 0.99,
  window: 28 * DAY_MS,
  sli: {
    latency: {
      histogram: 'http_request_duration_seconds',
      threshold: 0.3,
      selector: '{job="checkout"}',
    },
  },
};

function problems(spec: SloSpec): string[] {
  return validateSloSpec(spec).map(p => formatSloProblem('slos[0]', p));
}

describe('compileSlo()', () => {
  it('reports the standard windows, its own and the alert windows, ascending', () => {
    expect(compileSlo(RATIO).windowNames).toEqual([
      '5m',
      '30m',
      '1h',
      '2h',
      '6h',
      '1d',
      '3d',
      '30d',
    ]);
    expect(compileSlo(LATENCY).windowNames).toEqual([
      '5m',
      '30m',
      '1h',
      '2h',
      '6h',
      '1d',
      '3d',
      '28d',
    ]);
  });

  it('adds configured alert windows to the reported ones', () => {
    const def = compileSlo({
      ...RATIO,
      alerting: {
        windows: [
          {
            severity: 'page',
            long: 4 * DAY_MS,
            short: 12 * HOUR_MS,
            budget_consumed: 0.1,
          },
        ],
      },
    });
    expect(def.windowNames).toContain('4d');
    expect(def.windowNames).toContain('12h');
    expect(def.alertPairs).toEqual([
      {
        severity: 'page',
        longMs: 4 * DAY_MS,
        shortMs: 12 * HOUR_MS,
        factor: 0.75,
      },
    ]);
  });

  it('reads a latency SLI from <histogram>_bucket (good) and <histogram>_count (total), or native histograms', () => {
    const def = compileSlo(LATENCY);
    expect(def.isGoodChannel).toBe(true);
    expect(
      def.inputs.map(i => [i.channel, i.kind, i.selector.metricName])
    ).toEqual([
      [0, 'bucket', 'http_request_duration_seconds_bucket'],
      [1, 'counter', 'http_request_duration_seconds_count'],
      [0, 'native', 'http_request_duration_seconds'],
    ]);
  });

  it('warns about an alert pair that can never fire', () => {
    const def = compileSlo({ ...RATIO, objective: 0.9 });
    expect(def.staticWarnings[0]).toMatch(
      /page pair 1h\/5m can never fire: burn rate 14\.4 × error budget 0\.1 = 1\.44/
    );
  });

  it('throws SloSpecError listing the problems', () => {
    expect(() => compileSlo({ ...RATIO, objective: 99.9 })).toThrow(
      SloSpecError
    );
  });
});

describe('validateSloSpec()', () => {
  it('accepts the documented configuration examples', () => {
    expect(problems(RATIO)).toEqual([]);
    expect(problems(LATENCY)).toEqual([]);
  });

  it.each<[string, SloSpec, RegExp]>([
    [
      'a percentage objective',
      { ...RATIO, objective: 99.9 },
      /^slos\[0\]\.objective: must be between 0 and 1, got 99\.9: it looks like a percentage, write 0\.999$/,
    ],
    [
      'an objective of 1',
      { ...RATIO, objective: 1 },
      /^slos\[0\]\.objective: must be between 0 and 1 \(e\.g\. 0\.999\), got 1$/,
    ],
    [
      'a bad regex',
      {
        ...RATIO,
        sli: {
          ratio: {
            bad: 'http_requests_total{code=~"5..("}',
            total: 'http_requests_total',
          },
        },
      },
      /^slos\[0\]\.sli\.ratio\.bad: cannot parse selector .*invalid regex "5\.\.\(" for label "code"/,
    ],
    [
      'a PromQL expression',
      { ...RATIO, sli: { ratio: { bad: 'sum(rate(x[5m]))', total: 'x' } } },
      /^slos\[0\]\.sli\.ratio\.bad: .*"sum" looks like a function call/,
    ],
    [
      'both bad and good',
      { ...RATIO, sli: { ratio: { bad: 'x', good: 'y', total: 'z' } } },
      /^slos\[0\]\.sli\.ratio: set exactly one of bad or good$/,
    ],
    [
      'a histogram given with its _bucket suffix',
      {
        ...LATENCY,
        sli: { latency: { histogram: 'h_seconds_bucket', threshold: 0.3 } },
      },
      /^slos\[0\]\.sli\.latency\.histogram: give the histogram's base name "h_seconds": fleetgate reads h_seconds_bucket and h_seconds_count$/,
    ],
    [
      'a latency selector naming a metric',
      {
        ...LATENCY,
        sli: {
          latency: {
            histogram: 'h',
            threshold: 0.3,
            selector: 'h_bucket{job="a"}',
          },
        },
      },
      /^slos\[0\]\.sli\.latency\.selector: must not name a metric/,
    ],
    [
      'a latency selector matching le',
      {
        ...LATENCY,
        sli: {
          latency: { histogram: 'h', threshold: 0.3, selector: '{le="0.3"}' },
        },
      },
      /must not match "le": the threshold picks the bucket/,
    ],
    [
      'a threshold of 0',
      { ...LATENCY, sli: { latency: { histogram: 'h', threshold: 0 } } },
      /threshold: must be a finite number > 0/,
    ],
    [
      'a window under 1h',
      { ...RATIO, window: 30 * MINUTE_MS },
      /^slos\[0\]\.window: must be at least 1h, got 30m$/,
    ],
    [
      'a short window not shorter than the long one',
      {
        ...RATIO,
        alerting: {
          windows: [
            { severity: 'page', long: HOUR_MS, short: HOUR_MS, factor: 2 },
          ],
        },
      },
      /^slos\[0\]\.alerting\.windows\[0\]\.short: the short window 1h must be shorter than the long window 1h$/,
    ],
    [
      'an alert window longer than what the SLO keeps',
      {
        ...RATIO,
        window: DAY_MS,
        alerting: {
          windows: [
            {
              severity: 'ticket',
              long: 7 * DAY_MS,
              short: 6 * HOUR_MS,
              factor: 1,
            },
          ],
        },
      },
      /^slos\[0\]\.alerting\.windows\[0\]\.long: 7d is longer than fleetgate keeps for this SLO \(3d: the SLO window or 3d, whichever is longer\)$/,
    ],
    [
      'a pair with both factor and budget_consumed',
      {
        ...RATIO,
        alerting: {
          windows: [
            {
              severity: 'page',
              long: HOUR_MS,
              short: 5 * MINUTE_MS,
              factor: 2,
              budget_consumed: 0.02,
            },
          ],
        },
      },
      /set exactly one of budget_consumed \(scaled with the SLO window\) or factor \(fixed\)/,
    ],
  ])('explains %s', (_name, spec, want) => {
    const found = problems(spec);
    expect(
      found.some(p => want.test(p)),
      found.join('\n')
    ).toBe(true);
  });
});
