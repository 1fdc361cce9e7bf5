import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readFleetgateVersion } from './fleetgate-version.js';

describe('readFleetgateVersion()', () => {
  it('reads the version of the fleetgate package.json', () => {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8')
    ) as { version: string };
    expect(readFleetgateVersion()).toBe(pkg.version);
  });
});
