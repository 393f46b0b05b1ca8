// Reasons: what evaluation returns for each rule a request fails, and the one error a refusal
// becomes. Pure.
import { KuraError, type ErrorCode } from '../errors.js';

export interface Reason {
  readonly code: ErrorCode;
  /** The request, policy or approval field the reason is about, e.g. "limits.perWithdrawalSat". */
  readonly field: string;
  readonly message: string;
}

/** Reasons that only mean "approvals still to collect", not that the request is refused. */
export const PENDING_APPROVAL_CODES: readonly ErrorCode[] = [
  'APPROVAL_QUORUM_NOT_MET',
  'APPROVAL_DELAY_NOT_OVER',
];

/** Unix seconds as UTC ISO-8601, for messages. Deterministic: formats the given time only. */
export function isoTime(unixSeconds: number): string {
  const ms = unixSeconds * 1000;
  // Date covers ±8.64e15 ms; a time beyond it is shown as the number it is.
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return `${unixSeconds} (unix seconds)`;
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/**
 * The error for a refusal: the reason's own code when there is one reason, otherwise
 * POLICY_REFUSED. Either way details.reasons lists every reason.
 */
export function refusalError(reasons: readonly Reason[], details: Record<string, unknown> = {}): KuraError {
  const [only] = reasons;
  if (only === undefined) return new KuraError('INTERNAL', 'a refusal was raised without a reason');
  if (reasons.length === 1)
    return new KuraError(only.code, only.message, { field: only.field, reasons, ...details });
  const list = reasons.map((r) => `${r.code} (${r.field})`).join('; ');
  return new KuraError('POLICY_REFUSED', `the policy refuses this for ${reasons.length} reasons: ${list}`, {
    reasons,
    ...details,
  });
}

/** Throws the refusal for a list of reasons (e.g. from evaluateFee) unless it is empty. */
export function assertNoReasons(reasons: readonly Reason[]): void {
  if (reasons.length > 0) throw refusalError(reasons);
}
