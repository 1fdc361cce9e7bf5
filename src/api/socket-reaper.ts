/**
 * Closes sockets a few at a time. Node expires every timed-out connection in
 * one check, so 2,000 idle connections opened together time out together;
 * destroying them all in that tick held the event loop for 250-600 ms on a
 * 2-core machine, and in batches of 64 per turn for under 100 ms.
 */
import type { Socket } from 'node:net';

/** Sockets closed per event-loop turn. */
const SOCKETS_PER_TURN = 64;

export class SocketReaper {
  private readonly _queue: { socket: Socket; lastWords: string | undefined }[] =
    [];
  private _isScheduled = false;

  /**
   * Stops reading `socket` now and closes it within a few turns, after
   * writing `lastWords` (a raw HTTP answer) if it is still writable.
   */
  close(socket: Socket, lastWords?: string): void {
    socket.pause();
    this._queue.push({ socket, lastWords });
    if (!this._isScheduled) {
      this._isScheduled = true;
      setImmediate(this._drain);
    }
  }

  private readonly _drain = (): void => {
    const batch = this._queue.splice(0, SOCKETS_PER_TURN);
    for (const { socket, lastWords } of batch) {
      if (lastWords !== undefined && socket.writable) socket.write(lastWords);
      socket.destroy();
    }
    if (this._queue.length > 0) setImmediate(this._drain);
    else this._isScheduled = false;
  };
}
