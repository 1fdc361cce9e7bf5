/**
 * Tests that need a real peer (the machine's Redis, kubectl, ...) skip when it
 * is missing on a developer's machine, but under CI=true a missing peer fails
 * the run: CI installs every peer, so a skip there would pass silently with
 * the test never run.
 */
import { connect } from 'node:net';
import { describe, it } from 'vitest';

/** What to do with a test whose peer may be missing. */
export type PeerGate = 'run' | 'skip' | 'fail';

type Env = Readonly<Record<string, string | undefined>>;

/** Whether the environment says this is CI (CI=true or CI=1, as CI services set it). */
export function isCi(env: Env = process.env): boolean {
  return env['CI'] === 'true' || env['CI'] === '1';
}

/** Runs with the peer; without it, fails under CI and skips elsewhere. */
export function peerGate(
  isAvailable: boolean,
  env: Env = process.env
): PeerGate {
  if (isAvailable) return 'run';
  return isCi(env) ? 'fail' : 'skip';
}

/** A test that fails, saying which peer is missing. */
function itFailsWithoutPeer(peer: string, name: string): void {
  it(name, () => {
    throw new Error(
      `cannot run without ${peer}: it is not available, and under CI=true a missing peer fails instead of skipping`
    );
  });
}

/** `describe`, gated on a peer (see peerGate). */
export function describeWithPeer(
  peer: string,
  isAvailable: boolean,
  env: Env = process.env
): (name: string, body: () => void) => void {
  const gate = peerGate(isAvailable, env);
  return (name, body) => {
    if (gate === 'fail')
      describe(name, () => itFailsWithoutPeer(peer, `finds ${peer}`));
    else (gate === 'run' ? describe : describe.skip)(name, body);
  };
}

/** `it`, gated on a peer (see peerGate). */
export function itWithPeer(
  peer: string,
  isAvailable: boolean,
  env: Env = process.env
): (name: string, body: () => unknown) => void {
  const gate = peerGate(isAvailable, env);
  return (name, body) => {
    if (gate === 'fail') itFailsWithoutPeer(peer, name);
    else (gate === 'run' ? it : it.skip)(name, body);
  };
}

/** Whether something accepts TCP connections on host:port within `timeoutMs`. */
export function isTcpReachable(
  host: string,
  port: number,
  timeoutMs = 1000
): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (isUp: boolean): void => {
      socket.destroy();
      resolve(isUp);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
