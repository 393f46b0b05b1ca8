// The message a kura proof of reserves commits to: the operator's text (who the custodian is, and
// anything an auditor asked to be included as a challenge) followed by the block the proof is
// for. Naming the block inside the committed message means a signature made for one block can
// never be presented as a proof at another; the verifier checks that the block is the one the
// auditor's own node has at that height.
import { KuraError } from '../../errors.js';
import { checkProofMessage } from '../../artifacts/buildProof.js';

export interface ProofBlock {
  readonly height: number;
  /** Display order hex, as RPC prints it. */
  readonly hash: string;
}

const SEPARATOR = ' — block ';
const BLOCK_SUFFIX = / — block (0|[1-9][0-9]{0,9}) ([0-9a-f]{64})$/;

/** `<text> — block <height> <hash>`, checked as a whole (PROOF_MESSAGE_INVALID). */
export function proofMessage(text: string, block: ProofBlock): string {
  checkProofMessage(text, 'message');
  if (BLOCK_SUFFIX.test(text)) {
    throw new KuraError(
      'PROOF_MESSAGE_INVALID',
      '"message" must not name a block itself: kura adds the block',
      {
        field: 'message',
      },
    );
  }
  return checkProofMessage(`${text}${SEPARATOR}${block.height} ${block.hash}`, 'message');
}

/** The block a message names at its end, or undefined when it names none. */
export function blockOfMessage(message: string): ProofBlock | undefined {
  const match = BLOCK_SUFFIX.exec(message);
  if (match === null) return undefined;
  const height = Number(match[1]);
  return Number.isSafeInteger(height) ? { height, hash: match[2] as string } : undefined;
}
