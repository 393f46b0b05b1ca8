// How a request moves by itself: pending → approved once its approvals meet the tier's quorum and
// the tier's delay is over, and pending or approved → expired at its expiresAt. Also cancelling,
// which a client or an operator asks for. Every move goes through the store, which writes its
// audit entry; with `from` set, a move is compare-and-set, so two processes never both move it.
import { isoTime, type Decision } from '../../policy/index.js';
import { KuraError } from '../../errors.js';
import type { CoordinatorHome } from '../home.js';
import type { RequestRecord } from '../store/index.js';
import { checkNow } from './clock.js';
import { decisionFor, withdrawalRequestOf, withdrawalView, type WithdrawalView } from './view.js';

/**
 * Brings one request up to date at `now`: expires it at its expiresAt, approves it when the
 * policy allows it with the approvals stored. Returns the request as it is afterwards.
 */
export function settleRequest(home: CoordinatorHome, record: RequestRecord, now: number): RequestRecord {
  const { store } = home;
  if (record.state !== 'pending_approval' && record.state !== 'approved') return record;
  if (now >= record.expiresAt) {
    return store.setRequestState(record.requestId, 'expired', {
      from: record.state,
      reason: `expired at ${isoTime(record.expiresAt)}`,
    });
  }
  if (record.state === 'approved') return record;
  const request = withdrawalRequestOf(home, record);
  const { decision } = decisionFor(home, request, store.approvalsFor(record.requestId), now);
  return approveIfAllowed(home, record, decision);
}

/** Moves a pending request to approved when the policy's decision on it allows it. */
export function approveIfAllowed(
  home: CoordinatorHome,
  record: RequestRecord,
  decision: Decision,
): RequestRecord {
  if (record.state !== 'pending_approval' || !decision.allowed) return record;
  return home.store.setRequestState(record.requestId, 'approved', {
    from: 'pending_approval',
    reason: `quorum met (${decision.approvedBy.join(', ')}) and delay over`,
  });
}

export interface RefreshResult {
  readonly approved: readonly string[];
  readonly expired: readonly string[];
}

/** No coordinator holds more live requests than this; refresh looks at this many at most. */
const MAX_LIVE_REQUESTS = 100_000;

/**
 * Promotes every pending request whose quorum is met and delay over, and expires every pending
 * or approved request at or past its expiresAt. `kura coordinator serve` calls it every few
 * seconds; every list and show calls it first, so what they print is never stale.
 */
export function refreshRequests(home: CoordinatorHome, now: number): RefreshResult {
  checkNow(now);
  const approved: string[] = [];
  const expired: string[] = [];
  for (const state of ['pending_approval', 'approved'] as const) {
    for (const record of home.store.listRequests({ state, limit: MAX_LIVE_REQUESTS })) {
      const after = settleRequest(home, record, now);
      if (after.state === 'approved' && record.state !== 'approved') approved.push(after.requestId);
      if (after.state === 'expired') expired.push(after.requestId);
    }
  }
  return { approved, expired };
}

/** Who asks to cancel, for the audit entry; `ownClientId` limits them to their own requests. */
export interface CancelBy {
  /** "token tok_… (intake)", "cli", …: recorded in the audit entry. */
  readonly actor: string;
  /** When set, only a request submitted by this client may be cancelled (intake tokens). */
  readonly ownClientId?: string;
}

export interface CancelResult {
  /** False when the request was already cancelled: cancelling twice is not an error. */
  readonly changed: boolean;
  readonly withdrawal: WithdrawalView;
}

/**
 * Cancels a request that is not yet in a batch. A batched request is cancelled by cancelling its
 * batch (which returns it to approved); a rejected or expired one is already final.
 */
export function cancelWithdrawal(
  home: CoordinatorHome,
  requestId: string,
  by: CancelBy,
  now: number,
): CancelResult {
  checkNow(now);
  const { store } = home;
  const found = store.requestById(requestId);
  if (found === undefined) {
    throw new KuraError('COORDINATOR_NOT_FOUND', `no request has "requestId" ${requestId}`, {
      field: 'requestId',
      requestId,
    });
  }
  if (by.ownClientId !== undefined && found.clientId !== by.ownClientId) {
    throw new KuraError(
      'TOKEN_ROLE_FORBIDDEN',
      `request ${requestId} was submitted by another client; an intake token cancels only its own requests`,
      { field: 'requestId', requestId },
    );
  }
  if (found.state === 'cancelled') return { changed: false, withdrawal: withdrawalView(home, found, now) };
  if (found.state !== 'pending_approval' && found.state !== 'approved') {
    const how =
      found.batchId === null
        ? 'it is final'
        : `cancel its batch ${found.batchId} instead, which returns it to approved`;
    throw new KuraError('COORDINATOR_STATE_CONFLICT', `request ${requestId} is ${found.state}; ${how}`, {
      field: 'state',
      requestId,
      state: found.state,
    });
  }
  const cancelled = store.setRequestState(requestId, 'cancelled', {
    from: found.state,
    reason: `cancelled by ${by.actor}`,
  });
  return { changed: true, withdrawal: withdrawalView(home, cancelled, now) };
}
