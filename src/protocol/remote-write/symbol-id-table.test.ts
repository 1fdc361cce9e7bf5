import { describe, expect, it } from 'vitest';
import { SymbolIdTable } from './symbol-id-table.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The id of `text`, read from the middle of a larger buffer as the decoder does. */
function idOf(table: SymbolIdTable, text: string): number {
  const buf = bytes(`<<${text}>>`);
  return table.idOf(buf, 2, buf.length - 2);
}

describe('SymbolIdTable', () => {
  describe('idOf()', () => {
    it('gives the same bytes the same id and other bytes another', () => {
      const table = new SymbolIdTable();
      const up = idOf(table, 'up');
      expect(idOf(table, 'up')).toBe(up);
      expect(idOf(table, 'job')).not.toBe(up);
      expect(idOf(table, 'u')).not.toBe(up);
      expect(idOf(table, '')).not.toBe(up);
      expect(idOf(table, '')).toBe(idOf(table, ''));
      expect(table.currentSize).toBe(4);
    });

    it('keeps a symbol used in the previous generation, under the same id', () => {
      const table = new SymbolIdTable();
      const up = idOf(table, 'up');
      table.rotate();
      expect(idOf(table, 'up')).toBe(up);
      table.rotate();
      expect(idOf(table, 'up')).toBe(up);
    });

    it('numbers a symbol forgotten for two generations anew, never reusing an id', () => {
      const table = new SymbolIdTable();
      const seen = new Set<number>();
      const up = idOf(table, 'up');
      seen.add(up);
      table.rotate();
      table.rotate();
      const again = idOf(table, 'up');
      expect(again).not.toBe(up);
      seen.add(again);
      for (let i = 0; i < 100; i++) seen.add(idOf(table, `s${i}`));
      expect(seen.size).toBe(102);
    });
  });
});
