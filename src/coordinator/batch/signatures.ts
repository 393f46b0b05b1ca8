// Checking the partial signatures of a signed file against the batch the coordinator built.
// Nothing of the file is trusted but its signatures, and each of those must be by a registered
// cosigner's key for that very input (the key the builder put in the input's BIP-32
// derivations), strict DER with low S and SIGHASH_ALL, and valid for the BIP-143 hash of the
// built transaction. The caller has already proven that the file's unsigned transaction is the
// batch's (same txid). Everything else in the file — its UTXO data, scripts, proprietary fields —
// is ignored: the coordinator combines only verified signatures into its own copy.
import { script as bjsScript, Transaction, type Psbt } from 'bitcoinjs-lib';
import { bytesToHex } from '@noble/hashes/utils.js';
import { KuraError } from '../../errors.js';
import { ecc } from '../../bitcoin/ecc.js';
import { WitnessV0Sighasher } from '../../bitcoin/sighash.js';
import { unsignedTx } from './psbt.js';

export interface CosignerSignature {
  readonly inputIndex: number;
  readonly pubkey: Uint8Array;
  /** DER signature with its sighash byte, as it goes into the witness. */
  readonly signature: Uint8Array;
}

/** Verified signatures grouped by the signing cosigner's master fingerprint. */
export type SignaturesByCosigner = Map<string, CosignerSignature[]>;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Verifies every partial signature of `file` against `built`; any bad one refuses the whole file. */
export function verifySignatures(built: Psbt, file: Psbt): SignaturesByCosigner {
  const sighasher = new WitnessV0Sighasher(unsignedTx(built));
  const result: SignaturesByCosigner = new Map();
  file.data.inputs.forEach((input, inputIndex) => {
    const field = `inputs[${inputIndex}].partialSig`;
    const ours = built.data.inputs[inputIndex];
    const witnessScript = ours?.witnessScript;
    const valueSat = ours?.witnessUtxo?.value;
    if (ours === undefined || witnessScript === undefined || valueSat === undefined) {
      throw new KuraError('INTERNAL', `the stored batch lacks the witness data of input ${inputIndex}`);
    }
    for (const partial of input.partialSig ?? []) {
      const pubkey = bytesToHex(partial.pubkey);
      const derivation = (ours.bip32Derivation ?? []).find((d) => sameBytes(d.pubkey, partial.pubkey));
      if (derivation === undefined) {
        throw new KuraError(
          'SIGNATURE_KEY_UNKNOWN',
          `"${field}" holds a signature by ${pubkey}, which is no registered cosigner's key for input ${inputIndex}`,
          { field, inputIndex, pubkey },
        );
      }
      let decoded: { signature: Uint8Array; hashType: number };
      try {
        decoded = bjsScript.signature.decode(partial.signature);
      } catch (cause) {
        throw new KuraError(
          'SIGNATURE_INVALID',
          `"${field}" by ${pubkey.slice(0, 16)}… is not a strict DER signature`,
          { field, inputIndex, pubkey },
          cause,
        );
      }
      if (decoded.hashType !== Transaction.SIGHASH_ALL) {
        throw new KuraError(
          'SIGHASH_NOT_ALLOWED',
          `"${field}" by ${pubkey.slice(0, 16)}… is for sighash ${decoded.hashType}; only ALL (1) is combined`,
          { field, inputIndex, pubkey },
        );
      }
      const hash = sighasher.hash(inputIndex, witnessScript, valueSat);
      let valid: boolean;
      try {
        // strict: a high-S signature is malleable and non-standard; nodes would not relay it
        valid = ecc.verify(hash, partial.pubkey, decoded.signature, true);
      } catch {
        valid = false;
      }
      if (!valid) {
        throw new KuraError(
          'SIGNATURE_INVALID',
          `"${field}" by ${pubkey.slice(0, 16)}… does not verify for input ${inputIndex} of the batch's transaction`,
          { field, inputIndex, pubkey },
        );
      }
      const fingerprint = bytesToHex(derivation.masterFingerprint);
      const list = result.get(fingerprint) ?? [];
      if (!list.some((s) => s.inputIndex === inputIndex)) {
        list.push({ inputIndex, pubkey: partial.pubkey, signature: partial.signature });
      }
      result.set(fingerprint, list);
    }
  });
  return result;
}
