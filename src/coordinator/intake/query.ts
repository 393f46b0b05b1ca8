// Reading requests: one by id, or a list by state. Both bring requests up to date first
// (refreshRequests), so a request whose delay ended or whose time ran out is shown as it is now.
import { KuraError } from '../../errors.js';
import type { CoordinatorHome } from '../home.js';
import { REQUEST_STATES, type RequestState } from '../store/index.js';
import { checkNow } from './clock.js';
import { refreshRequests } from './lifecycle.js';
import { withdrawalView, type WithdrawalView } from './view.js';

/** A page of a list holds at most this many requests (oldest first). */
export const MAX_LIST_LIMIT = 1000;

/** A request id: 32 bytes of lowercase hex, as the coordinator makes them. */
export function parseRequestId(value: unknown, field = 'requestId'): string {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) {
    throw new KuraError('ARGUMENT_INVALID', `"${field}" must be a request id: 32 bytes of lowercase hex`, {
      field,
    });
  }
  return value;
}

export function parseStateFilter(value: unknown, field = 'state'): RequestState {
  if (typeof value !== 'string' || !(REQUEST_STATES as readonly string[]).includes(value)) {
    throw new KuraError('ARGUMENT_INVALID', `"${field}" must be one of ${REQUEST_STATES.join(', ')}`, {
      field,
    });
  }
  return value as RequestState;
}

export function showWithdrawal(home: CoordinatorHome, requestId: string, now: number): WithdrawalView {
  checkNow(now);
  parseRequestId(requestId);
  // Looked up before the refresh, so that a refusal changes nothing.
  const found = home.store.requestById(requestId);
  if (found === undefined) {
    throw new KuraError('COORDINATOR_NOT_FOUND', `no request has "requestId" ${requestId}`, {
      field: 'requestId',
      requestId,
    });
  }
  refreshRequests(home, now);
  return withdrawalView(home, home.store.requestById(requestId) ?? found, now);
}

export interface ListQuery {
  readonly state?: RequestState;
  /** 1 to MAX_LIST_LIMIT; default MAX_LIST_LIMIT. */
  readonly limit?: number;
}

/** Requests oldest first, optionally of one state. */
export function listWithdrawals(home: CoordinatorHome, query: ListQuery, now: number): WithdrawalView[] {
  checkNow(now);
  const limit = query.limit ?? MAX_LIST_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new KuraError('ARGUMENT_INVALID', `"limit" must be an integer from 1 to ${MAX_LIST_LIMIT}`, {
      field: 'limit',
    });
  }
  refreshRequests(home, now);
  const records = home.store.listRequests({
    ...(query.state === undefined ? {} : { state: query.state }),
    limit,
  });
  return records.map((r) => withdrawalView(home, r, now));
}
