// Splitting eligible requests into batches. Pure: requests, coins and the policy in, plans out.
//
// Requests are taken oldest first and added to the open batch while the batch stays inside the
// policy's fee caps (absolute and percentage) and the standard transaction size. When the next
// request would break one of them, the open batch is closed and the request starts the next one.
// A request that cannot be paid even alone (not enough coins, or its fee would break a cap) is
// left approved, with the reason, for a later build.
import { evaluateFee } from '../../policy/fee.js';
import type { Reason } from '../../policy/evaluate.js';
import type { Policy } from '../../policy/types.js';
import type { EligibleRequest, SkippedRequest } from './eligible.js';
import { selectCoins, type SelectableCoin, type Selection } from './select.js';

/** Bitcoin Core's MAX_STANDARD_TX_WEIGHT (400,000 weight units): larger is not relayed. */
export const MAX_BATCH_VSIZE = 100_000;

export type ChosenCoins<C extends SelectableCoin> = Extract<Selection<C>, { ok: true }>;

export interface PlannedBatch<C extends SelectableCoin> {
  readonly requests: readonly EligibleRequest[];
  readonly selection: ChosenCoins<C>;
}

export interface PlanOptions {
  readonly policy: Policy;
  readonly feeRateSatVb: number;
  readonly threshold: number;
  readonly witnessScriptLength: number;
}

type Attempt<C extends SelectableCoin> =
  | { readonly ok: true; readonly selection: ChosenCoins<C> }
  | { readonly ok: false; readonly funds: boolean; readonly reasons: readonly Reason[] };

function attempt<C extends SelectableCoin>(
  requests: readonly EligibleRequest[],
  coins: readonly C[],
  options: PlanOptions,
): Attempt<C> {
  const paymentsSat = requests.reduce((sum, r) => sum + r.request.amountSat, 0n);
  const selection = selectCoins({
    coins,
    paymentScriptLengths: requests.map((r) => r.request.scriptPubKey.length),
    paymentsSat,
    feeRateSatVb: options.feeRateSatVb,
    threshold: options.threshold,
    witnessScriptLength: options.witnessScriptLength,
  });
  if (!selection.ok) {
    return {
      ok: false,
      funds: true,
      reasons: [
        {
          code: 'BATCH_FUNDS_INSUFFICIENT',
          field: 'coins',
          message: `the spendable coins hold ${selection.availableSat} sats; paying ${paymentsSat} sats at ${options.feeRateSatVb} sat/vB needs at least ${selection.neededSat}`,
        },
      ],
    };
  }
  const reasons: Reason[] = [
    ...evaluateFee(options.policy, { feeSat: selection.feeSat, vsize: selection.vsize, paymentsSat }),
  ];
  if (selection.vsize > MAX_BATCH_VSIZE) {
    reasons.push({
      code: 'BATCH_TOO_LARGE',
      field: 'vsize',
      message: `the transaction would be up to ${selection.vsize} vB, above the standard ${MAX_BATCH_VSIZE}`,
    });
  }
  return reasons.length === 0 ? { ok: true, selection } : { ok: false, funds: false, reasons };
}

export function planBatches<C extends SelectableCoin>(
  eligible: readonly EligibleRequest[],
  coins: readonly C[],
  options: PlanOptions,
): { batches: PlannedBatch<C>[]; skipped: SkippedRequest[] } {
  const batches: PlannedBatch<C>[] = [];
  const skipped: SkippedRequest[] = [];
  let available = [...coins];
  let open: PlannedBatch<C> | undefined;

  const close = () => {
    if (open === undefined) return;
    const spent = new Set<C>(open.selection.coins);
    available = available.filter((c) => !spent.has(c));
    batches.push(open);
    open = undefined;
  };
  const skip = (request: EligibleRequest, reasons: readonly Reason[]) =>
    skipped.push({
      requestId: request.record.requestId,
      amountSat: request.record.amountSat,
      reasons,
      expired: false,
    });

  for (const request of eligible) {
    if (open !== undefined) {
      const together = attempt<C>([...open.requests, request], available, options);
      if (together.ok) {
        open = { requests: [...open.requests, request], selection: together.selection };
        continue;
      }
      // More coins will not appear by closing the batch; a cap or the size limit may be met alone.
      if (together.funds) {
        skip(request, together.reasons);
        continue;
      }
      close();
    }
    const alone = attempt<C>([request], available, options);
    if (alone.ok) open = { requests: [request], selection: alone.selection };
    else skip(request, alone.reasons);
  }
  close();
  return { batches, skipped };
}
