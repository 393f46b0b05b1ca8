// BIP-39 vectors: English (trezor/python-mnemonic, passphrase "TREZOR") and Japanese (passphrase
// normalisation). Each checks kura's own path: mnemonic parsing, seed, and BIP-32 master key.
import { describe, expect, it } from 'vitest';
import { hexToBytes, bytesToHex } from '@noble/hashes/utils.js';
import { masterFromSeed } from '../../src/keys/account.js';
import { createMnemonic, mnemonicToSeed, parseMnemonic } from '../../src/keys/mnemonic.js';
import { vectorJson } from '../helpers/vectors.js';

type EnglishVector = [entropy: string, mnemonic: string, seed: string, xprv: string];
const english = vectorJson<{ english: EnglishVector[] }>('bip39-english.json').english;

interface JapaneseVector {
  entropy: string;
  phrase: string;
  salt: string;
  seed: string;
  bip32_xprv: string;
}
const japanese = vectorJson<JapaneseVector[]>('bip39-japanese.json');

describe('BIP-39 English vectors', () => {
  it('has all 24 vectors', () => expect(english).toHaveLength(24));

  it.each(english)('%s', (entropy, mnemonic, seed, xprv) => {
    expect(parseMnemonic(mnemonic)).toBe(mnemonic);
    const derived = mnemonicToSeed(mnemonic, 'TREZOR');
    expect(bytesToHex(derived)).toBe(seed);
    expect(masterFromSeed(derived, 'mainnet').toBase58()).toBe(xprv);
    if (entropy.length === 64) {
      // kura creates 24-word mnemonics: fed the vector's entropy as its CSPRNG output, it must agree.
      expect(createMnemonic(undefined, hexToBytes(entropy))).toBe(mnemonic);
    }
  });
});

describe('BIP-39 Japanese vectors (NFKD normalisation of mnemonic and passphrase)', () => {
  it('has all 24 vectors', () => expect(japanese).toHaveLength(24));

  it.each(japanese)('$entropy', (v) => {
    const seed = mnemonicToSeed(v.phrase, v.salt);
    expect(bytesToHex(seed)).toBe(v.seed);
    expect(masterFromSeed(seed, 'mainnet').toBase58()).toBe(v.bip32_xprv);
  });
});

describe('mnemonic refusals', () => {
  const valid = english[0]?.[1] ?? '';
  it.each([
    { description: 'too few words', input: 'abandon abandon abandon', code: 'MNEMONIC_WORD_COUNT' },
    {
      description: 'an unknown word',
      input: valid.replace(/about$/, 'aboutz'),
      code: 'MNEMONIC_UNKNOWN_WORD',
    },
    {
      description: 'a wrong checksum word',
      input: valid.replace(/about$/, 'abandon'),
      code: 'MNEMONIC_CHECKSUM',
    },
    { description: '13 words', input: `${valid} abandon`, code: 'MNEMONIC_WORD_COUNT' },
  ])('refuses $description', ({ input, code }) => {
    expect(() => parseMnemonic(input)).toThrowError(expect.objectContaining({ code }));
  });

  it('accepts extra spaces, capitals and ideographic spaces', () => {
    expect(parseMnemonic(`  ${valid.toUpperCase().replaceAll(' ', '\u3000 ')}\n`)).toBe(valid);
  });
});
