// What an intake client sends to ask for a withdrawal (the HTTP body, or the CLI's flags), checked
// at the boundary, and the digest that idempotency compares. The coordinator fills in everything
// else of the request (its id, wallet, network, policy hash) from its own home.
import { createHash } from 'node:crypto';
import { parseAmountSat } from '../../approvals/request.js';
import { KuraError } from '../../errors.js';

export interface WithdrawalBody {
  readonly destination: string;
  readonly amountSat: bigint;
  /** Seconds from intake until the request expires; null takes the policy's default. */
  readonly expiresInSeconds: number | null;
}

const FIELDS = ['destination', 'amountSat', 'expiresInSeconds'] as const;
/** The store's column holds at most 128 characters; no address is longer than 90. */
const MAX_DESTINATION_LENGTH = 128;
/** Idempotency keys and client ids: what the store's columns hold. */
const MAX_KEY_LENGTH = 128;

function invalid(field: string, why: string): KuraError {
  return new KuraError('REQUEST_INVALID', `"${field}" ${why}`, { field });
}

/** Checks the body's shape and types. Whether the address is of our network is submit's check. */
export function parseWithdrawalBody(json: unknown): WithdrawalBody {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalid('(body)', 'must be a JSON object with destination and amountSat');
  }
  const o = json as Record<string, unknown>;
  // A field kura does not know (a memo, a fee, a typo of "amountSat") would be silently dropped
  // and the client would believe it was honoured: refuse it instead.
  const unknown = Object.keys(o).find((k) => !(FIELDS as readonly string[]).includes(k));
  if (unknown !== undefined) throw invalid(unknown, `is not a field of a withdrawal (${FIELDS.join(', ')})`);
  const { destination, expiresInSeconds } = o;
  if (
    typeof destination !== 'string' ||
    destination.length === 0 ||
    destination.length > MAX_DESTINATION_LENGTH
  ) {
    throw invalid('destination', `must be an address of 1–${MAX_DESTINATION_LENGTH} characters`);
  }
  if (o.amountSat === undefined) throw invalid('amountSat', 'is required (sats, as a string of digits)');
  const amountSat = parseAmountSat(o.amountSat, 'amountSat');
  let expires: number | null = null;
  if (expiresInSeconds !== undefined && expiresInSeconds !== null) {
    if (
      typeof expiresInSeconds !== 'number' ||
      !Number.isSafeInteger(expiresInSeconds) ||
      expiresInSeconds < 1
    ) {
      throw invalid('expiresInSeconds', 'must be a positive integer of seconds');
    }
    expires = expiresInSeconds;
  }
  return { destination, amountSat, expiresInSeconds: expires };
}

/**
 * SHA-256 of the body in canonical form: the amount as a decimal string (so "1000" and 1000 are
 * the same body), the fields in a fixed order, and a version tag so a later body format can never
 * collide with this one.
 */
export function withdrawalBodySha256(body: WithdrawalBody): string {
  const canonical = JSON.stringify([
    'kura-withdrawal-body/v1',
    body.destination,
    body.amountSat.toString(),
    body.expiresInSeconds,
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** An idempotency key or client id: 1–128 visible ASCII characters (no spaces, no controls). */
export function parseClientKey(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_KEY_LENGTH) {
    throw invalid(field, `must be 1–${MAX_KEY_LENGTH} characters`);
  }
  if (!/^[\x21-\x7e]+$/.test(value)) throw invalid(field, 'must be visible ASCII characters only');
  return value;
}
