// Issue "Speed measured against the libraries themselves", scenario 2: the coordinator's side of a
// 2-of-3 P2WSH batch paying ten requests, at 1 to 3,000 inputs, against bitcoinjs-lib on the same
// data in the same run.
//   build     kura's buildSigningPackage (what `kura batch build` calls, with the deriver its coin
//             check has already filled; and once more with derivation included) against bare
//             addInput + updateInput with the same fields (bitcoinjs-lib's fast path).
//   verify    one signed file's partial signatures checked against the batch (the core of import)
//             against bitcoinjs-lib's validateSignaturesOfAllInputs on the combined PSBT.
//   import    `kura batch import` of both signed files into a coordinator home holding the batch
//             (parse, match, verify, store, verify again, combine, finalize, extract: SQLite and
//             fsync included) against Psbt.combine + finalizeAllInputs + extractTransaction, which
//             checks no signature at all.
//   finalize  the combine/finalize step alone (storedSignatures + finalizeBatch) against
//             finalizeAllInputs + extractTransaction on the combined PSBT.
// The signed files are made once, outside the timing, by kura's own signer. Prints tables; never
// fails on a timing (only on a wrong result).
import { afterAll, bench, describe } from 'vitest';
import { Psbt, type PsbtTxInput } from 'bitcoinjs-lib';
import { buildSigningPackage } from '../../src/artifacts/buildPackage.js';
import { decodePsbt } from '../../src/artifacts/psbtFile.js';
import { WalletDeriver } from '../../src/bitcoin/addresses.js';
import { ecc } from '../../src/bitcoin/ecc.js';
import { networkInfo } from '../../src/bitcoin/networks.js';
import { importSignedPsbts } from '../../src/coordinator/batch/index.js';
import { finalizeBatch, storedSignatures } from '../../src/coordinator/batch/finalize.js';
import { unsignedTx } from '../../src/coordinator/batch/psbt.js';
import { verifySignatures } from '../../src/coordinator/batch/signatures.js';
import type { BatchRecord, BatchSignatureRecord } from '../../src/coordinator/store/index.js';
import { homeWithBatch, signedBy } from './coordinatorFixture.js';
import { benchSigner, benchSpec } from './signerFixture.js';
import { printTable, task, Timings } from './timings.js';

// KURA_BENCH_SIZES=3000 runs one size (for profiling).
const SIZES = (process.env.KURA_BENCH_SIZES ?? '1,100,1000,3000').split(',').map(Number);
const now = Math.floor(Date.now() / 1000);
const network = networkInfo('regtest').bitcoinjs;
const signers = [benchSigner(0), benchSigner(1)] as const;
const build = new Timings();
const verify = new Timings();
const importing = new Timings();
const finalizing = new Timings();

/** bitcoinjs-lib's fast path on the same fields kura put in: bare inputs, then updateInput. */
function bitcoinjsBuild(template: Psbt): number {
  const psbt = new Psbt({ network });
  psbt.setVersion(template.version);
  psbt.setLocktime(template.locktime);
  const globalXpub = template.data.globalMap.globalXpub;
  if (globalXpub !== undefined) psbt.updateGlobal({ globalXpub });
  template.txInputs.forEach((input: PsbtTxInput) =>
    psbt.addInput({ hash: input.hash, index: input.index, sequence: input.sequence }),
  );
  // Outputs before the inputs' UTXO data: addOutput re-checks every input, slowly once it has a
  // witness UTXO (docs/speed.md). This is the fastest order, the one kura uses too.
  template.txOutputs.forEach((output, i) => {
    psbt.addOutput({ script: output.script, value: output.value });
    const { witnessScript, bip32Derivation } = template.data.outputs[i] ?? {};
    if (witnessScript && bip32Derivation) psbt.updateOutput(i, { witnessScript, bip32Derivation });
  });
  template.data.inputs.forEach((input, i) => {
    const { nonWitnessUtxo, witnessUtxo, witnessScript, bip32Derivation } = input;
    if (!nonWitnessUtxo || !witnessUtxo || !witnessScript || !bip32Derivation)
      throw new Error('bad template');
    psbt.updateInput(i, { nonWitnessUtxo, witnessUtxo, witnessScript, bip32Derivation });
  });
  return psbt.toBuffer().length;
}

function bitcoinjsCombine(packageBytes: Uint8Array, files: readonly Uint8Array[]): Psbt {
  const psbt = Psbt.fromBuffer(packageBytes, { network });
  return psbt.combine(...files.map((f) => Psbt.fromBuffer(f, { network })));
}

function bitcoinjsFinalize(psbt: Psbt): string {
  psbt.finalizeAllInputs();
  return psbt.extractTransaction().getId();
}

const validator = (pubkey: Uint8Array, hash: Uint8Array, signature: Uint8Array) =>
  ecc.verify(hash, pubkey, signature, true);

function same(a: string, b: string, what: string): void {
  if (a !== b) throw new Error(`${what}: ${a} is not ${b}`);
}

for (const size of SIZES) {
  const spec = benchSpec(signers[0], size, now);
  // `kura batch build` checks every coin against the descriptor before building
  // (coins.ts previousTransactions), so the deriver it passes in already holds every address.
  const warm = new WalletDeriver(spec.wallet);
  for (const coin of spec.coins) warm.derive(coin.branch, coin.index);
  const packageBytes = buildSigningPackage(spec, warm).toBuffer();
  const template = decodePsbt(packageBytes);
  const files = signers.map((s) => signedBy(s, packageBytes, now));
  const [file0, file1] = files as [Uint8Array, Uint8Array];
  const combinedBytes = bitcoinjsCombine(packageBytes, files).toBuffer();
  const expectedTxid = bitcoinjsFinalize(Psbt.fromBuffer(combinedBytes, { network }));
  const batchId = `bench-${size}`;
  // The batch row as the store holds it, for the pure finalize functions.
  const batch: BatchRecord = {
    batchId,
    state: 'built',
    psbt: packageBytes,
    txid: unsignedTx(template).getId(),
    feeSat: 0n,
    feeRateSatVb: 20,
    replacesBatch: null,
    createdAt: now,
    updatedAt: now,
    finalTx: null,
  };
  const rows: BatchSignatureRecord[] = signers.map((s, i) => ({
    batchId,
    fingerprint: s.fingerprint,
    psbt: files[i] as Uint8Array,
    receivedAt: now,
  }));

  const big = size >= 1000;
  // The smaller sizes run first and warm the code: the large ones need no warm-up run of their own.
  // At 3,000 inputs a run is seconds long: two runs keep `npm run bench` near ten minutes.
  const options = {
    time: 0,
    iterations: size >= 3000 ? 2 : big ? 3 : 10,
    warmupIterations: big ? 0 : 1,
    warmupTime: 0,
  };
  // bitcoinjs-lib's signature check recomputes the BIP-143 midstates for every input (quadratic):
  // one run at the large sizes is already many seconds.
  const slowOptions = big ? { time: 0, iterations: 1, warmupIterations: 0, warmupTime: 0 } : options;

  describe(`coordinator build: ${size} input(s), 10 requests`, () => {
    bench(
      'kura buildSigningPackage (addresses derived by the coin check)',
      task(() => build.time('kura', size, () => buildSigningPackage(spec, warm).toBuffer())),
      options,
    );
    bench(
      'kura buildSigningPackage (derivation included)',
      task(() => build.time('kura+derive', size, () => buildSigningPackage(spec).toBuffer())),
      options,
    );
    bench(
      'bitcoinjs-lib bare addInput + updateInput',
      task(() => build.time('bitcoinjs-lib', size, () => bitcoinjsBuild(template))),
      options,
    );
  });

  describe(`coordinator verify one signed file: ${size} input(s)`, () => {
    bench(
      'kura verifySignatures',
      task(() => {
        const verified = verify.time('kura', size, () =>
          verifySignatures(Psbt.fromBuffer(packageBytes), decodePsbt(file0)),
        );
        same(String(verified.get(signers[0].fingerprint)?.length), String(size), 'verified signatures');
      }),
      options,
    );
    bench(
      'bitcoinjs-lib combine + validateSignaturesOfAllInputs',
      task(() => {
        const valid = verify.time('bitcoinjs-lib', size, () =>
          bitcoinjsCombine(packageBytes, [file0]).validateSignaturesOfAllInputs(validator),
        );
        same(String(valid), 'true', 'bitcoinjs-lib validation');
      }),
      slowOptions,
    );
  });

  describe(`coordinator import both signed files and finalize: ${size} input(s)`, () => {
    let n = 0;
    bench(
      'kura batch import (importSignedPsbts, SQLite included)',
      task(() => {
        const h = homeWithBatch(signers[0], packageBytes, `${batchId}-${n++}`);
        try {
          const report = importing.time('kura', size, () => importSignedPsbts(h.home, [file0, file1]));
          same(report.batches[0]?.state ?? 'none', 'finalized', 'batch state');
          same(report.batches[0]?.txid ?? 'none', h.batch.txid, 'batch txid');
        } finally {
          h.dispose();
        }
      }),
      options,
    );
    bench(
      'bitcoinjs-lib combine + finalizeAllInputs + extractTransaction (no signature check)',
      task(() => {
        const txid = importing.time('bitcoinjs-lib', size, () =>
          bitcoinjsFinalize(bitcoinjsCombine(packageBytes, [file0, file1])),
        );
        same(txid, expectedTxid, 'bitcoinjs-lib txid');
      }),
      options,
    );
  });

  describe(`coordinator finalize: ${size} input(s)`, () => {
    bench(
      'kura storedSignatures + finalizeBatch (signatures verified again)',
      task(() => {
        const tx = finalizing.time('kura', size, () =>
          finalizeBatch(batch, storedSignatures(batch, rows), 2),
        );
        same(tx.getId(), expectedTxid, 'kura txid');
      }),
      options,
    );
    bench(
      'bitcoinjs-lib finalizeAllInputs + extractTransaction',
      task(() => {
        const txid = finalizing.time('bitcoinjs-lib', size, () =>
          bitcoinjsFinalize(Psbt.fromBuffer(combinedBytes, { network })),
        );
        same(txid, expectedTxid, 'bitcoinjs-lib txid');
      }),
      options,
    );
  });
}

afterAll(() => {
  printTable(
    'coordinator build: kura buildSigningPackage vs bitcoinjs-lib addInput + updateInput',
    build,
    'kura',
    'bitcoinjs-lib',
    SIZES,
  );
  printTable(
    'coordinator build with derivation: kura (3 child keys per input) vs bitcoinjs-lib given the keys',
    build,
    'kura+derive',
    'bitcoinjs-lib',
    SIZES,
  );
  printTable(
    'coordinator verify one signed file: kura verifySignatures vs bitcoinjs-lib validateSignaturesOfAllInputs',
    verify,
    'kura',
    'bitcoinjs-lib',
    SIZES,
  );
  printTable(
    'coordinator import 2 signed files + finalize: kura batch import vs bitcoinjs-lib combine + finalize',
    importing,
    'kura',
    'bitcoinjs-lib',
    SIZES,
  );
  printTable(
    'coordinator finalize: kura storedSignatures + finalizeBatch vs bitcoinjs-lib finalize + extract',
    finalizing,
    'kura',
    'bitcoinjs-lib',
    SIZES,
  );
});
