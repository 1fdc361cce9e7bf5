import { describe, expect, it } from 'vitest';
import { queueDirName } from './queue-dir-name.js';

describe('queueDirName()', () => {
  it('keeps the name readable and makes it safe for a path', () => {
    expect(queueDirName('127.0.0.1:9090/api/v1/write')).toMatch(
      /^127\.0\.0\.1_9090_api_v1_write-[0-9a-f]{8}$/
    );
    expect(queueDirName('../../etc')).not.toContain('/');
    expect(queueDirName('../../etc').startsWith('.')).toBe(false);
  });

  it('tells apart names that sanitize alike', () => {
    expect(queueDirName('a:b')).not.toBe(queueDirName('a/b'));
  });
});
