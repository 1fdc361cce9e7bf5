/**
 * The consumer's committed position in a disk queue: every record before
 * (`segment`, `offset`) was sent or dropped, everything from there on is
 * still queued. Stored as one small JSON file, `cursor`, replaced atomically
 * (write `cursor.tmp`, then rename over it), so a crash leaves the old
 * cursor or the new one, never a mix.
 *
 * A stale cursor only ever means records are sent again (at least once);
 * segments are deleted only after a cursor past them was written, so a
 * cursor can never point before data that is gone and count it as sent.
 */
import { readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';

export const CURSOR_FILE = 'cursor';
export const CURSOR_TEMP_FILE = 'cursor.tmp';
const CURSOR_FORMAT_VERSION = 1;

/** A position in a queue: a segment id and a byte offset in it. */
export interface QueuePosition {
  readonly segment: number;
  readonly offset: number;
}

export interface CursorRead {
  /** undefined when there is no cursor file, or it is unusable (see `problem`). */
  readonly cursor: QueuePosition | undefined;
  readonly problem: string | undefined;
}

/** Reads `dir`'s cursor; a missing file is no problem (a new queue). */
export function readCursorSync(dir: string): CursorRead {
  let text: string;
  try {
    text = readFileSync(join(dir, CURSOR_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { cursor: undefined, problem: undefined };
    }
    throw new Error(`cannot read the queue cursor in ${dir}`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {
      cursor: undefined,
      problem: `cursor file is not JSON (${text.length} bytes)`,
    };
  }
  const record = (value ?? {}) as Record<string, unknown>;
  const segment = record['segment'];
  const offset = record['offset'];
  if (
    record['version'] !== CURSOR_FORMAT_VERSION ||
    !isCount(segment) ||
    !isCount(offset)
  ) {
    return {
      cursor: undefined,
      problem: `cursor file has no valid version, segment and offset: ${text.slice(0, 200)}`,
    };
  }
  return { cursor: { segment, offset }, problem: undefined };
}

/**
 * Replaces `dir`'s cursor with `position`. With `isDurable`, the new file is
 * fsync'd before the rename and the directory after it.
 */
export async function writeCursor(
  dir: string,
  position: QueuePosition,
  isDurable: boolean
): Promise<void> {
  const temp = join(dir, CURSOR_TEMP_FILE);
  const text =
    JSON.stringify({
      version: CURSOR_FORMAT_VERSION,
      segment: position.segment,
      offset: position.offset,
    }) + '\n';
  const file = await open(temp, 'w');
  try {
    await file.writeFile(text);
    if (isDurable) await file.datasync();
  } finally {
    await file.close();
  }
  await rename(temp, join(dir, CURSOR_FILE));
  if (isDurable) await syncDirectory(dir);
}

/** fsync of a directory, so entries created, renamed or removed in it survive a power loss. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
