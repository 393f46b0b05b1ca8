// Officers' approvals arriving at the coordinator (HTTP or `kura approval submit FILE`): parsed,
// verified against the stored request, checked to be by an officer of the policy and still
// counting, stored, and the request re-evaluated. Nothing is stored unless every check passes.
import { isoTime } from '../../policy/index.js';
import { parseApproval, verifyApproval } from '../../approvals/approval.js';
import { KuraError } from '../../errors.js';
import { MAX_CLOCK_SKEW_SECONDS } from '../../policy/quorum.js';
import { faultPoint } from '../faults.js';
import type { CoordinatorHome } from '../home.js';
import { checkNow } from './clock.js';
import { settleRequest } from './lifecycle.js';
import { withdrawalRequestOf, withdrawalView, type WithdrawalView } from './view.js';

export interface ApprovalResult {
  /** False when this exact approval was already stored: submitting it again changes nothing. */
  readonly added: boolean;
  readonly withdrawal: WithdrawalView;
}

/**
 * Takes an approval file's JSON. `requestId`, when given (the HTTP path), must be the request the
 * approval names. Refusals, in the order checked: APPROVAL_INVALID (shape), COORDINATOR_NOT_FOUND
 * (no such request), APPROVAL_MISMATCH (another wallet, request or content),
 * APPROVAL_SIGNATURE_INVALID (forged), APPROVAL_OFFICER_UNKNOWN (a key that is no officer's),
 * APPROVAL_EXPIRED (dated in the future, no longer counting, or the request is past its time),
 * COORDINATOR_STATE_CONFLICT (the request is no longer pending: a genuine approval that came too
 * late), COORDINATOR_DUPLICATE (the officer already approved with another signature or time).
 */
export function submitApproval(
  home: CoordinatorHome,
  json: unknown,
  now: number,
  options: { readonly requestId?: string } = {},
): ApprovalResult {
  checkNow(now);
  const approval = parseApproval(json);
  if (options.requestId !== undefined && approval.requestId !== options.requestId) {
    throw new KuraError(
      'APPROVAL_MISMATCH',
      `approval "requestId" ${approval.requestId} is not the request ${options.requestId} it was sent to`,
      { field: 'requestId', approval: approval.requestId, request: options.requestId },
    );
  }
  const { store } = home;
  const record = store.requestById(approval.requestId);
  if (record === undefined) {
    throw new KuraError('COORDINATOR_NOT_FOUND', `no request has "requestId" ${approval.requestId}`, {
      field: 'requestId',
      requestId: approval.requestId,
    });
  }
  const stored = store
    .approvalsFor(record.requestId)
    .find((a) => a.officerPublicKey === approval.officerPublicKey);
  if (
    stored !== undefined &&
    stored.signature === approval.signature &&
    stored.approvedAt === approval.approvedAt
  ) {
    // Already verified and stored: a retry after a lost response, whatever the state is now.
    return { added: false, withdrawal: withdrawalView(home, record, now) };
  }
  const request = withdrawalRequestOf(home, record);
  const verified = verifyApproval(approval, request);
  const { policy } = home.policy;
  const officer = policy.officers.find((o) => o.publicKey === verified.officerPublicKey);
  if (officer === undefined) {
    throw new KuraError(
      'APPROVAL_OFFICER_UNKNOWN',
      `approval "officerPublicKey" ${verified.officerPublicKey} is not an officer of the policy`,
      { field: 'officerPublicKey', officerPublicKey: verified.officerPublicKey },
    );
  }
  if (verified.approvedAt > now + MAX_CLOCK_SKEW_SECONDS) {
    throw new KuraError(
      'APPROVAL_EXPIRED',
      `approval "approvedAt" ${isoTime(verified.approvedAt)} is in the future (now ${isoTime(now)})`,
      { field: 'approvedAt', approvedAt: verified.approvedAt, now },
    );
  }
  const countsUntil = verified.approvedAt + policy.approvalExpirySeconds;
  if (now >= countsUntil) {
    throw new KuraError(
      'APPROVAL_EXPIRED',
      `approval "approvedAt" ${isoTime(verified.approvedAt)} counted until ${isoTime(countsUntil)} (approvalExpirySeconds ${policy.approvalExpirySeconds})`,
      { field: 'approvedAt', approvedAt: verified.approvedAt, countsUntil },
    );
  }
  // Only a pending request takes approvals: one that is approved already would have its delay
  // restarted by a late approval under the policy's "after the last approval" rule.
  if (record.state !== 'pending_approval') {
    throw new KuraError(
      'COORDINATOR_STATE_CONFLICT',
      `request ${record.requestId} is ${record.state}; only a request pending approval takes approvals`,
      { field: 'state', requestId: record.requestId, state: record.state },
    );
  }
  if (now >= record.expiresAt) {
    throw new KuraError('APPROVAL_EXPIRED', `request "expiresAt" ${isoTime(record.expiresAt)} has passed`, {
      field: 'expiresAt',
      expiresAt: record.expiresAt,
    });
  }
  // Storing and re-evaluating commit together: the request never sits with a quorum it has not
  // been promoted for, nor promoted on an approval that was rolled back.
  const after = store.atomically(() => {
    store.addApproval({
      requestId: record.requestId,
      officerPublicKey: verified.officerPublicKey,
      approvedAt: verified.approvedAt,
      signature: approval.signature,
    });
    const current = store.requestById(record.requestId) ?? record;
    return settleRequest(home, current, now);
  });
  faultPoint('approval-stored');
  return { added: true, withdrawal: withdrawalView(home, after, now) };
}
