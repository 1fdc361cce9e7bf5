import {
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CURSOR_FILE,
  CURSOR_FILE_BYTES,
  CURSOR_SLOT_BYTES,
  LEGACY_CURSOR_TEMP_FILE,
  QueueCursorFile,
  readCursorSync,
} from './queue-cursor.js';

describe('QueueCursorFile', () => {
  let dir: string;
  const open: QueueCursorFile[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fleetgate-cursor-'));
  });
  afterEach(() => {
    for (const file of open.splice(0)) file.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  function openCursor(): ReturnType<typeof QueueCursorFile.openSync> {
    const opened = QueueCursorFile.openSync(dir);
    open.push(opened.file);
    return opened;
  }

  it('allocates the file of a new queue, with no cursor and no problem', () => {
    const { read } = openCursor();
    expect(read).toEqual({ cursor: undefined, problem: undefined });
    expect(statSync(join(dir, CURSOR_FILE)).size).toBe(CURSOR_FILE_BYTES);
  });

  it('reads back the last position written, durable or not, after a reopen', async () => {
    const { file } = openCursor();
    await file.write({ segment: 3, offset: 4096 }, false);
    await file.write({ segment: 4, offset: 8 }, true);
    file.closeSync();
    expect(openCursor().read).toEqual({
      cursor: { segment: 4, offset: 8 },
      problem: undefined,
    });
  });

  it('overwrites in place: same inode and size after many writes', async () => {
    const { file } = openCursor();
    const before = statSync(join(dir, CURSOR_FILE));
    for (let i = 0; i < 20; i++)
      await file.write({ segment: i, offset: 8 }, false);
    const after = statSync(join(dir, CURSOR_FILE));
    expect(after.ino).toBe(before.ino);
    expect(after.size).toBe(CURSOR_FILE_BYTES);
    expect(readCursorSync(dir).cursor).toEqual({ segment: 19, offset: 8 });
  });

  it('falls back to the previous position when the newest slot is torn', async () => {
    const { file } = openCursor();
    await file.write({ segment: 5, offset: 100 }, false);
    await file.write({ segment: 6, offset: 200 }, false);
    file.closeSync();
    // The second write went to slot 0 (sequence 2); tear it halfway.
    const bytes = readFileSync(join(dir, CURSOR_FILE));
    bytes.fill(0, CURSOR_SLOT_BYTES / 2, CURSOR_SLOT_BYTES);
    writeFileSync(join(dir, CURSOR_FILE), bytes);
    expect(readCursorSync(dir)).toEqual({
      cursor: { segment: 5, offset: 100 },
      problem: undefined,
    });
    // Writing again goes on from there.
    const reopened = openCursor();
    await reopened.file.write({ segment: 7, offset: 8 }, false);
    expect(readCursorSync(dir).cursor).toEqual({ segment: 7, offset: 8 });
  });

  it('reports a file with no valid slot as a problem, with no cursor', async () => {
    const { file } = openCursor();
    await file.write({ segment: 5, offset: 100 }, false);
    file.closeSync();
    writeFileSync(join(dir, CURSOR_FILE), Buffer.alloc(CURSOR_FILE_BYTES, 7));
    const read = readCursorSync(dir);
    expect(read.cursor).toBeUndefined();
    expect(read.problem).toMatch(/no valid slot.*crc32 mismatch|bad magic/);
  });

  it('converts the legacy JSON cursor and removes a leftover cursor.tmp', () => {
    writeFileSync(
      join(dir, CURSOR_FILE),
      '{"version":1,"segment":9,"offset":640}\n'
    );
    writeFileSync(join(dir, LEGACY_CURSOR_TEMP_FILE), '');
    expect(openCursor().read.cursor).toEqual({ segment: 9, offset: 640 });
    expect(statSync(join(dir, CURSOR_FILE)).size).toBe(CURSOR_FILE_BYTES);
    expect(() => statSync(join(dir, LEGACY_CURSOR_TEMP_FILE))).toThrow();
    expect(readCursorSync(dir).cursor).toEqual({ segment: 9, offset: 640 });
  });

  it.each([
    ['not JSON', '{"version":1,"segm'],
    ['a wrong version', '{"version":9,"segment":1,"offset":8}'],
    ['a negative offset', '{"version":1,"segment":1,"offset":-8}'],
  ])('reports a legacy cursor with %s as a problem', (_name, text) => {
    writeFileSync(join(dir, CURSOR_FILE), text);
    const read = readCursorSync(dir);
    expect(read.cursor).toBeUndefined();
    expect(read.problem).toBeTypeOf('string');
  });
});
