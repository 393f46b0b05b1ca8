// Coin selection: which of the wallet's coins pay a set of payments at a fee rate, and whether
// there is change. Pure: coins, payments and sizes in, a selection out.
//
// The rule, in order:
//   1. one coin that pays everything with no change and wastes less than a change output would
//      be worth (the smallest such coin): no change output, no new address, a smaller transaction;
//   2. otherwise the largest coins first until the payments and the fee are covered;
//   3. change is made only when it is worth more than it costs: above the dust limit and above
//      what spending it later costs at this fee rate. A smaller remainder goes to the fee rather
//      than to an output that is dust or that nobody would ever spend.
import { inputVsize, spendVsize } from './size.js';

/**
 * Bitcoin Core's dust limit for a P2WSH output at its default dust relay fee (3 sat/vB):
 * (43 bytes of output + 67 vbytes to spend it) × 3 = 330 sats. Smaller outputs are not relayed.
 */
export const P2WSH_DUST_SAT = 330n;
/** P2WSH scriptPubKey: OP_0 and a 32-byte push. */
export const P2WSH_SCRIPT_LENGTH = 34;

export interface SelectableCoin {
  readonly valueSat: bigint;
}

export interface SelectionRequest<C extends SelectableCoin> {
  readonly coins: readonly C[];
  /** Scripts lengths of the payment outputs and their sum. */
  readonly paymentScriptLengths: readonly number[];
  readonly paymentsSat: bigint;
  readonly feeRateSatVb: number;
  readonly threshold: number;
  readonly witnessScriptLength: number;
}

export type Selection<C extends SelectableCoin> =
  | {
      readonly ok: true;
      readonly coins: readonly C[];
      readonly inputSat: bigint;
      readonly feeSat: bigint;
      /** Upper bound of the signed size; feeSat ≥ feeRateSatVb × vsize. */
      readonly vsize: number;
      /** null: no change output; the remainder (below minChangeSat) is part of feeSat. */
      readonly changeSat: bigint | null;
    }
  | { readonly ok: false; readonly availableSat: bigint; readonly neededSat: bigint };

/** The smallest change worth making at a fee rate: above dust and above its own spending cost. */
export function minChangeSat(feeRateSatVb: number, threshold: number, witnessScriptLength: number): bigint {
  const spendCost = BigInt(feeRateSatVb) * BigInt(inputVsize(threshold, witnessScriptLength));
  return spendCost > P2WSH_DUST_SAT ? spendCost : P2WSH_DUST_SAT + 1n;
}

export function selectCoins<C extends SelectableCoin>(request: SelectionRequest<C>): Selection<C> {
  const rate = BigInt(request.feeRateSatVb);
  const { threshold, witnessScriptLength, paymentsSat } = request;
  const vsize = (inputs: number, change: boolean) =>
    spendVsize({
      threshold,
      witnessScriptLength,
      inputCount: inputs,
      outputScriptLengths: change
        ? [...request.paymentScriptLengths, P2WSH_SCRIPT_LENGTH]
        : request.paymentScriptLengths,
    });
  const minChange = minChangeSat(request.feeRateSatVb, threshold, witnessScriptLength);

  const decide = (coins: readonly C[], inputSat: bigint): Selection<C> | undefined => {
    const plainVsize = vsize(coins.length, false);
    if (inputSat - paymentsSat < rate * BigInt(plainVsize)) return undefined;
    const changeVsize = vsize(coins.length, true);
    const changeSat = inputSat - paymentsSat - rate * BigInt(changeVsize);
    if (changeSat >= minChange) {
      return {
        ok: true,
        coins,
        inputSat,
        feeSat: inputSat - paymentsSat - changeSat,
        vsize: changeVsize,
        changeSat,
      };
    }
    return { ok: true, coins, inputSat, feeSat: inputSat - paymentsSat, vsize: plainVsize, changeSat: null };
  };

  const sorted = [...request.coins].sort((a, b) =>
    a.valueSat === b.valueSat ? 0 : a.valueSat > b.valueSat ? -1 : 1,
  );
  // 1. The smallest single coin that needs no change.
  for (let i = sorted.length - 1; i >= 0; i--) {
    const coin = sorted[i] as C;
    const single = decide([coin], coin.valueSat);
    if (single?.ok === true && single.changeSat === null) return single;
  }
  // 2. Largest first until covered.
  const chosen: C[] = [];
  let inputSat = 0n;
  for (const coin of sorted) {
    chosen.push(coin);
    inputSat += coin.valueSat;
    const selection = decide(chosen, inputSat);
    if (selection !== undefined) return selection;
  }
  return {
    ok: false,
    availableSat: inputSat,
    neededSat: paymentsSat + rate * BigInt(vsize(Math.max(chosen.length, 1), false)),
  };
}
