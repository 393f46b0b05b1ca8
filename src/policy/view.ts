// A policy as plain JSON for `kura policy show --json` and reports: amounts as decimal strings
// (JSON numbers are doubles), scripts as hex, nothing that JSON.stringify would mangle.
import type { Decision } from './evaluate.js';
import type { Policy, Tier } from './types.js';

export function tierView(tier: Tier): Record<string, unknown> {
  return {
    upToSat: tier.upToSat.toString(),
    approvals: tier.approvals,
    requiredRoles: [...tier.requiredRoles],
    delaySeconds: tier.delaySeconds,
  };
}

export function policyView(policy: Policy, policyHash: string): Record<string, unknown> {
  return {
    kind: policy.kind,
    version: policy.version,
    policyHash,
    description: policy.description,
    network: policy.network,
    walletId: policy.walletId,
    officers: policy.officers.map((o) => ({ ...o })),
    tiers: policy.tiers.map(tierView),
    limits: {
      perWithdrawalSat: policy.limits.perWithdrawalSat.toString(),
      rolling24h: {
        amountSat: policy.limits.rolling24h.amountSat.toString(),
        count: policy.limits.rolling24h.count,
      },
    },
    allowlist: {
      enforced: policy.allowlist.enforced,
      coolingSeconds: policy.allowlist.coolingSeconds,
      entries: policy.allowlist.entries.map((e) => ({ ...e })),
    },
    screening:
      policy.screening === null
        ? null
        : {
            denylistFile: policy.screening.denylistFile,
            denylistSha256: policy.screening.denylistSha256,
            entries: policy.screening.entries.length,
          },
    fees: {
      maxFeeRateSatVb: policy.fees.maxFeeRateSatVb,
      maxFeeSat: policy.fees.maxFeeSat.toString(),
      maxFeePercent: policy.fees.maxFeePercent,
    },
    approvalExpirySeconds: policy.approvalExpirySeconds,
  };
}

export function decisionView(decision: Decision, policyHash: string): Record<string, unknown> {
  return {
    allowed: decision.allowed,
    policyHash,
    tier: decision.tier === null ? null : { index: decision.tierIndex, ...tierView(decision.tier) },
    approvedBy: [...decision.approvedBy],
    readyAt: decision.readyAt,
    reasons: decision.reasons.map((r) => ({ ...r })),
  };
}
