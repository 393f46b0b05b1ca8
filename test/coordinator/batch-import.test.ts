// What `kura batch import` refuses, each with its code, and that a refusal leaves no trace: a
// partial signature by a key that is not a cosigner's, a corrupted signature, a file signed by a
// real signer for another transaction under the batch's id, a file for a batch nobody built, and
// a file with no signature. The good files of the same call are still taken, and the batch then
// finalizes and broadcasts from exactly the signatures that were accepted.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Psbt, script as bjsScript, Transaction } from 'bitcoinjs-lib';
import { hexToBytes } from '@noble/hashes/utils.js';
import { ecc } from '../../src/bitcoin/ecc.js';
import { WitnessV0Sighasher } from '../../src/bitcoin/sighash.js';
import { decodePsbt } from '../../src/artifacts/psbtFile.js';
import {
  broadcastBatch,
  buildBatches,
  importSignedPsbts,
  type BuiltBatch,
} from '../../src/coordinator/batch/index.js';
import { unsignedTx } from '../../src/coordinator/batch/psbt.js';
import { errorCode, kura } from '../helpers/cli.js';
import { buildPackage, validParts, writePackage } from '../helpers/scenario.js';
import { setUpBatchWorld, type BatchWorld } from './batchFixture.js';

let world: BatchWorld;
let batch: BuiltBatch;
let aliceFile: string;
let aliceFingerprint: string;

// PUBLIC TEST KEY 0x…99: a key of no cosigner.
const FOREIGN_KEY = hexToBytes('00'.repeat(31) + '99');

beforeAll(async () => {
  world = await setUpBatchWorld();
  await world.fund([80_000_000n, 80_000_000n], 0);
  world.approvedRequest(90_000_000n);
  const [built] = await buildBatches(world.home, world.client, { outDir: world.outDir, feeRateSatVb: 3 });
  if (built === undefined) throw new Error('nothing was built');
  batch = built;
  ({ signedPath: aliceFile, fingerprint: aliceFingerprint } = await world.sign(batch.path, 'alice'));
}, 180_000);

afterAll(async () => {
  await world?.close();
});

/** Alice's signed file with `edit` applied, written next to it. */
function tampered(name: string, edit: (signed: Psbt, built: Psbt) => void): string {
  const signed = decodePsbt(readFileSync(aliceFile));
  edit(signed, Psbt.fromBuffer(readFileSync(batch.path)));
  const path = join(world.outDir, name);
  writeFileSync(path, signed.toBuffer());
  return path;
}

function importFile(path: string) {
  return importSignedPsbts(world.home, [readFileSync(path)]).files[0];
}

describe('kura batch import refuses', () => {
  it('a valid signature by a key that is no cosigner’s (SIGNATURE_KEY_UNKNOWN)', () => {
    const path = tampered('foreign.psbt', (signed, built) => {
      const input = built.data.inputs[0];
      const hash = new WitnessV0Sighasher(unsignedTx(built)).hash(
        0,
        input?.witnessScript as Uint8Array,
        input?.witnessUtxo?.value as bigint,
      );
      const pubkey = ecc.pointFromScalar(FOREIGN_KEY, true) as Uint8Array;
      const signature = bjsScript.signature.encode(ecc.sign(hash, FOREIGN_KEY), Transaction.SIGHASH_ALL);
      expect(ecc.verify(hash, pubkey, ecc.sign(hash, FOREIGN_KEY))).toBe(true); // it is a real signature
      signed.data.inputs[0]?.partialSig?.push({ pubkey, signature });
    });
    const result = importFile(path);
    expect(result?.refusal?.code).toBe('SIGNATURE_KEY_UNKNOWN');
    expect(result?.refusal?.details).toMatchObject({ inputIndex: 0 });
  });

  it('a corrupted signature (SIGNATURE_INVALID)', () => {
    const path = tampered('corrupted.psbt', (signed) => {
      const partial = signed.data.inputs[0]?.partialSig?.[0];
      if (partial === undefined) throw new Error('alice signed nothing');
      const bytes = Uint8Array.from(partial.signature);
      const at = bytes.length - 2; // the last byte of S: still strict DER, another number
      bytes[at] = (bytes[at] as number) ^ 0x01;
      partial.signature = bytes;
    });
    expect(importFile(path)?.refusal?.code).toBe('SIGNATURE_INVALID');
  });

  it('a file a real signer signed for another transaction under this batch’s id (BATCH_TX_MISMATCH)', async () => {
    const parts = { ...validParts(world.scenario), batchId: batch.batchId };
    const file = writePackage(world.outDir, 'other-tx.psbt', buildPackage(world.scenario, parts).toBuffer());
    const signed = await world.sign(file, 'bob');
    expect(signed.txid).not.toBe(batch.txid);
    const result = importFile(signed.signedPath);
    expect(result?.refusal?.code).toBe('BATCH_TX_MISMATCH');
    expect(result?.refusal?.details).toMatchObject({ batchId: batch.batchId, expected: batch.txid });
  });

  it('a file for a batch nobody built (COORDINATOR_NOT_FOUND)', async () => {
    const parts = { ...validParts(world.scenario), batchId: 'nobody-built-this' };
    const file = writePackage(world.outDir, 'unknown.psbt', buildPackage(world.scenario, parts).toBuffer());
    const signed = await world.sign(file, 'bob');
    const result = importFile(signed.signedPath);
    expect(result?.refusal?.code).toBe('COORDINATOR_NOT_FOUND');
    expect(result?.batchId).toBe('nobody-built-this');
  });

  it('a file without any signature (SIGNATURE_MISSING), and bytes that are no PSBT (PSBT_MALFORMED)', () => {
    expect(importFile(batch.path)?.refusal?.code).toBe('SIGNATURE_MISSING');
    expect(
      importSignedPsbts(world.home, [new TextEncoder().encode('not a psbt')]).files[0]?.refusal?.code,
    ).toBe('PSBT_MALFORMED');
  });

  it('left no trace of any refused file', () => {
    const { store } = world.home;
    expect(store.batchSignatures(batch.batchId)).toEqual([]);
    expect(store.batchById(batch.batchId)?.state).toBe('built');
  });
});

describe('kura batch import with good and bad files at once', () => {
  it('takes the good ones, exits with the first refusal’s code, and finalizes from what it took', async () => {
    const corrupted = join(world.outDir, 'corrupted.psbt');
    const foreign = join(world.outDir, 'foreign.psbt');
    const run = await kura([
      'batch',
      'import',
      '--home',
      world.homeDir,
      foreign,
      aliceFile,
      corrupted,
      '--json',
    ]);
    expect(run.code).toBe(4);
    const error = run.json<{
      error: {
        code: string;
        details: { report: { files: { path: string; refusal: { code: string } | null }[] } };
      };
    }>().error;
    expect(error.code).toBe('SIGNATURE_KEY_UNKNOWN');
    expect(error.details.report.files.map((f) => [f.path, f.refusal?.code ?? null])).toEqual([
      [foreign, 'SIGNATURE_KEY_UNKNOWN'],
      [aliceFile, null],
      [corrupted, 'SIGNATURE_INVALID'],
    ]);
    const { store } = world.home;
    expect(store.batchSignatures(batch.batchId).map((s) => s.fingerprint)).toEqual([aliceFingerprint]);
    expect(store.batchById(batch.batchId)?.state).toBe('signed');

    const carol = await world.sign(batch.path, 'carol');
    const report = importSignedPsbts(world.home, [readFileSync(carol.signedPath)]);
    expect(report.batches[0]?.state).toBe('finalized');
    expect(report.batches[0]?.cosigners).toEqual([aliceFingerprint, carol.fingerprint].sort());
    const sent = await broadcastBatch(world.home, world.client, batch.batchId);
    expect(sent.located.where).toBe('mempool');
    expect(errorCode(run)).toBe('SIGNATURE_KEY_UNKNOWN');
  });
});
