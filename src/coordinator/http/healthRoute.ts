// GET /v1/health. Without a token it says only that the coordinator answers (what a load
// balancer's probe needs); with any valid token it adds what an operator looks at: the node's
// state from an injected provider (coin sync plugs in there), how far the store has scanned, and
// requests by state. Counts and heights are business information, so they need a token.
import { isKuraError } from '../../errors.js';
import { queryParams } from './params.js';
import type { RouteDefinition } from './route.js';
import { route } from './roles.js';

/** Reports the node and sync state; whatever it returns is shown under "node". */
export type HealthProvider = () => unknown;

export function healthRoute(provider: HealthProvider | undefined): RouteDefinition {
  return route('GET /v1/health', async (call) => {
    queryParams(call.query, []);
    if (call.auth === null) return { status: 200, json: { status: 'ok' } };
    let node: unknown = { status: 'not configured' };
    if (provider !== undefined) {
      try {
        node = await provider();
      } catch (error) {
        node = isKuraError(error)
          ? { status: 'error', code: error.code, message: error.message }
          : { status: 'error', code: 'INTERNAL', message: 'the health provider failed' };
      }
    }
    const { store } = call.home;
    const meta = store.meta();
    const tip = store.tipBlock();
    return {
      status: 200,
      json: {
        status: 'ok',
        time: call.now,
        network: meta.network,
        walletId: meta.walletId,
        policyHash: meta.policyHash,
        node,
        store: { tip: tip === undefined ? null : { height: tip.height, hash: tip.hash } },
        requests: store.countRequestsByState(),
      },
    };
  });
}
