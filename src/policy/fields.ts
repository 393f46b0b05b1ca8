// Field checks for policy files. Each refusal names the field by its path in the file
// ("tiers[1].approvals"), so an operator can find it; the code is POLICY_INVALID unless a more
// specific one exists (AMOUNT_INVALID for sats, ADDRESS_INVALID for addresses).
import { KuraError } from '../errors.js';

export type JsonObject = Record<string, unknown>;

export function policyInvalid(field: string, why: string, details: Record<string, unknown> = {}): KuraError {
  return new KuraError('POLICY_INVALID', `"${field}" ${why}`, { field, ...details });
}

export function join(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** An object holding only `allowed` keys: a misspelt key must not silently drop a control. */
export function asObject(value: unknown, field: string, allowed: readonly string[]): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw policyInvalid(field === '' ? '(policy)' : field, 'must be an object');
  }
  const o = value as JsonObject;
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) {
      throw policyInvalid(join(field, key), `is not a field of ${field === '' ? 'a policy' : `"${field}"`}`);
    }
  }
  return o;
}

export function asArray(value: unknown, field: string, min: number, max: number): readonly unknown[] {
  if (!Array.isArray(value)) throw policyInvalid(field, 'must be an array');
  if (value.length < min || value.length > max) {
    throw policyInvalid(field, `must have from ${min} to ${max} entries, has ${value.length}`);
  }
  return value;
}

export function asInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw policyInvalid(field, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function asBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw policyInvalid(field, 'must be true or false');
  return value;
}

/** Printable text without control characters (which could hide or reorder what is shown). */
export function asText(value: unknown, field: string, maxLength: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw policyInvalid(field, `must be a string of 1 to ${maxLength} characters`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(value)) {
    throw policyInvalid(field, 'must not contain control or bidirectional-override characters');
  }
  return value;
}

/** Lowercase only: two ids or roles that differ by case alone would look the same in a report. */
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function asName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw policyInvalid(field, 'must be 1–64 of a-z, 0-9, ".", "_", "-", starting with a letter or digit');
  }
  return value;
}

export function asHex32(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) {
    throw policyInvalid(field, 'must be 32 bytes of lowercase hex');
  }
  return value;
}

/** A percentage from 0.01 to 100 with at most two decimals, as hundredths of a percent. */
export function asPercentBasisPoints(value: unknown, field: string): bigint {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : '';
  const match = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(text);
  const basisPoints = match ? BigInt(match[1] ?? '0') * 100n + BigInt((match[2] ?? '').padEnd(2, '0')) : -1n;
  if (basisPoints < 1n || basisPoints > 10_000n) {
    throw policyInvalid(field, 'must be a number from 0.01 to 100 with at most two decimals');
  }
  return basisPoints;
}
