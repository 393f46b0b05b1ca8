// Reviewing a proof of reserves (BIP-127) before signing it. A proof moves nothing — its first
// input commits to a message and spends no coin that exists, so it can never be mined — which is
// why it needs no approvals. Everything that would make it dangerous if that were not so is
// refused anyway: the commitment must be exactly SHA-256("Proof-of-Reserves: " + message):0, the
// coins must be the registered wallet's (same input checks as a withdrawal), and the single
// output must pay all of them, to the wallet itself. Even a broken commitment could then only
// move the wallet's coins to the wallet, with no fee.
import type { Psbt } from 'bitcoinjs-lib';
import { KuraError } from '../errors.js';
import { WalletDeriver } from '../bitcoin/addresses.js';
import type { Branch } from '../bitcoin/descriptor.js';
import { checkProofMessage, commitmentHash, commitmentTxid } from '../artifacts/buildProof.js';
import { readPackage, type SigningPackage } from '../artifacts/kuraFields.js';
import { claimedPosition } from './checks/derivation.js';
import { checkInputs, txidOf, type CheckedInput } from './checks/inputs.js';
import { MAX_CHANGE_INDEX } from './checks/outputs.js';
import { unsignedTransaction } from './produceSignatures.js';
import { checkPackageHeader, type SignerState } from './review.js';

export interface ProofOutput {
  readonly address: string;
  readonly branch: Branch;
  readonly index: number;
  readonly valueSat: bigint;
}

export interface ProofReview {
  readonly pkg: SigningPackage;
  readonly txid: string;
  readonly message: string;
  /** Inputs 1…n: the wallet's coins (input 0 is the commitment). */
  readonly inputs: readonly CheckedInput[];
  readonly totalSat: bigint;
  readonly output: ProofOutput;
  /**
   * Coins this signer already signed away in a withdrawal. Shown, not refused: the proof is for
   * a past block, and the auditor checks against the chain which coins were unspent there.
   */
  readonly signedAway: readonly { readonly outpoint: string; readonly txid: string }[];
  /** This very proof was signed before (its ledger entry is reused). */
  readonly signedBefore: boolean;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The committed message, after proving the first input commits to it (BIP-127): its outpoint is
 * SHA-256("Proof-of-Reserves: " + message) with index 0, and nothing signs it. A commitment field
 * on any other input is refused: a tool that trusts it could show a payment as a proof.
 */
export function readCommitment(psbt: Psbt): string {
  psbt.data.inputs.forEach((input, index) => {
    if (index > 0 && input.porCommitment !== undefined) {
      throw new KuraError(
        'PROOF_COMMITMENT_UNEXPECTED',
        `"inputs[${index}].porCommitment" is set; only the first input of a proof commits to its message`,
        { field: `inputs[${index}].porCommitment` },
      );
    }
  });
  const first = psbt.data.inputs[0];
  const txIn = psbt.txInputs[0];
  if (first?.porCommitment === undefined || txIn === undefined) {
    throw new KuraError(
      'PROOF_COMMITMENT_MISSING',
      '"inputs[0]" carries no PSBT_IN_POR_COMMITMENT: this is not a BIP-127 proof of reserves',
      { field: 'inputs[0].porCommitment' },
    );
  }
  const message = checkProofMessage(first.porCommitment, 'inputs[0].porCommitment');
  if (txIn.index !== 0 || !sameBytes(txIn.hash, commitmentHash(message))) {
    throw new KuraError(
      'PROOF_COMMITMENT_MISMATCH',
      `"inputs[0]" spends ${txidOf(txIn.hash)}:${txIn.index}, not the commitment ${commitmentTxid(message)}:0 of its message`,
      { field: 'inputs[0].outpoint', expected: `${commitmentTxid(message)}:0` },
    );
  }
  if (
    (first.partialSig?.length ?? 0) > 0 ||
    first.finalScriptSig !== undefined ||
    first.finalScriptWitness !== undefined
  ) {
    throw new KuraError('PROOF_COMMITMENT_MISMATCH', '"inputs[0]" is the commitment and must stay unsigned', {
      field: 'inputs[0].partialSig',
    });
  }
  return message;
}

/** A proof pays no request and bumps nothing: any of that is a withdrawal in disguise. */
function checkProofPackage(pkg: SigningPackage, psbt: Psbt): void {
  const refuse = (field: string, why: string) =>
    new KuraError('PACKAGE_INVALID', `kura field "${field}" ${why}`, { field });
  if (pkg.header.bumps !== undefined) throw refuse('header.bumps', 'is set on a proof of reserves');
  if (
    pkg.requests.size > 0 ||
    pkg.approvals.length > 0 ||
    pkg.outputRequestIds.some((id) => id !== undefined)
  )
    throw refuse('requests', 'are in a proof of reserves, which pays no request');
  if (psbt.inputCount < 2) throw refuse('inputs', 'hold no coin: a proof of reserves proves at least one');
}

/** Exactly one output, worth exactly the coins, paying one of the wallet's own addresses. */
function checkProofOutput(psbt: Psbt, deriver: WalletDeriver, totalSat: bigint): ProofOutput {
  const outputs = psbt.txOutputs;
  const invalid = (why: string, field = 'outputs[0]') =>
    new KuraError('PROOF_OUTPUT_INVALID', `"${field}" ${why}`, { field });
  const out = outputs[0];
  if (outputs.length !== 1 || out === undefined)
    throw invalid(`number ${outputs.length}; a proof of reserves has exactly one`, 'outputs');
  if (out.value !== totalSat) {
    throw invalid(
      `pays ${out.value} sats but the coins hold ${totalSat}: a proof takes no fee and pays out no more than it proves`,
    );
  }
  const psbtOutput = psbt.data.outputs[0];
  const claim = claimedPosition(deriver.wallet, psbtOutput?.bip32Derivation);
  if (
    claim === undefined ||
    !claim.consistent ||
    (claim.branch !== 0 && claim.branch !== 1) ||
    claim.index > MAX_CHANGE_INDEX
  ) {
    throw invalid("does not name one of the wallet's own addresses in its derivations");
  }
  const derived = deriver.derive(claim.branch, claim.index);
  const witnessScript = psbtOutput?.witnessScript;
  if (
    !sameBytes(out.script, derived.scriptPubKey) ||
    (witnessScript !== undefined && !sameBytes(witnessScript, derived.witnessScript))
  ) {
    throw invalid(`is not the wallet's address at /${claim.branch}/${claim.index}`);
  }
  return { address: derived.address, branch: claim.branch, index: claim.index, valueSat: out.value };
}

export function reviewProof(psbt: Psbt, state: SignerState): ProofReview {
  const pkg = readPackage(psbt);
  if (pkg.header.purpose !== 'reserves') {
    throw new KuraError(
      'PACKAGE_INVALID',
      `package purpose "${pkg.header.purpose}" is not a proof of reserves`,
      {
        field: 'header.purpose',
      },
    );
  }
  checkPackageHeader(pkg, state);
  checkProofPackage(pkg, psbt);
  const message = readCommitment(psbt);

  const deriver = new WalletDeriver(state.wallet.wallet);
  const inputs = checkInputs(psbt, deriver, state.ownKey, 1);
  const totalSat = inputs.reduce((sum, i) => sum + i.valueSat, 0n);
  const output = checkProofOutput(psbt, deriver, totalSat);
  const txid = unsignedTransaction(psbt).getId();
  const signedAway = inputs.flatMap(({ outpoint }) => {
    const spentIn = state.ledger.spentBy.get(outpoint);
    return spentIn === undefined ? [] : [{ outpoint, txid: spentIn }];
  });
  return {
    pkg,
    txid,
    message,
    inputs,
    totalSat,
    output,
    signedAway,
    signedBefore: state.ledger.proofs.has(txid),
  };
}
