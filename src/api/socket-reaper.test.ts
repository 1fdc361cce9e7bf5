import type { Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SocketReaper } from './socket-reaper.js';

/** Just what the reaper touches of a socket, recording what it was told. */
function fakeSocket(writable: boolean) {
  const seen = { paused: false, written: [] as string[], destroyed: false };
  const socket = {
    writable,
    pause: () => {
      seen.paused = true;
    },
    write: (text: string) => {
      seen.written.push(text);
      return true;
    },
    destroy: () => {
      seen.destroyed = true;
    },
  };
  return { socket: socket as unknown as Socket, seen };
}

describe('SocketReaper', () => {
  describe('close()', () => {
    it('pauses at once and closes at most 64 sockets per event-loop turn', async () => {
      const reaper = new SocketReaper();
      const sockets = Array.from({ length: 150 }, () => fakeSocket(true));
      for (const { socket } of sockets) reaper.close(socket, 'bye');
      expect(sockets.every(s => s.seen.paused)).toBe(true);
      expect(sockets.filter(s => s.seen.destroyed)).toHaveLength(0);
      const destroyedPerTurn: number[] = [];
      for (let turn = 0; turn < 4; turn++) {
        await nextTurn();
        destroyedPerTurn.push(sockets.filter(s => s.seen.destroyed).length);
      }
      expect(destroyedPerTurn).toEqual([64, 128, 150, 150]);
      expect(sockets.every(s => s.seen.written.join() === 'bye')).toBe(true);
    });

    it('writes its last words only to a socket that is still writable, and starts again after going idle', async () => {
      const reaper = new SocketReaper();
      const gone = fakeSocket(false);
      reaper.close(gone.socket, 'bye');
      await nextTurn();
      expect(gone.seen).toEqual({ paused: true, written: [], destroyed: true });
      const silent = fakeSocket(true);
      reaper.close(silent.socket);
      await nextTurn();
      expect(silent.seen).toEqual({
        paused: true,
        written: [],
        destroyed: true,
      });
    });
  });
});
