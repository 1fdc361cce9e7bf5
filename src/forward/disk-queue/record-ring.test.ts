import { describe, expect, it } from 'vitest';
import { RecordRing } from './record-ring.js';

function contents(ring: RecordRing): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < ring.count; i++) {
    out.push([
      ring.segment(i),
      ring.offset(i),
      ring.length(i),
      ring.points(i),
      ring.appendedAtMs(i),
    ]);
  }
  return out;
}

describe('RecordRing', () => {
  it('keeps records in order through shifts and growth across the wrap', () => {
    const ring = new RecordRing();
    const want: number[][] = [];
    let next = 0;
    const push = (): void => {
      const record = [next, next * 10, next + 1, next % 7, 1000 + next];
      ring.push(record[0]!, record[1]!, record[2]!, record[3]!, record[4]!);
      want.push(record);
      next++;
    };
    for (let i = 0; i < 50; i++) push();
    ring.shift(30);
    want.splice(0, 30);
    // The head is now mid-array: these pushes wrap, then force a grow.
    for (let i = 0; i < 200; i++) push();
    expect(ring.count).toBe(220);
    expect(contents(ring)).toEqual(want);
  });

  it('shifts at most what it holds', () => {
    const ring = new RecordRing();
    ring.push(1, 8, 10, 1, 0);
    ring.shift(5);
    expect(ring.count).toBe(0);
    ring.push(2, 8, 10, 1, 0);
    expect(contents(ring)).toEqual([[2, 8, 10, 1, 0]]);
  });

  it('pops rolled-back records from the tail, across the wrap', () => {
    const ring = new RecordRing();
    for (let i = 0; i < 60; i++) ring.push(i, 8, 10, 1, 0);
    ring.shift(50);
    for (let i = 60; i < 70; i++) ring.push(i, 8, 10, 1, 0);
    ring.pop(8);
    expect(contents(ring).map(r => r[0])).toEqual([
      50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61,
    ]);
    ring.pop(100);
    expect(ring.count).toBe(0);
    ring.push(7, 8, 10, 1, 0);
    expect(contents(ring)).toEqual([[7, 8, 10, 1, 0]]);
  });
});
