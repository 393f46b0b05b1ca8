// The policy's fee caps, checked with exact integer arithmetic (no floating point anywhere:
// a rounding error in a cap is a cap that does not hold). Pure, like evaluate.ts.
import { KuraError } from '../errors.js';
import type { Reason } from './reasons.js';
import type { Policy } from './types.js';

export interface FeeInput {
  /** Fee of the transaction: inputs minus outputs. */
  readonly feeSat: bigint;
  /** Virtual size of the signed transaction, vbytes. */
  readonly vsize: number;
  /** Sum of the payment outputs (everything that is not the wallet's own change). */
  readonly paymentsSat: bigint;
}

/** a / b rounded up, to two decimals: a fee rate in a message is never understated. */
function ratio2(a: bigint, b: bigint): string {
  const hundredths = (a * 100n + b - 1n) / b;
  return `${hundredths / 100n}.${(hundredths % 100n).toString().padStart(2, '0')}`;
}

/**
 * Every fee cap the fee breaks (POLICY_FEE_TOO_HIGH): rate, absolute, and percentage of the
 * payments. A transaction with no payments (a consolidation) has no percentage cap; the rate and
 * absolute caps still hold.
 */
export function evaluateFee(policy: Policy, fee: FeeInput): Reason[] {
  if (fee.feeSat < 0n) {
    throw new KuraError('AMOUNT_INVALID', '"feeSat" must not be negative', { field: 'feeSat' });
  }
  if (fee.paymentsSat < 0n) {
    throw new KuraError('AMOUNT_INVALID', '"paymentsSat" must not be negative', { field: 'paymentsSat' });
  }
  if (!Number.isSafeInteger(fee.vsize) || fee.vsize <= 0) {
    throw new KuraError('ARGUMENT_INVALID', '"vsize" must be a positive integer of vbytes', {
      field: 'vsize',
    });
  }
  const caps = policy.fees;
  const vsize = BigInt(fee.vsize);
  const reasons: Reason[] = [];
  if (fee.feeSat > BigInt(caps.maxFeeRateSatVb) * vsize) {
    reasons.push({
      code: 'POLICY_FEE_TOO_HIGH',
      field: 'fees.maxFeeRateSatVb',
      message: `"fees.maxFeeRateSatVb": ${fee.feeSat} sats for ${vsize} vB is ${ratio2(fee.feeSat, vsize)} sat/vB, above ${caps.maxFeeRateSatVb}`,
    });
  }
  if (fee.feeSat > caps.maxFeeSat) {
    reasons.push({
      code: 'POLICY_FEE_TOO_HIGH',
      field: 'fees.maxFeeSat',
      message: `"fees.maxFeeSat": ${fee.feeSat} sats is above the cap of ${caps.maxFeeSat} sats`,
    });
  }
  if (fee.paymentsSat > 0n && fee.feeSat * 10_000n > fee.paymentsSat * caps.maxFeeBasisPoints) {
    const allowed = (fee.paymentsSat * caps.maxFeeBasisPoints) / 10_000n;
    reasons.push({
      code: 'POLICY_FEE_TOO_HIGH',
      field: 'fees.maxFeePercent',
      message: `"fees.maxFeePercent": ${fee.feeSat} sats is above ${caps.maxFeePercent} % of the ${fee.paymentsSat} sats paid (at most ${allowed} sats)`,
    });
  }
  return reasons;
}
