/**
 * The `server:` keys that bound connections (issue #11.3): their defaults,
 * and the errors that name a bad value's key.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { defaultConfig, parseConfig } from './load-config.js';

function issuesOf(serverYaml: string): readonly string[] {
  try {
    parseConfig(`server:\n${serverYaml}`, {});
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
}

describe('server connection keys', () => {
  it('default to bounds that fit Prometheus and OTel senders', () => {
    const { server } = defaultConfig();
    expect(server.max_connections).toBe(4096);
    expect(server.max_connections_per_source).toBe(512);
    expect(server.headers_timeout).toBe(10_000);
    expect(server.body_timeout).toBe(10_000);
    expect(server.min_body_rate).toBe(8192);
    expect(server.idle_timeout).toBe(65_000);
  });

  it('reads durations, and 0 as "no cap" for the connection counts', () => {
    const { server } = parseConfig(
      `server:
  max_connections: 0
  max_connections_per_source: 0
  headers_timeout: 2s
  body_timeout: 1500ms
  min_body_rate: 1000
  idle_timeout: 1m
`,
      {}
    );
    expect(server).toMatchObject({
      max_connections: 0,
      max_connections_per_source: 0,
      headers_timeout: 2000,
      body_timeout: 1500,
      min_body_rate: 1000,
      idle_timeout: 60_000,
    });
  });

  it.each([
    ['  max_connections: -1\n', 'server.max_connections'],
    ['  max_connections: 1.5\n', 'server.max_connections'],
    ['  max_connections_per_source: -2\n', 'server.max_connections_per_source'],
    [
      '  headers_timeout: 0s\n',
      'server.headers_timeout: want a duration above 0',
    ],
    ['  body_timeout: soon\n', 'server.body_timeout: invalid duration "soon"'],
    ['  idle_timeout: 0ms\n', 'server.idle_timeout: want a duration above 0'],
    [
      '  idle_timeout: 25d\n',
      'server.idle_timeout: want a duration above 0 and at most 24d',
    ],
    ['  min_body_rate: 0\n', 'server.min_body_rate'],
    ['  max_connection: 10\n', 'max_connection'],
  ])('refuses %j, naming %s', (yaml, want) => {
    const issues = issuesOf(yaml);
    expect(issues.join('\n')).toContain(want);
  });
});
