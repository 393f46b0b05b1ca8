// PSBTs are accepted and written as binary `.psbt` or base64, whichever the user gave: `kura
// signer sign` answers a binary package with a binary signed file and a base64 package (what
// Bitcoin Core, Electrum and Sparrow print) with base64, holding the same signed transaction.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Psbt } from 'bitcoinjs-lib';
import {
  buildPackage,
  setUpScenario,
  signOk,
  validParts,
  writePackage,
  type Scenario,
} from '../helpers/scenario.js';

// BIP-174: a PSBT starts with the magic bytes "psbt" 0xff; its base64 therefore with "cHNidP8".
const MAGIC = Buffer.from([0x70, 0x73, 0x62, 0x74, 0xff]);

let scenario: Scenario;
beforeAll(async () => {
  scenario = await setUpScenario();
});

describe('kura signer sign answers in the encoding it was given', () => {
  it.each(['binary', 'base64'] as const)(
    'a %s package gives a signed file in the same encoding',
    async (encoding) => {
      const psbt = buildPackage(scenario, { ...validParts(scenario), batchId: `encoding-${encoding}` });
      const content = encoding === 'binary' ? psbt.toBuffer() : Buffer.from(`${psbt.toBase64()}\n`, 'utf8');
      const file = writePackage(scenario.dir, `encoding-${encoding}.psbt`, content);
      const run = await signOk(scenario, scenario.homes.carol, file);
      const signed = readFileSync(run.json<{ signedPath: string }>().signedPath);

      let parsed: Psbt;
      if (encoding === 'binary') {
        expect(signed.subarray(0, MAGIC.length).equals(MAGIC)).toBe(true);
        parsed = Psbt.fromBuffer(signed);
      } else {
        const text = signed.toString('utf8');
        expect(text).toMatch(/^cHNidP8[A-Za-z0-9+/]*={0,2}\n?$/);
        parsed = Psbt.fromBase64(text.trim());
      }
      // The same transaction, now with one partial signature per input.
      expect(parsed.data.getTransaction()).toEqual(psbt.data.getTransaction());
      expect(parsed.data.inputs.map((i) => i.partialSig?.length)).toEqual(psbt.data.inputs.map(() => 1));
    },
  );
});
