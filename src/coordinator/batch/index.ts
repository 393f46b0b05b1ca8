// Batches: approved withdrawals become signing packages, signed files come back and are checked
// and combined, the final transaction is broadcast (the same bytes every time) and followed to
// its confirmation, and a stuck one is replaced by a declared fee bump. docs/batches.md.
export {
  buildBatches,
  buildBatchesWithReport,
  newBatchId,
  type BatchChange,
  type BatchInput,
  type BatchPayment,
  type BuildOptions,
  type BuildReport,
  type BuiltBatch,
} from './build.js';
export { cancelBatch, type CancelResult } from './cancel.js';
export {
  finalizeIfReady,
  importSignedPsbts,
  type BatchProgress,
  type CosignerImport,
  type FileImport,
  type ImportReport,
} from './import.js';
export { broadcastBatch, type BroadcastResult } from './broadcast.js';
export { followBatches, type FollowedBatch } from './follow.js';
export { bumpBatch, INCREMENTAL_RELAY_SAT_VB, type BumpedBatch } from './bump.js';
export {
  batchPsbt,
  batchSummary,
  listBatchSummaries,
  showBatch,
  type BatchDetail,
  type BatchSummary,
} from './view.js';
export { locateTransaction, type Located } from './locate.js';
export { describeSkip, type SkippedRequest } from './eligible.js';
export {
  chooseFeeRate,
  DEFAULT_CONF_TARGET_BLOCKS,
  FALLBACK_FEE_RATE_SAT_VB,
  FEE_RATE_FLOOR_SAT_VB,
  type FeeRateChoice,
  type FeeRateSource,
} from './feeRate.js';
export { minChangeSat, P2WSH_DUST_SAT, selectCoins, type Selection } from './select.js';
export { MAX_BATCH_VSIZE, planBatches } from './plan.js';
export { spendVsize } from './size.js';
export { batchFileName } from './psbt.js';
