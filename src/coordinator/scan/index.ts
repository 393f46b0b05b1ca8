// Block scanning for the coordinator's coin tracking: pure scanning of raw blocks against the
// wallet's scripts with gap-limit discovery, and a sync walk that reports reorgs. No database.
export {
  BRANCHES,
  DEFAULT_GAP_LIMIT,
  MAX_GAP_LIMIT,
  branchBook,
  markIssued,
  markUsed,
  newAddressBook,
  nextUnusedIndex,
  parseAddressBook,
  watchedUpTo,
  type AddressBook,
  type BranchBook,
} from './book.js';
export {
  BlockScanner,
  outpointKey,
  type BlockScan,
  type Holds,
  type ReceivedOutput,
  type SpentOutpoint,
  type TransactionsScan,
} from './block.js';
export { syncFrom, type SyncEvent, type SyncResult, type SyncStart } from './sync.js';
