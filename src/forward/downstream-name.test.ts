import { describe, expect, it } from 'vitest';
import { downstreamNameOf } from './downstream-name.js';

describe('downstreamNameOf()', () => {
  it.each([
    [
      { url: 'https://mimir.example:8080/api/v1/push' },
      'mimir.example:8080/api/v1/push',
    ],
    [
      { url: 'https://user:secret@mimir.example/api/v1/push?token=abc' },
      'mimir.example/api/v1/push',
    ],
    [{ url: 'http://127.0.0.1:9090/api/v1/write', name: 'central' }, 'central'],
    [
      { url: 'http://127.0.0.1:9090/api/v1/write', name: '' },
      '127.0.0.1:9090/api/v1/write',
    ],
  ])('names %j %j', (target, want) => {
    expect(downstreamNameOf(target)).toBe(want);
  });
});
