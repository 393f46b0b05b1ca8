// Checks on what the rest of the coordinator hands the store, before SQLite sees it. The schema's
// CHECK constraints say the same again; these name the field in a KuraError instead.
import { KuraError } from '../../errors.js';
import { MAX_MONEY_SAT } from '../../approvals/request.js';

function bad(field: string, why: string): KuraError {
  return new KuraError('ARGUMENT_INVALID', `"${field}" ${why}`, { field });
}

/** Lowercase hex of exactly `bytes` bytes. */
export function hexOf(value: string, field: string, bytes = 32): string {
  if (typeof value !== 'string' || value.length !== bytes * 2 || !/^[0-9a-f]*$/.test(value)) {
    throw bad(field, `must be ${bytes} bytes of lowercase hex`);
  }
  return value;
}

/** Lowercase hex of 1 to `maxBytes` bytes (scripts). */
export function scriptHex(value: string, field: string, maxBytes = 80): string {
  if (
    typeof value !== 'string' ||
    value.length < 2 ||
    value.length > maxBytes * 2 ||
    value.length % 2 !== 0 ||
    !/^[0-9a-f]*$/.test(value)
  ) {
    throw bad(field, `must be 1–${maxBytes} bytes of lowercase hex`);
  }
  return value;
}

export function textOf(value: string, field: string, max: number, min = 1): string {
  if (typeof value !== 'string' || value.length < min || value.length > max) {
    throw bad(field, `must be ${min}–${max} characters`);
  }
  return value;
}

export function integerOf(value: number, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw bad(field, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** An amount of sats; `min` is 1 for payments and 0 for outputs and fees. */
export function satsOf(value: bigint, field: string, min = 1n): bigint {
  if (typeof value !== 'bigint' || value < min || value > MAX_MONEY_SAT) {
    throw new KuraError(
      'AMOUNT_INVALID',
      `"${field}" must be an integer from ${min} to ${MAX_MONEY_SAT} sats`,
      {
        field,
      },
    );
  }
  return value;
}

/** Batch ids are what the PSBT header allows: 1–64 letters, digits, - or _. */
export function batchIdOf(value: string, field = 'batchId'): string {
  if (typeof value !== 'string' || !/^[0-9A-Za-z_-]{1,64}$/.test(value)) {
    throw bad(field, 'must be 1–64 letters, digits, - or _');
  }
  return value;
}

export function bytesOf(value: Uint8Array, field: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length === 0) throw bad(field, 'must be non-empty bytes');
  return value;
}

export function outpointText(o: { txid: string; vout: number }): string {
  return `${o.txid}:${o.vout}`;
}
