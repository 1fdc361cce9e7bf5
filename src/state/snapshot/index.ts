export type {
  ReplicaSnapshot,
  SnapshotTransport,
} from './snapshot-transport.js';
export {
  SnapshotExchange,
  collectByKey,
  type PeerSnapshot,
  type SnapshotCodec,
  type SnapshotExchangeOptions,
} from './snapshot-exchange.js';
export { MemorySnapshotTransport } from './memory-snapshot-transport.js';
export {
  PortSnapshotTransport,
  SnapshotHub,
} from './port-snapshot-transport.js';
