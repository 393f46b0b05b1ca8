// Evaluating a withdrawal request against a policy. PURE: no clock (the caller passes `now`), no
// file system, no randomness; the same input always gives the same decision. Every rule is checked
// and every failure reported, so a refusal says everything that is wrong at once. Signatures and
// approval content are verified elsewhere (src/approvals); here an approval is a key and a time.
import { bytesToHex } from '@noble/hashes/utils.js';
import type { WithdrawalRequest } from '../approvals/request.js';
import { KuraError } from '../errors.js';
import { countApprovals, quorumReasons, type VerifiedApproval } from './quorum.js';
import { isoTime, refusalError, type Reason } from './reasons.js';
import type { Policy, Tier } from './types.js';

// The parts of the evaluation API that live in their own files, so callers find them here.
export type { VerifiedApproval } from './quorum.js';
export { assertNoReasons, isoTime, PENDING_APPROVAL_CODES, refusalError, type Reason } from './reasons.js';

export interface Usage24h {
  /** Sats of other withdrawals in the 24 hours before `now`. */
  readonly amountSat: bigint;
  /** Number of other withdrawals in the 24 hours before `now`. */
  readonly count: number;
}

export interface EvaluationContext {
  /** The time of evaluation, unix seconds. */
  readonly now: number;
  readonly approvals: readonly VerifiedApproval[];
  readonly usage24h: Usage24h;
}

export interface Decision {
  readonly allowed: boolean;
  /** The tier that applies to the amount; null when the amount is above the last tier. */
  readonly tier: Tier | null;
  readonly tierIndex: number | null;
  /** Ids of the distinct officers whose approvals count, in policy order. */
  readonly approvedBy: readonly string[];
  /** With the quorum met: when the tier's delay after the last approval ends (unix seconds). */
  readonly readyAt: number | null;
  readonly reasons: readonly Reason[];
}

export function tierFor(policy: Policy, amountSat: bigint): { tier: Tier; index: number } | null {
  const index = policy.tiers.findIndex((t) => amountSat <= t.upToSat);
  const tier = policy.tiers[index];
  return tier === undefined ? null : { tier, index };
}

function checkContext(ctx: EvaluationContext): void {
  const bad = (field: string, why: string) =>
    new KuraError('ARGUMENT_INVALID', `"${field}" ${why}`, { field });
  if (!Number.isSafeInteger(ctx.now) || ctx.now < 0) throw bad('now', 'must be unix seconds');
  if (ctx.usage24h.amountSat < 0n) throw bad('usage24h.amountSat', 'must not be negative');
  if (!Number.isSafeInteger(ctx.usage24h.count) || ctx.usage24h.count < 0) {
    throw bad('usage24h.count', 'must be a non-negative integer');
  }
}

function identityReasons(
  policy: Policy,
  policyHash: string,
  request: WithdrawalRequest,
  now: number,
): Reason[] {
  const reasons: Reason[] = [];
  if (request.walletId !== policy.walletId) {
    reasons.push({
      code: 'POLICY_WALLET_MISMATCH',
      field: 'walletId',
      message: `"walletId": the request is for wallet ${request.walletId}, the policy governs ${policy.walletId}`,
    });
  }
  if (request.network !== policy.network) {
    reasons.push({
      code: 'POLICY_WALLET_MISMATCH',
      field: 'network',
      message: `"network": the request is for ${request.network}, the policy for ${policy.network}`,
    });
  }
  if (request.policyHash !== policyHash) {
    reasons.push({
      code: 'POLICY_HASH_MISMATCH',
      field: 'policyHash',
      message: `"policyHash": the request was made under policy ${request.policyHash}, this policy is ${policyHash}`,
    });
  }
  if (now >= request.expiresAt) {
    reasons.push({
      code: 'APPROVAL_EXPIRED',
      field: 'expiresAt',
      message: `"expiresAt": the request expired at ${isoTime(request.expiresAt)} (now ${isoTime(now)})`,
    });
  }
  return reasons;
}

function limitReasons(policy: Policy, request: WithdrawalRequest, usage: Usage24h): Reason[] {
  const reasons: Reason[] = [];
  const { perWithdrawalSat, rolling24h } = policy.limits;
  if (request.amountSat > perWithdrawalSat) {
    reasons.push({
      code: 'POLICY_LIMIT_EXCEEDED',
      field: 'limits.perWithdrawalSat',
      message: `"limits.perWithdrawalSat": ${request.amountSat} sats is above the limit of ${perWithdrawalSat} sats per withdrawal`,
    });
  }
  const last = policy.tiers[policy.tiers.length - 1];
  if (last !== undefined && request.amountSat > last.upToSat) {
    reasons.push({
      code: 'POLICY_LIMIT_EXCEEDED',
      field: 'tiers',
      message: `"tiers": ${request.amountSat} sats is above the last tier (up to ${last.upToSat} sats); no tier can approve it`,
    });
  }
  const total = usage.amountSat + request.amountSat;
  if (total > rolling24h.amountSat) {
    reasons.push({
      code: 'POLICY_LIMIT_EXCEEDED',
      field: 'limits.rolling24h.amountSat',
      message: `"limits.rolling24h.amountSat": ${usage.amountSat} sats in the last 24 h plus ${request.amountSat} is ${total}, above ${rolling24h.amountSat}`,
    });
  }
  if (usage.count + 1 > rolling24h.count) {
    reasons.push({
      code: 'POLICY_LIMIT_EXCEEDED',
      field: 'limits.rolling24h.count',
      message: `"limits.rolling24h.count": ${usage.count} withdrawals in the last 24 h plus this one is ${usage.count + 1}, above ${rolling24h.count}`,
    });
  }
  return reasons;
}

/** Destinations are compared as whole scriptPubKeys, never by address text or prefix (THREATS #28). */
function destinationReasons(policy: Policy, request: WithdrawalRequest, now: number): Reason[] {
  const reasons: Reason[] = [];
  const script = bytesToHex(request.scriptPubKey);
  const denied = policy.screening?.entries.find((e) => e.scriptPubKey === script);
  if (denied !== undefined) {
    reasons.push({
      code: 'POLICY_DESTINATION_DENIED',
      field: 'destination',
      message: `"destination" ${request.destination} is on the screening denylist (${policy.screening?.denylistFile} line ${denied.line})`,
    });
  }
  const { allowlist } = policy;
  if (!allowlist.enforced) return reasons;
  const entry = allowlist.entries.find((e) => e.scriptPubKey === script);
  if (entry === undefined) {
    reasons.push({
      code: 'POLICY_DESTINATION_NOT_ALLOWED',
      field: 'destination',
      message: `"destination" ${request.destination} is not on the allowlist`,
    });
  } else if (now < entry.addedAt + allowlist.coolingSeconds) {
    reasons.push({
      code: 'POLICY_DESTINATION_COOLING',
      field: 'destination',
      message: `"destination" ${request.destination} ("${entry.label}") was added at ${isoTime(entry.addedAt)}; usable from ${isoTime(entry.addedAt + allowlist.coolingSeconds)}`,
    });
  }
  return reasons;
}

/** Checks every rule of the policy for one request and returns all the reasons it fails. */
export function evaluateRequest(
  policy: Policy,
  policyHash: string,
  request: WithdrawalRequest,
  ctx: EvaluationContext,
): Decision {
  checkContext(ctx);
  const reasons: Reason[] = [
    ...identityReasons(policy, policyHash, request, ctx.now),
    ...limitReasons(policy, request, ctx.usage24h),
    ...destinationReasons(policy, request, ctx.now),
  ];
  const counted = countApprovals(policy, ctx.approvals, ctx.now);
  reasons.push(...counted.reasons);
  const applies = tierFor(policy, request.amountSat);
  let readyAt: number | null = null;
  if (applies !== null) {
    const quorum = quorumReasons(applies.tier, applies.index, counted.officers, ctx.now);
    reasons.push(...quorum.reasons);
    readyAt = quorum.readyAt;
  }
  return {
    allowed: reasons.length === 0,
    tier: applies?.tier ?? null,
    tierIndex: applies?.index ?? null,
    approvedBy: policy.officers.filter((o) => counted.officers.has(o)).map((o) => o.id),
    readyAt,
    reasons,
  };
}

/** Throws the refusal (see refusalError) unless the decision allows the request. */
export function assertAllowed(decision: Decision): void {
  if (decision.allowed && decision.reasons.length === 0) return;
  throw refusalError(decision.reasons, { tierIndex: decision.tierIndex });
}
export { evaluateFee, type FeeInput } from './fee.js';
