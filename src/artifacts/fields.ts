// Field checks for JSON artifacts: each refusal is ARTIFACT_INVALID and names the field.
import { KuraError } from '../errors.js';
import { NETWORK_NAMES, type NetworkName } from '../bitcoin/networks.js';

export type JsonObject = Record<string, unknown>;

export function invalid(field: string, why: string): KuraError {
  return new KuraError('ARTIFACT_INVALID', `"${field}" ${why}`, { field });
}

export function asObject(value: unknown, field: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(field, 'must be an object');
  return value as JsonObject;
}

export function asString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid(field, 'must be a non-empty string');
  return value;
}

export function asInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(field, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function asNetwork(value: unknown, field = 'network'): NetworkName {
  if (typeof value !== 'string' || !(NETWORK_NAMES as readonly string[]).includes(value)) {
    throw invalid(field, `must be one of ${NETWORK_NAMES.join(', ')}`);
  }
  return value as NetworkName;
}

/** Checks `kind` and `version` first, so a file of another kind gets a message that says so. */
export function expectKind(o: JsonObject, kind: string, version: number): void {
  if (o.kind !== kind) throw invalid('kind', `must be "${kind}", got ${JSON.stringify(o.kind)}`);
  if (o.version !== version) throw invalid('version', `must be ${version}, got ${JSON.stringify(o.version)}`);
}
