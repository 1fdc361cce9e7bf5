/**
 * Issue 12 (main.ts only wires): a reload whose new generation could not be
 * put in force used to leave the gateway on forwarders it had already
 * started to stop (memory queues: the old fan-out drained in the background
 * before the rest of the reload ran), so every write after it was refused
 * as unavailable. Now the old generation keeps forwarding and the new
 * forwarders are the ones closed.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config/index.js';
import { SeriesBatch } from '../../src/model/index.js';
import {
  GenerationSwitch,
  buildForwarding,
  closeForwarding,
  type Generation,
} from '../../src/runtime/index.js';
import { SelfMetrics, createLogger } from '../../src/telemetry/index.js';

// Port 9 (discard) on loopback: nothing is sent within the test's time.
const configOf = (name: string): Config =>
  parseConfig(
    `forward:\n  queue:\n    type: memory\n  remote_write:\n    - name: ${name}\n      url: http://127.0.0.1:9/api/v1/write\n`,
    {}
  );

function oneSample(): SeriesBatch {
  const batch = new SeriesBatch();
  batch.addSeries(['__name__', 'up', 'cluster', 'prod']);
  batch.addSample(1, Date.now());
  return batch;
}

describe('regression 12: a refused reload keeps the previous forwarders', () => {
  it('still forwards through the old generation after the new one is refused', async () => {
    const metrics = new SelfMetrics({ version: 'test' });
    const logger = createLogger({ level: 'silent' });
    const generations = new GenerationSwitch(configOf('before'), {
      buildForwarding: c => buildForwarding(c, { metrics, logger }),
      closeForwarding,
      build: (config, forwarding) =>
        ({ config, forwarding }) as unknown as Generation,
      apply: next => {
        if (next.forward.remote_write[0]!.name === 'refused')
          throw new Error('cannot apply alerting: refused for the test');
      },
      metrics,
      logger,
    });
    try {
      await expect(generations.swap(configOf('refused'))).rejects.toThrow(
        'refused for the test'
      );
      const { fanout } = generations.current.forwarding;
      expect(fanout.stats().map(s => s.downstream)).toEqual(['before']);
      // Before the fix this threw UnavailableError: the fan-out in force was stopping.
      expect(() => fanout.enqueue(oneSample())).not.toThrow();
      expect(fanout.stats()[0]!.queuedPoints).toBe(1);
    } finally {
      await generations.close(0);
    }
  });
});
