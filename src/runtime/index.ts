export {
  buildForwarding,
  closeForwarding,
  type Forwarding,
  type ForwardingDeps,
} from './build-forwarding.js';
export {
  buildGeneration,
  type Generation,
  type GenerationParts,
} from './build-generation.js';
export {
  createGatewayState,
  type GatewayState,
  type GatewayStateDeps,
} from './gateway-state.js';
export { gatewayReadiness } from './gateway-readiness.js';
export {
  GenerationSwitch,
  type GenerationSwitchDeps,
} from './generation-switch.js';
