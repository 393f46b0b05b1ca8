// Field checks for the reserves JSON files (the proof and the verification report): the same
// checks for both, each refusal with the file's own code and naming the field.
import { MAX_MONEY_SAT } from '../../approvals/request.js';
import { KuraError, type ErrorCode } from '../../errors.js';

export interface FieldReaders {
  invalid(field: string, why: string): KuraError;
  object(value: unknown, field: string): Record<string, unknown>;
  hash(value: unknown, field: string): string;
  integer(value: unknown, field: string, max?: number): number;
  /** A whole number of sats, 0 to 21 million BTC, written as a decimal string. */
  sats(value: unknown, field: string): bigint;
  text(value: unknown, field: string, max?: number): string;
}

export function fieldReaders(code: ErrorCode, what: string): FieldReaders {
  const invalid = (field: string, why: string) => new KuraError(code, `${what} "${field}" ${why}`, { field });
  return {
    invalid,
    object(value, field) {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw invalid(field, 'must be an object');
      return value as Record<string, unknown>;
    },
    hash(value, field) {
      if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value))
        throw invalid(field, 'must be 64 lowercase hex digits');
      return value;
    },
    integer(value, field, max = Number.MAX_SAFE_INTEGER) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max)
        throw invalid(field, `must be an integer from 0 to ${max}`);
      return value;
    },
    sats(value, field) {
      if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(value) || BigInt(value) > MAX_MONEY_SAT)
        throw invalid(
          field,
          `must be a whole number of sats from 0 to ${MAX_MONEY_SAT}, as a decimal string`,
        );
      return BigInt(value);
    },
    text(value, field, max = 4000) {
      if (typeof value !== 'string' || value.length === 0 || value.length > max)
        throw invalid(field, `must be text of 1 to ${max} characters`);
      return value;
    },
  };
}
