// Shape checks for what the node answers. A node (or whatever listens on its port) can send
// anything; every typed wrapper passes its result through these, so a wrong type is a
// NODE_BAD_RESPONSE naming the field, never a crash or an `undefined` further in.
import { KuraError } from '../errors.js';

/** 21 million BTC: no amount the node reports can be larger. */
const MAX_BTC = 21_000_000;
const SAT_PER_BTC = 100_000_000;

export function badResult(method: string, field: string, expected: string): KuraError {
  return new KuraError('NODE_BAD_RESPONSE', `the node's ${method} "${field}" is not ${expected}`, {
    method,
    field,
    reason: `${field} is not ${expected}`,
  });
}

export function asObject(method: string, value: unknown, field = 'result'): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badResult(method, field, 'an object');
  }
  return value as Record<string, unknown>;
}

export function asInt(method: string, value: unknown, field = 'result', min = 0): number {
  if (!Number.isSafeInteger(value) || (value as number) < min) {
    throw badResult(method, field, `an integer ≥ ${min}`);
  }
  return value as number;
}

export function asString(method: string, value: unknown, field = 'result'): string {
  if (typeof value !== 'string') throw badResult(method, field, 'a string');
  return value;
}

const HASH = /^[0-9a-fA-F]{64}$/;

/** A block hash or txid in the RPC's display order, lower case. */
export function asHash(method: string, value: unknown, field = 'result'): string {
  if (typeof value !== 'string' || !HASH.test(value)) throw badResult(method, field, 'a 64-digit hex hash');
  return value.toLowerCase();
}

export function asOptionalHash(method: string, value: unknown, field: string): string | undefined {
  return value === undefined || value === null ? undefined : asHash(method, value, field);
}

/** Hex to bytes without a regex over megabytes: Buffer stops at the first non-hex digit. */
export function asHexBytes(method: string, value: unknown, field = 'result'): Uint8Array {
  if (typeof value !== 'string' || value.length % 2 !== 0) throw badResult(method, field, 'hex');
  const bytes = Buffer.from(value, 'hex');
  if (bytes.length * 2 !== value.length) throw badResult(method, field, 'hex');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** A BTC amount as the node prints it (a JSON number with up to 8 decimals) in sats. */
export function btcToSat(method: string, value: unknown, field: string): bigint {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_BTC) {
    throw badResult(method, field, 'an amount from 0 to 21e6 BTC');
  }
  // value × 1e8 is below 2^53, so rounding recovers the exact sats the node printed.
  return BigInt(Math.round(value * SAT_PER_BTC));
}

export function asStringArray(method: string, value: unknown, field = 'result'): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw badResult(method, field, 'an array of strings');
  }
  return value as string[];
}

/** Checks a hash argument before it goes to the node. */
export function checkHashArgument(value: string, field: string): string {
  if (typeof value !== 'string' || !HASH.test(value)) {
    throw new KuraError('ARGUMENT_INVALID', `"${field}" must be 64 hex digits`, { field });
  }
  return value.toLowerCase();
}
