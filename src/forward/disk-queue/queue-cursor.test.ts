import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CURSOR_FILE, readCursorSync, writeCursor } from './queue-cursor.js';

describe('queue cursor', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fleetgate-cursor-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads back what was written, durable or not', async () => {
    await writeCursor(dir, { segment: 3, offset: 4096 }, false);
    expect(readCursorSync(dir)).toEqual({
      cursor: { segment: 3, offset: 4096 },
      problem: undefined,
    });
    await writeCursor(dir, { segment: 4, offset: 8 }, true);
    expect(readCursorSync(dir).cursor).toEqual({ segment: 4, offset: 8 });
  });

  it('has no cursor and no problem in a new queue', () => {
    expect(readCursorSync(dir)).toEqual({
      cursor: undefined,
      problem: undefined,
    });
  });

  it.each([
    ['not JSON', '{"version":1,"segm'],
    ['a wrong version', '{"version":9,"segment":1,"offset":8}'],
    ['a negative offset', '{"version":1,"segment":1,"offset":-8}'],
    ['no segment', '{"version":1,"offset":8}'],
    ['JSON null', 'null'],
  ])('reports %s as a problem, with no cursor', (_name, text) => {
    writeFileSync(join(dir, CURSOR_FILE), text);
    const read = readCursorSync(dir);
    expect(read.cursor).toBeUndefined();
    expect(read.problem).toBeTypeOf('string');
  });
});
