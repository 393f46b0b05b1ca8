// Combining and finalizing. The stored signed files are read back and verified again (the
// database is not trusted more than a file), their signatures are put into a fresh copy of the
// built PSBT — exactly M per input, in the witness script's key order — and bitcoinjs-lib
// finalizes and extracts the network transaction. The result must have the batch's txid.
import { payments, Psbt, type Transaction } from 'bitcoinjs-lib';
import { bytesToHex } from '@noble/hashes/utils.js';
import { KuraError, isKuraError } from '../../errors.js';
import type { BatchRecord, BatchSignatureRecord } from '../store/index.js';
import { decodePsbt } from '../../artifacts/psbtFile.js';
import { verifySignatures, type CosignerSignature } from './signatures.js';

/** Per input: the verified signatures, by public key (hex). */
export type InputSignatures = Map<string, CosignerSignature>[];

/** Every stored cosigner's signatures for the batch, verified again. */
export function storedSignatures(batch: BatchRecord, rows: readonly BatchSignatureRecord[]): InputSignatures {
  const built = Psbt.fromBuffer(batch.psbt);
  const perInput: InputSignatures = built.data.inputs.map(() => new Map());
  for (const row of rows) {
    let bySigner: ReturnType<typeof verifySignatures>;
    try {
      bySigner = verifySignatures(built, decodePsbt(row.psbt));
    } catch (cause) {
      if (!isKuraError(cause)) throw cause;
      throw new KuraError(
        'STORE_CORRUPT',
        `the stored signatures of cosigner ${row.fingerprint} for batch ${batch.batchId} fail their check (${cause.code})`,
        { field: 'batch_signatures', batchId: batch.batchId, fingerprint: row.fingerprint },
        cause,
      );
    }
    for (const s of bySigner.get(row.fingerprint) ?? []) {
      perInput[s.inputIndex]?.set(bytesToHex(s.pubkey), s);
    }
  }
  return perInput;
}

/** How many inputs have at least `threshold` distinct cosigners' signatures. */
export function inputsReady(signatures: InputSignatures, threshold: number): number {
  return signatures.filter((sigs) => sigs.size >= threshold).length;
}

/**
 * The finalized transaction, once every input has `threshold` signatures. Exactly `threshold`
 * signatures go into each witness (CHECKMULTISIG takes M), those of the keys that come first in
 * the script, so the same signatures always make the same transaction bytes.
 */
export function finalizeBatch(
  batch: BatchRecord,
  signatures: InputSignatures,
  threshold: number,
): Transaction {
  const psbt = Psbt.fromBuffer(batch.psbt);
  psbt.data.inputs.forEach((input, index) => {
    const witnessScript = input.witnessScript;
    const available = signatures[index];
    if (witnessScript === undefined || available === undefined) {
      throw new KuraError('INTERNAL', `batch ${batch.batchId} input ${index} has no witness script`);
    }
    const keys = payments.p2ms({ output: witnessScript }).pubkeys ?? [];
    const chosen = keys
      .map((key) => available.get(bytesToHex(key)))
      .filter((s): s is CosignerSignature => s !== undefined)
      .slice(0, threshold);
    if (chosen.length < threshold) {
      throw new KuraError(
        'INTERNAL',
        `batch ${batch.batchId} input ${index} has too few signatures to finalize`,
      );
    }
    psbt.updateInput(index, {
      partialSig: chosen.map((s) => ({ pubkey: s.pubkey, signature: s.signature })),
    });
  });
  psbt.finalizeAllInputs();
  const tx = psbt.extractTransaction();
  if (tx.getId() !== batch.txid) {
    throw new KuraError(
      'INTERNAL',
      `batch ${batch.batchId} finalized to ${tx.getId()}, not its transaction ${batch.txid}`,
    );
  }
  return tx;
}
