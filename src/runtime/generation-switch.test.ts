import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../config/index.js';
import { createLogger, SelfMetrics } from '../telemetry/index.js';
import type { Forwarding } from './build-forwarding.js';
import type { Generation } from './build-generation.js';
import { GenerationSwitch } from './generation-switch.js';

const MEMORY = (url: string): Config =>
  parseConfig(
    `forward:\n  queue:\n    type: memory\n  remote_write:\n    - url: ${url}\n`,
    {}
  );
const DISK = (url: string): Config =>
  parseConfig(
    `forward:\n  queue_dir: /nonexistent\n  remote_write:\n    - url: ${url}\n`,
    {}
  );

/** A fake world: forwarders are tagged by the URL they were built for; the log says what happened in which order. */
function world(options: { failBuildFor?: string; failApplyFor?: string } = {}) {
  const log: string[] = [];
  const urlOf = (c: Config): string => c.forward.remote_write[0]!.url;
  const metrics = new SelfMetrics({ version: 'test' });
  const generations = new GenerationSwitch(MEMORY('http://a.test/'), {
    buildForwarding: c => {
      log.push(`open ${urlOf(c)}`);
      return {
        url: urlOf(c),
        pool: c.forward.queue.type === 'disk' ? {} : undefined,
      } as unknown as Forwarding;
    },
    closeForwarding: (forwarding, drainMs) => {
      log.push(
        `close ${(forwarding as unknown as { url: string }).url} ${drainMs}`
      );
      return Promise.resolve();
    },
    build: (c, forwarding) => {
      if (urlOf(c) === options.failBuildFor)
        throw new Error(`cannot build generation for ${urlOf(c)}`);
      return { config: c, forwarding } as unknown as Generation;
    },
    apply: c => {
      if (urlOf(c) === options.failApplyFor)
        throw new Error(`cannot apply ${urlOf(c)}`);
      log.push(`apply ${urlOf(c)}`);
    },
    metrics,
    logger: createLogger({ level: 'silent' }),
  });
  const inForce = (): string => urlOf(generations.current.config);
  return { log, generations, metrics, inForce };
}

describe('GenerationSwitch', () => {
  it('keeps the forwarders when the forward section is unchanged', async () => {
    const { log, generations } = world();
    const before = generations.current.forwarding;
    const next = MEMORY('http://a.test/');
    await generations.swap({ ...next, slos: [] });
    expect(generations.current.forwarding).toBe(before);
    expect(log).toEqual(['open http://a.test/', 'apply http://a.test/']);
  });

  it('swaps memory-queue forwarders, then drains the old ones for the old shutdown_timeout', async () => {
    const { log, generations, inForce } = world();
    await generations.swap(MEMORY('http://b.test/'));
    expect(inForce()).toBe('http://b.test/');
    const drain = MEMORY('http://a.test/').server.shutdown_timeout;
    expect(log).toEqual([
      'open http://a.test/',
      'open http://b.test/',
      'apply http://b.test/',
      `close http://a.test/ ${drain}`,
    ]);
  });

  it('closes the old disk queues before the new ones open the directory', async () => {
    const { log, generations, inForce } = world();
    await generations.swap(DISK('http://b.test/'));
    expect(inForce()).toBe('http://b.test/');
    expect(log).toEqual([
      'open http://a.test/',
      'close http://a.test/ 0',
      'open http://b.test/',
      'apply http://b.test/',
    ]);
  });

  it('rolls a failed disk generation back: closes its queues and reopens the previous configuration', async () => {
    const { log, generations, inForce } = world({
      failBuildFor: 'http://b.test/',
    });
    await expect(generations.swap(DISK('http://b.test/'))).rejects.toThrow(
      'cannot build generation for http://b.test/'
    );
    expect(inForce()).toBe('http://a.test/');
    expect(log).toEqual([
      'open http://a.test/',
      'close http://a.test/ 0',
      'open http://b.test/',
      'close http://b.test/ 0',
      'open http://a.test/',
    ]);
  });

  it('keeps the memory generation in force and closes the new forwarders when applying fails', async () => {
    const { log, generations, inForce } = world({
      failApplyFor: 'http://b.test/',
    });
    const before = generations.current;
    await expect(generations.swap(MEMORY('http://b.test/'))).rejects.toThrow(
      'cannot apply http://b.test/'
    );
    expect(generations.current).toBe(before);
    expect(inForce()).toBe('http://a.test/');
    expect(log).toEqual([
      'open http://a.test/',
      'open http://b.test/',
      'close http://b.test/ 0',
    ]);
  });

  it('counts each reload outcome and rethrows a failure', async () => {
    const { generations, metrics } = world({
      failBuildFor: 'http://c.test/',
    });
    await generations.reload(() => Promise.resolve(MEMORY('http://b.test/')));
    await expect(
      generations.reload(() => Promise.resolve(MEMORY('http://c.test/')))
    ).rejects.toThrow('cannot build generation for http://c.test/');
    await expect(
      generations.reload(() => Promise.reject(new Error('cannot read config')))
    ).rejects.toThrow('cannot read config');
    const reloads = await metrics.configReloads.get();
    const byResult: Record<string, number> = {};
    for (const { labels, value } of reloads.values)
      byResult[String(labels['result'])] = value;
    expect(byResult).toEqual({ success: 1, failure: 2 });
    expect((await metrics.configLastReloadSuccess.get()).values[0]!.value).toBe(
      0
    );
  });
});
