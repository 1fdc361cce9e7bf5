import { describe, expect, it } from 'vitest';
import { parseByteSize, queueSchema } from './queue-schema.js';

describe('queueSchema', () => {
  it('defaults to a disk queue fsync’d before acknowledgement, 1 GiB, no age limit', () => {
    expect(queueSchema.parse(undefined)).toEqual({
      type: 'disk',
      fsync: 'always',
      fsync_interval: 100,
      max_bytes: 1024 ** 3,
      segment_bytes: 64 * 1024 ** 2,
    });
  });

  it('reads sizes and durations', () => {
    expect(
      queueSchema.parse({
        type: 'disk',
        fsync: 'interval',
        fsync_interval: '250ms',
        max_bytes: '512MiB',
        max_age: '6h',
        segment_bytes: 1_048_576,
      })
    ).toEqual({
      type: 'disk',
      fsync: 'interval',
      fsync_interval: 250,
      max_bytes: 512 * 1024 ** 2,
      max_age: 6 * 3_600_000,
      segment_bytes: 1_048_576,
    });
  });

  it.each([
    [{ fsync: 'sometimes' }, 'fsync'],
    [{ type: 'redis' }, 'type'],
    [{ max_bytes: '1 potato' }, 'max_bytes'],
    [{ max_bytes: '1KiB' }, 'max_bytes'],
    [{ max_age: '0s' }, 'max_age'],
    [{ segment_bytes: 10 }, 'segment_bytes'],
    [{ max_bytes: 1024 ** 3, dir: '/tmp' }, ''],
  ])('refuses %j, naming the key', (input, key) => {
    const result = queueSchema.safeParse(input);
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map(i => i.path.join('.')) ?? [];
    expect(paths).toContain(key);
  });
});

describe('parseByteSize()', () => {
  it.each([
    ['4096', 4096],
    ['64KiB', 65_536],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['500MB', 500_000_000],
    ['2 TB', 2e12],
    ['1gb', undefined],
    ['-1', undefined],
    ['', undefined],
  ])('%j → %s', (text, want) => {
    expect(parseByteSize(text)).toBe(want);
  });
});
