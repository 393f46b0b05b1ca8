// Issue "Speed measured against the libraries themselves", scenario 4: coin tracking. A run of
// regtest-like blocks (scanFixture.ts: segwit transactions, one in ten paying the wallet, one in
// twenty spending a wallet coin) is scanned by BlockScanner.scanBlock — parse, merkle root and
// trailing-byte checks, txids, every input against the held outpoints, every output against the
// wallet's scripts, the gap-limit window carried from block to block — against bitcoinjs-lib's
// Block.fromBuffer and a walk over every output alone. The scanner is timed warm (its scripts
// derived by an earlier run: a coordinator that has been syncing) and cold (a new scanner: every
// address derived as the window grows). Prints blocks per second; never fails on a timing, only
// on a wrong result.
import { afterAll, bench, describe } from 'vitest';
import { Block } from 'bitcoinjs-lib';
import { BlockScanner, newAddressBook } from '../../src/coordinator/scan/index.js';
import { BENCH_FIRST_HEIGHT, benchChain, type BenchChain } from './scanFixture.js';
import { benchSigner } from './signerFixture.js';
import { printGrid, task, Timings } from './timings.js';

// Transactions per block; KURA_BENCH_BLOCK_TXS=4000 runs one size.
const SIZES = (process.env.KURA_BENCH_BLOCK_TXS ?? '100,1000,4000').split(',').map(Number);
const BLOCKS = 10;
const wallet = benchSigner().wallet.wallet;
const timings = new Timings();

function scan(scanner: BlockScanner, chain: BenchChain): void {
  let book = newAddressBook();
  chain.blocks.forEach((raw, i) => {
    const result = scanner.scanBlock(raw, BENCH_FIRST_HEIGHT + i, book, chain.holds);
    if (result.received.length !== chain.walletOutputs[i] || result.spent.length !== chain.walletSpends[i]) {
      throw new Error(
        `block ${i}: ${result.received.length} received and ${result.spent.length} spent, not ${chain.walletOutputs[i]} and ${chain.walletSpends[i]}`,
      );
    }
    book = result.book;
  });
}

/**
 * bitcoinjs-lib alone: parse each block and touch every output's script and value; with
 * `merkle`, also recompute the merkle root from the transactions (Block.calculateMerkleRoot: every
 * txid hashed, as any scanner that checks what it counts must).
 */
function bitcoinjsWalk(chain: BenchChain, merkle: boolean): number {
  let outputs = 0;
  let total = 0n;
  for (const raw of chain.blocks) {
    const block = Block.fromBuffer(raw);
    const transactions = block.transactions ?? [];
    if (
      merkle &&
      Buffer.compare(Block.calculateMerkleRoot(transactions), block.merkleRoot ?? new Uint8Array()) !== 0
    ) {
      throw new Error('merkle root mismatch');
    }
    for (const tx of transactions) {
      for (const out of tx.outs) {
        outputs += out.script.length > 0 ? 1 : 0;
        total += out.value;
      }
    }
  }
  if (total <= 0n) throw new Error('no outputs walked');
  return outputs;
}

for (const size of SIZES) {
  const chain = benchChain(wallet, BLOCKS, size);
  const warm = new BlockScanner(wallet);
  scan(warm, chain);
  const options = {
    time: 0,
    iterations: size >= 4000 ? 3 : 5,
    warmupIterations: size >= 4000 ? 0 : 1,
    warmupTime: 0,
  };
  describe(`coin tracking: ${BLOCKS} blocks of ${size} transactions`, () => {
    bench(
      'kura BlockScanner.scanBlock (scripts derived earlier)',
      task(() => timings.time('kura', size, () => scan(warm, chain))),
      options,
    );
    bench(
      'kura BlockScanner.scanBlock (new scanner: addresses derived)',
      task(() => timings.time('kura cold', size, () => scan(new BlockScanner(wallet), chain))),
      options,
    );
    bench(
      'bitcoinjs-lib Block.fromBuffer + every output',
      task(() => timings.time('bitcoinjs-lib', size, () => bitcoinjsWalk(chain, false))),
      options,
    );
    bench(
      'bitcoinjs-lib Block.fromBuffer + calculateMerkleRoot + every output',
      task(() => timings.time('bitcoinjs-lib+merkle', size, () => bitcoinjsWalk(chain, true))),
      options,
    );
  });
}

afterAll(() => {
  const perBlock = (who: string, size: number) => {
    const value = timings.median(who, size);
    return value === undefined ? undefined : value / BLOCKS;
  };
  const ms = (v: number | undefined) => (v === undefined ? '-' : `${v.toFixed(2)} ms`);
  const rate = (v: number | undefined) => (v === undefined ? '-' : (1000 / v).toFixed(1));
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? '-' : (b / a).toFixed(3);
  const rows = SIZES.map((size) => {
    const [kura, cold, lib, libMerkle] = ['kura', 'kura cold', 'bitcoinjs-lib', 'bitcoinjs-lib+merkle'].map(
      (who) => perBlock(who, size),
    );
    return [
      String(size),
      ms(kura),
      ms(cold),
      ms(lib),
      ms(libMerkle),
      rate(kura),
      rate(lib),
      rate(libMerkle),
      ratio(kura, lib),
      ratio(kura, libMerkle),
      kura === undefined ? '-' : `${((kura * 1000) / (size + 1)).toFixed(1)} µs`,
    ];
  });
  printGrid(
    `coin tracking: per block (median of runs of ${BLOCKS} blocks; size = transactions per block; ratios are of rates, kura/library)`,
    [
      'size',
      'kura',
      'kura cold',
      'bitcoinjs-lib',
      'bitcoinjs-lib+merkle',
      'kura blocks/s',
      'bitcoinjs-lib blocks/s',
      'bitcoinjs-lib+merkle blocks/s',
      'ratio vs walk',
      'ratio vs walk+merkle',
      'kura per tx',
    ],
    rows,
  );
});
