/**
 * The registry and options the normalization tests share (series labels in
 * normalize-labels.test.ts, log resources in logs/log-normalizer.test.ts):
 * the same two clusters, so both show the same rule on the same data.
 */
import { defaultConfig } from '../../src/config/index.js';
import { ClusterRegistry } from '../../src/fleet/index.js';
import type { Identity } from '../../src/pipeline/identify.js';
import type { NormalizeOptions } from '../../src/pipeline/canonical-label-resolver.js';

/** prod-eu (with a token, no extra labels) and dev-us (extra label tier=gold, empty team). */
export const normalizeRegistry = new ClusterRegistry([
  {
    name: 'prod-eu',
    region: 'eu-west-1',
    env: 'prod',
    team: 'payments',
    token: 'prod-eu-token-0123456789',
    labels: {},
  },
  {
    name: 'dev-us',
    region: 'us-east-1',
    env: 'dev',
    team: '',
    labels: { tier: 'gold' },
  },
]);

/** The default aliases, and `unknown` for anonymous data that names no cluster. */
export const normalizeOptions: NormalizeOptions = {
  aliases: defaultConfig().normalize.aliases,
  unknownCluster: 'unknown',
};

/** A sender holding prod-eu's token. */
export const prodEuIdentity: Identity = {
  kind: 'cluster',
  cluster: normalizeRegistry.byName('prod-eu')!,
};

/** A sender holding dev-us's token. */
export const devUsIdentity: Identity = {
  kind: 'cluster',
  cluster: normalizeRegistry.byName('dev-us')!,
};
