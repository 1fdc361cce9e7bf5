import { describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../errors.js';
import { ClusterRegistry, sha256Hex } from '../fleet/index.js';
import { Identifier, isLoopbackHost } from './identify.js';

const TOKEN = 'prod-eu-token-0123456789';
const withTokens = new ClusterRegistry([
  {
    name: 'prod-eu',
    region: 'eu',
    env: 'prod',
    team: 't',
    token: TOKEN,
    labels: {},
  },
  {
    name: 'prod-us',
    region: 'us',
    env: 'prod',
    team: 't',
    tokenSha256: sha256Hex('prod-us-token-0123456789'),
    labels: {},
  },
]);
const withoutTokens = new ClusterRegistry([
  { name: 'lab', region: 'eu', env: 'dev', team: 't', labels: {} },
]);

describe('Identifier', () => {
  it('resolves a bearer token to its cluster, plain or sha256', () => {
    const identifier = new Identifier(withTokens, '0.0.0.0');
    expect(identifier.identify(`Bearer ${TOKEN}`)).toMatchObject({
      kind: 'cluster',
      cluster: { name: 'prod-eu' },
    });
    expect(
      identifier.identify('bearer prod-us-token-0123456789')
    ).toMatchObject({ cluster: { name: 'prod-us' } });
  });

  it.each([
    [undefined, /missing bearer token/],
    ['', /missing bearer token/],
    ['Bearer wrong-token-000000000', /unknown bearer token/],
    [`Basic ${TOKEN}`, /want "Bearer <cluster token>"/],
  ])('refuses %j with 401', (header, message) => {
    const identifier = new Identifier(withTokens, '127.0.0.1');
    expect(() => identifier.identify(header)).toThrow(UnauthorizedError);
    expect(() => identifier.identify(header)).toThrow(message);
  });

  it('never puts the presented token in the error', () => {
    const identifier = new Identifier(withTokens, '127.0.0.1');
    try {
      identifier.identify('Bearer secret-guess-123456');
    } catch (err) {
      expect((err as Error).message).not.toContain('secret-guess');
    }
  });

  it('allows anonymous writes only without tokens and on loopback', () => {
    expect(
      new Identifier(withoutTokens, '127.0.0.1').identify(undefined)
    ).toEqual({ kind: 'anonymous' });
    expect(new Identifier(withoutTokens, '::1').identify(undefined)).toEqual({
      kind: 'anonymous',
    });
    expect(() =>
      new Identifier(withoutTokens, '0.0.0.0').identify(undefined)
    ).toThrow(/loopback/);
    expect(() =>
      new Identifier(withTokens, '127.0.0.1').identify(undefined)
    ).toThrow(UnauthorizedError);
  });
});

describe('isLoopbackHost()', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0.0.0.0', false],
    ['', false],
    ['10.0.0.1', false],
    ['::', false],
  ])('%s → %s', (host, want) => {
    expect(isLoopbackHost(host)).toBe(want);
  });
});
