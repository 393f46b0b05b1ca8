// The coordinator benchmark's material: signed files made by kura's own signer for the bench
// wallet's cosigners (PUBLIC test keys), and throw-away coordinator homes holding one built batch,
// as `kura batch build` would have stored it. Nothing here is timed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePsbt } from '../../src/artifacts/psbtFile.js';
import {
  initCoordinatorHome,
  openCoordinatorHome,
  type CoordinatorHome,
} from '../../src/coordinator/home.js';
import { unsignedTx } from '../../src/coordinator/batch/psbt.js';
import type { BatchRecord } from '../../src/coordinator/store/index.js';
import { reviewPackage } from '../../src/signer/review.js';
import { signInputs, signedFile } from '../../src/signer/produceSignatures.js';
import type { BenchSigner } from './signerFixture.js';

/** What `kura signer sign` writes for `signer`: the package's transaction and its signatures. */
export function signedBy(signer: BenchSigner, packageBytes: Uint8Array, now: number): Uint8Array {
  const psbt = decodePsbt(packageBytes);
  const review = reviewPackage(psbt, signer.state, now);
  const signatures = signInputs(psbt, review.inputs, signer.account, signer.fingerprint);
  return signedFile(psbt, signatures, {
    kind: 'kura-signing-receipt',
    version: 1,
    fingerprint: signer.fingerprint,
    txid: review.txid,
    batchId: review.pkg.header.batchId,
    signedAt: now,
    ledgerEntryHash: '',
  }).toBuffer();
}

export interface BatchHome {
  readonly home: CoordinatorHome;
  readonly batch: BatchRecord;
  /** Closes the store and deletes the folder. */
  dispose(): void;
}

/**
 * A fresh coordinator home for the bench wallet and policy (in the OS temp folder) with the
 * package stored as a built batch. The node is never asked: the URL is only written down.
 */
export function homeWithBatch(signer: BenchSigner, packageBytes: Uint8Array, batchId: string): BatchHome {
  const dir = mkdtempSync(join(tmpdir(), 'kura-bench-'));
  const walletPath = join(dir, 'wallet.json');
  const policyPath = join(dir, 'policy.json');
  writeFileSync(walletPath, `${JSON.stringify(signer.wallet.file, null, 2)}\n`);
  writeFileSync(policyPath, signer.policyBytes);
  const path = join(dir, 'coordinator');
  initCoordinatorHome({
    home: path,
    walletPath,
    policyPath,
    rpcUrl: 'http://127.0.0.1:18443',
    rpcAuth: { kind: 'cookie', cookieFile: join(dir, '.cookie') },
  });
  const home = openCoordinatorHome(path);
  const psbt = decodePsbt(packageBytes);
  const inSat = psbt.data.inputs.reduce((sum, input) => sum + (input.witnessUtxo?.value ?? 0n), 0n);
  const outSat = psbt.txOutputs.reduce((sum, output) => sum + output.value, 0n);
  const batch = home.store.insertBatch({
    batchId,
    psbt: packageBytes,
    txid: unsignedTx(psbt).getId(),
    feeSat: inSat - outSat,
    feeRateSatVb: 20,
  });
  return {
    home,
    batch,
    dispose: () => {
      home.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
