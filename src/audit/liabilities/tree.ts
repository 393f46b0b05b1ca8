// Building the Merkle-sum tree (hashes.ts) over salted customer leaves, and reading inclusion
// paths out of it. Levels are flat typed arrays — 32 bytes of hash and one u64 sum per node — so
// a million accounts are two million small hashes and about 80 MB, not millions of objects.
import { randomBytes, randomInt } from 'node:crypto';
import { KuraError } from '../../errors.js';
import type { Account } from './balances.js';
import {
  depthFor,
  HASH_BYTES,
  leafHash,
  MAX_LIABILITY_SAT,
  nodeHash,
  paddingHash,
  rootHash,
  SALT_BYTES,
} from './hashes.js';

export interface TreeLevel {
  /** Node i's hash is bytes [32i, 32i + 32). */
  readonly hashes: Uint8Array;
  readonly sums: BigUint64Array;
}

export interface MerkleSumTree {
  /** levels[0] is the padded leaf level (2^depth leaves); levels[depth] holds the top node. */
  readonly levels: readonly TreeLevel[];
  readonly accounts: readonly Account[];
  /** Customer i's salt is bytes [32i, 32i + 32). */
  readonly salts: Uint8Array;
  readonly count: number;
  readonly depth: number;
  readonly totalSat: bigint;
  readonly createdAt: number;
  /** The published root hash (hashes.ts `rootHash`). */
  readonly rootHash: Uint8Array;
}

export interface PathStep {
  readonly hash: Uint8Array;
  readonly sumSat: bigint;
}

export interface BuildProgress {
  readonly phase: 'leaves' | 'nodes';
  readonly done: number;
  readonly total: number;
}

export interface BuildTreeOptions {
  /** Unix seconds; bound into the root hash. */
  readonly createdAt: number;
  /** 32 random bytes per customer; the OS CSPRNG unless a test supplies its own. */
  readonly randomSalts?: (bytes: number) => Uint8Array;
  readonly onProgress?: (progress: BuildProgress) => void;
  readonly progressEvery?: number;
  /**
   * Keep the input order instead of shuffling. A proof shows the sums of its siblings; in input
   * order (often sorted by id or sign-up date) the neighbour whose balance a customer sees would
   * be guessable. Only tests that need fixed positions turn the shuffle off.
   */
  readonly keepOrder?: boolean;
}

/** Fisher–Yates with the OS CSPRNG: every order equally likely, none predictable. */
function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}

function hashAt(level: TreeLevel, i: number): Uint8Array {
  return level.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
}

function sumAt(level: TreeLevel, i: number): bigint {
  const sum = level.sums[i];
  if (sum === undefined) throw new KuraError('INTERNAL', `no node ${i} in a tree level`);
  return sum;
}

function tooLarge(what: string): KuraError {
  return new KuraError(
    'LIABILITIES_AMOUNT_TOO_LARGE',
    `${what} is above ${MAX_LIABILITY_SAT} sats (21e6 BTC)`,
    {
      field: 'balance_sat',
    },
  );
}

export function buildTree(input: readonly Account[], options: BuildTreeOptions): MerkleSumTree {
  const accounts = options.keepOrder === true ? input : shuffled(input);
  const count = accounts.length;
  if (count === 0) {
    throw new KuraError('LIABILITIES_CSV_MALFORMED', 'a liabilities tree needs at least one customer', {
      line: 2,
    });
  }
  if (!Number.isSafeInteger(options.createdAt) || options.createdAt < 0)
    throw new KuraError('ARGUMENT_INVALID', '"createdAt" must be unix seconds', { field: 'createdAt' });
  const depth = depthFor(count);
  const width = 2 ** depth;
  const every = options.progressEvery ?? 100_000;
  const salts = (options.randomSalts ?? randomBytes)(count * SALT_BYTES);
  if (salts.length !== count * SALT_BYTES)
    throw new KuraError('INTERNAL', 'the salt source gave too few bytes');

  const leaves: TreeLevel = { hashes: new Uint8Array(width * HASH_BYTES), sums: new BigUint64Array(width) };
  accounts.forEach((account, i) => {
    if (account.balanceSat < 0n) {
      throw new KuraError(
        'LIABILITIES_NEGATIVE_AMOUNT',
        `customer ${account.customerId} has a negative balance`,
        {
          field: 'balance_sat',
        },
      );
    }
    if (account.balanceSat > MAX_LIABILITY_SAT) throw tooLarge(`customer ${account.customerId}'s balance`);
    const salt = salts.subarray(i * SALT_BYTES, (i + 1) * SALT_BYTES);
    leaves.hashes.set(leafHash(salt, account.customerId, account.balanceSat), i * HASH_BYTES);
    leaves.sums[i] = account.balanceSat;
    if ((i + 1) % every === 0) options.onProgress?.({ phase: 'leaves', done: i + 1, total: count });
  });
  for (let i = count; i < width; i++) leaves.hashes.set(paddingHash(i), i * HASH_BYTES);

  const levels: TreeLevel[] = [leaves];
  let done = 0;
  for (let below = leaves; below.sums.length > 1;) {
    const size = below.sums.length / 2;
    const level: TreeLevel = { hashes: new Uint8Array(size * HASH_BYTES), sums: new BigUint64Array(size) };
    for (let i = 0; i < size; i++) {
      const leftSum = sumAt(below, 2 * i);
      const rightSum = sumAt(below, 2 * i + 1);
      const sum = leftSum + rightSum;
      if (sum > MAX_LIABILITY_SAT) throw tooLarge('the total of the balances');
      level.hashes.set(
        nodeHash(hashAt(below, 2 * i), leftSum, hashAt(below, 2 * i + 1), rightSum),
        i * HASH_BYTES,
      );
      level.sums[i] = sum;
      done += 1;
      if (done % every === 0) options.onProgress?.({ phase: 'nodes', done, total: width - 1 });
    }
    levels.push(level);
    below = level;
  }
  const top = levels[depth];
  if (top === undefined) throw new KuraError('INTERNAL', 'the tree has no top level');
  const totalSat = sumAt(top, 0);
  return {
    levels,
    accounts,
    salts,
    count,
    depth,
    totalSat,
    createdAt: options.createdAt,
    rootHash: rootHash(hashAt(top, 0), totalSat, count, depth, options.createdAt),
  };
}

/** The siblings from customer `index`'s leaf up to the top node, each with its hash and sum. */
export function inclusionPath(tree: MerkleSumTree, index: number): PathStep[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= tree.count)
    throw new KuraError('INTERNAL', `no customer at position ${index}`);
  const path: PathStep[] = [];
  let position = index;
  for (let d = 0; d < tree.depth; d++) {
    const level = tree.levels[d];
    if (level === undefined) throw new KuraError('INTERNAL', `the tree has no level ${d}`);
    const sibling = position ^ 1;
    path.push({ hash: hashAt(level, sibling).slice(), sumSat: sumAt(level, sibling) });
    position >>= 1;
  }
  return path;
}

/** Customer `index`'s salt (a copy). */
export function saltOf(tree: MerkleSumTree, index: number): Uint8Array {
  return tree.salts.slice(index * SALT_BYTES, (index + 1) * SALT_BYTES);
}
