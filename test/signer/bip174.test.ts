// BIP-174's own test vectors against kura's PSBT reading and the signer's input checks:
// every invalid PSBT is refused with a code (never a crash), and the four "fails signer checks"
// cases are refused by the signer's input checks.
import { beforeAll, describe, expect, it } from 'vitest';
import { Psbt } from 'bitcoinjs-lib';
import { WalletDeriver } from '../../src/bitcoin/addresses.js';
import { decodePsbt } from '../../src/artifacts/psbtFile.js';
import { isKuraError } from '../../src/errors.js';
import { showKey } from '../../src/keys/ceremony.js';
import { checkInputs } from '../../src/signer/checks/inputs.js';
import { setUpScenario, type Scenario } from '../helpers/scenario.js';
import { vectorText } from '../helpers/vectors.js';

interface Case {
  section: string;
  description: string;
  base64: string;
}

function parseCases(text: string): Case[] {
  const cases: Case[] = [];
  let section = '';
  let current: Partial<Case> = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('The following are invalid')) section = 'invalid';
    else if (line.startsWith('The following are valid')) section = 'valid';
    else if (line.startsWith('Fails Signer checks')) section = 'fails-signer';
    else if (/^=+ ?[A-Z]/.test(line) && section === 'fails-signer') section = 'other';
    const name = /^\* Case: (.*)/.exec(line);
    if (name) current = { section, description: name[1] ?? '' };
    const b64 = /^\*\* Base64 String: <pre>([A-Za-z0-9+/=]+)<\/pre>/.exec(line);
    if (b64 && current.description !== undefined) {
      cases.push({ ...(current as Case), base64: b64[1] ?? '' });
      current = {};
    }
  }
  return cases;
}

const cases = parseCases(vectorText('bip174.mediawiki.txt'));
const invalid = cases.filter((c) => c.section === 'invalid');
const valid = cases.filter((c) => c.section === 'valid');
const failsSigner = cases.filter((c) => c.section === 'fails-signer');
const PSBT_CODES = ['PSBT_MALFORMED', 'PSBT_DUPLICATE_KEY', 'PSBT_VERSION_UNSUPPORTED'];

describe('BIP-174 invalid PSBTs', () => {
  // The stored copy of BIP-174 (test/vectors/README.md) lists 19 invalid cases.
  it('reads all of them', () => expect(invalid.length).toBeGreaterThanOrEqual(19));

  it.each(invalid)('refuses: $description', ({ base64 }) => {
    let error: unknown;
    try {
      decodePsbt(Buffer.from(base64));
    } catch (e) {
      error = e;
    }
    expect(isKuraError(error)).toBe(true);
    expect(PSBT_CODES).toContain((error as { code: string }).code);
  });

  it('refuses the duplicate-key case as a duplicate key', () => {
    const dup = invalid.find((c) => /duplicate keys/i.test(c.description));
    expect(() => decodePsbt(Buffer.from(dup?.base64 ?? ''))).toThrowError(
      expect.objectContaining({ code: 'PSBT_DUPLICATE_KEY' }),
    );
  });
});

describe('BIP-174 valid PSBTs', () => {
  it.each(valid)('reads, and writes back byte for byte: $description', ({ base64 }) => {
    const psbt = decodePsbt(Buffer.from(base64));
    expect(psbt.toBase64()).toBe(Psbt.fromBase64(base64).toBase64());
  });
});

describe('BIP-174 "fails signer checks"', () => {
  let scenario: Scenario;
  beforeAll(async () => {
    scenario = await setUpScenario();
  });

  it('has the four cases', () => expect(failsSigner).toHaveLength(4));

  it.each(failsSigner)('refuses: $description', ({ base64 }) => {
    const psbt = decodePsbt(Buffer.from(base64));
    const { key } = showKey(scenario.homes.alice);
    expect(() => checkInputs(psbt, new WalletDeriver(scenario.wallet.wallet), key)).toThrowError(
      expect.objectContaining({
        code: expect.stringMatching(/^INPUT_(PREVIOUS_TX_MISSING|NOT_OURS|WITNESS_UTXO_MISMATCH)$/),
      }),
    );
  });
});
