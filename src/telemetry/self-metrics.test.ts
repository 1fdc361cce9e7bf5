import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SelfMetrics } from './self-metrics.js';

/** Holds the event loop for `ms` without yielding. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: this is the stall being measured
  }
}

function gauge(text: string, name: string): number {
  const line = text.split('\n').find(l => l.startsWith(`${name} `));
  expect(line, name).toBeDefined();
  return Number(line!.slice(name.length + 1));
}

describe('SelfMetrics', () => {
  describe('fleetgate_event_loop_delay_seconds', () => {
    it('shows a stall of the event loop in its max and quantiles', async () => {
      const metrics = new SelfMetrics();
      await sleep(30);
      block(200);
      await sleep(30);
      const text = await metrics.registry.metrics();
      // The histogram samples every 10 ms: a 200 ms stall reads as at least 150 ms.
      expect(
        gauge(text, 'fleetgate_event_loop_delay_max_seconds')
      ).toBeGreaterThanOrEqual(0.15);
      for (const q of ['0.5', '0.9', '0.99'])
        expect(text).toMatch(
          new RegExp(
            `^fleetgate_event_loop_delay_seconds\\{quantile="${q}"\\} [0-9.e-]+$`,
            'm'
          )
        );
    });

    it('is absent without process metrics', async () => {
      const metrics = new SelfMetrics({ collectProcessMetrics: false });
      const text = await metrics.registry.metrics();
      expect(text).not.toContain('fleetgate_event_loop_delay');
    });
  });
});
