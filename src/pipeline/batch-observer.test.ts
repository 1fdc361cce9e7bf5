import { describe, expect, it } from 'vitest';
import {
  notifyObservers,
  notifyRefused,
  type BatchObserver,
  type ObservedWrite,
} from './batch-observer.js';
import { StageTally } from './stage.js';

const WRITE: ObservedWrite = {
  identity: { kind: 'anonymous' },
  protocol: 'otlp',
  receivedAtMs: 1,
  tally: new StageTally(),
  sender: {},
};

describe('notifyObservers()', () => {
  it('gives the caller nothing to await when every observer is synchronous', () => {
    const seen: string[] = [];
    const observers: BatchObserver<string>[] = [
      { name: 'a', observe: batch => void seen.push(`a ${batch}`) },
      { name: 'b', observe: batch => void seen.push(`b ${batch}`) },
    ];
    expect(notifyObservers(observers, 'x', WRITE, () => undefined)).toBe(
      undefined
    );
    expect(seen).toEqual(['a x', 'b x']);
  });

  it('waits for asynchronous observers and reports the ones that fail', async () => {
    const errors: string[] = [];
    let isSlowDone = false;
    const observers: BatchObserver<string>[] = [
      {
        name: 'slow',
        observe: async () => {
          await new Promise(resolve => setTimeout(resolve, 5));
          isSlowDone = true;
        },
      },
      {
        name: 'rejects',
        observe: () => Promise.reject(new Error('cannot reach redis')),
      },
      {
        name: 'throws',
        observe: () => {
          throw new Error('cannot read batch');
        },
      },
    ];
    const pending = notifyObservers(observers, 'x', WRITE, (err, name) =>
      errors.push(`${name}: ${(err as Error).message}`)
    );
    expect(pending).toBeInstanceOf(Promise);
    await pending;
    expect(isSlowDone).toBe(true);
    expect(errors.sort()).toEqual([
      'rejects: cannot reach redis',
      'throws: cannot read batch',
    ]);
  });
});

describe('notifyRefused()', () => {
  it('tells only the observers that hear refusals', () => {
    const heard: string[] = [];
    notifyRefused<string>(
      [
        { name: 'a', observe: () => undefined },
        {
          name: 'b',
          observe: () => undefined,
          refused: (write, reason) =>
            void heard.push(`${reason} at ${write.receivedAtMs}`),
        },
      ],
      WRITE,
      'rate_limited'
    );
    expect(heard).toEqual(['rate_limited at 1']);
  });
});
