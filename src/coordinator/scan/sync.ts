// Walks the node's active chain from where the caller left off to the tip, scanning each block,
// and finds reorgs by asking the node for the hash at each height the caller remembers. The caller
// (the coordinator's store) applies each event in one transaction, so a crash between events
// resumes at the last applied block. docs/chain.md describes the protocol.
import { KuraError } from '../../errors.js';
import type { ChainSource, KnownBlock } from '../../chain/source.js';
import type { AddressBook } from './book.js';
import type { BlockScan, BlockScanner, Holds } from './block.js';

export type SyncEvent =
  /** Every block above `forkHeight` that was applied is no longer in the node's chain: undo it. */
  | { readonly kind: 'reorg'; readonly forkHeight: number; readonly previousTip: KnownBlock }
  /** The next block of the node's chain, scanned; apply it and remember its height and hash. */
  | { readonly kind: 'block'; readonly scan: BlockScan };

export interface SyncStart {
  /** The first height to scan when no block is known (the wallet's birthday). */
  readonly fromHeight: number;
  /**
   * Blocks already applied, ascending by height: all of them, or at least the most recent ones.
   * Contiguous heights give the exact fork point; with gaps the reported fork is lower (safe).
   */
  readonly known: readonly KnownBlock[];
  readonly book: AddressBook;
  /** The caller's held outpoints; a function is asked again after each applied event. */
  readonly holds?: Holds;
  /** Stop after this many blocks (the next call resumes). Default: no limit. */
  readonly maxBlocks?: number;
  /** How many known blocks may be orphaned before CHAIN_REORG_TOO_DEEP. Default 1000. */
  readonly maxReorgDepth?: number;
  /** How many times the chain may change under one call before it returns incomplete. Default 8. */
  readonly maxRestarts?: number;
}

export interface SyncResult {
  /** The last block applied (or agreed on), undefined if none. */
  readonly tip: KnownBlock | undefined;
  readonly book: AddressBook;
  readonly blocksScanned: number;
  readonly reorgs: number;
  /** True when the walk reached the node's tip. */
  readonly complete: boolean;
}

const HASH = /^[0-9a-f]{64}$/;

function checkStart(start: SyncStart): void {
  const fail = (field: string, rule: string) => {
    throw new KuraError('ARGUMENT_INVALID', `"${field}" ${rule}`, { field });
  };
  if (!Number.isSafeInteger(start.fromHeight) || start.fromHeight < 0)
    fail('fromHeight', 'must be an integer ≥ 0');
  let last = -1;
  start.known.forEach((b, i) => {
    if (!Number.isSafeInteger(b.height) || b.height <= last) fail(`known[${i}].height`, 'must ascend');
    if (typeof b.hash !== 'string' || !HASH.test(b.hash))
      fail(`known[${i}].hash`, 'must be 64 lower-case hex digits');
    last = b.height;
  });
  for (const [field, value] of [
    ['maxBlocks', start.maxBlocks],
    ['maxReorgDepth', start.maxReorgDepth],
    ['maxRestarts', start.maxRestarts],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0))
      fail(field, 'must be an integer ≥ 0');
  }
}

const heightOutOfRange = (err: unknown) =>
  err instanceof KuraError && err.code === 'NODE_RPC_ERROR' && err.details.rpcCode === -8;

/** The remembered chain: a prefix of `known` plus the blocks applied during this call. */
class View {
  private readonly known: readonly KnownBlock[];
  private knownLength: number;
  private readonly applied: KnownBlock[] = [];

  /** Keeps the top `depth` known blocks (a copy: the caller may change its array meanwhile). */
  constructor(
    known: readonly KnownBlock[],
    depth: number,
    private readonly lowestKnown = known[0],
  ) {
    this.known = known.slice(-depth);
    this.knownLength = this.known.length;
  }

  get size(): number {
    return this.knownLength + this.applied.length;
  }

  /** The i-th block from the top (0 = top). */
  fromTop(i: number): KnownBlock | undefined {
    const a = this.applied.length;
    return i < a ? this.applied[a - 1 - i] : this.known[this.knownLength - 1 - (i - a)];
  }

  lowest(): KnownBlock | undefined {
    return this.knownLength > 0 ? this.lowestKnown : this.applied[0];
  }

  push(block: KnownBlock): void {
    this.applied.push(block);
  }

  /** Drops every block above `height`. */
  truncate(height: number): void {
    while (this.applied.length > 0 && (this.applied[this.applied.length - 1] as KnownBlock).height > height) {
      this.applied.pop();
    }
    while (this.knownLength > 0 && (this.known[this.knownLength - 1] as KnownBlock).height > height) {
      this.knownLength--;
    }
  }
}

/**
 * Finds the highest remembered block the node still has at its height. Returns it (undefined if
 * nothing is remembered) and whether blocks above it are orphaned.
 */
async function findFork(
  source: ChainSource,
  view: View,
  fromHeight: number,
  maxDepth: number,
): Promise<{ agreed: KnownBlock | undefined; forkHeight: number | undefined }> {
  const top = view.fromTop(0);
  if (top === undefined) return { agreed: undefined, forkHeight: undefined };
  const tipHeight = await source.getBlockCount();
  for (let i = 0; i < view.size; i++) {
    const block = view.fromTop(i) as KnownBlock;
    if (i > maxDepth) {
      throw new KuraError(
        'CHAIN_REORG_TOO_DEEP',
        `the node's chain differs from the last ${maxDepth} remembered blocks; rescan from the birthday`,
        { maxReorgDepth: maxDepth, height: block.height },
      );
    }
    if (block.height > tipHeight) continue;
    let hash: string | undefined;
    try {
      hash = await source.getBlockHash(block.height);
    } catch (err) {
      if (!heightOutOfRange(err)) throw err; // the tip moved down meanwhile: that block is gone too
    }
    if (hash === block.hash) return { agreed: block, forkHeight: i === 0 ? undefined : block.height };
  }
  const lowest = view.lowest() as KnownBlock;
  if (lowest.height > fromHeight) {
    throw new KuraError(
      'CHAIN_REORG_TOO_DEEP',
      `the node's chain forks below height ${lowest.height}, the lowest remembered block; rescan from the birthday`,
      { lowestKnownHeight: lowest.height, fromHeight },
    );
  }
  // Everything remembered is orphaned, down to the birthday: start again from there.
  return { agreed: undefined, forkHeight: fromHeight - 1 };
}

/**
 * Brings the caller up to the node's tip: reports `{ kind: 'reorg', forkHeight }` when remembered
 * blocks left the node's chain (before scanning the replacements), then each next block scanned.
 * `onEvent` is awaited; if it throws, the sync stops there and the next call resumes from what
 * the caller remembers.
 */
export async function syncFrom(
  source: ChainSource,
  scanner: BlockScanner,
  start: SyncStart,
  onEvent: (event: SyncEvent) => void | Promise<void>,
): Promise<SyncResult> {
  checkStart(start);
  const maxBlocks = start.maxBlocks ?? Number.MAX_SAFE_INTEGER;
  const maxDepth = start.maxReorgDepth ?? 1000;
  const maxRestarts = start.maxRestarts ?? 8;
  // findFork gives up after maxDepth + 1 mismatches, so only that many known blocks matter.
  const view = new View(start.known, maxDepth + 2);
  let book = start.book;
  let blocksScanned = 0;
  let reorgs = 0;

  for (let round = 0; round <= maxRestarts; round++) {
    const previousTip = view.fromTop(0);
    const { agreed, forkHeight } = await findFork(source, view, start.fromHeight, maxDepth);
    if (forkHeight !== undefined && previousTip !== undefined) {
      view.truncate(forkHeight);
      reorgs++;
      await onEvent({ kind: 'reorg', forkHeight, previousTip });
    }
    let prev = agreed;
    let height = prev === undefined ? start.fromHeight : prev.height + 1;
    let target = await source.getBlockCount();
    // Bounded by the node's tip and maxBlocks; a break means the chain changed under the walk.
    for (;;) {
      if (height > target) {
        const now = await source.getBlockCount(); // blocks may have arrived while scanning
        if (now < height) return { tip: prev, book, blocksScanned, reorgs, complete: true };
        target = now;
      }
      if (blocksScanned >= maxBlocks) return { tip: prev, book, blocksScanned, reorgs, complete: false };
      let hash: string;
      try {
        hash = await source.getBlockHash(height);
      } catch (err) {
        if (!heightOutOfRange(err)) throw err;
        break; // the tip moved down: a reorg to a shorter chain
      }
      const raw = await source.getBlock(hash);
      const scan = scanner.scanBlock(raw, height, book, start.holds);
      if (scan.hash !== hash) {
        throw new KuraError('CHAIN_BLOCK_MALFORMED', `the node's block at ${height} is not ${hash}`, {
          height,
          hash,
          got: scan.hash,
        });
      }
      if (prev !== undefined && scan.prevHash !== prev.hash) break; // find the fork again
      await onEvent({ kind: 'block', scan });
      book = scan.book;
      prev = { height, hash };
      view.push(prev);
      blocksScanned++;
      height++;
    }
  }
  return { tip: view.fromTop(0), book, blocksScanned, reorgs, complete: false };
}
