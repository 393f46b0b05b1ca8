// Approval checks on the signer: every approval in the package is a valid BIP-340 signature over
// its request's content by the key it names (THREATS.md #23); which of those keys count, and
// whether they make a quorum under the pinned policy, is the policy's pure decision.
import { hexToBytes } from '@noble/hashes/utils.js';
import { KuraError } from '../../errors.js';
import { ecc } from '../../bitcoin/ecc.js';
import { approvalHash, type WithdrawalRequest } from '../../approvals/request.js';
import type { PackagedApproval, SigningPackage } from '../../artifacts/kuraFields.js';

export interface VerifiedPackagedApproval {
  readonly officerPublicKey: string;
  readonly approvedAt: number;
}

export function verifyPackagedApproval(
  request: WithdrawalRequest,
  approval: PackagedApproval,
): VerifiedPackagedApproval {
  const hash = approvalHash(request, approval.approvedAt);
  let valid: boolean;
  try {
    valid = ecc.verifySchnorr(hash, hexToBytes(approval.officerPublicKey), hexToBytes(approval.signature));
  } catch {
    valid = false; // a key that is not a point on the curve
  }
  if (!valid) {
    throw new KuraError(
      'APPROVAL_SIGNATURE_INVALID',
      `the approval by ${approval.officerPublicKey.slice(0, 16)}… of request ${request.requestId.slice(0, 16)}… does not verify for its content`,
      { field: 'approvals', requestId: request.requestId, officerPublicKey: approval.officerPublicKey },
    );
  }
  return { officerPublicKey: approval.officerPublicKey, approvedAt: approval.approvedAt };
}

/** Verified approvals per request id; an approval naming a request the package lacks is refused. */
export function verifyPackageApprovals(pkg: SigningPackage): Map<string, VerifiedPackagedApproval[]> {
  const byRequest = new Map<string, VerifiedPackagedApproval[]>();
  for (const id of pkg.requests.keys()) byRequest.set(id, []);
  for (const approval of pkg.approvals) {
    const request = pkg.requests.get(approval.requestId);
    if (request === undefined) {
      throw new KuraError(
        'APPROVAL_MISMATCH',
        `an approval names request ${approval.requestId.slice(0, 16)}…, which the package does not hold`,
        {
          field: 'approvals',
          requestId: approval.requestId,
        },
      );
    }
    byRequest.get(approval.requestId)?.push(verifyPackagedApproval(request, approval));
  }
  return byRequest;
}
