import { describe, expect, it } from 'vitest';
import { TopOffenders } from './top-offenders.js';

describe('TopOffenders', () => {
  it('counts drops per cluster and metric, most dropped first', () => {
    const top = new TopOffenders(5);
    top.offer('prod', 'b', 2);
    top.offer('prod', 'a', 2);
    top.offer('prod', 'c', 7);
    top.offer('dev', 'a');
    expect(top.top('prod').map(o => [o.metric, o.dropped])).toEqual([
      ['c', 7],
      ['a', 2],
      ['b', 2],
    ]);
    expect(top.droppedOf('dev', 'a')).toBe(1);
    expect(top.top('nowhere')).toEqual([]);
  });

  it('stays within K entries and keeps a heavy hitter among them', () => {
    const top = new TopOffenders(4);
    for (let i = 0; i < 1000; i++) {
      top.offer('prod', `noise_${i}`);
      if (i % 3 === 0) top.offer('prod', 'heavy');
    }
    const list = top.top('prod');
    expect(list).toHaveLength(4);
    expect(list[0]!.metric).toBe('heavy');
    // Space-saving: the count over-estimates by at most the error it inherited.
    expect(list[0]!.dropped - list[0]!.error).toBeLessThanOrEqual(334);
    expect(list[0]!.dropped).toBeGreaterThanOrEqual(334);
  });

  it('tracks at most maxClusters clusters', () => {
    const top = new TopOffenders(2, 2);
    top.offer('a', 'm');
    top.offer('b', 'm');
    top.offer('c', 'm');
    expect([...top.clusters()]).toEqual(['a', 'b']);
  });
});
