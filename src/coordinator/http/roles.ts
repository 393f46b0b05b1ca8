// Who may call what: the one table of roles per route (docs/intake.md, docs/openapi.yaml). Routes
// take their roles from here by key, so a route plugged in later (the batch module's signature
// import) gets the roles decided here and the role-matrix test covers it already.
//
//   intake    an exchange backend or treasury tool that asks for withdrawals
//   officer   a person's tool that hands in signed approvals
//   operator  runs the coordinator: batches, signatures, cancelling
//   auditor   reads everything, changes nothing
import { KuraError } from '../../errors.js';
import { TOKEN_ROLES, type TokenRole } from '../store/index.js';
import type { HttpMethod, RouteCall, RouteDefinition, RouteResult } from './route.js';

const EVERY_ROLE: readonly TokenRole[] = TOKEN_ROLES;

export const ROUTE_ROLES = {
  // Without a token it answers only {"status":"ok"}; any valid token gets the details.
  'GET /v1/health': EVERY_ROLE,
  'POST /v1/withdrawals': ['intake'],
  'GET /v1/withdrawals': EVERY_ROLE,
  'GET /v1/withdrawals/{id}': EVERY_ROLE,
  'POST /v1/withdrawals/{id}/approvals': ['officer'],
  // An intake token may cancel only the requests it submitted itself.
  'POST /v1/withdrawals/{id}/cancel': ['intake', 'operator'],
  'GET /v1/batches/{id}/psbt': ['operator', 'auditor'],
  'POST /v1/batches/{id}/signatures': ['operator'],
} as const satisfies Record<string, readonly TokenRole[]>;

export type RouteKey = keyof typeof ROUTE_ROLES;

/** Routes that answer a call without any token (with less). */
export const ANONYMOUS_ROUTES: readonly RouteKey[] = ['GET /v1/health'];

export function splitRouteKey(key: string): { method: HttpMethod; path: string } {
  const match = /^(GET|POST) (\/\S*)$/.exec(key);
  if (match?.[1] === undefined || match[2] === undefined) {
    throw new KuraError('INTERNAL', `route key ${JSON.stringify(key)} is not "METHOD /path"`);
  }
  return { method: match[1] as HttpMethod, path: match[2] };
}

/** A route whose roles come from ROUTE_ROLES. */
export function route(
  key: RouteKey,
  handle: (call: RouteCall) => RouteResult | Promise<RouteResult>,
): RouteDefinition {
  return {
    ...splitRouteKey(key),
    roles: ROUTE_ROLES[key],
    anonymous: ANONYMOUS_ROUTES.includes(key),
    handle,
  };
}
