// Pure block scanning: raw bytes in, the wallet's new coins and spent coins out, with the address
// book moved forward. No database and no node: the block is parsed here with bitcoinjs-lib, so the
// node needs no wallet and the scan is the same on Bitcoin Core and bcoin.
import { sha256 } from '@noble/hashes/sha2.js';
import { Block, Transaction } from 'bitcoinjs-lib';
import { KuraError } from '../../errors.js';
import type { Branch, MultisigWallet } from '../../bitcoin/descriptor.js';
import { BRANCHES, markUsed, watchedUpTo, type AddressBook } from './book.js';
import { isP2wsh, WalletScripts } from './scripts.js';

/** Which outpoints (`"txid:vout"`) the caller holds: a set, or a function asking its store. */
export type Holds = ReadonlySet<string> | ((outpoint: string) => boolean);

export interface ReceivedOutput {
  readonly txid: string;
  readonly vout: number;
  readonly branch: Branch;
  readonly index: number;
  readonly valueSat: bigint;
  /** Hex. */
  readonly scriptPubKey: string;
  /** A coinbase output is spendable only 100 blocks later. */
  readonly coinbase: boolean;
}

export interface SpentOutpoint {
  /** The coin spent. */
  readonly txid: string;
  readonly vout: number;
  /** The transaction spending it, and the input's position in it. */
  readonly spentBy: string;
  readonly vin: number;
}

export interface TransactionsScan {
  /** Outputs paying the wallet, in block order. */
  readonly received: readonly ReceivedOutput[];
  /** Inputs spending a held outpoint, or an output received earlier in the same block. */
  readonly spent: readonly SpentOutpoint[];
  /** The book after this scan: lastUsed raised for every index paid. */
  readonly book: AddressBook;
}

export interface BlockScan extends TransactionsScan {
  readonly height: number;
  /** Display order hex, as RPC prints it. */
  readonly hash: string;
  readonly prevHash: string;
  readonly txCount: number;
}

/** The outpoint key used by {@link Holds}. */
export const outpointKey = (txid: string, vout: number): string => `${txid}:${vout}`;

const MAX_MONEY_SAT = 2_100_000_000_000_000n;

const hash256 = (bytes: Uint8Array): Uint8Array => sha256(sha256(bytes));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const displayHex = (hash: Uint8Array): string => Buffer.from(hash).reverse().toString('hex');

interface ParsedTx {
  readonly tx: Transaction;
  readonly txid: string;
  readonly coinbase: boolean;
}

function malformed(message: string, details: Record<string, unknown>, cause?: unknown): KuraError {
  return new KuraError('CHAIN_BLOCK_MALFORMED', message, details, cause);
}

function merkleRoot(hashes: readonly Uint8Array[]): Uint8Array {
  let level = [...hashes];
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i] as Uint8Array;
      const right = level[i + 1] ?? left; // an odd level repeats its last hash
      const pair = new Uint8Array(64);
      pair.set(left, 0);
      pair.set(right, 32);
      next.push(hash256(pair));
    }
    level = next;
  }
  return level[0] ?? new Uint8Array(32);
}

/**
 * Parses a block and proves its transactions are the ones its header commits to (merkle root),
 * with no trailing bytes and no duplicate txid, so what is counted is what the header hash names.
 */
function parseBlock(raw: Uint8Array, height: number): { block: Block; txs: ParsedTx[] } {
  let block: Block;
  try {
    block = Block.fromBuffer(raw);
  } catch (err) {
    throw malformed(
      `the block at height ${height} does not parse: ${(err as Error).message}`,
      { height },
      err,
    );
  }
  const transactions = block.transactions ?? [];
  const first = transactions[0];
  if (first === undefined || !first.isCoinbase()) {
    throw malformed(`the block at height ${height} has no coinbase transaction`, { height });
  }
  if (block.byteLength(false, true) !== raw.length) {
    throw malformed(`the block at height ${height} has trailing bytes`, { height });
  }
  const hashes = transactions.map((tx) => tx.getHash(false));
  const root = block.merkleRoot;
  if (root === undefined || toHex(merkleRoot(hashes)) !== toHex(root)) {
    throw malformed(`the transactions of the block at height ${height} do not match its merkle root`, {
      height,
    });
  }
  const txids = new Set<string>();
  const txs = transactions.map((tx, i) => {
    const txid = displayHex(hashes[i] as Uint8Array);
    if (txids.has(txid))
      throw malformed(`the block at height ${height} holds ${txid} twice`, { height, txid });
    txids.add(txid);
    return { tx, txid, coinbase: i === 0 };
  });
  return { block, txs };
}

function asHolds(holds: Holds | undefined): (outpoint: string) => boolean {
  if (holds === undefined) return () => false;
  if (typeof holds === 'function') return holds;
  return (outpoint) => holds.has(outpoint);
}

function sameWindow(a: AddressBook, b: AddressBook): boolean {
  return BRANCHES.every((branch) => watchedUpTo(a, branch) === watchedUpTo(b, branch));
}

/** Scans transactions in order until the window stops growing (see {@link BlockScanner.scanBlock}). */
function scanTransactions(
  scripts: WalletScripts,
  txs: readonly ParsedTx[],
  book: AddressBook,
  holds: (outpoint: string) => boolean,
): TransactionsScan {
  // Each extra pass needs an output that only a wider window matches, and each pass widens it;
  // so passes are bounded by the number of wallet outputs. The cap only guards against a bug.
  const maxPasses = 2 + txs.reduce((n, { tx }) => n + tx.outs.length, 0);
  let start = book;
  for (let pass = 0; pass < maxPasses; pass++) {
    scripts.cover(start);
    let current = start;
    const received: ReceivedOutput[] = [];
    const spent: SpentOutpoint[] = [];
    const ours = new Set<string>();
    const unmatched: Uint8Array[] = [];
    for (const { tx, txid, coinbase } of txs) {
      if (!coinbase) {
        tx.ins.forEach((input, vin) => {
          const prevTxid = displayHex(input.hash);
          const key = outpointKey(prevTxid, input.index);
          if (ours.has(key) || holds(key))
            spent.push({ txid: prevTxid, vout: input.index, spentBy: txid, vin });
        });
      }
      tx.outs.forEach((output, vout) => {
        const owner = scripts.lookup(output.script, current);
        if (owner === undefined) {
          if (isP2wsh(output.script)) unmatched.push(output.script);
          return;
        }
        if (output.value < 0n || output.value > MAX_MONEY_SAT) {
          throw malformed(`output ${txid}:${vout} has an impossible value`, { txid, vout });
        }
        received.push({
          txid,
          vout,
          branch: owner.branch,
          index: owner.index,
          valueSat: output.value,
          scriptPubKey: toHex(output.script),
          coinbase,
        });
        ours.add(outpointKey(txid, vout));
        const before = current;
        current = markUsed(current, owner.branch, owner.index);
        if (current !== before) scripts.cover(current);
      });
    }
    // A wider window may match an output passed over earlier in this block (a payment to index
    // 30 before one to index 15): scan again from the top with the wider window.
    if (sameWindow(start, current) || !unmatched.some((script) => scripts.lookup(script, current))) {
      return { received, spent, book: current };
    }
    start = current;
  }
  throw new KuraError('INTERNAL', 'block scanning did not settle on an address window');
}

function checkHeight(height: number): void {
  if (!Number.isSafeInteger(height) || height < 0) {
    throw new KuraError('ARGUMENT_INVALID', '"height" must be an integer ≥ 0', { field: 'height' });
  }
}

/** Scans blocks and transactions for one wallet; holds the derived-script cache between calls. */
export class BlockScanner {
  private readonly scripts: WalletScripts;

  constructor(readonly wallet: MultisigWallet) {
    this.scripts = new WalletScripts(wallet);
  }

  /**
   * Scans a raw block: outputs paying any script of the wallet inside the book's window, inputs
   * spending a held outpoint (or an output of the wallet created earlier in the block), and the
   * book with every paid index marked used. The window grows while scanning (gap-limit
   * discovery), and the block is scanned again if that makes an earlier output match.
   */
  scanBlock(raw: Uint8Array, height: number, book: AddressBook, holds?: Holds): BlockScan {
    checkHeight(height);
    const { block, txs } = parseBlock(raw, height);
    const result = scanTransactions(this.scripts, txs, book, asHolds(holds));
    return {
      height,
      hash: block.getId(),
      prevHash: displayHex(block.prevHash ?? new Uint8Array(32)),
      txCount: txs.length,
      ...result,
    };
  }

  /** As scanBlock for one unconfirmed transaction (from the mempool). */
  scanTransaction(raw: Uint8Array, book: AddressBook, holds?: Holds): TransactionsScan & { txid: string } {
    let tx: Transaction;
    try {
      tx = Transaction.fromBuffer(raw);
    } catch (err) {
      throw malformed(`a transaction does not parse: ${(err as Error).message}`, {}, err);
    }
    const txid = tx.getId();
    return {
      txid,
      ...scanTransactions(this.scripts, [{ tx, txid, coinbase: tx.isCoinbase() }], book, asHolds(holds)),
    };
  }
}
