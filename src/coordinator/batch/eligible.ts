// Which approved requests may be paid now. A request was approved at some time in the past; just
// before it is batched it is checked again exactly as a signer will check it — its approvals'
// signatures, who gave them and when, its expiry, the tier's delay, the limits with the last 24
// hours' withdrawals — so that no batch carries a request that every signer would refuse.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ecc } from '../../bitcoin/ecc.js';
import { approvalHash, destinationScript, type WithdrawalRequest } from '../../approvals/request.js';
import type { PackagedApproval } from '../../artifacts/kuraFields.js';
import { evaluateRequest, type Reason, type Usage24h } from '../../policy/evaluate.js';
import { MAX_CLOCK_SKEW_SECONDS } from '../../policy/quorum.js';
import type { LoadedPolicy } from '../../policy/load.js';
import type { LoadedWallet } from '../../artifacts/walletFile.js';
import type { ApprovalRecord, RequestRecord, Store } from '../store/index.js';

const DAY_SECONDS = 24 * 60 * 60;

export interface EligibleRequest {
  readonly record: RequestRecord;
  readonly request: WithdrawalRequest;
  /** The approvals that count now (valid signature, an officer of the policy, not expired). */
  readonly approvals: readonly PackagedApproval[];
}

export interface SkippedRequest {
  readonly requestId: string;
  readonly amountSat: bigint;
  readonly reasons: readonly Reason[];
  /** The request itself expired: it moves to 'expired' and will never be paid. */
  readonly expired: boolean;
}

/** The request as officers approved it and signers check it, rebuilt from its stored row. */
export function requestOf(record: RequestRecord, wallet: LoadedWallet): WithdrawalRequest {
  return {
    walletId: wallet.id,
    requestId: record.requestId,
    network: wallet.wallet.network,
    destination: record.destination,
    scriptPubKey: hexToBytes(record.scriptPubKey),
    amountSat: record.amountSat,
    policyHash: record.policyHash,
    expiresAt: record.expiresAt,
  };
}

/**
 * Withdrawals that count against the rolling 24 h limits: requests that entered a batch in the
 * last 24 hours. `updatedAt` moves with every later step, so this counts a request for at least
 * as long as a signer's ledger does (from its first signature): it over-counts, never under.
 */
export function coordinatorUsage24h(store: Store, now: number, exclude: ReadonlySet<string>): Usage24h {
  let amountSat = 0n;
  let count = 0;
  for (const state of ['batched', 'signed', 'broadcast', 'confirmed'] as const) {
    for (const r of store.listRequests({ state, limit: 100_000 })) {
      if (r.updatedAt > now - DAY_SECONDS && !exclude.has(r.requestId)) {
        amountSat += r.amountSat;
        count += 1;
      }
    }
  }
  return { amountSat, count };
}

/**
 * Keeps the approvals that count at `now`, the way the policy counts them: a valid BIP-340
 * signature over this very request, by an officer of the policy, not expired, not from the
 * future. A signer refuses a package that carries an expired approval even when the others make
 * the quorum, so the rest are left out of the package rather than sent along.
 */
function countingApprovals(
  request: WithdrawalRequest,
  stored: readonly ApprovalRecord[],
  policy: LoadedPolicy,
  now: number,
): { approvals: PackagedApproval[]; reasons: Reason[] } {
  const officers = new Set(policy.policy.officers.map((o) => o.publicKey));
  const approvals: PackagedApproval[] = [];
  const reasons: Reason[] = [];
  for (const a of stored) {
    let valid: boolean;
    try {
      valid = ecc.verifySchnorr(
        approvalHash(request, a.approvedAt),
        hexToBytes(a.officerPublicKey),
        hexToBytes(a.signature),
      );
    } catch {
      valid = false;
    }
    if (!valid) {
      reasons.push({
        code: 'APPROVAL_SIGNATURE_INVALID',
        field: 'approvals',
        message: `the stored approval by ${a.officerPublicKey.slice(0, 16)}… does not verify for this request`,
      });
      continue;
    }
    const expired = now >= a.approvedAt + policy.policy.approvalExpirySeconds;
    if (!officers.has(a.officerPublicKey) || expired || a.approvedAt > now + MAX_CLOCK_SKEW_SECONDS) continue;
    approvals.push({
      requestId: request.requestId,
      officerPublicKey: a.officerPublicKey,
      approvedAt: a.approvedAt,
      signature: a.signature,
    });
  }
  return { approvals, reasons };
}

/**
 * Splits the stored approved requests, oldest first, into those a batch may pay now and those it
 * may not, with every reason. Each eligible request counts against the 24 h limits of the ones
 * after it, as it will on the signers.
 */
export function reviewApproved(
  store: Store,
  wallet: LoadedWallet,
  policy: LoadedPolicy,
  records: readonly RequestRecord[],
  now: number,
): { eligible: EligibleRequest[]; skipped: SkippedRequest[] } {
  const eligible: EligibleRequest[] = [];
  const skipped: SkippedRequest[] = [];
  let usage = coordinatorUsage24h(store, now, new Set(records.map((r) => r.requestId)));
  for (const record of records) {
    const request = requestOf(record, wallet);
    const reasons: Reason[] = [];
    let scriptMatches: boolean;
    try {
      scriptMatches =
        bytesToHex(destinationScript(record.destination, request.network)) === record.scriptPubKey;
    } catch {
      scriptMatches = false;
    }
    if (!scriptMatches) {
      reasons.push({
        code: 'REQUEST_INVALID',
        field: 'scriptPubKey',
        message: `the stored "scriptPubKey" is not the script of "destination" ${record.destination}`,
      });
    }
    const counted = countingApprovals(request, store.approvalsFor(record.requestId), policy, now);
    reasons.push(...counted.reasons);
    const decision = evaluateRequest(policy.policy, policy.policyHash, request, {
      now,
      approvals: counted.approvals,
      usage24h: usage,
    });
    reasons.push(...decision.reasons);
    if (reasons.length > 0) {
      skipped.push({
        requestId: record.requestId,
        amountSat: record.amountSat,
        reasons,
        expired: now >= record.expiresAt,
      });
      continue;
    }
    usage = { amountSat: usage.amountSat + record.amountSat, count: usage.count + 1 };
    eligible.push({ record, request, approvals: counted.approvals });
  }
  return { eligible, skipped };
}

/** One line per reason, for people. */
export function describeSkip(skip: SkippedRequest): string {
  const why = skip.reasons.map((r) => `${r.code}: ${r.message}`).join('; ');
  return `request ${skip.requestId.slice(0, 16)}… (${skip.amountSat} sats) not batched${skip.expired ? ' and marked expired' : ''}: ${why}`;
}
