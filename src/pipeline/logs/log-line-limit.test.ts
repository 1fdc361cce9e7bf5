import { describe, expect, it } from 'vitest';
import { LogDropReason } from '../../model/index.js';
import { buildLogBatch } from '../../../test/helpers/otlp-logs-fixtures.js';
import { StageTally } from '../stage.js';
import { LogLineLimit } from './log-line-limit.js';
import type { LogStageContext } from './log-stage-context.js';

function contextOf(): LogStageContext {
  return {
    identity: { kind: 'anonymous' },
    protocol: 'otlp',
    receivedAtMs: 0,
    tally: new StageTally(),
    volumes: new Map(),
    tooLong: new Map(),
  };
}

describe('LogLineLimit', () => {
  it('refuses records whose body is over the limit and adds up the rest per cluster', () => {
    const batch = buildLogBatch([
      { attributes: {}, records: [{ body: 'four' }, { body: 'too long' }] },
      { attributes: {}, records: [{ body: 'wörld' }] },
    ]);
    batch.resources[0]!.cluster = 'a';
    batch.resources[1]!.cluster = 'b';
    const context = contextOf();
    new LogLineLimit(6).process(batch, context);
    expect([...batch.dropped]).toEqual([
      LogDropReason.NONE,
      LogDropReason.LINE_TOO_LONG,
      LogDropReason.NONE,
    ]);
    // Bytes are UTF-8: "wörld" is 6.
    expect(Object.fromEntries(context.volumes)).toEqual({
      a: { records: 1, bytes: 4 },
      b: { records: 1, bytes: 6 },
    });
    expect(Object.fromEntries(context.tooLong)).toEqual({ a: 1 });
  });

  it('skips records an earlier stage dropped', () => {
    const batch = buildLogBatch([
      { attributes: {}, records: [{ body: 'way too long for the limit' }] },
    ]);
    batch.resources[0]!.cluster = 'a';
    batch.dropped[0] = LogDropReason.LINE_TOO_LONG;
    const context = contextOf();
    new LogLineLimit(4).process(batch, context);
    expect(context.volumes.size).toBe(0);
    expect(context.tooLong.size).toBe(0);
  });
});
