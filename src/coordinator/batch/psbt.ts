// Small PSBT facts the batch module needs in several places: the unsigned transaction and its
// txid, the outpoints it spends, and the file name of a batch.
import { join } from 'node:path';
import { Transaction, type Psbt } from 'bitcoinjs-lib';
import { bytesToHex } from '@noble/hashes/utils.js';
import { writeFileAtomic } from '../../artifacts/atomicWrite.js';
import type { Outpoint } from '../store/index.js';

/** The unsigned transaction of a PSBT, rebuilt from its inputs and outputs. */
export function unsignedTx(psbt: Psbt): Transaction {
  const tx = new Transaction();
  tx.version = psbt.version;
  tx.locktime = psbt.locktime;
  for (const input of psbt.txInputs) tx.addInput(Uint8Array.from(input.hash), input.index, input.sequence);
  for (const output of psbt.txOutputs) tx.addOutput(Uint8Array.from(output.script), output.value);
  return tx;
}

/** Transaction ids are shown and stored in the usual reversed hex. */
export function txidOfHash(hash: Uint8Array): string {
  return bytesToHex(Uint8Array.from(hash).reverse());
}

export function outpointsOf(psbt: Psbt): Outpoint[] {
  return psbt.txInputs.map((input) => ({ txid: txidOfHash(input.hash), vout: input.index }));
}

export function batchFileName(batchId: string): string {
  return `${batchId}.psbt`;
}

/**
 * Writes `<batchId>.psbt` (binary BIP-174) into `outDir`, atomically and never over an existing
 * file: a half-written or silently replaced signing package must never reach a signer.
 */
export function writeBatchFile(outDir: string, batchId: string, psbt: Uint8Array): string {
  const path = join(outDir, batchFileName(batchId));
  writeFileAtomic(path, psbt, { mode: 0o644, exclusive: true });
  return path;
}
