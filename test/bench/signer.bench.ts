// Issue "Speed measured against the libraries themselves", scenario 1: the whole of `kura signer
// sign` minus the prompt and the keystore unlock (a fixed scrypt cost) — decode, every check of
// the review (previous transactions, derivations of all cosigners, outputs, approvals, policy,
// ledger, fee) and signing — against bitcoinjs-lib's bare signing loop (Psbt.signInput per input,
// keys derived beforehand) on the same PSBT. Prints one table; never fails on a timing.
import { afterAll, bench, describe } from 'vitest';
import { Psbt } from 'bitcoinjs-lib';
import { decodePsbt } from '../../src/artifacts/psbtFile.js';
import { ecc } from '../../src/bitcoin/ecc.js';
import { networkInfo } from '../../src/bitcoin/networks.js';
import { reviewPackage } from '../../src/signer/review.js';
import { signInputs, signedFile } from '../../src/signer/produceSignatures.js';
import { benchSigner, benchPackage } from './signerFixture.js';
import { printTable, Timings } from './timings.js';

// KURA_BENCH_SIZES=1000 runs one size (for profiling).
const SIZES = (process.env.KURA_BENCH_SIZES ?? '1,100,1000,3000').split(',').map(Number);
const now = Math.floor(Date.now() / 1000);
const signer = benchSigner();
const timings = new Timings();

function kuraSign(bytes: Uint8Array): number {
  const psbt = decodePsbt(bytes);
  const review = reviewPackage(psbt, signer.state, now);
  const signatures = signInputs(psbt, review.inputs, signer.account, signer.fingerprint);
  const receipt = {
    kind: 'kura-signing-receipt',
    version: 1,
    fingerprint: signer.fingerprint,
    txid: review.txid,
    batchId: review.pkg.header.batchId,
    signedAt: now,
    ledgerEntryHash: '',
  } as const;
  return signedFile(psbt, signatures, receipt).toBuffer().length;
}

/** bitcoinjs-lib's own loop: parse, then signInput for every input with a ready child key. */
function bitcoinjsSign(
  bytes: Uint8Array,
  keys: readonly { publicKey: Uint8Array; privateKey: Uint8Array }[],
) {
  const psbt = Psbt.fromBuffer(bytes, { network: networkInfo('regtest').bitcoinjs });
  keys.forEach(({ publicKey, privateKey }, i) => {
    psbt.signInput(i, { publicKey, sign: (hash: Uint8Array) => ecc.sign(hash, privateKey) });
  });
  return psbt.toBuffer().length;
}

for (const size of SIZES) {
  const bytes = benchPackage(signer, size, now);
  const branch = signer.account.derive(0);
  const keys = Array.from({ length: size }, (_, i) => {
    const child = branch.derive(i);
    if (child.privateKey === undefined) throw new Error('no private key');
    return { publicKey: child.publicKey, privateKey: child.privateKey };
  });
  // Each run is seconds long at 3,000 inputs: a few runs give a stable median.
  const options = { time: 0, iterations: size >= 1000 ? 3 : 15, warmupIterations: 1, warmupTime: 0 };
  describe(`signer: ${size} input(s), 10 requests`, () => {
    bench(
      'kura signer sign (all checks + signatures + signed file)',
      () => {
        timings.time('kura', size, () => kuraSign(bytes));
      },
      options,
    );
    bench(
      'bitcoinjs-lib signInput loop',
      () => {
        timings.time('bitcoinjs-lib', size, () => bitcoinjsSign(bytes, keys));
      },
      options,
    );
  });
}

afterAll(() => {
  printTable(
    'signer: kura signer sign vs bitcoinjs-lib signing loop',
    timings,
    'kura',
    'bitcoinjs-lib',
    SIZES,
  );
});
