import { describe, expect, it } from 'vitest';
import {
  ExportLogsServiceResponse,
  ExportMetricsServiceResponse,
  RpcStatus,
  referenceToObject,
} from '../../../test/helpers/otlp-reference.js';
import {
  encodeExportLogsResponse,
  encodeExportMetricsResponse,
  encodeRpcStatus,
} from './export-response.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('encodeExportMetricsResponse()', () => {
  it('leaves partial_success unset on full success', () => {
    expect(encodeExportMetricsResponse(0, '', 'protobuf')).toEqual(
      new Uint8Array(0)
    );
    expect(text(encodeExportMetricsResponse(0, '', 'json'))).toBe('{}');
  });

  it('encodes rejected points and the message in protobuf', () => {
    const bytes = encodeExportMetricsResponse(
      3,
      'metric "x" has no name; ünïcode',
      'protobuf'
    );
    expect(referenceToObject(ExportMetricsServiceResponse, bytes)).toEqual({
      partialSuccess: {
        rejectedDataPoints: '3',
        errorMessage: 'metric "x" has no name; ünïcode',
      },
    });
  });

  it('encodes a warning (rejected 0 with a message)', () => {
    const bytes = encodeExportMetricsResponse(0, 'careful', 'protobuf');
    expect(referenceToObject(ExportMetricsServiceResponse, bytes)).toEqual({
      partialSuccess: { rejectedDataPoints: '0', errorMessage: 'careful' },
    });
    expect(text(encodeExportMetricsResponse(0, 'careful', 'json'))).toBe(
      '{"partialSuccess":{"errorMessage":"careful"}}'
    );
  });

  it('writes int64 counts as decimal strings in JSON', () => {
    expect(
      JSON.parse(text(encodeExportMetricsResponse(3, 'bad', 'json')))
    ).toEqual({
      partialSuccess: { rejectedDataPoints: '3', errorMessage: 'bad' },
    });
  });

  it('encodes counts beyond 32 bits', () => {
    const bytes = encodeExportMetricsResponse(2 ** 40, '', 'protobuf');
    expect(
      referenceToObject(ExportMetricsServiceResponse, bytes)
    ).toMatchObject({
      partialSuccess: { rejectedDataPoints: String(2 ** 40) },
    });
  });

  it('encodes a message longer than 127 bytes', () => {
    const message = 'x'.repeat(5000);
    const bytes = encodeExportMetricsResponse(1, message, 'protobuf');
    expect(
      referenceToObject(ExportMetricsServiceResponse, bytes)
    ).toMatchObject({ partialSuccess: { errorMessage: message } });
  });
});

describe('encodeExportLogsResponse()', () => {
  it('uses rejected_log_records', () => {
    const bytes = encodeExportLogsResponse(7, 'dropped', 'protobuf');
    expect(referenceToObject(ExportLogsServiceResponse, bytes)).toEqual({
      partialSuccess: { rejectedLogRecords: '7', errorMessage: 'dropped' },
    });
    expect(text(encodeExportLogsResponse(7, 'dropped', 'json'))).toBe(
      '{"partialSuccess":{"rejectedLogRecords":"7","errorMessage":"dropped"}}'
    );
    expect(text(encodeExportLogsResponse(0, '', 'json'))).toBe('{}');
  });
});

describe('encodeRpcStatus()', () => {
  it('encodes code and message in protobuf', () => {
    const bytes = encodeRpcStatus(
      3,
      'cannot decode OTLP metrics: truncated',
      'protobuf'
    );
    expect(referenceToObject(RpcStatus, bytes)).toEqual({
      code: 3,
      message: 'cannot decode OTLP metrics: truncated',
      details: [],
    });
  });

  it('encodes a negative code', () => {
    expect(
      referenceToObject(RpcStatus, encodeRpcStatus(-1, '', 'protobuf'))
    ).toMatchObject({ code: -1 });
  });

  it('encodes JSON', () => {
    expect(JSON.parse(text(encodeRpcStatus(8, 'slow down', 'json')))).toEqual({
      code: 8,
      message: 'slow down',
    });
  });
});
