// The hashes of kura's Merkle-sum liabilities tree (Maxwell–Todd, with the fixes of Hu, Zhang and
// Guo, "Broken Proofs of Solvency in Blockchain Custodial Wallets", 2019, and of Summa):
//
//   leaf    = H_leaf(salt[32] ‖ len(id)[u16] ‖ id ‖ balance[u64])          sum = balance
//   padding = H_pad(position[u64])                                          sum = 0
//   node    = H_node(left.hash ‖ left.sum[u64] ‖ right.hash ‖ right.sum[u64]) sum = left.sum + right.sum
//   root    = H_root(top.hash ‖ total[u64] ‖ count[u64] ‖ depth[u8] ‖ createdAt[u64])
//
// H_tag is a BIP-340 tagged SHA-256 (@noble/hashes), so a leaf, a padding leaf, a node and a root
// can never be taken for one another. A node commits to BOTH children's sums, not only to their
// total: otherwise the prover could show each side a different split of the same total and count a
// subtree once instead of twice (the flaw Hu et al. found in Maxwell's original scheme). Integers
// are unsigned big-endian, so a negative balance cannot even be written down; every sum is kept
// at or below MAX_LIABILITY_SAT, far below 2^63, so it never wraps either.
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { MAX_MONEY_SAT } from '../../approvals/request.js';
import { KuraError } from '../../errors.js';

/**
 * Every balance, every sum and the total are capped at 21 million BTC: no one can owe more
 * bitcoin than can exist, and the cap keeps every u64 sum far from overflow.
 */
export const MAX_LIABILITY_SAT = MAX_MONEY_SAT;

export const HASH_BYTES = 32;
export const SALT_BYTES = 32;
/** Customer ids are at most 128 characters of ASCII (balances.ts), so a u16 length is plenty. */
export const MAX_CUSTOMER_ID_BYTES = 128;

const TAG_LEAF = 'kura/liabilities/leaf/v1';
const TAG_PADDING = 'kura/liabilities/padding/v1';
const TAG_NODE = 'kura/liabilities/node/v1';
const TAG_ROOT = 'kura/liabilities/root/v1';

/**
 * A reusable buffer that starts with SHA-256(tag) twice. Hashing the message in place after that
 * prefix costs one allocation less per hash than concatenating, which matters a million times.
 */
class TaggedHasher {
  private readonly buffer: Uint8Array;
  readonly view: DataView;

  constructor(tag: string, maxMessageBytes: number) {
    const tagHash = sha256(utf8ToBytes(tag));
    this.buffer = new Uint8Array(64 + maxMessageBytes);
    this.buffer.set(tagHash, 0);
    this.buffer.set(tagHash, 32);
    this.view = new DataView(this.buffer.buffer);
  }

  /** The message area, starting right after the 64-byte prefix. */
  get message(): Uint8Array {
    return this.buffer.subarray(64);
  }

  digest(messageBytes: number): Uint8Array {
    return sha256(this.buffer.subarray(0, 64 + messageBytes));
  }
}

const leafHasher = new TaggedHasher(TAG_LEAF, SALT_BYTES + 2 + MAX_CUSTOMER_ID_BYTES + 8);
const paddingHasher = new TaggedHasher(TAG_PADDING, 8);
const nodeHasher = new TaggedHasher(TAG_NODE, 2 * (HASH_BYTES + 8));
const rootHasher = new TaggedHasher(TAG_ROOT, HASH_BYTES + 8 + 8 + 1 + 8);
const encoder = new TextEncoder();

export function leafHash(salt: Uint8Array, customerId: string, balanceSat: bigint): Uint8Array {
  const m = leafHasher.message;
  m.set(salt, 0);
  const idArea = m.subarray(SALT_BYTES + 2, SALT_BYTES + 2 + MAX_CUSTOMER_ID_BYTES);
  const { read, written } = encoder.encodeInto(customerId, idArea);
  // ids are checked where they enter (balances.ts, proofFile.ts); a longer one here is a bug
  if (read !== customerId.length) throw new KuraError('INTERNAL', 'a customer id is longer than 128 bytes');
  leafHasher.view.setUint16(64 + SALT_BYTES, written);
  leafHasher.view.setBigUint64(64 + SALT_BYTES + 2 + written, balanceSat);
  return leafHasher.digest(SALT_BYTES + 2 + written + 8);
}

/**
 * Padding fills the leaf level up to a power of two. Its position makes every padding leaf
 * distinct, and its own tag keeps it apart from any customer's leaf.
 */
export function paddingHash(position: number): Uint8Array {
  paddingHasher.view.setBigUint64(64, BigInt(position));
  return paddingHasher.digest(8);
}

export function nodeHash(
  leftHash: Uint8Array,
  leftSumSat: bigint,
  rightHash: Uint8Array,
  rightSumSat: bigint,
): Uint8Array {
  const m = nodeHasher.message;
  m.set(leftHash, 0);
  nodeHasher.view.setBigUint64(64 + HASH_BYTES, leftSumSat);
  m.set(rightHash, HASH_BYTES + 8);
  nodeHasher.view.setBigUint64(64 + 2 * HASH_BYTES + 8, rightSumSat);
  return nodeHasher.digest(2 * (HASH_BYTES + 8));
}

/** The published root: the top node bound to the total, the account count, the depth and the time. */
export function rootHash(
  topHash: Uint8Array,
  totalSat: bigint,
  count: number,
  depth: number,
  createdAt: number,
): Uint8Array {
  const m = rootHasher.message;
  m.set(topHash, 0);
  rootHasher.view.setBigUint64(64 + HASH_BYTES, totalSat);
  rootHasher.view.setBigUint64(64 + HASH_BYTES + 8, BigInt(count));
  rootHasher.view.setUint8(64 + HASH_BYTES + 16, depth);
  rootHasher.view.setBigUint64(64 + HASH_BYTES + 17, BigInt(createdAt));
  return rootHasher.digest(HASH_BYTES + 8 + 8 + 1 + 8);
}

/**
 * Depth of the tree for `count` accounts: the leaf level is padded to 2^depth. At least 1, so the
 * root is always a node and never a bare leaf.
 */
export function depthFor(count: number): number {
  let depth = 1;
  while (2 ** depth < count) depth += 1;
  return depth;
}
