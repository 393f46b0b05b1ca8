// The withdrawal routes: thin adapters from HTTP to the request service (src/coordinator/intake).
import { KuraError } from '../../errors.js';
import {
  cancelWithdrawal,
  listWithdrawals,
  MAX_LIST_LIMIT,
  parseRequestId,
  parseStateFilter,
  parseWithdrawalBody,
  rejectionError,
  showWithdrawal,
  submitApproval,
  type WithdrawalSubmissions,
} from '../intake/index.js';
import type { Authenticated } from '../tokens.js';
import { integerParam, queryParams } from './params.js';
import type { RouteCall, RouteDefinition, RouteResult } from './route.js';
import { route } from './roles.js';

/** Routes with roles never run without a token; this says so to the type checker. */
function caller(call: RouteCall): Authenticated {
  if (call.auth === null) throw new KuraError('TOKEN_MISSING', 'no "Authorization: Bearer" token was given');
  return call.auth;
}

/** POST /v1/withdrawals: one new withdrawal, stored by the server's group commit. */
function withdrawalSubmission(submissions: WithdrawalSubmissions) {
  return async (call: RouteCall): Promise<RouteResult> => {
    const auth = caller(call);
    queryParams(call.query, []);
    const idempotencyKey = call.header('idempotency-key');
    if (idempotencyKey === undefined) {
      throw new KuraError(
        'REQUEST_INVALID',
        '"Idempotency-Key" header is required: a key of your choice that names this withdrawal',
        { field: 'Idempotency-Key' },
      );
    }
    const body = parseWithdrawalBody(await call.json());
    const result = await submissions.submit({ clientId: auth.tokenId, idempotencyKey, body }, call.now, auth);
    const rejected = rejectionError(result.withdrawal);
    if (rejected !== undefined) throw rejected;
    return {
      status: result.created ? 201 : 200,
      json: { withdrawal: result.withdrawal },
      headers: { Location: `/v1/withdrawals/${result.withdrawal.requestId}` },
    };
  };
}

/** `submissions` stores new withdrawals; the server keeps one for its lifetime (group commit). */
export function intakeRoutes(submissions: WithdrawalSubmissions): RouteDefinition[] {
  return [
    {
      // The group commit confirms the token inside its transaction (server.ts may skip the read).
      confirmsToken: true,
      ...route('POST /v1/withdrawals', withdrawalSubmission(submissions)),
    },

    route('GET /v1/withdrawals', (call) => {
      const params = queryParams(call.query, ['state', 'limit']);
      const state = params.get('state');
      const limit = params.get('limit');
      const withdrawals = listWithdrawals(
        call.home,
        {
          ...(state === undefined ? {} : { state: parseStateFilter(state) }),
          ...(limit === undefined ? {} : { limit: integerParam(limit, 'limit', 1, MAX_LIST_LIMIT) }),
        },
        call.now,
      );
      return { status: 200, json: { withdrawals } };
    }),

    route('GET /v1/withdrawals/{id}', (call) => {
      queryParams(call.query, []);
      const requestId = parseRequestId(call.params.id);
      return { status: 200, json: { withdrawal: showWithdrawal(call.home, requestId, call.now) } };
    }),

    route('POST /v1/withdrawals/{id}/approvals', async (call) => {
      queryParams(call.query, []);
      const requestId = parseRequestId(call.params.id);
      const result = submitApproval(call.home, await call.json(), call.now, { requestId });
      return { status: result.added ? 201 : 200, json: result };
    }),

    route('POST /v1/withdrawals/{id}/cancel', (call) => {
      const auth = caller(call);
      queryParams(call.query, []);
      const requestId = parseRequestId(call.params.id);
      const result = cancelWithdrawal(
        call.home,
        requestId,
        {
          actor: `token ${auth.tokenId} (${auth.role})`,
          ...(auth.role === 'intake' ? { ownClientId: auth.tokenId } : {}),
        },
        call.now,
      );
      return { status: 200, json: result };
    }),
  ];
}
