// The fee rate of a new batch: the operator's --fee-rate, or the node's estimate, kept between the
// floor and the policy's cap. Every choice the operator did not make says so in a note.
import { KuraError } from '../../errors.js';
import type { FeeEstimate } from '../../chain/rpcClient.js';
import type { Policy } from '../../policy/types.js';

/**
 * The policy has no fee-rate floor of its own, so the floor is the network's relay minimum:
 * Bitcoin Core relays nothing below 1 sat/vB (-minrelaytxfee 1000 sat/kvB).
 */
export const FEE_RATE_FLOOR_SAT_VB = 1;
/** Confirmation target asked of estimatesmartfee: about an hour. */
export const DEFAULT_CONF_TARGET_BLOCKS = 6;
/**
 * Used when the node has no estimate (a fresh node, regtest, bcoin without fee data): a rate
 * that confirms in quiet periods on mainnet; the output says it was used and how to override it.
 */
export const FALLBACK_FEE_RATE_SAT_VB = 10;

export type FeeRateSource = 'flag' | 'estimate' | 'fallback';

export interface FeeRateChoice {
  readonly satVb: number;
  readonly source: FeeRateSource;
  /** What the operator should know: no estimate, an estimate clamped to the floor or cap. */
  readonly notes: readonly string[];
}

export interface FeeRateOptions {
  /** The operator's rate (--fee-rate); refused outside the floor and the policy's cap. */
  readonly feeRateSatVb?: number | undefined;
  readonly fallbackSatVb?: number | undefined;
  readonly confTargetBlocks?: number | undefined;
}

/** An operator's fee rate: a whole number of sat/vB from the floor to the policy's cap. */
export function checkFeeRate(policy: Policy, satVb: number, field = 'fee-rate'): number {
  if (!Number.isSafeInteger(satVb) || satVb < FEE_RATE_FLOOR_SAT_VB) {
    throw new KuraError(
      'ARGUMENT_INVALID',
      `"${field}" must be a whole number of sat/vB, at least ${FEE_RATE_FLOOR_SAT_VB} (the relay minimum)`,
      { field, value: satVb },
    );
  }
  if (satVb > policy.fees.maxFeeRateSatVb) {
    throw new KuraError(
      'POLICY_FEE_TOO_HIGH',
      `"${field}" ${satVb} sat/vB is above the policy's cap "fees.maxFeeRateSatVb" of ${policy.fees.maxFeeRateSatVb}`,
      { field, value: satVb, cap: policy.fees.maxFeeRateSatVb },
    );
  }
  return satVb;
}

/** The estimate as whole sat/vB, rounded up (so at least the floor) and never undercut. */
export function estimateToSatVb(estimate: FeeEstimate): number | undefined {
  const perKvB = estimate.feeRateSatPerKvB;
  if (perKvB === undefined || perKvB <= 0n) return undefined;
  const satVb = (perKvB + 999n) / 1000n;
  return satVb > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(satVb);
}

/** Chooses the rate from the flag, or else the estimate (which the caller asked the node for). */
export function chooseFeeRate(
  policy: Policy,
  options: FeeRateOptions,
  estimate: FeeEstimate | undefined,
): FeeRateChoice {
  if (options.feeRateSatVb !== undefined) {
    return { satVb: checkFeeRate(policy, options.feeRateSatVb), source: 'flag', notes: [] };
  }
  const cap = policy.fees.maxFeeRateSatVb;
  const fallback = checkFeeRate(
    policy,
    options.fallbackSatVb ?? Math.min(FALLBACK_FEE_RATE_SAT_VB, cap),
    'fallback-fee-rate',
  );
  const estimated = estimate === undefined ? undefined : estimateToSatVb(estimate);
  if (estimated === undefined) {
    const why =
      estimate === undefined || estimate.errors.length === 0 ? 'no fee data' : estimate.errors.join('; ');
    return {
      satVb: fallback,
      source: 'fallback',
      notes: [
        `the node has no fee estimate (${why}); used the fallback rate of ${fallback} sat/vB — pass --fee-rate to choose another`,
      ],
    };
  }
  if (estimated > cap) {
    return {
      satVb: cap,
      source: 'estimate',
      notes: [
        `the node estimates ${estimated} sat/vB, above the policy's cap of ${cap}; used ${cap} sat/vB, so confirmation may take longer than ${estimate?.blocks ?? DEFAULT_CONF_TARGET_BLOCKS} blocks`,
      ],
    };
  }
  return { satVb: estimated, source: 'estimate', notes: [] };
}
