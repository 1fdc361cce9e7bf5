import { describe, expect, it } from 'vitest';
import { ActiveSeriesIndex } from './active-series-index.js';
import {
  CARDINALITY_SNAPSHOT_CODEC,
  SUMMARY_VALUES_PER_NAME,
  mergeCardinalitySummaries,
  type ClusterSummary,
  decodeCardinalitySnapshot,
  encodeCardinalitySnapshot,
  summarizeIndex,
} from './cardinality-summary.js';
import { TopOffenders } from './top-offenders.js';

function fill(index: ActiveSeriesIndex, pods: number): void {
  const table = index.tableFor('prod');
  for (let i = 0; i < pods; i++) {
    table.insert(i, Math.imul(i + 1, 2654435761) >>> 0, 1, 'up', [
      '__name__',
      'up',
      'job',
      i % 2 === 0 ? 'api' : 'db',
      'pod',
      `p${i}`,
    ]);
  }
}

describe('cardinality summaries', () => {
  it('round-trip through the snapshot payload', () => {
    const index = new ActiveSeriesIndex({ nowMs: 0, windowMsOf: () => 60_000 });
    fill(index, 10);
    const offenders = new TopOffenders();
    offenders.offer('prod', 'up', 3);
    offenders.offer('prod', 'blocked', 2);
    const summaries = summarizeIndex(index, offenders);
    const decoded = decodeCardinalitySnapshot(
      encodeCardinalitySnapshot(summaries)
    );
    expect(decoded).toEqual(summaries);
    const prod = decoded!.get('prod')!;
    expect(prod.series).toBe(10);
    expect(prod.metrics).toEqual([
      ['up', 10, 3],
      ['blocked', 0, 2],
    ]);
    expect(prod.labels.get('job')).toEqual({
      values: 2,
      series: 10,
      top: [
        ['api', 5],
        ['db', 5],
      ],
    });
  });

  it('keeps exact counts but only the top values of a label with many', () => {
    const index = new ActiveSeriesIndex({ nowMs: 0, windowMsOf: () => 60_000 });
    fill(index, SUMMARY_VALUES_PER_NAME + 50);
    const pod = summarizeIndex(index, new TopOffenders())
      .get('prod')!
      .labels.get('pod')!;
    expect(pod.values).toBe(SUMMARY_VALUES_PER_NAME + 50);
    expect(pod.series).toBe(SUMMARY_VALUES_PER_NAME + 50);
    expect(pod.top).toHaveLength(SUMMARY_VALUES_PER_NAME);
  });

  it.each([
    ['not json', '{'],
    ['another version', '{"v":2,"clusters":[]}'],
    ['a bad cluster entry', '{"v":1,"clusters":[["prod","x",[],[]]]}'],
    [
      'a bad label entry',
      '{"v":1,"clusters":[["prod",1,[],[["job",1,1,[["api","1"]]]]]]}',
    ],
  ])('refuses %s', (_name, payload) => {
    expect(decodeCardinalitySnapshot(payload)).toBeUndefined();
  });

  it('throw through the codec when they cannot be read', () => {
    expect(() => CARDINALITY_SNAPSHOT_CODEC.decode('{"v":2}')).toThrow(
      'want a version 1 cardinality snapshot'
    );
  });
});

describe('mergeCardinalitySummaries()', () => {
  const summary = (series: number): ClusterSummary => ({
    series,
    metrics: [],
    labels: new Map(),
  });

  it("lists each cluster's summaries, this replica's first", () => {
    const merged = mergeCardinalitySummaries(new Map([['prod', summary(1)]]), [
      new Map([
        ['prod', summary(2)],
        ['dev', summary(3)],
      ]),
      new Map([['dev', summary(4)]]),
    ]);
    expect(
      [...merged].map(([cluster, list]) => [cluster, list.map(s => s.series)])
    ).toEqual([
      ['prod', [1, 2]],
      ['dev', [3, 4]],
    ]);
  });
});
