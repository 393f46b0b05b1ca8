// The valid path through `kura signer sign`: two signers sign their copies, the signatures
// combine and finalize into a transaction whose every input verifies.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Psbt } from 'bitcoinjs-lib';
import { decodePsbt } from '../../src/artifacts/psbtFile.js';
import { ecc } from '../../src/bitcoin/ecc.js';
import { errorCode, kura } from '../helpers/cli.js';
import {
  buildPackage,
  setUpScenario,
  validParts,
  writePackage,
  type Scenario,
  runSign,
} from '../helpers/scenario.js';

let scenario: Scenario;

beforeAll(async () => {
  scenario = await setUpScenario();
});

const sign = (home: string, file: string) => runSign(scenario, home, file);

describe('kura signer sign: the valid path', () => {
  it('two signers sign, the coordinator combines and finalizes', async () => {
    const psbt = buildPackage(scenario, validParts(scenario));
    const file = writePackage(scenario.dir, 'batch-1.psbt', psbt.toBuffer());
    const a = await sign(scenario.homes.alice, file);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    expect(a.said).toMatch(/approved by ops-1 \(operations\), ops-2 \(operations\)/);
    const b = await sign(scenario.homes.bob, file);
    expect(b.code).toBe(0);
    const signedA = decodePsbt(readFileSync(a.json<{ signedPath: string }>().signedPath));
    const signedB = decodePsbt(readFileSync(b.json<{ signedPath: string }>().signedPath));
    expect(a.json<{ signedPath: string }>().signedPath).toMatch(/batch-1\.[0-9a-f]{8}\.signed\.psbt$/);
    // The signed file holds only the new signatures (and the receipt).
    expect(
      signedA.data.inputs.every((i) => i.partialSig?.length === 1 && i.nonWitnessUtxo === undefined),
    ).toBe(true);

    const combined = Psbt.fromBuffer(psbt.toBuffer()).combine(signedA, signedB);
    const validator = (pubkey: Uint8Array, hash: Uint8Array, signature: Uint8Array) =>
      ecc.verify(hash, pubkey, signature);
    expect(combined.validateSignaturesOfAllInputs(validator)).toBe(true);
    combined.finalizeAllInputs();
    const tx = combined.extractTransaction();
    expect(tx.getId()).toBe(a.json<{ txid: string }>().txid);
    expect(tx.ins.every((i) => i.witness.length === 4)).toBe(true);
  });

  it('keeps a hash-chained ledger of what it signed', async () => {
    const run = await kura(['signer', 'ledger', 'verify', '--home', scenario.homes.alice, '--json']);
    expect(run.code).toBe(0);
    expect(run.json<{ entries: number }>().entries).toBeGreaterThanOrEqual(3);
    const shown = await kura(['signer', 'ledger', 'show', '--home', scenario.homes.alice, '--json']);
    expect(shown.json<{ type: string }[]>().map((e) => e.type)).toEqual(
      expect.arrayContaining(['register', 'policy', 'sign']),
    );
  });

  it('asks for typed confirmation and writes nothing when declined', async () => {
    const psbt = buildPackage(scenario, { ...validParts(scenario), batchId: 'declined' });
    const file = writePackage(scenario.dir, 'declined.psbt', psbt.toBuffer());
    const run = await kura(
      [
        'signer',
        'sign',
        file,
        '--home',
        scenario.homes.carol,
        '--passphrase-file',
        scenario.passphraseFile,
        '--json',
      ],
      {
        asks: ['no'],
      },
    );
    expect(errorCode(run)).toBe('CONFIRMATION_DECLINED');
    const ledger = await kura(['signer', 'ledger', 'show', '--home', scenario.homes.carol, '--json']);
    expect(ledger.json<{ type: string }[]>().some((e) => e.type === 'sign')).toBe(false);
  });
});
