// Issue "Speed measured against the libraries themselves", scenario 5: reserves. Deriving the
// wallet's addresses (WalletDeriver.range: three child keys per index, sorted into the
// sortedmulti script, P2WSH, bech32 address) against bip32's own derivation on the same curve
// backend (tiny-secp256k1): derive() on each cosigner's branch node for every index, which gives
// the keys only. Target: kura's rate at least 0.8× bip32's.
// Verifying a liabilities inclusion proof is measured in liabilities.bench.ts (1,000 proofs of
// the 1,000,000-account tree, per proof). Prints addresses per second; never fails on a timing.
import { afterAll, bench, describe } from 'vitest';
import { WalletDeriver } from '../../src/bitcoin/addresses.js';
import { RECEIVE } from '../../src/bitcoin/descriptor.js';
import { benchSigner } from './signerFixture.js';
import { printRateTable, task, Timings } from './timings.js';

// KURA_BENCH_ADDRESSES=100000 runs one size.
const SIZES = (process.env.KURA_BENCH_ADDRESSES ?? '10000,100000').split(',').map(Number);
const wallet = benchSigner().wallet.wallet;
const timings = new Timings();

function kuraRange(count: number): string {
  const addresses = new WalletDeriver(wallet).range(RECEIVE, 0, count);
  if (addresses.length !== count) throw new Error(`${addresses.length} addresses, not ${count}`);
  return addresses[count - 1]?.address ?? '';
}

function bip32Derive(count: number): number {
  const branches = wallet.keys.map((k) => k.node.derive(RECEIVE));
  let bytes = 0;
  for (let index = 0; index < count; index++) {
    for (const branch of branches) bytes += branch.derive(index).publicKey.length;
  }
  if (bytes !== 33 * 3 * count) throw new Error('bip32 derived a key of the wrong length');
  return bytes;
}

// Both sides must derive the same keys, or the comparison means nothing.
for (const address of new WalletDeriver(wallet).range(RECEIVE, 0, 5)) {
  const ours = address.keys.map((k) => Buffer.from(k.publicKey).toString('hex')).sort();
  const theirs = wallet.keys
    .map((k) => Buffer.from(k.node.derive(RECEIVE).derive(address.index).publicKey).toString('hex'))
    .sort();
  if (ours.join() !== theirs.join()) throw new Error(`address ${address.index}: keys differ from bip32's`);
}

for (const size of SIZES) {
  const big = size >= 100_000;
  // One run of each: at ~0.5 ms per address a run is seconds long (tens at 100,000), and the
  // whole of `npm run bench` must stay near ten minutes.
  const options = { time: 0, iterations: 1, warmupIterations: big ? 0 : 1, warmupTime: 0 };
  describe(`reserves: derive ${size} wallet addresses (2-of-3)`, () => {
    bench(
      'kura WalletDeriver.range',
      task(() => timings.time('kura', size, () => kuraRange(size))),
      options,
    );
    bench(
      'bip32 derive() × 3 cosigners (keys only)',
      task(() => timings.time('bip32', size, () => bip32Derive(size))),
      options,
    );
  });
}

afterAll(() => {
  printRateTable(
    'reserves: kura WalletDeriver.range vs bip32 derive (3 keys per address)',
    timings,
    'kura',
    'bip32',
    SIZES,
    'addresses',
  );
});
