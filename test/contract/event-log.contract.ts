/**
 * The one conformance suite of EventLog (STYLE.md rule 23, like
 * state-store.contract.ts). Memory runs it in the unit project
 * (src/state/event-log-memory.test.ts), Redis in the integration project
 * (test/integration/event-log-redis.test.ts).
 *
 * `create(options)` must return a fresh log on the backend of the current
 * test: two calls within one test are two replicas on the same backend (for
 * a shared log) and the backend must be empty at the start of each test.
 * `cleanup()` runs after each test, once its logs are closed. Every time
 * is explicit, so nothing here sleeps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KubernetesEvent } from '../../src/fleet/events/index.js';
import type { EventLog } from '../../src/state/event-log.js';

export interface EventLogContractOptions {
  readonly maxEventsPerCluster?: number;
}

/** 2030-01-01T00:00:00Z. */
const T0 = Date.UTC(2030, 0, 1);
const MIN = 60_000;
const ALL = { clusters: ['prod', 'dev'], limit: 100 };

/** An event observation; `n` (default 1) is its count and minutes after T0. */
export function sampleEvent(
  overrides: Partial<KubernetesEvent> & { n?: number } = {}
): KubernetesEvent {
  const { n = 1, ...rest } = overrides;
  return {
    cluster: 'prod',
    uid: 'uid-1',
    version: `count:${rest.count ?? n}`,
    type: 'Warning',
    reason: 'BackOff',
    namespace: 'payments',
    object: { kind: 'Pod', name: 'api-0' },
    count: n,
    firstSeenMs: T0,
    lastSeenMs: T0 + n * MIN,
    message: 'Back-off restarting failed container',
    reportingComponent: 'kubelet',
    ...rest,
  };
}

export function describeEventLogContract(
  name: string,
  create: (options?: EventLogContractOptions) => Promise<EventLog>,
  cleanup?: () => Promise<void>
): void {
  describe(name, () => {
    const opened: EventLog[] = [];

    async function open(options?: EventLogContractOptions): Promise<EventLog> {
      const log = await create(options);
      opened.push(log);
      return log;
    }

    afterEach(async () => {
      const logs = opened.splice(0);
      // A shared log that quietly fell back to local state would pass most
      // of this suite for the wrong reason.
      const degraded = logs.filter(log => log.health().degraded);
      await Promise.all(logs.map(log => log.close()));
      await cleanup?.();
      expect(degraded.map(log => log.health())).toEqual([]);
    });

    it('reports healthy on a reachable backend', async () => {
      const log = await open();
      expect(log.health()).toEqual({ degraded: false });
    });

    describe('append()', () => {
      it('appends new events and returns them in input order', async () => {
        const log = await open();
        const a = sampleEvent({ uid: 'a' });
        const b = sampleEvent({ uid: 'b', cluster: 'dev' });
        expect(await log.append([a, b], T0)).toEqual({
          appended: [a, b],
          duplicates: 0,
        });
      });

      it('drops an observation already appended (same cluster, uid and version)', async () => {
        const log = await open();
        const event = sampleEvent();
        await log.append([event], T0);
        expect(await log.append([{ ...event }], T0 + MIN)).toEqual({
          appended: [],
          duplicates: 1,
        });
        expect(await log.read(ALL)).toEqual([event]);
      });

      it('keeps the first of duplicates within one call', async () => {
        const log = await open();
        const first = sampleEvent({ message: 'first' });
        const second = sampleEvent({ message: 'second' });
        expect(await log.append([first, second], T0)).toEqual({
          appended: [first],
          duplicates: 1,
        });
      });

      it('appends a new version of a known event', async () => {
        const log = await open();
        const result = await log.append(
          [sampleEvent({ n: 1 }), sampleEvent({ n: 2 })],
          T0
        );
        expect(result.appended).toHaveLength(2);
      });

      it('scopes dedupe per cluster', async () => {
        const log = await open();
        const prod = sampleEvent();
        const dev = sampleEvent({ cluster: 'dev' });
        expect((await log.append([prod, dev], T0)).appended).toEqual([
          prod,
          dev,
        ]);
      });

      it('deduplicates two collectors sending the same series of counts', async () => {
        const log = await open();
        const a = [1, 2, 3].map(n => sampleEvent({ n }));
        const b = [1, 2, 3, 4].map(n => sampleEvent({ n }));
        const results = [];
        for (let i = 0; i < 4; i++) {
          if (i < 3) results.push(await log.append([a[i]!], T0 + i * MIN));
          results.push(await log.append([b[i]!], T0 + i * MIN));
        }
        expect(results.map(r => r.appended.length)).toEqual([
          1, 0, 1, 0, 1, 0, 1,
        ]);
        expect(await log.read(ALL)).toEqual([sampleEvent({ n: 4 })]);
      });

      it('answers an empty append without touching the backend', async () => {
        const log = await open();
        expect(await log.append([], T0)).toEqual({
          appended: [],
          duplicates: 0,
        });
      });

      it('rejects a non-finite time with a RangeError', async () => {
        const log = await open();
        await expect(log.append([sampleEvent()], Number.NaN)).rejects.toThrow(
          RangeError
        );
      });
    });

    describe('read()', () => {
      it('returns events newest first by last-seen time, across clusters', async () => {
        const log = await open();
        const old = sampleEvent({ uid: 'old', n: 1 });
        const recent = sampleEvent({ uid: 'recent', cluster: 'dev', n: 5 });
        const middle = sampleEvent({ uid: 'middle', n: 3 });
        await log.append([old, recent, middle], T0);
        expect(await log.read(ALL)).toEqual([recent, middle, old]);
      });

      it('round-trips every field', async () => {
        const log = await open();
        const event = sampleEvent({
          uid: 'e3b0c442-98fc-4c14-9afb-f4c8996fb924',
          version: 'rv:918273',
          type: 'Normal',
          reason: 'Scheduled',
          namespace: '',
          object: { kind: 'Node', name: 'ip-10-0-1-23.ec2.internal' },
          count: 1,
          firstSeenMs: T0 + 1,
          lastSeenMs: T0 + 2,
          message: 'Ünïcode “quotes”, {braces} and\nnew lines',
          reportingComponent: '',
        });
        await log.append([event], T0);
        expect(await log.read({ clusters: ['prod'], limit: 1 })).toEqual([
          event,
        ]);
      });

      it('shows each event once, at its highest count', async () => {
        const log = await open();
        // A lagging collector's older count arrives last.
        await log.append([sampleEvent({ n: 1 }), sampleEvent({ n: 3 })], T0);
        await log.append([sampleEvent({ n: 2 })], T0);
        expect(await log.read(ALL)).toEqual([sampleEvent({ n: 3 })]);
      });

      it('collapses versions without a count to the latest last-seen time', async () => {
        const log = await open();
        const v1 = sampleEvent({
          version: 'rv:10',
          count: 1,
          lastSeenMs: T0 + 2 * MIN,
        });
        const v2 = sampleEvent({
          version: 'rv:11',
          count: 1,
          lastSeenMs: T0 + 5 * MIN,
        });
        await log.append([v2, v1], T0);
        expect(await log.read(ALL)).toEqual([v2]);
      });

      it('orders equal times by cluster name, then latest appended first', async () => {
        const log = await open();
        const p1 = sampleEvent({ uid: 'p1' });
        const p2 = sampleEvent({ uid: 'p2' });
        const d1 = sampleEvent({ uid: 'd1', cluster: 'dev' });
        await log.append([p1, d1], T0);
        await log.append([p2], T0);
        expect((await log.read(ALL)).map(e => e.uid)).toEqual([
          'd1',
          'p2',
          'p1',
        ]);
      });

      it.each<[string, Record<string, unknown>, string[]]>([
        ['type', { type: 'Normal' }, ['normal']],
        ['reason', { reason: 'FailedMount' }, ['mount']],
        ['namespace', { namespace: 'shop' }, ['mount']],
        [
          'an empty namespace (cluster-scoped objects)',
          { namespace: '' },
          ['node'],
        ],
        ['sinceMs (inclusive)', { sinceMs: T0 + 3 * MIN }, ['node', 'mount']],
        ['limit', { limit: 2 }, ['node', 'mount']],
        ['one cluster', { clusters: ['dev'] }, ['normal']],
        ['a cluster with no events', { clusters: ['staging'] }, []],
        ['no clusters', { clusters: [] }, []],
        [
          'type and sinceMs',
          { type: 'Warning', sinceMs: T0 + 4 * MIN },
          ['node'],
        ],
      ])('filters on %s', async (_name, filter, want) => {
        const log = await open();
        await log.append(
          [
            sampleEvent({ uid: 'backoff', n: 1 }),
            sampleEvent({
              uid: 'normal',
              cluster: 'dev',
              type: 'Normal',
              reason: 'Pulled',
              n: 2,
            }),
            sampleEvent({
              uid: 'mount',
              reason: 'FailedMount',
              namespace: 'shop',
              n: 3,
            }),
            sampleEvent({
              uid: 'node',
              namespace: '',
              object: { kind: 'Node', name: 'n1' },
              n: 4,
            }),
          ],
          T0
        );
        const got = await log.read({ ...ALL, ...filter });
        expect(got.map(e => e.uid)).toEqual(want);
      });

      it('matches filters against the observations, then shows the best match', async () => {
        const log = await open();
        await log.append([sampleEvent({ n: 1 }), sampleEvent({ n: 6 })], T0);
        const got = await log.read({ ...ALL, sinceMs: T0 + 5 * MIN });
        expect(got).toEqual([sampleEvent({ n: 6 })]);
        const older = await log.read({ ...ALL, sinceMs: T0 });
        expect(older).toEqual([sampleEvent({ n: 6 })]);
      });

      it('keeps the newest maxEventsPerCluster observations of each cluster', async () => {
        const log = await open({ maxEventsPerCluster: 5 });
        for (let i = 1; i <= 8; i++)
          await log.append([sampleEvent({ uid: `u${i}`, n: i })], T0);
        await log.append([sampleEvent({ uid: 'dev', cluster: 'dev' })], T0);
        const got = await log.read(ALL);
        expect(got.map(e => e.uid)).toEqual([
          'u8',
          'u7',
          'u6',
          'u5',
          'u4',
          'dev',
        ]);
      });

      it.each([
        [{ limit: 0 }],
        [{ limit: 1.5 }],
        [{ limit: Number.NaN }],
        [{ sinceMs: Number.POSITIVE_INFINITY }],
      ])('rejects %j with a RangeError', async bad => {
        const log = await open();
        await expect(log.read({ ...ALL, ...bad })).rejects.toThrow(RangeError);
      });
    });

    describe('replicas', () => {
      it('share events and dedupe keys when the log is shared', async () => {
        const a = await open();
        if (!a.isShared) return;
        const b = await open();
        const event = sampleEvent();
        await a.append([event], T0);
        expect(await b.read(ALL)).toEqual([event]);
        expect(await b.append([event], T0)).toEqual({
          appended: [],
          duplicates: 1,
        });
      });

      it('never both append one observation sent to both at once', async () => {
        const a = await open();
        if (!a.isShared) return;
        const b = await open();
        const batch = [1, 2, 3, 4, 5].map(n => sampleEvent({ n }));
        const [ra, rb] = await Promise.all([
          a.append(batch, T0),
          b.append(batch, T0),
        ]);
        expect(ra.appended.length + rb.appended.length).toBe(5);
        expect(ra.duplicates + rb.duplicates).toBe(5);
      });
    });
  });
}
