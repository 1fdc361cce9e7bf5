import { describe, expect, it } from 'vitest';
import { labelsFromRecord } from '../model/index.js';
import { hashLabels } from './hash-labels.js';

describe('hashLabels()', () => {
  it('gives equal label sets equal hashes', () => {
    const a = labelsFromRecord({
      __name__: 'up',
      job: 'api',
      instance: 'a:9090',
    });
    const b = labelsFromRecord({
      instance: 'a:9090',
      job: 'api',
      __name__: 'up',
    });
    expect(hashLabels(a)).toBe(hashLabels(b));
  });

  it('keeps the boundary between strings', () => {
    expect(hashLabels(['ab', 'c'])).not.toBe(hashLabels(['a', 'bc']));
  });

  it('returns an unsigned 32-bit integer, for multibyte text too', () => {
    const hash = hashLabels(['__name__', 'größe_日本_🚀']);
    expect(Number.isInteger(hash)).toBe(true);
    expect(hash).toBeGreaterThanOrEqual(0);
    expect(hash).toBeLessThan(2 ** 32);
  });

  it('spreads series evenly over shards', () => {
    const shards = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) {
      const labels = labelsFromRecord({
        __name__: 'http_requests_total',
        pod: `api-${i}`,
        code: '200',
      });
      shards[hashLabels(labels) % 4]!++;
    }
    for (const count of shards) expect(count).toBeGreaterThan(850);
  });
});
