import { describe, expect, it } from 'vitest';
import { UnsupportedMediaTypeError } from '../../errors.js';
import {
  REMOTE_WRITE_CONTENT_TYPES,
  remoteWriteVersionOf,
} from './content-type.js';

describe('remoteWriteVersionOf()', () => {
  it.each<[string | undefined, 'v1' | 'v2']>([
    [undefined, 'v1'],
    ['', 'v1'],
    ['application/x-protobuf', 'v1'],
    ['application/x-protobuf;proto=prometheus.WriteRequest', 'v1'],
    ['application/x-protobuf;proto=io.prometheus.write.v2.Request', 'v2'],
    ['Application/X-Protobuf; Proto = io.prometheus.write.v2.request ', 'v2'],
    ['application/x-protobuf ;proto="io.prometheus.write.v2.Request"', 'v2'],
    [
      'application/x-protobuf; charset=utf-8; proto=io.prometheus.write.v2.Request',
      'v2',
    ],
    ['application/x-protobuf;', 'v1'],
    [
      'application/x-protobuf;proto=prometheus.WriteRequest;proto=prometheus.WriteRequest',
      'v1',
    ],
    [REMOTE_WRITE_CONTENT_TYPES.v1, 'v1'],
    [REMOTE_WRITE_CONTENT_TYPES.v2, 'v2'],
  ])('reads %j as %s', (contentType, version) => {
    expect(remoteWriteVersionOf(contentType)).toBe(version);
  });

  it.each([
    'application/json',
    'text/plain',
    'application/x-protobuf2',
    'application/x-protobuf;proto=io.prometheus.write.v3.Request',
    'application/x-protobuf;proto=',
    'application/x-protobuf;proto=prometheus.WriteRequest;proto=io.prometheus.write.v2.Request',
    'application/protobuf;proto=io.prometheus.write.v2.Request',
  ])(
    'refuses %j with 415, naming what it got and what it accepts',
    contentType => {
      let error: unknown;
      try {
        remoteWriteVersionOf(contentType);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
      const { message, httpStatus } = error as UnsupportedMediaTypeError;
      expect(httpStatus).toBe(415);
      expect(message).toContain(
        `cannot accept content type ${JSON.stringify(contentType)}`
      );
      expect(message).toContain(
        'application/x-protobuf;proto=prometheus.WriteRequest'
      );
      expect(message).toContain(
        'application/x-protobuf;proto=io.prometheus.write.v2.Request'
      );
    }
  );

  it('shortens a huge header in the message', () => {
    expect(() => remoteWriteVersionOf(`text/${'x'.repeat(10_000)}`)).toThrow(
      /x…": remote write accepts/
    );
  });
});
