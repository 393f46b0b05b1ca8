// A stored request as its clients see it: the request officers sign (the same JSON as a request
// file), its state, its approvals with the officers' names, and what it still waits for. Amounts
// are decimal strings: JSON numbers are doubles.
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  destinationScript,
  requestDigest,
  requestToJson,
  type WithdrawalRequest,
} from '../../approvals/request.js';
import { KuraError } from '../../errors.js';
import { evaluateRequest, PENDING_APPROVAL_CODES, type Decision, type Reason } from '../../policy/index.js';
import { countApprovals } from '../../policy/quorum.js';
import type { CoordinatorHome } from '../home.js';
import type { ApprovalRecord, RequestRecord, RequestState } from '../store/index.js';

/** Intake checks the limits once, when the request arrives; later evaluations count approvals only. */
export const NO_USAGE = { amountSat: 0n, count: 0 } as const;

/** The request officers sign, rebuilt from its row and the home (wallet id, network). */
export function withdrawalRequestOf(home: CoordinatorHome, record: RequestRecord): WithdrawalRequest {
  const network = home.wallet.wallet.network;
  const scriptPubKey = destinationScript(record.destination, network);
  // The row carries the script it was stored with; a difference means the file was edited.
  if (bytesToHex(scriptPubKey) !== record.scriptPubKey) {
    throw new KuraError(
      'STORE_CORRUPT',
      `request ${record.requestId}: "scriptPubKey" does not match its destination`,
      { field: 'scriptPubKey', requestId: record.requestId },
    );
  }
  return {
    walletId: home.wallet.id,
    requestId: record.requestId,
    network,
    destination: record.destination,
    scriptPubKey,
    amountSat: record.amountSat,
    policyHash: record.policyHash,
    expiresAt: record.expiresAt,
  };
}

export interface RequestDecision {
  readonly decision: Decision;
  /** Stored approvals that no longer count (expired by approvalExpirySeconds), as reasons. */
  readonly stale: readonly Reason[];
}

/**
 * The policy's decision on a request with the approvals stored for it, at `now`. Approvals that
 * no longer count are left out of the decision and reported beside it: docs/policy.md wants the
 * coordinator to drop stale approvals rather than let one refuse a request that has enough
 * fresh ones.
 */
export function decisionFor(
  home: CoordinatorHome,
  request: WithdrawalRequest,
  approvals: readonly ApprovalRecord[],
  now: number,
): RequestDecision {
  const { policy, policyHash } = home.policy;
  const all = approvals.map((a) => ({ officerPublicKey: a.officerPublicKey, approvedAt: a.approvedAt }));
  const counting = all.filter((a) => countApprovals(policy, [a], now).reasons.length === 0);
  const stale = countApprovals(policy, all, now).reasons;
  const decision = evaluateRequest(policy, policyHash, request, {
    now,
    approvals: counting,
    usage24h: NO_USAGE,
  });
  return { decision, stale };
}

export interface ApprovalView {
  /** The officer's id and role in the policy (null only if a policy change dropped them). */
  readonly officerId: string | null;
  readonly role: string | null;
  readonly officerPublicKey: string;
  readonly approvedAt: number;
  readonly receivedAt: number;
}

export interface ProgressView {
  readonly tierIndex: number | null;
  readonly approvalsNeeded: number | null;
  readonly requiredRoles: readonly string[];
  readonly delaySeconds: number | null;
  /** Ids of the officers whose approvals count now. */
  readonly approvedBy: readonly string[];
  /** With the quorum met: when the tier's delay ends (unix seconds). */
  readonly readyAt: number | null;
  /** What the request still waits for (quorum, roles, delay) and approvals that no longer count. */
  readonly waitingFor: readonly Reason[];
}

export interface WithdrawalView {
  readonly requestId: string;
  readonly state: RequestState;
  readonly walletId: string;
  readonly network: string;
  readonly destination: string;
  readonly scriptPubKey: string;
  readonly amountSat: string;
  readonly policyHash: string;
  readonly expiresAt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly batchId: string | null;
  readonly clientId: string;
  readonly idempotencyKey: string;
  /** Tagged hash of the request's content: what an approval's requestDigest must equal. */
  readonly requestDigest: string;
  readonly approvals: readonly ApprovalView[];
  /** For pending and approved requests; null in every other state. */
  readonly progress: ProgressView | null;
  /** Every reason the policy gave, for a request rejected at intake; otherwise null. */
  readonly refusal: unknown;
  /** The request file officers review and sign (`kura officer approve --request FILE`). */
  readonly request: Record<string, unknown>;
}

function approvalView(home: CoordinatorHome, a: ApprovalRecord): ApprovalView {
  const officer = home.policy.policy.officers.find((o) => o.publicKey === a.officerPublicKey);
  return {
    officerId: officer?.id ?? null,
    role: officer?.role ?? null,
    officerPublicKey: a.officerPublicKey,
    approvedAt: a.approvedAt,
    receivedAt: a.receivedAt,
  };
}

function progressView({ decision, stale }: RequestDecision): ProgressView {
  return {
    tierIndex: decision.tierIndex,
    approvalsNeeded: decision.tier?.approvals ?? null,
    requiredRoles: [...(decision.tier?.requiredRoles ?? [])],
    delaySeconds: decision.tier?.delaySeconds ?? null,
    approvedBy: [...decision.approvedBy],
    readyAt: decision.readyAt,
    waitingFor: [...decision.reasons.filter((r) => PENDING_APPROVAL_CODES.includes(r.code)), ...stale],
  };
}

export function withdrawalView(home: CoordinatorHome, record: RequestRecord, now: number): WithdrawalView {
  const request = withdrawalRequestOf(home, record);
  const approvals = home.store.approvalsFor(record.requestId);
  const live = record.state === 'pending_approval' || record.state === 'approved';
  return viewOf(home, record, request, approvals, live ? decisionFor(home, request, approvals, now) : null);
}

/**
 * The view of a request intake has just stored, from what intake already holds: the request it
 * built and the policy's decision on it (no approvals yet, so none is stale). Nothing is read
 * back or evaluated again; test/coordinator/intake.test.ts holds it equal to withdrawalView.
 */
export function newRequestView(
  home: CoordinatorHome,
  record: RequestRecord,
  request: WithdrawalRequest,
  decision: Decision,
): WithdrawalView {
  const live = record.state === 'pending_approval' || record.state === 'approved';
  return viewOf(home, record, request, [], live ? { decision, stale: [] } : null);
}

function viewOf(
  home: CoordinatorHome,
  record: RequestRecord,
  request: WithdrawalRequest,
  approvals: readonly ApprovalRecord[],
  decision: RequestDecision | null,
): WithdrawalView {
  return {
    requestId: record.requestId,
    state: record.state,
    walletId: request.walletId,
    network: request.network,
    destination: record.destination,
    scriptPubKey: record.scriptPubKey,
    amountSat: record.amountSat.toString(),
    policyHash: record.policyHash,
    expiresAt: record.expiresAt,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    batchId: record.batchId,
    clientId: record.clientId,
    idempotencyKey: record.idempotencyKey,
    requestDigest: requestDigest(request),
    approvals: approvals.map((a) => approvalView(home, a)),
    progress: decision === null ? null : progressView(decision),
    refusal: record.refusal,
    request: requestToJson(request),
  };
}
