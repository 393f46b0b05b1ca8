// Passphrase sealing (src/keys/seal.ts), shared by the signer keystore and officer key files:
// what opens, what is a wrong passphrase, what is a damaged file, and that the keystore format is
// byte for byte the one written before the sealing was shared.
import { describe, expect, it } from 'vitest';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { openKeystore, parseKeystore, sealKeystore } from '../../src/keys/keystore.js';
import {
  checkNewPassphrase,
  newKdfParams,
  open,
  parseKdf,
  parseSealedFields,
  seal,
  type KdfParams,
  type SealKind,
} from '../../src/keys/seal.js';
import { PUBLIC_TEST_MNEMONICS, TEST_PASSPHRASE } from '../fixtures/seeds.js';

const KIND: SealKind = {
  label: 'test box',
  checkTag: 'kura/test-passphrase-check/v1',
  wrongPassphrase: 'KEYSTORE_PASSPHRASE_WRONG',
  corrupt: 'KEYSTORE_CORRUPT',
};

// The smallest N the parser accepts, so these tests stay fast; files use 2^17.
const FAST_KDF: KdfParams = { ...newKdfParams(), N: 2 ** 15 };
const HEADER = utf8ToBytes('{"kind":"test","kdf":"…"}');
const SECRET = utf8ToBytes('thirty-two bytes of secret data!');

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

function flipLastHexDigit(hex: string): string {
  return hex.slice(0, -1) + (hex.at(-1) === '0' ? '1' : '0');
}

describe('seal and open', () => {
  const sealed = seal(SECRET, TEST_PASSPHRASE, FAST_KDF, HEADER, KIND);

  it('opens with the passphrase and gives the secret back', () => {
    expect(new Uint8Array(open(sealed, TEST_PASSPHRASE, FAST_KDF, HEADER, KIND))).toEqual(SECRET);
    expect(sealed.ciphertext).toHaveLength(SECRET.length * 2);
  });

  it('uses a fresh nonce each time', () => {
    const again = seal(SECRET, TEST_PASSPHRASE, FAST_KDF, HEADER, KIND);
    expect(again.cipher.nonce).not.toBe(sealed.cipher.nonce);
    expect(again.ciphertext).not.toBe(sealed.ciphertext);
  });

  it('normalises the passphrase (NFKD): composed and decomposed forms open alike', () => {
    const composed = 'pass\u00e9phrase';
    const box = seal(SECRET, composed, FAST_KDF, HEADER, KIND);
    expect(new Uint8Array(open(box, 'passe\u0301phrase', FAST_KDF, HEADER, KIND))).toEqual(SECRET);
  });

  it('tells a wrong passphrase from a damaged file', () => {
    expect(codeOf(() => open(sealed, 'not the passphrase', FAST_KDF, HEADER, KIND))).toBe(
      'KEYSTORE_PASSPHRASE_WRONG',
    );
    const damaged = {
      ciphertext: { ...sealed, ciphertext: flipLastHexDigit(sealed.ciphertext) },
      tag: { ...sealed, tag: flipLastHexDigit(sealed.tag) },
      nonce: { ...sealed, cipher: { ...sealed.cipher, nonce: flipLastHexDigit(sealed.cipher.nonce) } },
      headerSha256: { ...sealed, headerSha256: flipLastHexDigit(sealed.headerSha256) },
    };
    for (const [name, box] of Object.entries(damaged)) {
      expect(
        codeOf(() => open(box, TEST_PASSPHRASE, FAST_KDF, HEADER, KIND)),
        name,
      ).toBe('KEYSTORE_CORRUPT');
    }
  });

  it('refuses an edited header, even when its SHA-256 is edited to match (GCM associated data)', () => {
    const edited = utf8ToBytes('{"kind":"test","kdf":"!"}');
    expect(codeOf(() => open(sealed, TEST_PASSPHRASE, FAST_KDF, edited, KIND))).toBe('KEYSTORE_CORRUPT');
    const rehashed = seal(SECRET, TEST_PASSPHRASE, FAST_KDF, edited, KIND).headerSha256;
    expect(
      codeOf(() => open({ ...sealed, headerSha256: rehashed }, TEST_PASSPHRASE, FAST_KDF, edited, KIND)),
    ).toBe('KEYSTORE_CORRUPT');
  });

  it('separates kinds of file: the check value of one kind is not the check value of another', () => {
    const other: SealKind = { ...KIND, checkTag: 'kura/other-passphrase-check/v1' };
    expect(seal(SECRET, TEST_PASSPHRASE, FAST_KDF, HEADER, other).passphraseCheck).not.toBe(
      sealed.passphraseCheck,
    );
  });
});

describe('parsing sealed fields', () => {
  const good = { name: 'scrypt', N: 2 ** 17, r: 8, p: 1, salt: 'ab'.repeat(32) };

  it.each([
    { description: 'another KDF', kdf: { ...good, name: 'pbkdf2' } },
    { description: 'N below 2^15', kdf: { ...good, N: 2 ** 14 } },
    { description: 'N above 2^22', kdf: { ...good, N: 2 ** 23 } },
    { description: 'N not a power of two', kdf: { ...good, N: 100_000 } },
    { description: 'r of 0', kdf: { ...good, r: 0 } },
    { description: 'p of 17', kdf: { ...good, p: 17 } },
    { description: 'a short salt', kdf: { ...good, salt: 'ab' } },
    { description: 'an uppercase salt', kdf: { ...good, salt: 'AB'.repeat(32) } },
    { description: 'no kdf', kdf: undefined },
  ])('refuses KDF parameters with $description', ({ kdf }) => {
    expect(codeOf(() => parseKdf(kdf, KIND))).toBe('KEYSTORE_CORRUPT');
  });

  it('accepts the default parameters', () => {
    expect(parseKdf(good, KIND)).toEqual(good);
  });

  it('refuses a ciphertext of the wrong length when the secret has a fixed size', () => {
    const box = seal(SECRET, TEST_PASSPHRASE, FAST_KDF, HEADER, KIND);
    expect(parseSealedFields({ ...box }, KIND, 32)).toEqual(box);
    expect(codeOf(() => parseSealedFields({ ...box }, KIND, 31))).toBe('KEYSTORE_CORRUPT');
    expect(codeOf(() => parseSealedFields({ ...box, cipher: { name: 'aes-128-gcm' } }, KIND))).toBe(
      'KEYSTORE_CORRUPT',
    );
  });
});

describe('new passphrases', () => {
  it('need at least 8 characters after NFKD normalisation', () => {
    expect(codeOf(() => checkNewPassphrase('seven!!'))).toBe('PASSPHRASE_TOO_SHORT');
    expect(checkNewPassphrase('eight!!!')).toBe('eight!!!');
  });
});

describe('the keystore format is unchanged', () => {
  // Written by the keystore code before the sealing moved to seal.ts (alice's public test words,
  // the public test passphrase, regtest account 0). It must keep opening, field for field.
  const GOLDEN = {
    kind: 'kura-keystore',
    version: 1,
    network: 'regtest',
    account: 0,
    fingerprint: '5436d724',
    path: "m/48'/1'/0'/2'",
    xpub: 'tpubDFkN51vYF36W4Yfn3wGv5fpmRo3ok7vZZjc1gmRJjumq33L776e6GkP4HGdCVjDqYiBahXCrXQKja8aUZ2xovQNS8WkF46MdY7TLHJLYD7H',
    kdf: {
      name: 'scrypt',
      N: 131072,
      r: 8,
      p: 1,
      salt: '1a7d6bc7d626ab32b24d28611a765dc8a16bb3359adfd0b13e6be684c7eeea5b',
    },
    headerSha256: 'b413954d78743b212dd8da6a840dd574dc5fc4c3b10b0ae14cdf3b1adcd56152',
    passphraseCheck: '2c1f8d4756f533ee2c18d46e8bc32922866e45da9040a6f7979fbf0669dbb76e',
    cipher: {
      name: 'aes-256-gcm',
      nonce: '8e5143c77e66a36610f251b5',
    },
    ciphertext:
      '53f4ab96ab24fdf569eefed31f95995b5ce8ed9ef2c1d7e92bb6844ca9eb359e98451aa2cb6eb2c24775f88a8d0a7c44f768c98bcf2e57494520037817f6e5e6899e2e90e41d570281ebf1b15343e4f2bed3886b44c97a20ec61aaf96b8cfec44d08a089b9d18df2210f8d3ce8a46771da70872956b7968985f3e6f11cd2b6cd7b962140249f67d4c1b18adbee9f5f2cfe3f9e09be61c5263a34591124c54b987ad8ae1672232040b3383d2da74165cf74d79e1909ea02feb1e46f8dfcf8de92ea21889adf0f1a3b2abf83a3889fd3f2ba7645fc26d0c52ca44247c086af53',
    tag: '6c5c3a8dd3dca63a08f2c4641e8a4824',
  } as const;

  it('opens a keystore written before the refactor', () => {
    const file = parseKeystore(GOLDEN);
    expect(JSON.stringify(file)).toBe(JSON.stringify(GOLDEN));
    expect(openKeystore(file, TEST_PASSPHRASE)).toEqual({
      mnemonic: PUBLIC_TEST_MNEMONICS.alice,
      bip39Passphrase: '',
    });
    expect(codeOf(() => openKeystore(file, 'not the passphrase'))).toBe('KEYSTORE_PASSPHRASE_WRONG');
  });

  it('writes the same fields in the same order', () => {
    const file = sealKeystore(
      { mnemonic: PUBLIC_TEST_MNEMONICS.alice, bip39Passphrase: '' },
      TEST_PASSPHRASE,
      'regtest',
      0,
    );
    expect(Object.keys(file)).toEqual(Object.keys(GOLDEN));
    expect(Object.keys(file.kdf)).toEqual(Object.keys(GOLDEN.kdf));
    const header = ['kind', 'version', 'network', 'account', 'fingerprint', 'path', 'xpub'] as const;
    for (const field of header) expect(file[field], field).toEqual(GOLDEN[field]);
    expect({ ...file.kdf, salt: '' }).toEqual({ ...GOLDEN.kdf, salt: '' });
    const sealedHex = [file.headerSha256, file.passphraseCheck, file.cipher.nonce, file.ciphertext, file.tag];
    expect(sealedHex.every((v) => /^[0-9a-f]+$/.test(v))).toBe(true);
  });
});
