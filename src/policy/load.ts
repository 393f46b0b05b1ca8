// Loading a policy from disk: the only module of src/policy that touches the file system, and
// only through src/artifacts/readFile.ts (bounded reads). The denylist is read from next to the
// policy file; because the policy pins its SHA-256, the policy hash covers the denylist too.
import { dirname, join } from 'node:path';
import { MAX_JSON_FILE_BYTES, readBoundedFile } from '../artifacts/readFile.js';
import { checkDenylistPath, parsePolicy, policyHashOf } from './schema.js';
import type { Policy } from './types.js';

/** Sanctions lists run to thousands of addresses; 8 MiB holds about 100,000 of them. */
export const MAX_DENYLIST_FILE_BYTES = 8 * 1024 * 1024;

export interface LoadedPolicy {
  readonly policy: Policy;
  /** SHA-256 of the policy file's bytes, lowercase hex. */
  readonly policyHash: string;
}

/** Where the policy says its denylist is, if it says so in a well-formed way. */
function denylistFileOf(bytes: Uint8Array): string | undefined {
  try {
    const json = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    const screening = (json as { screening?: { denylistFile?: unknown } } | null)?.screening;
    return checkDenylistPath(screening?.denylistFile);
  } catch {
    // parsePolicy will refuse the file with the precise reason
    return undefined;
  }
}

export function loadPolicy(path: string): LoadedPolicy {
  const bytes = readBoundedFile(path, MAX_JSON_FILE_BYTES, 'policy');
  const denylistFile = denylistFileOf(bytes);
  const denylist =
    denylistFile === undefined
      ? undefined
      : readBoundedFile(join(dirname(path), denylistFile), MAX_DENYLIST_FILE_BYTES, 'screening.denylistFile');
  return { policy: parsePolicy(bytes, denylist), policyHash: policyHashOf(bytes) };
}
