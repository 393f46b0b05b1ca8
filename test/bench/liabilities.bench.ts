// Proof of liabilities at exchange scale: building the Merkle-sum tree over 100,000 and 1,000,000
// accounts (salts from the CSPRNG, shuffle, tagged leaf/node hashes with both children's sums,
// root), side by side with a bare @noble/hashes sha256 Merkle tree over the same leaf bytes (no
// tags, no sums, no salts drawn: the floor of any hash tree of that size). Then a customer's
// check: 1,000 proofs of the 1,000,000-account tree, extracted, parsed and verified, against bare
// sha256 over the same number of path steps. The per-account time shows the work grows linearly.
// Prints tables; never fails on a timing. Writing a million proof files is not measured here:
// that is file-system time (two fsyncs per file, see docs/audit.md).
import { randomBytes } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { afterAll, bench, describe } from 'vitest';
import {
  buildTree,
  parseProofFile,
  parseRootFile,
  proofFileOf,
  rootFileOf,
  verifyInclusion,
  type Account,
  type MerkleSumTree,
} from '../../src/audit/liabilities/index.js';
import { printTable, task, Timings } from './timings.js';

const SIZES = [100_000, 1_000_000];
const PROOFS = 1000;
const timings = new Timings();
const proofTimings = new Timings();
const encoder = new TextEncoder();

function accountsOf(count: number): Account[] {
  return Array.from({ length: count }, (_, i) => ({
    customerId: `customer-${i}@example.com`,
    balanceSat: BigInt((i * 7919) % 100_000_000),
  }));
}

/** The same leaf preimages kura hashes (salt ‖ id ‖ balance), hashed and paired with bare sha256. */
function bareMerkle(accounts: readonly Account[], salts: Uint8Array): Uint8Array {
  let level: Uint8Array[] = accounts.map((a, i) => {
    const id = encoder.encode(a.customerId);
    const preimage = new Uint8Array(32 + 2 + id.length + 8);
    preimage.set(salts.subarray(32 * i, 32 * i + 32));
    preimage.set(id, 34);
    new DataView(preimage.buffer).setBigUint64(34 + id.length, a.balanceSat);
    return sha256(preimage);
  });
  const pair = new Uint8Array(64);
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      pair.set(level[i] as Uint8Array, 0);
      pair.set(level[i + 1] ?? (level[i] as Uint8Array), 32);
      next.push(sha256(pair));
    }
    level = next;
  }
  return level[0] as Uint8Array;
}

let largest: MerkleSumTree | undefined;

for (const size of SIZES) {
  const accounts = accountsOf(size);
  const salts = randomBytes(32 * size);
  // A million-account build takes many seconds on a shared machine: two runs, no warm-up (the
  // 100,000 runs before it have warmed the code).
  const large = size >= 1_000_000;
  const options = { time: 0, iterations: large ? 2 : 5, warmupIterations: large ? 0 : 1, warmupTime: 0 };
  describe(`liabilities: ${size} accounts`, () => {
    bench(
      'kura buildTree (salted, shuffled, Merkle-sum)',
      task(() => {
        const tree = timings.time('kura', size, () => buildTree(accounts, { createdAt: 1_750_000_000 }));
        if (size === 1_000_000) largest = tree;
      }),
      options,
    );
    bench(
      'bare @noble/hashes sha256 Merkle tree',
      task(() => timings.time('sha256', size, () => bareMerkle(accounts, salts))),
      options,
    );
  });
}

describe(`liabilities: verify ${PROOFS} proofs of the 1,000,000-account tree`, () => {
  const options = { time: 0, iterations: 5, warmupIterations: 1, warmupTime: 0 };
  bench(
    'kura proofFileOf + parse + verifyInclusion',
    task(() => {
      const tree = largest ?? buildTree(accountsOf(1_000_000), { createdAt: 1_750_000_000 });
      largest = tree;
      const root = parseRootFile(rootFileOf(tree));
      proofTimings.time('kura', PROOFS, () => {
        for (let i = 0; i < PROOFS; i++) {
          const index = (i * 997) % tree.count;
          verifyInclusion(parseProofFile(JSON.parse(JSON.stringify(proofFileOf(tree, index)))), root);
        }
      });
    }),
    options,
  );
  bench(
    'bare sha256 over the same number of path steps',
    task(() => {
      const pair = new Uint8Array(64);
      proofTimings.time('sha256', PROOFS, () => {
        for (let i = 0; i < PROOFS * 21; i++) sha256(pair);
      });
    }),
    options,
  );
});

afterAll(() => {
  printTable('liabilities: build the tree (per input = per account)', timings, 'kura', 'sha256', SIZES);
  printTable(
    'liabilities: verify proofs (size = proofs; per input = per proof)',
    proofTimings,
    'kura',
    'sha256',
    [PROOFS],
  );
});
