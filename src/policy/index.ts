// The policy of a kura wallet: file format (schema.ts), loading (load.ts, the only part that reads
// files), and pure evaluation (evaluate.ts, fee.ts). Pure callers may import those files directly.
export * from './types.js';
export {
  checkDenylistPath,
  parseDenylist,
  parsePolicy,
  policyHashOf,
  MAX_ALLOWLIST_ENTRIES,
  MAX_APPROVAL_EXPIRY_SECONDS,
  MAX_COOLING_SECONDS,
  MAX_DELAY_SECONDS,
  MAX_DENYLIST_ENTRIES,
  MAX_FEE_RATE_CAP_SAT_VB,
  MAX_OFFICERS,
  MAX_TIERS,
  MAX_WITHDRAWALS_PER_DAY,
  MIN_APPROVAL_EXPIRY_SECONDS,
} from './schema.js';
export { loadPolicy, MAX_DENYLIST_FILE_BYTES, type LoadedPolicy } from './load.js';
export {
  assertAllowed,
  assertNoReasons,
  evaluateRequest,
  isoTime,
  refusalError,
  tierFor,
  PENDING_APPROVAL_CODES,
  type Decision,
  type EvaluationContext,
  type Reason,
  type Usage24h,
  type VerifiedApproval,
} from './evaluate.js';
export { evaluateFee, type FeeInput } from './fee.js';
export { decisionView, policyView, tierView } from './view.js';
