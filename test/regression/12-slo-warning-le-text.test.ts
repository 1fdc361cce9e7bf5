/**
 * Issue 12: `le` text had three formatters. The SLO engine wrote bounds
 * with String() (`1e-7`), while the OTLP converter writes the `le` labels
 * it forwards as Prometheus' OTLP translator does (`0.0000001`), so a
 * latency SLO's warning named bounds in a spelling no series carried. Now
 * one formatter (model/le-text.ts) writes both.
 */
import { describe, expect, it } from 'vitest';
import { formatPrometheusFloat } from '../../src/protocol/index.js';
import { SloEngine } from '../../src/slo/index.js';
import { contextOf, DAY_MS, SeriesFeed, T0 } from '../helpers/slo-fixtures.js';

describe('a latency SLO over small bucket bounds', () => {
  it('names the bounds in its warning as the forwarded le labels spell them', async () => {
    const engine = new SloEngine(
      [
        {
          name: 'fast-rpc',
          service: 'rpc',
          objective: 0.99,
          window: 30 * DAY_MS,
          sli: {
            latency: { histogram: 'rpc_duration_seconds', threshold: 2.5e-7 },
          },
        },
      ],
      { now: () => T0 }
    );
    const bounds = [1e-7, 5e-7, Infinity];
    const les = bounds.map(formatPrometheusFloat);
    expect(les).toEqual(['0.0000001', '0.0000005', '+Inf']);
    const feed = new SeriesFeed();
    engine.observe(
      feed.batch(
        les.map(le => ({
          labels: {
            __name__: 'rpc_duration_seconds_bucket',
            cluster: 'prod',
            le,
          },
          value: 1,
          t: T0 - 1000,
        }))
      ),
      contextOf()
    );
    const report = (await engine.report('fast-rpc'))!;
    expect(report.warnings).toContainEqual(
      expect.stringContaining(
        'the threshold 0.00000025 is not one of the bucket bounds seen on rpc_duration_seconds_bucket{} or native histograms rpc_duration_seconds{} (0.0000001, 0.0000005, +Inf)'
      )
    );
    await engine.stop();
  });
});
