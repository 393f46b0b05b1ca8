// The signing package is a standard PSBT: another implementation (@scure/btc-signer) reads and
// co-signs the very file kura's signer signs, and fields kura does not know are carried through
// untouched and change nothing that is shown or signed (THREATS.md #3).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Psbt } from 'bitcoinjs-lib';
import * as btc from '@scure/btc-signer';
import { decodePsbt } from '../../src/artifacts/psbtFile.js';
import { ecc } from '../../src/bitcoin/ecc.js';
import { accountPrivateNode, bip48Path, masterFromSeed } from '../../src/keys/account.js';
import { mnemonicToSeed } from '../../src/keys/mnemonic.js';
import { PUBLIC_TEST_MNEMONICS } from '../fixtures/seeds.js';
import {
  buildPackage,
  setUpScenario,
  signOk,
  validParts,
  writePackage,
  type Scenario,
} from '../helpers/scenario.js';

let scenario: Scenario;
beforeAll(async () => {
  scenario = await setUpScenario();
});

const sign = (home: string, file: string) => signOk(scenario, home, file);

describe('interoperability of the signing package', () => {
  it('is co-signed by @scure/btc-signer as the second cosigner', async () => {
    const psbt = buildPackage(scenario, { ...validParts(scenario), batchId: 'interop' });
    const file = writePackage(scenario.dir, 'interop.psbt', psbt.toBuffer());
    const alice = decodePsbt(
      readFileSync((await sign(scenario.homes.alice, file)).json<{ signedPath: string }>().signedPath),
    );

    // Bob signs with another library, from the same file, with keys derived from his public test words.
    const master = masterFromSeed(mnemonicToSeed(PUBLIC_TEST_MNEMONICS.bob, ''), 'regtest');
    const account = accountPrivateNode(master, bip48Path('regtest', 0));
    const scure = btc.Transaction.fromPSBT(Uint8Array.from(psbt.toBuffer()));
    for (let i = 0; i < scure.inputsLength; i++) {
      const key = account.derive(0).derive(i).privateKey;
      if (key === undefined) throw new Error('no private key');
      expect(scure.signIdx(key, i)).toBe(true);
    }
    const bob = Psbt.fromBuffer(scure.toPSBT(0));

    const combined = Psbt.fromBuffer(psbt.toBuffer()).combine(alice, bob);
    expect(combined.validateSignaturesOfAllInputs((pub, hash, sig) => ecc.verify(hash, pub, sig))).toBe(true);
    combined.finalizeAllInputs();
    expect(combined.extractTransaction().ins.every((i) => i.witness.length === 4)).toBe(true);
  });

  it('keeps unknown fields byte for byte, and they change nothing shown or signed', async () => {
    const parts = { ...validParts(scenario), batchId: 'unknown-fields' };
    const plain = buildPackage(scenario, parts);
    const extra = Psbt.fromBuffer(plain.toBuffer());
    // Another tool's proprietary field, an unknown global type, and unknown input/output fields.
    extra.addUnknownKeyValToGlobal({
      key: Buffer.from('fc05otherx00', 'hex'),
      value: Buffer.from('keep me'),
    });
    extra.addUnknownKeyValToGlobal({ key: Buffer.from('f7', 'hex'), value: Buffer.from('00ff', 'hex') });
    extra.addUnknownKeyValToInput(0, { key: Buffer.from('f1aa', 'hex'), value: Buffer.from('input note') });
    extra.addUnknownKeyValToOutput(0, { key: Buffer.from('f2bb', 'hex'), value: Buffer.from('output note') });
    const bytes = extra.toBuffer();
    expect(Buffer.from(decodePsbt(bytes).toBuffer()).equals(Buffer.from(bytes))).toBe(true);

    const withExtra = await sign(scenario.homes.bob, writePackage(scenario.dir, 'unknown.psbt', bytes));
    const txid = withExtra.json<{ txid: string }>().txid;
    // Signing the plain package afterwards is recognised as the very same transaction.
    const again = await sign(scenario.homes.bob, writePackage(scenario.dir, 'plain.psbt', plain.toBuffer()));
    expect(again.json<{ txid: string; replay: string }>()).toMatchObject({ txid, replay: 'same' });
    // The same payments, change, fee and totals; only the 24 h usage moved (this batch is now in the ledger).
    const screen = (run: { said: string }) =>
      run.said.split('\n').filter((l) => !/signed before|24 h limits|after this/.test(l));
    expect(screen(again)).toEqual(screen(withExtra));
  });
});
