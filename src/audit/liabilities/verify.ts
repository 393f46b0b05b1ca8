// A customer's check that their balance is inside the published liabilities: recompute the path
// from their own leaf to the root — hash AND sum at every step — and compare with root.json.
// What it proves: the tree behind this root holds this customer's id and balance once, under
// a total that includes it, in a tree of exactly the depth its account count needs. What it
// cannot prove alone: that every other customer was included — each must check their own proof,
// against the same root (compare the root hash through a channel the exchange does not control).
import { bytesToHex } from '@noble/hashes/utils.js';
import { KuraError } from '../../errors.js';
import type { InclusionProof, LiabilitiesRoot } from './files.js';
import { leafHash, MAX_LIABILITY_SAT, nodeHash, rootHash } from './hashes.js';

export interface InclusionResult {
  readonly customerId: string;
  readonly balanceSat: bigint;
  readonly index: number;
  readonly rootHash: string;
  readonly totalSat: bigint;
  readonly count: number;
  readonly depth: number;
  readonly createdAt: number;
}

export function verifyInclusion(proof: InclusionProof, root: LiabilitiesRoot): InclusionResult {
  if (proof.rootHash !== root.hash) {
    throw new KuraError(
      'LIABILITIES_ROOT_MISMATCH',
      `the proof is for root ${proof.rootHash}, not the published root ${root.hash}`,
      { field: 'rootHash' },
    );
  }
  // One account posing as the whole set: a path shorter than the stated depth would make an
  // inner node (or a lone leaf) stand in for the tree. The depth follows from the count.
  if (proof.path.length !== root.depth) {
    throw new KuraError(
      'LIABILITIES_DEPTH_MISMATCH',
      `the proof has ${proof.path.length} steps; a tree of ${root.count} accounts has depth ${root.depth}`,
      { field: 'path', steps: proof.path.length, depth: root.depth },
    );
  }
  if (proof.index >= root.count) {
    throw new KuraError(
      'LIABILITIES_DEPTH_MISMATCH',
      `the proof's position ${proof.index} is in the padding: the root has ${root.count} accounts`,
      { field: 'index', index: proof.index, count: root.count },
    );
  }
  let hash = leafHash(proof.salt, proof.customerId, proof.balanceSat);
  let sumSat = proof.balanceSat;
  let position = proof.index;
  proof.path.forEach((step, i) => {
    // The parser refused negative sums and sums above the cap; the running total is checked here.
    hash =
      position % 2 === 0
        ? nodeHash(hash, sumSat, step.hash, step.sumSat)
        : nodeHash(step.hash, step.sumSat, hash, sumSat);
    sumSat += step.sumSat;
    if (sumSat > MAX_LIABILITY_SAT) {
      throw new KuraError(
        'LIABILITIES_AMOUNT_TOO_LARGE',
        `the sums along the proof pass ${MAX_LIABILITY_SAT} sats (21e6 BTC) at step ${i + 1}`,
        { field: `path[${i}].sumSat` },
      );
    }
    position = Math.floor(position / 2);
  });
  const computed = bytesToHex(rootHash(hash, sumSat, root.count, root.depth, root.createdAt));
  if (computed !== root.hash) {
    throw new KuraError(
      'LIABILITIES_ROOT_MISMATCH',
      `the proof hashes to ${computed}, not to the published root ${root.hash}`,
      { field: 'path', computed },
    );
  }
  if (sumSat !== root.totalSat) {
    throw new KuraError(
      'LIABILITIES_TOTAL_MISMATCH',
      `the sums along the proof add up to ${sumSat} sats, but the root states ${root.totalSat}`,
      { field: 'totalSat', computedSat: sumSat.toString(), statedSat: root.totalSat.toString() },
    );
  }
  return {
    customerId: proof.customerId,
    balanceSat: proof.balanceSat,
    index: proof.index,
    rootHash: root.hash,
    totalSat: sumSat,
    count: root.count,
    depth: root.depth,
    createdAt: root.createdAt,
  };
}
