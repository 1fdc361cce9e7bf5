export {
  ClusterRegistry,
  sha256Hex,
  UNSET_LABEL_VALUE,
  type RegisteredCluster,
} from './cluster-registry.js';
