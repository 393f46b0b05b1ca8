// Input checks (THREATS.md #6, #8, #9, #15): every input carries its full previous transaction,
// which hashes to the outpoint and agrees with the witness UTXO; its witness script re-derives
// from the registered wallet at the claimed path; and nothing but SIGHASH_ALL is asked for.
import { Transaction, type Psbt } from 'bitcoinjs-lib';
import { bytesToHex } from '@noble/hashes/utils.js';
import { KuraError } from '../../errors.js';
import type { WalletDeriver, DerivedAddress } from '../../bitcoin/addresses.js';
import type { AccountKey } from '../../bitcoin/keyExpression.js';
import { HARDENED } from '../../bitcoin/keyExpression.js';
import { claimedPosition, containsBytes } from './derivation.js';

export interface CheckedInput {
  readonly index: number;
  readonly outpoint: string;
  readonly valueSat: bigint;
  readonly derived: DerivedAddress;
}

const SIGHASH_ALL = Transaction.SIGHASH_ALL;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Transaction ids are shown and stored in the usual reversed hex. */
export function txidOf(hash: Uint8Array): string {
  return bytesToHex(Uint8Array.from(hash).reverse());
}

/**
 * Checks every input from `firstIndex` on. Inputs before it are left to the caller: a proof of
 * reserves' first input is its BIP-127 commitment, which spends nothing (reviewProof.ts).
 */
export function checkInputs(
  psbt: Psbt,
  deriver: WalletDeriver,
  ownKey: AccountKey,
  firstIndex = 0,
): CheckedInput[] {
  const txInputs = psbt.txInputs;
  // Several inputs often spend outputs of the same previous transaction: parse and hash it once.
  const parsedPrevious = new Map<string, { tx: Transaction; hash: Uint8Array; bytes: Uint8Array }>();
  return psbt.data.inputs.slice(firstIndex).map((input, offset) => {
    const index = firstIndex + offset;
    const txIn = txInputs[index];
    if (txIn === undefined) throw new KuraError('PSBT_MALFORMED', `input ${index} has no transaction input`);
    const field = `inputs[${index}]`;
    const outpoint = `${txidOf(txIn.hash)}:${txIn.index}`;

    if (input.sighashType !== undefined && input.sighashType !== SIGHASH_ALL) {
      throw new KuraError(
        'SIGHASH_NOT_ALLOWED',
        `"${field}.sighashType" is ${input.sighashType}; only ALL (1) is signed`,
        {
          field: `${field}.sighashType`,
        },
      );
    }
    for (const sig of input.partialSig ?? []) {
      if (sig.signature.at(-1) !== SIGHASH_ALL) {
        throw new KuraError('SIGHASH_NOT_ALLOWED', `"${field}.partialSig" carries a non-ALL signature`, {
          field: `${field}.partialSig`,
        });
      }
    }

    if (input.nonWitnessUtxo === undefined) {
      throw new KuraError(
        'INPUT_PREVIOUS_TX_MISSING',
        `"${field}" lacks its full previous transaction (needed against the segwit fee attack)`,
        { field: `${field}.nonWitnessUtxo` },
      );
    }
    // Keyed by the outpoint's txid: a later input naming the same txid reuses the parse only if
    // its bytes are identical (a compare, not another hash), so one large funding transaction
    // spent by thousands of inputs is hashed once.
    const txidKey = bytesToHex(txIn.hash);
    let previous = parsedPrevious.get(txidKey);
    if (previous === undefined || !Buffer.from(previous.bytes).equals(Buffer.from(input.nonWitnessUtxo))) {
      let tx: Transaction;
      try {
        tx = Transaction.fromBuffer(input.nonWitnessUtxo);
      } catch (cause) {
        throw new KuraError(
          'PSBT_MALFORMED',
          `"${field}.nonWitnessUtxo" is not a transaction`,
          { field },
          cause,
        );
      }
      previous = { tx, hash: tx.getHash(), bytes: input.nonWitnessUtxo };
      if (!parsedPrevious.has(txidKey)) parsedPrevious.set(txidKey, previous);
    }
    if (!sameBytes(previous.hash, txIn.hash)) {
      throw new KuraError(
        'INPUT_PREVIOUS_TX_MISMATCH',
        `"${field}.nonWitnessUtxo" does not hash to the outpoint ${outpoint}`,
        {
          field: `${field}.nonWitnessUtxo`,
        },
      );
    }
    const prevOut = previous.tx.outs[txIn.index];
    if (prevOut === undefined) {
      throw new KuraError(
        'INPUT_PREVIOUS_TX_MISMATCH',
        `"${field}": the previous transaction has no output ${txIn.index}`,
        {
          field: `${field}.nonWitnessUtxo`,
        },
      );
    }
    if (
      input.witnessUtxo !== undefined &&
      (input.witnessUtxo.value !== prevOut.value || !sameBytes(input.witnessUtxo.script, prevOut.script))
    ) {
      throw new KuraError(
        'INPUT_WITNESS_UTXO_MISMATCH',
        `"${field}.witnessUtxo" says ${input.witnessUtxo.value} sats but the previous transaction says ${prevOut.value}`,
        { field: `${field}.witnessUtxo` },
      );
    }

    const claim = claimedPosition(deriver.wallet, input.bip32Derivation);
    const notOurs = (why: string) =>
      new KuraError('INPUT_NOT_OURS', `"${field}" ${why}`, { field: `${field}.witnessScript`, outpoint });
    if (claim === undefined) throw notOurs('names no key of the registered wallet in its derivations');
    if (!claim.consistent) throw notOurs('has derivation paths that disagree with each other');
    if ((claim.branch !== 0 && claim.branch !== 1) || claim.index >= HARDENED) {
      throw notOurs(`claims branch ${claim.branch}, which is neither receive (0) nor change (1)`);
    }
    const derived = deriver.derive(claim.branch, claim.index);
    const witnessScript = input.witnessScript;
    if (witnessScript === undefined) throw notOurs('has no witness script');
    if (
      !sameBytes(witnessScript, derived.witnessScript) ||
      !sameBytes(prevOut.script, derived.scriptPubKey)
    ) {
      // Our own key inside a script that is not our wallet's: a coin of another wallet we share.
      const ownChild = ownKey.node.derive(claim.branch).derive(claim.index).publicKey;
      if (containsBytes(witnessScript, ownChild)) {
        throw new KuraError(
          'INPUT_MIXED_WALLETS',
          `"${field}" belongs to another wallet that shares this signer's key`,
          {
            field: `${field}.witnessScript`,
            outpoint,
          },
        );
      }
      throw notOurs(`does not re-derive from the registered wallet at /${claim.branch}/${claim.index}`);
    }
    return { index, outpoint, valueSat: prevOut.value, derived };
  });
}
