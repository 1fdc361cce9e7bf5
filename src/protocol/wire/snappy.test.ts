import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GatewayError, GatewayErrorCode } from '../../errors.js';
import * as loaded from './snappy.js';

type SnappyModule = typeof loaded;

async function jsSnappy(): Promise<SnappyModule> {
  vi.stubEnv('FLEETGATE_SNAPPY', 'js');
  vi.resetModules();
  const module = await import('./snappy.js');
  expect(module.SNAPPY_IMPLEMENTATION).toBe('js');
  return module;
}

// The JS implementation is a fresh module graph (vi.resetModules), with its
// own error classes, so errors are recognised by code, not instanceof.
function codeOf(read: () => unknown): GatewayErrorCode | undefined {
  try {
    read();
  } catch (err) {
    return (err as GatewayError).code;
  }
  return undefined;
}

function sameBytes(actual: Uint8Array, expected: Uint8Array): boolean {
  return Buffer.from(
    actual.buffer,
    actual.byteOffset,
    actual.byteLength
  ).equals(expected);
}

afterEach(() => {
  vi.unstubAllEnvs();
});

const CAP = 1 << 20;

function sampleInputs(): Uint8Array[] {
  let seed = 7;
  const random = (): number =>
    (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
  return [
    new Uint8Array(0),
    Uint8Array.of(42),
    new TextEncoder().encode('up{job="node"} '.repeat(5000)),
    Uint8Array.from({ length: 70_000 }, random),
    Uint8Array.from({ length: 100_000 }, (_, i) =>
      i % 300 < 200 ? i & 7 : random()
    ),
  ];
}

describe.each([
  [
    'the loaded implementation',
    (): Promise<SnappyModule> => Promise.resolve(loaded),
  ],
  ['the JavaScript implementation', jsSnappy],
])('snappy with %s', (_, load) => {
  it('round trips blocks, also across implementations', async () => {
    const snappy = await load();
    const js = await jsSnappy();
    for (const input of sampleInputs()) {
      const block = snappy.snappyCompress(input);
      expect(snappy.snappyDeclaredLength(block)).toBe(input.length);
      expect(sameBytes(snappy.snappyUncompress(block, CAP), input)).toBe(true);
      expect(sameBytes(js.snappyUncompress(block, CAP), input)).toBe(true);
      expect(
        sameBytes(snappy.snappyUncompress(js.snappyCompress(input), CAP), input)
      ).toBe(true);
    }
  });

  it('refuses a block that declares more than the cap before decompressing it', async () => {
    const snappy = await load();
    // Declares 4 GiB - 1 and holds nothing.
    const hostile = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f, 0x00);
    expect(codeOf(() => snappy.snappyUncompress(hostile, CAP))).toBe(
      'GW_ERR_PAYLOAD_TOO_LARGE'
    );
    expect(() => snappy.snappyUncompress(hostile, CAP)).toThrow(
      `cannot decompress snappy block: it declares 4294967295 bytes, over the ${CAP}-byte limit`
    );
    const block = snappy.snappyCompress(new Uint8Array(1000));
    expect(codeOf(() => snappy.snappyUncompress(block, 999))).toBe(
      'GW_ERR_PAYLOAD_TOO_LARGE'
    );
    expect(snappy.snappyUncompress(block, 1000)).toHaveLength(1000);
  });

  it.each<[string, number[]]>([
    ['an empty body', []],
    ['a truncated length header', [0x80]],
    [
      'a length header longer than 5 bytes',
      [0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
    ],
    ['fewer bytes than declared', [0x0a, 0x00, 0x61]],
    ['more bytes than declared', [0x01, 0x04, 0x61, 0x62]],
    ['a literal past the block end', [0x05, 0x10, 0x61]],
    ['a truncated long-literal length', [0x05, 0xf0]],
    ['a copy before any output', [0x04, 0x01, 0x01]],
    ['a copy offset past the output', [0x08, 0x00, 0x61, 0x0d, 0x05]],
    ['a truncated copy', [0x08, 0x00, 0x61, 0x0e]],
    [
      'a framed-format stream',
      [0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59],
    ],
  ])('refuses %s with 400', async (_, block) => {
    const snappy = await load();
    const read = (): unknown =>
      snappy.snappyUncompress(Uint8Array.from(block), CAP);
    expect(codeOf(read)).toBe('GW_ERR_INVALID_PAYLOAD');
    expect(read).toThrow(/^cannot decode snappy block: /);
  });

  it('never throws anything but a 400 or 413 on mutated blocks', async () => {
    const snappy = await load();
    const block = snappy.snappyCompress(sampleInputs()[4]!);
    let seed = 99;
    const random = (below: number): number =>
      (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % below;
    for (let i = 0; i < 500; i++) {
      const mutated = block.slice(0, 1 + random(block.length));
      for (let flips = 1 + random(3); flips > 0; flips--) {
        const at = random(mutated.length);
        mutated[at] = mutated[at]! ^ (1 << random(8));
      }
      const code = codeOf(() => snappy.snappyUncompress(mutated, CAP));
      expect([
        undefined,
        'GW_ERR_INVALID_PAYLOAD',
        'GW_ERR_PAYLOAD_TOO_LARGE',
      ]).toContain(code);
    }
  });
});
