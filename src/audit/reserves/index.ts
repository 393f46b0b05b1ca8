// Proof of reserves (BIP-127): the coordinator's package and proof file, and the auditor's check
// against their own node. docs/reserves.md is the guide for operators and auditors.
export { auditorNodeClient, type NodeFlags } from './auditorNode.js';
export {
  checkCoinList,
  checkCommitment,
  checkInputSignatures,
  checkSingleOutput,
  parseProofTransaction,
  type InputSigners,
  type Prevout,
} from './checkTransaction.js';
export { reserveCoins } from './coins.js';
export {
  assembleProof,
  finalizeProof,
  type AssembledProof,
  type FinalizeOptions,
  type FinalizeResult,
  type SignedProofFile,
} from './finalize.js';
export { blockOfMessage, proofMessage, type ProofBlock } from './message.js';
export {
  MAX_PROOF_FILE_BYTES,
  PROOF_FILE_KIND,
  PROOF_FILE_VERSION,
  parseProofFile,
  proofFileOf,
  type ProofCoinMeta,
  type ReservesProof,
  type ReservesProofFile,
} from './proofFile.js';
export { proveReserves, type ProveOptions, type ProveResult } from './prove.js';
export {
  REPORT_KIND,
  REPORT_VERSION,
  parseReport,
  reportFileOf,
  type CoinState,
  type CoinStatus,
  type PassedCheck,
  type VerificationReport,
} from './report.js';
export {
  DEFAULT_MAX_SCAN_BLOCKS,
  coinLine,
  verifyReserves,
  verifyReservesFile,
  type VerifyOptions,
} from './verify.js';
