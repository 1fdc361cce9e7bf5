import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySnapshotTransport } from './memory-snapshot-transport.js';
import {
  PortSnapshotTransport,
  SnapshotHub,
} from './port-snapshot-transport.js';
import { SnapshotExchange } from './snapshot-exchange.js';

const CODEC = {
  encode: (n: number) => String(n),
  decode: (payload: string) => Number(payload),
};

let ports: MessagePort[] = [];

/** A worker's transport connected to `hub` over a real MessageChannel. */
function worker(hub: SnapshotHub): PortSnapshotTransport {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  hub.connect(port1);
  return new PortSnapshotTransport(port2);
}

afterEach(() => {
  for (const port of ports) port.close();
  ports = [];
});

describe('PortSnapshotTransport with SnapshotHub', () => {
  it("lets every worker's exchange read the others' snapshots", async () => {
    const hub = new SnapshotHub(new MemorySnapshotTransport());
    const exchanges = ['w0', 'w1'].map(
      id =>
        new SnapshotExchange({
          transport: worker(hub),
          kind: 'counts',
          replicaId: id,
          codec: CODEC,
          what: 'count',
        })
    );
    await exchanges[0]!.publish(3, 1000, 10);
    await exchanges[1]!.publish(4, 1000, 20);
    expect(await exchanges[0]!.readPeers(30)).toEqual([
      { replicaId: 'w1', publishedAtMs: 20, snapshot: 4 },
    ]);
    expect((await exchanges[1]!.read(30)).map(p => p.snapshot)).toEqual([3, 4]);
  });

  it("passes the backing transport's refusal back to the worker", async () => {
    const transport = worker(new SnapshotHub(new MemorySnapshotTransport()));
    await expect(
      transport.publishSnapshot('counts', 'w0', '1', 0, 0)
    ).rejects.toThrow(
      'cannot publish a snapshot: ttlMs must be a finite number > 0, got 0'
    );
  });

  it('fails pending and later calls once closed', async () => {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    // No hub on port1: the read stays pending until the close.
    const transport = new PortSnapshotTransport(port2);
    const pending = transport.readSnapshots('counts', 0);
    transport.close();
    await expect(pending).rejects.toThrow(
      'cannot finish a snapshot call: the transport was closed'
    );
    await expect(transport.readSnapshots('counts', 0)).rejects.toThrow(
      'cannot read a snapshot: the port is closed'
    );
  });
});
