/**
 * One owner per queue directory. Two queues appending to the same segments
 * would interleave records and corrupt each other, whether they are in one
 * process (a reload that opens a downstream's queue before closing the old
 * one) or in two (two gateways given the same `queue_dir`).
 *
 * In-process, a set of held directories. Across processes, a `lock` file
 * holding the owner's PID: a lock whose process is gone (SIGKILL, crash) is
 * stale and taken over; so is one naming our own PID (a container restart
 * gives the gateway the same PID 1) that this process does not hold.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const LOCK_FILE = 'lock';

const heldDirs = new Set<string>();

/** A held directory lock. */
export interface DirLock {
  /** Releases the lock (idempotent). */
  release(): void;
}

/** Takes `dir`'s lock, or throws naming who holds it. */
export function acquireDirLock(dir: string): DirLock {
  const key = resolve(dir);
  if (heldDirs.has(key)) {
    throw new Error(
      `cannot open queue ${key}: it is already open in this process (close the previous queue first)`
    );
  }
  const file = join(key, LOCK_FILE);
  const owner = readOwner(file);
  if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
    throw new Error(
      `cannot open queue ${key}: process ${owner} holds it (${file}); give each gateway its own queue_dir`
    );
  }
  writeFileSync(file, `${process.pid}\n`);
  heldDirs.add(key);
  let isHeld = true;
  return {
    release(): void {
      if (!isHeld) return;
      isHeld = false;
      heldDirs.delete(key);
      rmSync(file, { force: true });
    },
  };
}

function readOwner(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
