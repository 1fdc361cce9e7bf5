/**
 * Settings of the forward queues, mounted at `forward.queue` (one setting
 * for every downstream; each downstream's shards split `max_bytes`):
 *
 * ```yaml
 * forward:
 *   queue_dir: ./data/queue    # <queue_dir>/<downstream>/shard-<n>/
 *   queue:
 *     type: disk               # disk | memory
 *     fsync: always            # always | interval | never
 *     fsync_interval: 100ms    # with fsync: interval
 *     max_bytes: 1GiB          # per downstream, on disk
 *     max_age: 24h             # optional: older records are dropped, counted
 *     segment_bytes: 64MiB
 * ```
 *
 * Sizes are a number of bytes or a string with a unit: B, KB, MB, GB, TB
 * (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024).
 */
import { z } from 'zod';
import { parseDuration } from './duration.js';

export const QUEUE_TYPES = ['disk', 'memory'] as const;
export const FSYNC_POLICIES = ['always', 'interval', 'never'] as const;

const UNIT_BYTES: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};
const BYTE_SIZE_RE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/;

/** Parses "512MiB", "1GB", "4096"; undefined when the text is not a size. */
export function parseByteSize(text: string): number | undefined {
  const match = BYTE_SIZE_RE.exec(text.trim());
  if (match === null) return undefined;
  const bytes = Math.floor(Number(match[1]) * UNIT_BYTES[match[2] ?? 'B']!);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const byteSize = z.union([
  z.number().int().positive(),
  z.string().transform((text, ctx) => {
    const bytes = parseByteSize(text);
    if (bytes === undefined || bytes <= 0) {
      ctx.addIssue({
        code: 'custom',
        message: `invalid size ${JSON.stringify(text)} (want bytes, or e.g. 512MiB, 1GiB, 500MB)`,
      });
      return z.NEVER;
    }
    return bytes;
  }),
]);

const positiveDuration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({
      code: 'custom',
      message: `invalid duration ${JSON.stringify(text)} (want a positive duration, e.g. 100ms, 1s, 24h)`,
    });
    return z.NEVER;
  }
  return ms;
});

/** Smallest useful queue: a few requests of a small cluster. */
const MIN_MAX_BYTES = 64 * 1024;

export const queueSchema = z
  .object({
    /** `disk` survives restarts and crashes (docs/architecture.md: acknowledged = appended); `memory` does not. */
    type: z.enum(QUEUE_TYPES).default('disk'),
    /** When appended data is fsync'd; `always` before the request is acknowledged. */
    fsync: z.enum(FSYNC_POLICIES).default('always'),
    /** fsync period with `fsync: interval`, in ms after parsing. */
    fsync_interval: positiveDuration.default(100),
    /** Bytes on disk per downstream before senders are told to retry (503 + Retry-After). */
    max_bytes: byteSize
      .refine(
        bytes => bytes >= MIN_MAX_BYTES,
        `must be at least ${MIN_MAX_BYTES} bytes (64KiB)`
      )
      .default(1024 ** 3),
    /** Records queued longer than this are dropped unsent, counted; absent: never. */
    max_age: positiveDuration.optional(),
    /** Segment file size before rolling over (capped at a quarter of a shard's share of max_bytes). */
    segment_bytes: byteSize
      .refine(bytes => bytes >= 4096, 'must be at least 4096 bytes')
      .default(64 * 1024 ** 2),
  })
  .strict()
  .prefault({});

/** `forward.queue` after validation: sizes in bytes, durations in ms. */
export type QueueConfig = z.output<typeof queueSchema>;
