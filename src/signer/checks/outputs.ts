// Output checks (THREATS.md #12–#14): every output either pays exactly one request of the package
// (same script, same amount) or is change that re-derives from the registered wallet's change
// branch at a sane index. Anything else is a payment nobody approved.
import type { Psbt } from 'bitcoinjs-lib';
import { KuraError } from '../../errors.js';
import type { WalletDeriver } from '../../bitcoin/addresses.js';
import { CHANGE } from '../../bitcoin/descriptor.js';
import type { WithdrawalRequest } from '../../approvals/request.js';
import type { SigningPackage } from '../../artifacts/kuraFields.js';
import { claimedPosition } from './derivation.js';

/**
 * The coordinator hands out change addresses in order with a gap limit; a change output beyond
 * this index would never be found by a wallet scanning the descriptor and could hold coins to
 * ransom (THREATS.md #14).
 */
export const MAX_CHANGE_INDEX = 100_000;

export interface CheckedPayment {
  readonly outputIndex: number;
  readonly request: WithdrawalRequest;
}

export interface CheckedChange {
  readonly outputIndex: number;
  readonly index: number;
  readonly address: string;
  readonly valueSat: bigint;
}

export interface CheckedOutputs {
  readonly payments: readonly CheckedPayment[];
  readonly change: readonly CheckedChange[];
  readonly totalOutSat: bigint;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function checkOutputs(psbt: Psbt, pkg: SigningPackage, deriver: WalletDeriver): CheckedOutputs {
  const payments: CheckedPayment[] = [];
  const change: CheckedChange[] = [];
  const paid = new Set<string>();
  let totalOutSat = 0n;
  psbt.txOutputs.forEach((out, outputIndex) => {
    const field = `outputs[${outputIndex}]`;
    totalOutSat += out.value;
    const requestId = pkg.outputRequestIds[outputIndex];
    if (requestId !== undefined) {
      const request = pkg.requests.get(requestId);
      if (request === undefined || paid.has(requestId)) {
        throw new KuraError(
          'OUTPUT_NOT_APPROVED',
          `"${field}" is tagged with request ${requestId.slice(0, 16)}…, which the package ${request === undefined ? 'does not hold' : 'already pays'}`,
          { field, requestId },
        );
      }
      if (!sameBytes(out.script, request.scriptPubKey) || out.value !== request.amountSat) {
        throw new KuraError(
          'OUTPUT_NOT_APPROVED',
          `"${field}" pays ${out.value} sats to another script than request ${requestId.slice(0, 16)}… (${request.amountSat} sats to ${request.destination})`,
          { field, requestId },
        );
      }
      paid.add(requestId);
      payments.push({ outputIndex, request });
      return;
    }
    const psbtOutput = psbt.data.outputs[outputIndex];
    const claim = claimedPosition(deriver.wallet, psbtOutput?.bip32Derivation);
    if (claim === undefined) {
      throw new KuraError(
        'OUTPUT_NOT_APPROVED',
        `"${field}" pays ${out.value} sats to a script no request approved`,
        {
          field,
        },
      );
    }
    if (!claim.consistent || claim.branch !== CHANGE) {
      throw new KuraError(
        'CHANGE_NOT_OURS',
        `"${field}" claims to be change but its paths are not the change branch`,
        {
          field: `${field}.bip32Derivation`,
        },
      );
    }
    if (claim.index > MAX_CHANGE_INDEX) {
      throw new KuraError(
        'CHANGE_INDEX_ABSURD',
        `"${field}" is change at index ${claim.index}, above ${MAX_CHANGE_INDEX}`,
        {
          field: `${field}.bip32Derivation`,
          index: claim.index,
        },
      );
    }
    const derived = deriver.derive(CHANGE, claim.index);
    const witnessScript = psbtOutput?.witnessScript;
    if (
      !sameBytes(out.script, derived.scriptPubKey) ||
      (witnessScript !== undefined && !sameBytes(witnessScript, derived.witnessScript))
    ) {
      throw new KuraError(
        'CHANGE_NOT_OURS',
        `"${field}" claims to be change at /1/${claim.index} but is not the wallet's script there`,
        { field: `${field}.script` },
      );
    }
    change.push({ outputIndex, index: claim.index, address: derived.address, valueSat: out.value });
  });
  for (const requestId of pkg.requests.keys()) {
    if (!paid.has(requestId)) {
      throw new KuraError(
        'REQUEST_NOT_PAID',
        `request ${requestId.slice(0, 16)}… is in the package but no output pays it`,
        {
          field: 'requests',
          requestId,
        },
      );
    }
  }
  return { payments, change, totalOutSat };
}
