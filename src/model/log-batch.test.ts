import { describe, expect, it } from 'vitest';
import {
  LogBatch,
  LogDropReason,
  emptyLogResource,
  findAttribute,
  type LogRecord,
} from './log-batch.js';

function record(scope: number, body: string): LogRecord {
  return {
    scope,
    timeUnixNano: 0n,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: '',
    body,
    attributes: [],
    droppedAttributesCount: 0,
    flags: 0,
    traceId: '',
    spanId: '',
    eventName: '',
  };
}

describe('LogBatch', () => {
  it("reaches each record's scope and resource by index", () => {
    const batch = new LogBatch();
    const r0 = batch.addResource({ ...emptyLogResource(), cluster: 'a' });
    const r1 = batch.addResource({ ...emptyLogResource(), cluster: 'b' });
    const s0 = batch.addScope({
      resource: r0,
      name: 's0',
      version: '',
      attributes: [],
      droppedAttributesCount: 0,
      schemaUrl: '',
    });
    const s1 = batch.addScope({
      resource: r1,
      name: 's1',
      version: '',
      attributes: [],
      droppedAttributesCount: 0,
      schemaUrl: '',
    });
    batch.addRecord(record(s0, 'x'));
    batch.addRecord(record(s1, 'y'));
    expect(batch.recordCount).toBe(2);
    expect(batch.resourceOf(batch.records[1]!).cluster).toBe('b');
    expect(batch.scopeOf(batch.records[0]!).name).toBe('s0');
  });

  it('counts live records', () => {
    const batch = new LogBatch();
    batch.addResource(emptyLogResource());
    batch.addScope({
      resource: 0,
      name: '',
      version: '',
      attributes: [],
      droppedAttributesCount: 0,
      schemaUrl: '',
    });
    for (let i = 0; i < 3; i++) batch.addRecord(record(0, String(i)));
    batch.dropped[1] = LogDropReason.LINE_TOO_LONG;
    expect(batch.liveRecordCount()).toBe(2);
  });
});

describe('findAttribute()', () => {
  it('finds the first attribute of a key', () => {
    const attributes = [
      { key: 'a', value: 1n },
      { key: 'b', value: 'x' },
      { key: 'a', value: 2n },
    ];
    expect(findAttribute(attributes, 'a')).toBe(1n);
    expect(findAttribute(attributes, 'c')).toBeUndefined();
  });
});
