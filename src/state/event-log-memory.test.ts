import { describe, expect, it } from 'vitest';
import {
  describeEventLogContract,
  sampleEvent,
} from '../../test/contract/event-log.contract.js';
import { MemoryEventLog } from './event-log-memory.js';

const T0 = Date.UTC(2030, 0, 1);
const HOUR = 3_600_000;

describeEventLogContract(
  'MemoryEventLog contract',
  async options => new MemoryEventLog(options)
);

describe('MemoryEventLog', () => {
  it('is the non-shared memory kind and always healthy', () => {
    const log = new MemoryEventLog();
    expect(log.kind).toBe('memory');
    expect(log.isShared).toBe(false);
    expect(log.health()).toEqual({ degraded: false });
  });

  describe('append()', () => {
    it('forgets a dedupe key dedupeTtlMs after its first append', async () => {
      const log = new MemoryEventLog({ dedupeTtlMs: HOUR });
      const event = sampleEvent();
      await log.append([event], T0);
      // A duplicate does not extend the lifetime (as SET NX PX in Redis).
      expect((await log.append([event], T0 + HOUR - 1)).duplicates).toBe(1);
      expect((await log.append([event], T0 + HOUR)).appended).toEqual([event]);
    });

    it('holds at most maxDedupeKeys keys, forgetting the least recently seen', async () => {
      const log = new MemoryEventLog({ maxDedupeKeys: 2 });
      const [a, b, c] = ['a', 'b', 'c'].map(uid => sampleEvent({ uid }));
      await log.append([a!, b!], T0);
      await log.append([a!], T0); // a is now the most recently seen
      await log.append([c!], T0); // evicts b
      expect(log.dedupeKeysHeld).toBe(2);
      expect((await log.append([a!], T0)).duplicates).toBe(1);
      expect((await log.append([b!], T0)).appended).toEqual([b]);
    });

    it('holds at most maxEventsPerCluster events per cluster', async () => {
      const log = new MemoryEventLog({ maxEventsPerCluster: 3 });
      for (let n = 1; n <= 10; n++) await log.append([sampleEvent({ n })], T0);
      expect(log.eventsHeld('prod')).toBe(3);
      expect(log.eventsHeld('dev')).toBe(0);
    });
  });

  it.each([
    [{ maxEventsPerCluster: 0 }],
    [{ dedupeTtlMs: -1 }],
    [{ maxDedupeKeys: 1.5 }],
  ])('rejects options %j with a RangeError', options => {
    expect(() => new MemoryEventLog(options)).toThrow(RangeError);
  });
});
