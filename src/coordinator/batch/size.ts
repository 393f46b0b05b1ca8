// How big a spend of the wallet's coins will be once signed, before any signature exists. The
// fee is rate × this size, so it must never be smaller than the real size: every signature is
// counted at its largest (a 72-byte DER signature plus its sighash byte). The signer counts the
// same way for its fee-rate cap (src/signer/checks/size.ts); a test holds the two equal.
import * as varuint from 'varuint-bitcoin';

/** DER signatures are at most 72 bytes; the sighash byte makes 73. */
const MAX_SIGNATURE_WITH_SIGHASH = 73;
/** outpoint (32 + 4), empty scriptSig length (1), sequence (4) */
const INPUT_BASE_BYTES = 41;
/** value (8) before the script's length and bytes */
const OUTPUT_VALUE_BYTES = 8;

export interface SpendShape {
  /** M of the wallet's M-of-N. */
  readonly threshold: number;
  /** Length of the wallet's sortedmulti witness script (the same at every address). */
  readonly witnessScriptLength: number;
  readonly inputCount: number;
  /** Length of each output's scriptPubKey. */
  readonly outputScriptLengths: readonly number[];
}

/** Witness bytes of one input: item count, CHECKMULTISIG's empty item, M signatures, the script. */
export function inputWitnessBytes(threshold: number, witnessScriptLength: number): number {
  return (
    1 +
    1 +
    threshold * (1 + MAX_SIGNATURE_WITH_SIGHASH) +
    varuint.encodingLength(witnessScriptLength) +
    witnessScriptLength
  );
}

/** Upper bound of the signed transaction's virtual size, in vbytes. */
export function spendVsize(shape: SpendShape): number {
  const { inputCount, outputScriptLengths } = shape;
  let baseBytes = 4 + varuint.encodingLength(inputCount) + inputCount * INPUT_BASE_BYTES;
  baseBytes += varuint.encodingLength(outputScriptLengths.length);
  for (const length of outputScriptLengths) {
    baseBytes += OUTPUT_VALUE_BYTES + varuint.encodingLength(length) + length;
  }
  baseBytes += 4; // locktime
  const witnessBytes =
    2 + // segwit marker and flag
    inputCount * inputWitnessBytes(shape.threshold, shape.witnessScriptLength);
  return Math.ceil((baseBytes * 4 + witnessBytes) / 4);
}

/** What one more input of the wallet adds, in vbytes (rounded up): the cost of spending a coin. */
export function inputVsize(threshold: number, witnessScriptLength: number): number {
  return Math.ceil((INPUT_BASE_BYTES * 4 + inputWitnessBytes(threshold, witnessScriptLength)) / 4);
}

/** What one more output with a script of `scriptLength` bytes adds, in vbytes. */
export function outputVsize(scriptLength: number): number {
  return OUTPUT_VALUE_BYTES + varuint.encodingLength(scriptLength) + scriptLength;
}
