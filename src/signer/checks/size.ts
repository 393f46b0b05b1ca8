// The virtual size a P2WSH M-of-N spend will have once finalized, for the fee-rate cap. The
// non-witness part is counted exactly from the unsigned transaction; each witness is counted at
// its largest (72-byte DER signatures), so the fee rate used for the cap is never overstated.
import type { Psbt } from 'bitcoinjs-lib';
import * as varuint from 'varuint-bitcoin';

const MAX_DER_SIGNATURE_WITH_SIGHASH = 73;
// outpoint (32 + 4) + empty scriptSig length (1) + sequence (4)
const INPUT_BASE_BYTES = 41;

export function estimateVsize(
  psbt: Psbt,
  threshold: number,
  witnessScriptLengths: readonly number[],
): number {
  const outputs = psbt.txOutputs;
  let baseSize = 4 + varuint.encodingLength(psbt.inputCount) + psbt.inputCount * INPUT_BASE_BYTES;
  baseSize += varuint.encodingLength(outputs.length);
  for (const out of outputs) baseSize += 8 + varuint.encodingLength(out.script.length) + out.script.length;
  baseSize += 4; // locktime
  let witnessSize = 2; // segwit marker and flag
  for (const scriptLength of witnessScriptLengths) {
    witnessSize +=
      1 + // number of witness items
      1 + // the empty item CHECKMULTISIG consumes
      threshold * (1 + MAX_DER_SIGNATURE_WITH_SIGHASH) +
      varuint.encodingLength(scriptLength) +
      scriptLength;
  }
  return Math.ceil((baseSize * 4 + witnessSize) / 4);
}
