/**
 * A real small filesystem for disk-full tests: `mount -t tmpfs -o size=…`
 * on a fresh temporary dir (needs root, or CAP_SYS_ADMIN), unmounted and
 * removed by `unmount`.
 *
 * Nothing here imports vitest.
 */
import { execFile } from 'node:child_process';
import { rm, statfs } from 'node:fs/promises';
import { promisify } from 'node:util';
import { makeTempDir } from './peers.js';

const execFileAsync = promisify(execFile);
const COMMAND_TIMEOUT_MS = 10_000;

export interface Tmpfs {
  readonly dir: string;
  /** Bytes free on the filesystem now. */
  freeBytes(): Promise<number>;
  /** Unmounts (lazily if still busy) and removes the dir. Idempotent. */
  unmount(): Promise<void>;
}

function describeError(err: unknown): string {
  if (err !== null && typeof err === 'object' && 'stderr' in err) {
    const stderr = String(err.stderr).trim();
    if (stderr !== '') return stderr;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Mounts a tmpfs of `sizeBytes`; rejects with the mount's own error when it cannot. */
export async function mountTmpfs(sizeBytes: number): Promise<Tmpfs> {
  const dir = await makeTempDir('tmpfs');
  try {
    await execFileAsync(
      'mount',
      ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir],
      { timeout: COMMAND_TIMEOUT_MS }
    );
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(
      `cannot mount a ${sizeBytes}-byte tmpfs on ${dir} (needs root): ${describeError(err)}`,
      { cause: err }
    );
  }
  let unmounting: Promise<void> | undefined;
  return {
    dir,
    async freeBytes() {
      const stats = await statfs(dir);
      return stats.bavail * stats.bsize;
    },
    unmount() {
      unmounting ??= (async () => {
        try {
          await execFileAsync('umount', [dir], { timeout: COMMAND_TIMEOUT_MS });
        } catch {
          // Still busy (a process we started has not exited yet): detach it.
          await execFileAsync('umount', ['-l', dir], {
            timeout: COMMAND_TIMEOUT_MS,
          });
        }
        await rm(dir, { recursive: true, force: true });
      })();
      return unmounting;
    },
  };
}
