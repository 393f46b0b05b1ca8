// Proof of liabilities: a Merkle-sum tree over salted customer balances (hashes.ts explains the
// construction), its files, and the customer's check.
import { readJsonFile } from '../../artifacts/readFile.js';
import { parseProofFile, parseRootFile } from './files.js';
import { verifyInclusion, type InclusionResult } from './verify.js';

export * from './balances.js';
export * from './build.js';
export * from './files.js';
export * from './hashes.js';
export * from './tree.js';
export * from './verify.js';

/** `kura audit liabilities verify`: reads both files, checks their fields, then the inclusion. */
export function verifyInclusionFiles(proofPath: string, rootPath: string): InclusionResult {
  const root = parseRootFile(readJsonFile(rootPath, 'root'));
  const proof = parseProofFile(readJsonFile(proofPath, 'proof'));
  return verifyInclusion(proof, root);
}
