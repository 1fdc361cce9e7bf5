/** One registered cluster and its token, for the route tests. */
import { ClusterRegistry } from '../../src/fleet/index.js';

export const PROD_EU_TOKEN = 'prod-eu-token-0123456789';

export function prodEuRegistry(): ClusterRegistry {
  return new ClusterRegistry([
    {
      name: 'prod-eu',
      region: 'eu-west-1',
      env: 'prod',
      team: 'payments',
      token: PROD_EU_TOKEN,
      labels: {},
    },
  ]);
}
