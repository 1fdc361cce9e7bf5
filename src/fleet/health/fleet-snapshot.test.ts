import { describe, expect, it } from 'vitest';
import { ClusterRecord, pointsKey } from './cluster-record.js';
import {
  FLEET_SNAPSHOT_CODEC,
  decodeFleetSnapshot,
  mergeClusterRecords,
} from './fleet-snapshot.js';
import { sumCounts } from './window-counts.js';

const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);
const NOW = T0 + 30_000;

function seen(
  atMs: number,
  points: number,
  activeSeries?: number
): ClusterRecord {
  const record = new ClusterRecord();
  record.noteSeen('metrics', atMs);
  record.count(pointsKey('metrics'), atMs, points);
  if (activeSeries !== undefined) record.activeSeries = activeSeries;
  return record;
}

function points(record: ClusterRecord | undefined): number {
  return sumCounts(record!.countsOf(pointsKey('metrics')), T0 - 60_000, NOW);
}

describe('mergeClusterRecords()', () => {
  it('merges each cluster over the local records and every peer', () => {
    const local = new Map([['prod-eu', seen(T0, 100, 10)]]);
    const peerA = new Map([
      ['prod-eu', seen(T0 + 20_000, 50, 30)],
      ['prod-us', seen(T0 + 5000, 7)],
    ]);
    const merged = mergeClusterRecords(local, [peerA]);
    expect([...merged.keys()]).toEqual(['prod-eu', 'prod-us']);
    const eu = merged.get('prod-eu')!;
    expect(eu.lastSeenMs).toEqual({ metrics: T0 + 20_000 });
    expect(eu.firstSeenMs).toBe(T0);
    expect(points(eu)).toBe(150);
    expect(eu.activeSeries).toBe(30);
    expect(points(merged.get('prod-us'))).toBe(7);
  });

  it('merges one cluster only when asked, and leaves the inputs as they were', () => {
    const own = seen(T0, 100);
    const merged = mergeClusterRecords(
      new Map([['prod-eu', own]]),
      [
        new Map([
          ['prod-eu', seen(T0, 1)],
          ['prod-us', seen(T0, 2)],
        ]),
      ],
      'prod-eu'
    );
    expect([...merged.keys()]).toEqual(['prod-eu']);
    expect(points(merged.get('prod-eu'))).toBe(101);
    expect(points(own)).toBe(100);
    expect(merged.get('prod-eu')).not.toBe(own);
  });
});

describe('FLEET_SNAPSHOT_CODEC', () => {
  it('reads back what it publishes', () => {
    const record = seen(T0, 100, 5);
    const decoded = FLEET_SNAPSHOT_CODEC.decode(
      FLEET_SNAPSHOT_CODEC.encode({ 'prod-eu': record.encode(NOW, 5) })
    );
    expect(decoded.get('prod-eu')!.encode(NOW, 5)).toEqual(
      record.encode(NOW, 5)
    );
  });

  it.each([
    ['{"v":2,"clusters":{}}', 'want a version 1 fleet snapshot'],
    ['{"v":1}', 'clusters: want an object'],
    ['{"v":1,"clusters":{"x":7}}', 'cluster record: want an object'],
  ])('refuses %s', (payload, message) => {
    expect(() => decodeFleetSnapshot(payload)).toThrow(message);
  });
});
