/**
 * Issue 12: the OTLP metrics and logs protobuf decoders disagreed on a
 * `resource` (or `scope`) field that comes twice in one ResourceMetrics /
 * ResourceLogs. proto3 merges a repeated embedded message: its last scalar
 * wins and its repeated fields concatenate. The logs decoder merged; the
 * metrics decoder kept only the last message, so the first one's attributes
 * (a `k8s.cluster.name`, say) were lost. Both now read the envelope with one
 * decoder (protocol/otlp/common/decode-common-protobuf.ts, readEnvelope).
 */
import { describe, expect, it } from 'vitest';
import {
  decodeLogsProtobuf,
  decodeMetricsProtobuf,
  ProtobufWriter,
} from '../../src/protocol/index.js';

const LEN = 2;
const VARINT = 0;
const FIXED64 = 1;

/** Writes field `field` as a message whose body `write` writes. */
function message(w: ProtobufWriter, field: number, write: () => void): void {
  w.tag(field, LEN);
  w.fork();
  write();
  w.join();
}

function stringField(w: ProtobufWriter, field: number, value: string): void {
  w.tag(field, LEN);
  w.string(value);
}

function attribute(
  w: ProtobufWriter,
  field: number,
  key: string,
  value: string
) {
  message(w, field, () => {
    stringField(w, 1, key);
    message(w, 2, () => stringField(w, 1, value));
  });
}

/**
 * An export request with one resource envelope whose `resource` and
 * `scope` fields each come twice; `writeItem` writes the one metric or log
 * record of the scope (field 2).
 */
function requestWithRepeatedHeads(writeItem: (w: ProtobufWriter) => void) {
  const w = new ProtobufWriter(1024);
  message(w, 1, () => {
    message(w, 1, () => {
      attribute(w, 1, 'k8s.cluster.name', 'prod-eu-1');
      w.tag(2, VARINT);
      w.uint32(3);
    });
    message(w, 2, () => {
      message(w, 1, () => {
        stringField(w, 1, 'first-scope');
        stringField(w, 2, '1.0.0');
      });
      writeItem(w);
      message(w, 1, () => {
        stringField(w, 1, 'second-scope');
        attribute(w, 3, 'scope.attr', 'x');
      });
      stringField(w, 3, 'https://scope.example/1');
    });
    message(w, 1, () => {
      attribute(w, 1, 'service.name', 'checkout');
      w.tag(2, VARINT);
      w.uint32(5);
    });
    stringField(w, 3, 'https://resource.example/1');
  });
  return w.finish().slice();
}

const metricsBody = requestWithRepeatedHeads(w =>
  message(w, 2, () => {
    stringField(w, 1, 'up');
    message(w, 5, () =>
      message(w, 1, () => {
        w.tag(4, FIXED64);
        w.double(1);
      })
    );
  })
);
const logsBody = requestWithRepeatedHeads(w =>
  message(w, 2, () => stringField(w, 3, 'INFO'))
);

const mergedResource = {
  attributes: [
    { key: 'k8s.cluster.name', value: 'prod-eu-1' },
    { key: 'service.name', value: 'checkout' },
  ],
  droppedAttributesCount: 5,
};
const mergedScope = {
  name: 'second-scope',
  version: '1.0.0',
  attributes: [{ key: 'scope.attr', value: 'x' }],
  droppedAttributesCount: 0,
};

describe('a resource and a scope field that come twice', () => {
  it('merge as proto3 says in the metrics decoder', () => {
    const [resourceMetrics] =
      decodeMetricsProtobuf(metricsBody).resourceMetrics;
    expect(resourceMetrics?.resource).toEqual(mergedResource);
    expect(resourceMetrics?.schemaUrl).toBe('https://resource.example/1');
    const [scopeMetrics] = resourceMetrics?.scopeMetrics ?? [];
    expect(scopeMetrics?.scope).toEqual(mergedScope);
    expect(scopeMetrics?.schemaUrl).toBe('https://scope.example/1');
    expect(scopeMetrics?.metrics.map(metric => metric.name)).toEqual(['up']);
  });

  it('merge the same way in the logs decoder', () => {
    const batch = decodeLogsProtobuf(logsBody);
    expect(batch.resources).toHaveLength(1);
    expect(batch.resources[0]).toEqual({
      ...mergedResource,
      schemaUrl: 'https://resource.example/1',
      cluster: '',
    });
    expect(batch.scopes).toEqual([
      { ...mergedScope, resource: 0, schemaUrl: 'https://scope.example/1' },
    ]);
    expect(batch.records.map(record => record.severityText)).toEqual(['INFO']);
  });
});
