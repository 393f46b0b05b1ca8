// The two files a liabilities proof is made of, and their checks at the boundary:
//
//   root.json   {kind: "kura-liabilities-root", version: 1, hash, totalSat, count, depth, createdAt}
//               published by the exchange for everyone;
//   <id>.json   {kind: "kura-liabilities-proof", version: 1, rootHash, customerId, balanceSat,
//                salt, index, path: [{hash, sumSat}, …]} given to one customer only: the salt is
//               what keeps the other customers' ids and balances out of reach of brute force.
//
// Amounts are decimal strings of sats (JSON numbers lose precision above 2^53). A negative sum is
// its own refusal, LIABILITIES_NEGATIVE_AMOUNT: it is the oldest trick against Merkle-sum trees.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { KuraError, type ErrorCode } from '../../errors.js';
import { isCustomerId } from './balances.js';
import { depthFor, MAX_LIABILITY_SAT } from './hashes.js';
import type { MerkleSumTree, PathStep } from './tree.js';
import { inclusionPath, saltOf } from './tree.js';

export const ROOT_KIND = 'kura-liabilities-root';
export const PROOF_KIND = 'kura-liabilities-proof';
export const LIABILITIES_VERSION = 1;
/** 2^24 accounts at most (balances.ts), with a margin for trees built elsewhere. */
const MAX_DEPTH = 32;

export interface RootFile {
  readonly kind: typeof ROOT_KIND;
  readonly version: typeof LIABILITIES_VERSION;
  readonly hash: string;
  readonly totalSat: string;
  readonly count: number;
  readonly depth: number;
  readonly createdAt: number;
}

export interface LiabilitiesRoot {
  readonly hash: string;
  readonly totalSat: bigint;
  readonly count: number;
  readonly depth: number;
  readonly createdAt: number;
}

export interface ProofFile {
  readonly kind: typeof PROOF_KIND;
  readonly version: typeof LIABILITIES_VERSION;
  readonly rootHash: string;
  readonly customerId: string;
  readonly balanceSat: string;
  readonly salt: string;
  readonly index: number;
  readonly path: readonly { hash: string; sumSat: string }[];
}

export interface InclusionProof {
  readonly rootHash: string;
  readonly customerId: string;
  readonly balanceSat: bigint;
  readonly salt: Uint8Array;
  readonly index: number;
  readonly path: readonly PathStep[];
}

export function rootFileOf(tree: MerkleSumTree): RootFile {
  return {
    kind: ROOT_KIND,
    version: LIABILITIES_VERSION,
    hash: bytesToHex(tree.rootHash),
    totalSat: tree.totalSat.toString(),
    count: tree.count,
    depth: tree.depth,
    createdAt: tree.createdAt,
  };
}

export function proofFileOf(tree: MerkleSumTree, index: number): ProofFile {
  const account = tree.accounts[index];
  if (account === undefined) throw new KuraError('INTERNAL', `no customer at position ${index}`);
  return {
    kind: PROOF_KIND,
    version: LIABILITIES_VERSION,
    rootHash: bytesToHex(tree.rootHash),
    customerId: account.customerId,
    balanceSat: account.balanceSat.toString(),
    salt: bytesToHex(saltOf(tree, index)),
    index,
    path: inclusionPath(tree, index).map((step) => ({
      hash: bytesToHex(step.hash),
      sumSat: step.sumSat.toString(),
    })),
  };
}

type Fail = (field: string, why: string) => KuraError;

function failWith(code: ErrorCode, what: string): Fail {
  return (field, why) => new KuraError(code, `${what} "${field}" ${why}`, { field });
}

function object(value: unknown, fail: Fail, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw fail(field, 'must be an object');
  return value as Record<string, unknown>;
}

function hex32(value: unknown, fail: Fail, field: string): string {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value))
    throw fail(field, 'must be 32 bytes of lowercase hex');
  return value;
}

function integer(value: unknown, fail: Fail, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max)
    throw fail(field, `must be an integer from ${min} to ${max}`);
  return value;
}

/** Sats as a decimal string: negative is its own refusal, and so is more than 21e6 BTC. */
function sats(value: unknown, fail: Fail, field: string): bigint {
  if (typeof value === 'string' && /^-[0-9]+$/.test(value)) {
    throw new KuraError(
      'LIABILITIES_NEGATIVE_AMOUNT',
      `"${field}" is negative (${value}): a negative sum would hide liabilities`,
      { field },
    );
  }
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,29})$/.test(value))
    throw fail(field, 'must be a whole number of sats as a decimal string');
  const amount = BigInt(value);
  if (amount > MAX_LIABILITY_SAT) {
    throw new KuraError(
      'LIABILITIES_AMOUNT_TOO_LARGE',
      `"${field}" ${value} is above ${MAX_LIABILITY_SAT} sats (21e6 BTC)`,
      { field },
    );
  }
  return amount;
}

function kindAndVersion(o: Record<string, unknown>, kind: string, fail: Fail): void {
  if (o.kind !== kind) throw fail('kind', `must be "${kind}"`);
  if (o.version !== LIABILITIES_VERSION) throw fail('version', `must be ${LIABILITIES_VERSION}`);
}

export function parseRootFile(json: unknown): LiabilitiesRoot {
  const fail = failWith('LIABILITIES_ROOT_INVALID', 'liabilities root');
  const o = object(json, fail, 'root');
  kindAndVersion(o, ROOT_KIND, fail);
  const count = integer(o.count, fail, 'count', 1, 2 ** MAX_DEPTH);
  const depth = integer(o.depth, fail, 'depth', 1, MAX_DEPTH);
  // The depth follows from the count: a root claiming a shallower tree would let one account's
  // path pose as the whole set, a deeper one would hide extra padding to play with.
  if (depth !== depthFor(count)) throw fail('depth', `must be ${depthFor(count)} for ${count} accounts`);
  return {
    hash: hex32(o.hash, fail, 'hash'),
    totalSat: sats(o.totalSat, fail, 'totalSat'),
    count,
    depth,
    createdAt: integer(o.createdAt, fail, 'createdAt', 0, Number.MAX_SAFE_INTEGER),
  };
}

export function parseProofFile(json: unknown): InclusionProof {
  const fail = failWith('LIABILITIES_PROOF_INVALID', 'liabilities proof');
  const o = object(json, fail, 'proof');
  kindAndVersion(o, PROOF_KIND, fail);
  if (!isCustomerId(o.customerId))
    throw fail('customerId', 'must be 1–128 characters of A-Z a-z 0-9 . _ @ + -');
  if (!Array.isArray(o.path) || o.path.length > MAX_DEPTH)
    throw fail('path', `must be a list of at most ${MAX_DEPTH} steps`);
  return {
    rootHash: hex32(o.rootHash, fail, 'rootHash'),
    customerId: o.customerId,
    balanceSat: sats(o.balanceSat, fail, 'balanceSat'),
    salt: hexToBytes(hex32(o.salt, fail, 'salt')),
    index: integer(o.index, fail, 'index', 0, 2 ** MAX_DEPTH - 1),
    path: o.path.map((step: unknown, i) => {
      const s = object(step, fail, `path[${i}]`);
      return {
        hash: hexToBytes(hex32(s.hash, fail, `path[${i}].hash`)),
        sumSat: sats(s.sumSat, fail, `path[${i}].sumSat`),
      };
    }),
  };
}
