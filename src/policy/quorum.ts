// Approvals under a tier: which count (officers' keys, not expired, not from the future, each
// officer once), whether they make the tier's quorum and roles, and whether its delay is over.
// Pure: `now` is passed in.
import { isoTime, type Reason } from './reasons.js';
import type { Officer, Policy, Tier } from './types.js';

/** An approval whose signature and content were verified for this request. */
export interface VerifiedApproval {
  /** x-only BIP-340 public key of the signer, 32 bytes of hex. */
  readonly officerPublicKey: string;
  /** When the officer approved (unix seconds), as signed. */
  readonly approvedAt: number;
}

export interface Counted {
  readonly reasons: Reason[];
  /** Officers whose approvals count, with their latest counted approval. */
  readonly officers: Map<Officer, number>;
}

/**
 * Officers' workstations and air-gapped signers keep their own clocks, which drift. An approval
 * dated up to five minutes after the evaluator's `now` is taken as clock skew; later than that
 * it is refused, since a date far in the future would stretch the approval's validity.
 */
export const MAX_CLOCK_SKEW_SECONDS = 300;

export function countApprovals(policy: Policy, approvals: readonly VerifiedApproval[], now: number): Counted {
  const reasons: Reason[] = [];
  const officers = new Map<Officer, number>();
  approvals.forEach((approval, i) => {
    const field = `approvals[${i}]`;
    const key = approval.officerPublicKey.toLowerCase();
    const officer = policy.officers.find((o) => o.publicKey === key);
    if (officer === undefined) {
      reasons.push({
        code: 'APPROVAL_OFFICER_UNKNOWN',
        field,
        message: `"${field}" is signed by ${key}, which is not an officer of this policy`,
      });
      return;
    }
    if (approval.approvedAt > now + MAX_CLOCK_SKEW_SECONDS) {
      reasons.push({
        code: 'APPROVAL_EXPIRED',
        field,
        message: `"${field}" (officer ${officer.id}) is dated ${isoTime(approval.approvedAt)}, after now (${isoTime(now)})`,
      });
      return;
    }
    const expiresAt = approval.approvedAt + policy.approvalExpirySeconds;
    if (now >= expiresAt) {
      reasons.push({
        code: 'APPROVAL_EXPIRED',
        field,
        message: `"${field}" (officer ${officer.id}) expired at ${isoTime(expiresAt)} (approvalExpirySeconds ${policy.approvalExpirySeconds})`,
      });
      return;
    }
    // One officer counts once, however many approvals they gave. An approval within the clock
    // skew counts as given now, so skew never shortens nor lengthens a tier's delay.
    officers.set(officer, Math.max(officers.get(officer) ?? 0, Math.min(approval.approvedAt, now)));
  });
  return { reasons, officers };
}

export function quorumReasons(
  tier: Tier,
  index: number,
  officers: ReadonlyMap<Officer, number>,
  now: number,
): { reasons: Reason[]; readyAt: number | null } {
  const reasons: Reason[] = [];
  const field = `tiers[${index}]`;
  if (officers.size < tier.approvals) {
    reasons.push({
      code: 'APPROVAL_QUORUM_NOT_MET',
      field: `${field}.approvals`,
      message: `"${field}.approvals": ${officers.size} of ${tier.approvals} approvals from distinct officers (tier up to ${tier.upToSat} sats)`,
    });
  }
  const roles = new Set([...officers.keys()].map((o) => o.role));
  const missing = tier.requiredRoles.filter((r) => !roles.has(r));
  if (missing.length > 0) {
    reasons.push({
      code: 'APPROVAL_QUORUM_NOT_MET',
      field: `${field}.requiredRoles`,
      message: `"${field}.requiredRoles": no approval yet from role${missing.length > 1 ? 's' : ''} ${missing.map((r) => `"${r}"`).join(', ')}`,
    });
  }
  if (reasons.length > 0) {
    if (tier.delaySeconds > 0) {
      reasons.push({
        code: 'APPROVAL_DELAY_NOT_OVER',
        field: `${field}.delaySeconds`,
        message: `"${field}.delaySeconds": signing waits ${tier.delaySeconds} s after the last approval, which is still to come`,
      });
    }
    return { reasons, readyAt: null };
  }
  const last = Math.max(...officers.values());
  const readyAt = last + tier.delaySeconds;
  if (now < readyAt) {
    reasons.push({
      code: 'APPROVAL_DELAY_NOT_OVER',
      field: `${field}.delaySeconds`,
      message: `"${field}.delaySeconds": the last approval was at ${isoTime(last)}; signing may start at ${isoTime(readyAt)}`,
    });
  }
  return { reasons, readyAt };
}
