/**
 * The directory name of a downstream's queues under `queue_dir`: readable
 * (the downstream name with unsafe characters replaced) and unique (a hash
 * of the exact name), like vmagent's `<n>_<hash of url>`.
 */
import { createHash } from 'node:crypto';

const MAX_READABLE_CHARS = 80;

/** e.g. `127.0.0.1_9090_api_v1_write-5d41402a` for `127.0.0.1:9090/api/v1/write`. */
export function queueDirName(downstream: string): string {
  const readable = downstream
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, MAX_READABLE_CHARS);
  const hash = createHash('sha256')
    .update(downstream)
    .digest('hex')
    .slice(0, 8);
  return readable === '' ? hash : `${readable}-${hash}`;
}
