// The coordinator's request service: submit, show, list, approve, cancel and refresh withdrawal
// requests. Pure functions over a CoordinatorHome and a `now` (unix seconds); the HTTP API
// (src/coordinator/http) and the CLI (cli/request.ts) are thin callers. docs/intake.md.
export { parseClientKey, parseWithdrawalBody, withdrawalBodySha256, type WithdrawalBody } from './body.js';
export { checkNow, systemNow } from './clock.js';
export {
  rejectionError,
  storeWithdrawal,
  submitWithdrawal,
  MIN_REQUEST_LIFETIME_SECONDS,
  ROLLING_WINDOW_SECONDS,
  type StoredRefusal,
  type SubmitInput,
  type SubmitResult,
} from './submit.js';
export { MAX_GROUP_SIZE, WithdrawalSubmissions } from './submissions.js';
export { submitApproval, type ApprovalResult } from './approve.js';
export {
  cancelWithdrawal,
  refreshRequests,
  settleRequest,
  type CancelBy,
  type CancelResult,
  type RefreshResult,
} from './lifecycle.js';
export {
  listWithdrawals,
  parseRequestId,
  parseStateFilter,
  showWithdrawal,
  MAX_LIST_LIMIT,
  type ListQuery,
} from './query.js';
export {
  decisionFor,
  withdrawalRequestOf,
  withdrawalView,
  type ApprovalView,
  type ProgressView,
  type RequestDecision,
  type WithdrawalView,
} from './view.js';
