// Blocks for the coin-tracking benchmark, made in memory with bitcoinjs-lib: a coinbase and
// `transactions` segwit transactions, each with one input (a witness of a signature and a key)
// and two outputs. One transaction in ten pays one of the bench wallet's receive or change
// addresses (P2WSH) and one in twenty spends a coin the wallet received in an earlier block; the
// other outputs are foreign P2WPKH and P2WSH scripts, so the scanner's P2WSH lookups also miss.
// Deterministic: the same arguments make the same blocks.
import { sha256 } from '@noble/hashes/sha2.js';
import { Block, Transaction } from 'bitcoinjs-lib';
import { WalletDeriver } from '../../src/bitcoin/addresses.js';
import type { MultisigWallet } from '../../src/bitcoin/descriptor.js';
import { outpointKey } from '../../src/coordinator/scan/index.js';

export interface BenchChain {
  readonly blocks: readonly Uint8Array[];
  /** Outpoints of the wallet (`txid:vout`), all of them: what the store would hold. */
  readonly holds: ReadonlySet<string>;
  /** Outputs paying the wallet, per block. */
  readonly walletOutputs: readonly number[];
  /** Inputs spending a wallet coin, per block. */
  readonly walletSpends: readonly number[];
}

const WALLET_EVERY = 10;
const SPEND_EVERY = 20;
const FIRST_HEIGHT = 500;

/** 32 deterministic bytes from a label and a number. */
function bytesOf(label: string, n: number): Uint8Array {
  return sha256(new TextEncoder().encode(`${label}/${n}`));
}

function foreignScript(n: number): Uint8Array {
  const hash = bytesOf('foreign', n);
  // Alternately P2WPKH (OP_0 PUSH20) and P2WSH (OP_0 PUSH32).
  return n % 2 === 0
    ? Uint8Array.from([0x00, 0x14, ...hash.subarray(0, 20)])
    : Uint8Array.from([0x00, 0x20, ...hash]);
}

function coinbase(height: number): Transaction {
  const tx = new Transaction();
  tx.version = 2;
  // BIP-34: the height first in the coinbase script.
  const script = Uint8Array.from([0x03, height & 0xff, (height >> 8) & 0xff, (height >> 16) & 0xff, 0x00]);
  tx.addInput(new Uint8Array(32), 0xffffffff, 0xffffffff, script);
  tx.setWitness(0, [new Uint8Array(32)]);
  tx.addOutput(foreignScript(height), 5_000_000_000n);
  return tx;
}

export function benchChain(wallet: MultisigWallet, blockCount: number, transactions: number): BenchChain {
  const deriver = new WalletDeriver(wallet);
  const blocks: Uint8Array[] = [];
  const holds = new Set<string>();
  const unspent: { hash: Uint8Array; vout: number }[] = [];
  const walletOutputs: number[] = [];
  const walletSpends: number[] = [];
  let prevHash: Uint8Array = new Uint8Array(32);
  let walletIndex = 0;
  let serial = 0;
  for (let b = 0; b < blockCount; b++) {
    const height = FIRST_HEIGHT + b;
    const txs = [coinbase(height)];
    const spendable = unspent.splice(0, unspent.length);
    let paid = 0;
    let spent = 0;
    const created: { hash: Uint8Array; vout: number }[] = [];
    for (let t = 0; t < transactions; t++, serial++) {
      const tx = new Transaction();
      tx.version = 2;
      const coin = t % SPEND_EVERY === 0 ? spendable.pop() : undefined;
      if (coin !== undefined) spent++;
      tx.addInput(coin?.hash ?? bytesOf('prev', serial), coin?.vout ?? serial % 3, 0xfffffffd);
      tx.setWitness(0, [new Uint8Array(72).fill(0x30), new Uint8Array(33).fill(0x02)]);
      const toWallet = t % WALLET_EVERY === 0;
      if (toWallet) {
        // Nine in ten to the receive branch, one in ten to change, at the next index of each.
        const branch = walletIndex % 10 === 9 ? 1 : 0;
        tx.addOutput(
          deriver.derive(branch, Math.floor(walletIndex / (branch === 1 ? 10 : 1))).scriptPubKey,
          100_000n,
        );
        walletIndex++;
        paid++;
      } else {
        tx.addOutput(foreignScript(serial * 2), 100_000n);
      }
      tx.addOutput(foreignScript(serial * 2 + 1), 2_345_678n);
      txs.push(tx);
      if (toWallet) {
        const hash = tx.getHash();
        holds.add(outpointKey(Buffer.from(hash).reverse().toString('hex'), 0));
        created.push({ hash, vout: 0 });
      }
    }
    unspent.push(...created);
    const block = new Block();
    block.version = 0x20000000;
    block.prevHash = prevHash;
    block.timestamp = 1_750_000_000 + b * 600;
    block.bits = 0x207fffff;
    block.nonce = 0;
    block.transactions = txs;
    block.merkleRoot = Block.calculateMerkleRoot(txs);
    blocks.push(block.toBuffer());
    prevHash = block.getHash();
    walletOutputs.push(paid);
    walletSpends.push(spent);
  }
  return { blocks, holds, walletOutputs, walletSpends };
}

export const BENCH_FIRST_HEIGHT = FIRST_HEIGHT;
