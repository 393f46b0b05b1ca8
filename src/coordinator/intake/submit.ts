// Intake of a withdrawal request: the client's body, checked for the wallet's network and against
// the policy at once. A request the policy refuses is still stored (as rejected, with every
// reason) so that a retry with the same idempotency key gets the same answer; a request that only
// lacks approvals waits for them in pending_approval.
import { bytesToHex } from '@noble/hashes/utils.js';
import { destinationScript, type WithdrawalRequest } from '../../approvals/request.js';
import { KuraError } from '../../errors.js';
import { evaluateRequest, PENDING_APPROVAL_CODES, refusalError, tierFor } from '../../policy/index.js';
import { faultPoint } from '../faults.js';
import type { CoordinatorHome } from '../home.js';
import type { RequestRecord } from '../store/index.js';
import { parseClientKey, withdrawalBodySha256, type WithdrawalBody } from './body.js';
import { checkNow } from './clock.js';
import { newRequestId } from './requestId.js';
import { approveIfAllowed } from './lifecycle.js';
import { newRequestView, withdrawalView, type WithdrawalView } from './view.js';

/** The rolling window of the policy's limits. */
export const ROLLING_WINDOW_SECONDS = 24 * 60 * 60;
/** A request that expires within a minute could not be approved by anyone. */
export const MIN_REQUEST_LIFETIME_SECONDS = 60;

export interface SubmitInput {
  /** Who submits: the API token's id, or "cli". Idempotency keys are per client. */
  readonly clientId: string;
  readonly idempotencyKey: string;
  readonly body: WithdrawalBody;
}

export interface SubmitResult {
  /** False when this client already submitted this body under this key: nothing was written. */
  readonly created: boolean;
  readonly withdrawal: WithdrawalView;
}

/** The refusal stored with a rejected request, and what a retry is answered with. */
export interface StoredRefusal {
  readonly code: string;
  readonly message: string;
  readonly reasons: readonly { code: string; field: string; message: string }[];
}

function conflict(idempotencyKey: string, existing: RequestRecord): KuraError {
  return new KuraError(
    'COORDINATOR_IDEMPOTENCY_CONFLICT',
    `"Idempotency-Key" ${JSON.stringify(idempotencyKey)} was already used for another request body`,
    { field: 'Idempotency-Key', requestId: existing.requestId },
  );
}

/** The request's lifetime: the client's, or the policy's approval window, never longer. */
function lifetimeOf(home: CoordinatorHome, body: WithdrawalBody): number {
  const { policy } = home.policy;
  const max = policy.approvalExpirySeconds;
  const lifetime = body.expiresInSeconds ?? max;
  if (lifetime < MIN_REQUEST_LIFETIME_SECONDS || lifetime > max) {
    throw new KuraError(
      'REQUEST_INVALID',
      `"expiresInSeconds" must be from ${MIN_REQUEST_LIFETIME_SECONDS} to ${max} (the policy's approvalExpirySeconds)`,
      { field: 'expiresInSeconds', min: MIN_REQUEST_LIFETIME_SECONDS, max },
    );
  }
  const tier = tierFor(policy, body.amountSat);
  if (tier !== null && tier.tier.delaySeconds >= lifetime) {
    throw new KuraError(
      'REQUEST_INVALID',
      `"expiresInSeconds" ${lifetime} is not longer than tier ${tier.index}'s delay of ${tier.tier.delaySeconds} s: the request would expire before it could be signed`,
      { field: 'expiresInSeconds', delaySeconds: tier.tier.delaySeconds },
    );
  }
  return lifetime;
}

/**
 * Submits a withdrawal request. The same client, key and body again returns the stored request
 * (created: false) without evaluating anything; the same key with another body is
 * COORDINATOR_IDEMPOTENCY_CONFLICT. A destination of another network is ADDRESS_INVALID and
 * stores nothing. Otherwise the request is stored: pending_approval when the policy only wants
 * approvals (or approved at once, for a tier that needs none), rejected with every reason when
 * it refuses anything else. Callers turn a rejected result into its refusal with rejectionError.
 */
export function submitWithdrawal(home: CoordinatorHome, input: SubmitInput, now: number): SubmitResult {
  const result = storeWithdrawal(home, input, now);
  if (result.created) faultPoint('request-stored');
  return result;
}

/**
 * submitWithdrawal without the crash-test fault point, for callers that commit it inside a larger
 * transaction (the group commit of submissions.ts), which fire the point after their own commit.
 */
export function storeWithdrawal(home: CoordinatorHome, input: SubmitInput, now: number): SubmitResult {
  checkNow(now);
  const clientId = parseClientKey(input.clientId, 'clientId');
  const idempotencyKey = parseClientKey(input.idempotencyKey, 'Idempotency-Key');
  const { body } = input;
  const bodySha256 = withdrawalBodySha256(body);
  const { store } = home;
  const replay = (existing: RequestRecord): SubmitResult => {
    if (existing.bodySha256 !== bodySha256) throw conflict(idempotencyKey, existing);
    return { created: false, withdrawal: withdrawalView(home, existing, now) };
  };
  const earlier = store.requestByIdempotencyKey(clientId, idempotencyKey);
  if (earlier !== undefined) return replay(earlier);

  const network = home.wallet.wallet.network;
  const scriptPubKey = destinationScript(body.destination, network);
  const expiresAt = now + lifetimeOf(home, body);
  const request: WithdrawalRequest = {
    walletId: home.wallet.id,
    requestId: newRequestId(),
    network,
    destination: body.destination,
    scriptPubKey,
    amountSat: body.amountSat,
    policyHash: home.policy.policyHash,
    expiresAt,
  };
  // Usage, evaluation and insert in one write transaction: two submissions (even from two
  // processes) cannot both fit under a limit that only one of them fits under.
  const stored = store.atomically(() => {
    const usage24h = store.requestUsageSince(now - ROLLING_WINDOW_SECONDS);
    const decision = evaluateRequest(home.policy.policy, home.policy.policyHash, request, {
      now,
      approvals: [],
      usage24h,
    });
    const refused = decision.reasons.filter((r) => !PENDING_APPROVAL_CODES.includes(r.code));
    let refusal: StoredRefusal | undefined;
    if (refused.length > 0) {
      const error = refusalError(refused);
      refusal = { code: error.code, message: error.message, reasons: refused.map((r) => ({ ...r })) };
    }
    const { request: record, created } = store.insertRequest({
      requestId: request.requestId,
      clientId,
      idempotencyKey,
      bodySha256,
      destination: request.destination,
      scriptPubKey: bytesToHex(scriptPubKey),
      amountSat: request.amountSat,
      policyHash: request.policyHash,
      expiresAt,
      ...(refusal === undefined ? {} : { refusal }),
    });
    // A tier that needs no approvals and no delay approves at once (what settleRequest would
    // do, from the decision just made: it counted no approvals, and usage only ever refuses).
    return { record: created ? approveIfAllowed(home, record, decision) : record, created, decision };
  });
  if (!stored.created) return replay(stored.record);
  return { created: true, withdrawal: newRequestView(home, stored.record, request, stored.decision) };
}

/**
 * The refusal of a rejected request as an error (the code of its single reason, or
 * POLICY_REFUSED), with every reason and the request id in its details; undefined when the
 * request was not rejected.
 */
export function rejectionError(withdrawal: WithdrawalView): KuraError | undefined {
  if (withdrawal.state !== 'rejected') return undefined;
  const refusal = withdrawal.refusal as Partial<StoredRefusal> | null;
  const reasons = Array.isArray(refusal?.reasons) ? refusal.reasons : [];
  const error = refusalError(reasons as Parameters<typeof refusalError>[0]);
  return new KuraError(error.code, error.message, {
    ...error.details,
    requestId: withdrawal.requestId,
    state: 'rejected',
  });
}
