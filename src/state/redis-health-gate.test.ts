import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  RedisHealthGate,
  withDeadline,
  type GatedClient,
  type RedisHealthGateOptions,
  type RedisHealthSettings,
} from './redis-health-gate.js';
import type { StoreHealth } from './state-store.js';

/** Stands in for an ioredis client: a status and the events the gate hears. */
class FakeClient extends EventEmitter implements GatedClient {
  quits = 0;
  disconnects = 0;

  constructor(public status: string) {
    super();
  }

  async quit(): Promise<'OK'> {
    this.quits++;
    this.status = 'end';
    return 'OK';
  }

  disconnect(): void {
    this.disconnects++;
    this.status = 'end';
  }

  /** Drops the connection the way ioredis reports it. */
  fail(message: string): void {
    this.status = 'reconnecting';
    this.emit('error', new Error(message));
    this.emit('close');
  }

  /** Reconnects the way ioredis reports it. */
  reconnect(): void {
    this.status = 'ready';
    this.emit('ready');
  }
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

function defer(): Deferred {
  let resolve: () => void = () => {};
  let reject: (err: Error) => void = () => {};
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets the gate's promise chains (a recovery, a settled call) run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

const answerRemote = (): Promise<string> => Promise.resolve('remote');
const answerLocal = (): Promise<string> => Promise.resolve('local');
const failWith = (message: string) => (): Promise<string> =>
  Promise.reject(new Error(message));

describe('RedisHealthGate', () => {
  const gates: RedisHealthGate[] = [];
  let clockMs = 0;
  let changes: StoreHealth[] = [];
  let recoveries = 0;

  type Overrides = Partial<Omit<RedisHealthGateOptions, 'settings'>> &
    RedisHealthSettings;

  /** A gate on a fake clock whose recovery marks it healthy at once, unless overridden. */
  function open(
    client: FakeClient,
    overrides: Overrides = {}
  ): RedisHealthGate {
    const {
      commandTimeoutMs = 100,
      connectGraceMs = 1000,
      onHealthChange = (health: StoreHealth) => changes.push(health),
      ...options
    } = overrides;
    const gate = new RedisHealthGate({
      client,
      ownsClient: true,
      settings: { commandTimeoutMs, connectGraceMs, onHealthChange },
      nowMs: () => clockMs,
      recover: async markHealthy => {
        recoveries++;
        markHealthy();
      },
      ...options,
    });
    gates.push(gate);
    return gate;
  }

  /** A ready gate that a failed call has just degraded. */
  async function openDegraded(
    overrides: Overrides = {}
  ): Promise<{ gate: RedisHealthGate; client: FakeClient }> {
    const client = new FakeClient('ready');
    const gate = open(client, overrides);
    await gate.call(failWith('LOADING'), answerLocal);
    expect(gate.health()).toEqual({
      degraded: true,
      reason: 'redis: LOADING',
    });
    return { gate, client };
  }

  beforeEach(() => {
    vi.useFakeTimers();
    clockMs = 0;
    changes = [];
    recoveries = 0;
  });

  afterEach(async () => {
    await Promise.all(gates.splice(0).map(gate => gate.close()));
    vi.useRealTimers();
  });

  describe('call()', () => {
    it('answers from Redis and stays healthy while the client is ready', async () => {
      const gate = open(new FakeClient('ready'));
      const local = vi.fn(answerLocal);
      expect(await gate.call(answerRemote, local)).toBe('remote');
      expect(local).not.toHaveBeenCalled();
      expect(gate.health()).toEqual({ degraded: false });
      expect(changes).toEqual([]);
    });

    it('answers locally and degrades with the reason when Redis fails', async () => {
      const gate = open(new FakeClient('ready'));
      expect(await gate.call(failWith('READONLY'), answerLocal)).toBe('local');
      expect(gate.health()).toEqual({
        degraded: true,
        reason: 'redis: READONLY',
      });
      expect(changes).toEqual([gate.health()]);
    });

    it('gives up on Redis after the command timeout plus 250 ms', async () => {
      const gate = open(new FakeClient('ready'), { commandTimeoutMs: 100 });
      expect(gate.callDeadlineMs).toBe(350);
      let answer: string | undefined;
      void gate
        .call(() => new Promise<string>(() => {}), answerLocal)
        .then(value => (answer = value));
      await vi.advanceTimersByTimeAsync(349);
      expect(answer).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      expect(answer).toBe('local');
      expect(gate.health().reason).toBe('redis: no reply within 350 ms');
    });

    it('goes local without trying Redis while the client is not ready', async () => {
      const client = new FakeClient('ready');
      const gate = open(client);
      client.status = 'reconnecting';
      const remote = vi.fn(answerRemote);
      expect(await gate.call(remote, answerLocal)).toBe('local');
      expect(remote).not.toHaveBeenCalled();
      expect(gate.health()).toEqual({
        degraded: true,
        reason: 'redis: not connected (reconnecting)',
      });
    });

    it('gives the last connection error as the reason', async () => {
      const client = new FakeClient('ready');
      const gate = open(client);
      client.fail('connect ECONNREFUSED 127.0.0.1:6379');
      expect(gate.health()).toEqual({
        degraded: true,
        reason: 'redis: connect ECONNREFUSED 127.0.0.1:6379',
      });
      expect(await gate.call(answerRemote, answerLocal)).toBe('local');
      expect(changes).toHaveLength(1);
    });

    it('holds calls until the client is first ready', async () => {
      const client = new FakeClient('connecting');
      const gate = open(client);
      let answer: string | undefined;
      void gate.call(answerRemote, answerLocal).then(value => (answer = value));
      await vi.advanceTimersByTimeAsync(500);
      expect(answer).toBeUndefined();
      client.reconnect();
      await flush();
      expect(answer).toBe('remote');
      expect(gate.health()).toEqual({ degraded: false });
    });

    it('answers locally once the connect grace is over', async () => {
      const gate = open(new FakeClient('connecting'), { connectGraceMs: 1000 });
      let answer: string | undefined;
      void gate.call(answerRemote, answerLocal).then(value => (answer = value));
      await vi.advanceTimersByTimeAsync(999);
      expect(answer).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      expect(answer).toBe('local');
      expect(gate.health()).toEqual({
        degraded: true,
        reason: 'redis: not connected (connecting)',
      });
    });

    it('stops holding calls back once the first connection is refused', async () => {
      const client = new FakeClient('connecting');
      const gate = open(client);
      const answer = gate.call(answerRemote, answerLocal);
      client.fail('connect ECONNREFUSED 127.0.0.1:1');
      expect(await answer).toBe('local');
      expect(gate.health().reason).toBe(
        'redis: connect ECONNREFUSED 127.0.0.1:1'
      );
    });
  });

  describe('probing while degraded', () => {
    it('tries Redis at most once per second while the connection is up', async () => {
      const { gate } = await openDegraded();
      const remote = vi.fn(failWith('LOADING'));

      clockMs = 999;
      expect(await gate.call(remote, answerLocal)).toBe('local');
      expect(remote).not.toHaveBeenCalled();

      clockMs = 1000;
      expect(await gate.call(remote, answerLocal)).toBe('local');
      expect(remote).toHaveBeenCalledTimes(1);

      // The failed probe sets the next one a second later.
      clockMs = 1999;
      expect(await gate.call(remote, answerLocal)).toBe('local');
      expect(remote).toHaveBeenCalledTimes(1);
      expect(recoveries).toBe(0);
    });

    it('recovers after a probe gets through', async () => {
      const { gate } = await openDegraded();
      clockMs = 1000;
      expect(await gate.call(answerRemote, answerLocal)).toBe('remote');
      await flush();
      expect(recoveries).toBe(1);
      expect(gate.health()).toEqual({ degraded: false });
      expect(changes.map(health => health.degraded)).toEqual([true, false]);
    });
  });

  describe('recovery', () => {
    it('runs the owner replay when the client is ready again, then turns healthy', async () => {
      const client = new FakeClient('ready');
      const gate = open(client);
      client.fail('connect ECONNREFUSED 127.0.0.1:6379');
      client.reconnect();
      await flush();
      expect(recoveries).toBe(1);
      expect(gate.health()).toEqual({ degraded: false });
      expect(changes.map(health => health.degraded)).toEqual([true, false]);
    });

    it('answers locally during a replay and stays degraded when it fails', async () => {
      const replay = defer();
      const recover = vi.fn(async () => replay.promise);
      const client = new FakeClient('ready');
      const gate = open(client, { recover });
      client.fail('connect ECONNREFUSED 127.0.0.1:6379');
      client.reconnect();
      client.reconnect();
      await flush();
      // One recovery at a time.
      expect(recover).toHaveBeenCalledTimes(1);

      // Past the probe time too: a replay holds every call back.
      clockMs = 5000;
      const remote = vi.fn(answerRemote);
      expect(await gate.call(remote, answerLocal)).toBe('local');
      expect(remote).not.toHaveBeenCalled();

      replay.reject(new Error('replay failed'));
      await flush();
      expect(gate.health()).toEqual({
        degraded: true,
        reason: 'redis: replay failed',
      });
      expect(changes.map(health => health.degraded)).toEqual([true]);

      // The next 'ready' tries again.
      client.reconnect();
      await flush();
      expect(recover).toHaveBeenCalledTimes(2);
    });

    it('sends calls to Redis as soon as the owner marks the gate healthy', async () => {
      const tail = defer();
      const client = new FakeClient('ready');
      const gate = open(client, {
        recover: async markHealthy => {
          markHealthy();
          // What came in during the replay is replayed after turning healthy.
          await tail.promise;
        },
      });
      client.fail('connect ECONNREFUSED 127.0.0.1:6379');
      client.reconnect();
      await flush();
      expect(gate.health()).toEqual({ degraded: false });
      expect(await gate.call(answerRemote, answerLocal)).toBe('remote');

      tail.reject(new Error('tail replay failed'));
      await flush();
      expect(gate.health()).toEqual({
        degraded: true,
        reason: 'redis: tail replay failed',
      });
      expect(changes.map(health => health.degraded)).toEqual([
        true,
        false,
        true,
      ]);
    });
  });

  describe('onHealthChange', () => {
    it('is told once per change of degraded while the reason follows the last failure', async () => {
      const { gate } = await openDegraded();
      clockMs = 1000;
      await gate.call(failWith('OOM'), answerLocal);
      expect(gate.health().reason).toBe('redis: OOM');
      expect(changes).toEqual([{ degraded: true, reason: 'redis: LOADING' }]);
    });

    it('keeps the gate working when an observer throws', async () => {
      const gate = open(new FakeClient('ready'), {
        onHealthChange: () => {
          throw new Error('observer broke');
        },
      });
      expect(await gate.call(failWith('READONLY'), answerLocal)).toBe('local');
      expect(gate.health().degraded).toBe(true);
      clockMs = 1000;
      expect(await gate.call(answerRemote, answerLocal)).toBe('remote');
      await flush();
      expect(gate.health()).toEqual({ degraded: false });
    });
  });

  describe('close()', () => {
    it('removes its listeners and quits an owned client, once', async () => {
      const client = new FakeClient('ready');
      const gate = open(client);
      await gate.close();
      await gate.close();
      expect(client.eventNames()).toEqual([]);
      expect([client.quits, client.disconnects]).toEqual([1, 1]);
    });

    it('leaves a shared client open', async () => {
      const client = new FakeClient('ready');
      const gate = open(client, { ownsClient: false });
      await gate.close();
      expect(client.eventNames()).toEqual([]);
      expect([client.quits, client.disconnects]).toEqual([0, 0]);
    });

    it('answers later calls locally, without a health change', async () => {
      const gate = open(new FakeClient('ready'));
      await gate.close();
      expect(await gate.call(answerRemote, answerLocal)).toBe('local');
      expect(gate.health()).toEqual({ degraded: false });
      expect(changes).toEqual([]);
    });

    it('releases calls waiting for the first connection', async () => {
      const gate = open(new FakeClient('connecting'));
      const answer = gate.call(answerRemote, answerLocal);
      await gate.close();
      expect(await answer).toBe('local');
    });
  });
});

describe('withDeadline()', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('settles like the promise when it is in time', async () => {
    await expect(withDeadline(Promise.resolve(7), 10)).resolves.toBe(7);
    await expect(
      withDeadline(Promise.reject(new Error('boom')), 10)
    ).rejects.toThrow('boom');
  });

  it('rejects once the deadline passes', async () => {
    const late = withDeadline(new Promise(() => {}), 10);
    const outcome = expect(late).rejects.toThrow('no reply within 10 ms');
    await vi.advanceTimersByTimeAsync(10);
    await outcome;
  });
});
