/**
 * fleetgate's own version, for `User-Agent: fleetgate/<version>` (remote
 * write 1.0 requires a User-Agent). Read once from the package.json above
 * this module, which is two levels up from src/ and three from dist/src/.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_LEVELS_UP = 5;
let cachedVersion: string | undefined;

/** The `version` of the fleetgate package.json, or 'unknown' when none is found. */
export function readFleetgateVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < MAX_LEVELS_UP; level++) {
    try {
      const pkg = JSON.parse(
        readFileSync(join(dir, 'package.json'), 'utf8')
      ) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'fleetgate' && typeof pkg.version === 'string') {
        cachedVersion = pkg.version;
        return cachedVersion;
      }
    } catch {
      // No (readable) package.json at this level: look one up.
    }
    dir = dirname(dir);
  }
  cachedVersion = 'unknown';
  return cachedVersion;
}
