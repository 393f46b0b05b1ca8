// Officer key files (src/approvals/officerKey.ts): sealed like the signer keystore, public key in
// the header, every damage named.
import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import {
  generateOfficerPrivateKey,
  isXOnlyPublicKey,
  officerPublicKey,
  openOfficerKey,
  parseOfficerKeyFile,
  sealOfficerKey,
} from '../../src/approvals/officerKey.js';
import { ecc } from '../../src/bitcoin/ecc.js';
import { TEST_PASSPHRASE } from '../fixtures/seeds.js';

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

describe('officer keys', () => {
  const privateKey = generateOfficerPrivateKey();
  const file = sealOfficerKey(privateKey, TEST_PASSPHRASE, 'alice');
  const json = JSON.parse(JSON.stringify(file)) as Record<string, unknown>;

  it('are valid private keys from the CSPRNG, different each time', () => {
    expect(ecc.isPrivate(privateKey)).toBe(true);
    expect(bytesToHex(generateOfficerPrivateKey())).not.toBe(bytesToHex(privateKey));
  });

  it('hold the x-only public key and id in the header, in a fixed field order', () => {
    expect(Object.keys(json)).toEqual([
      'kind',
      'version',
      'id',
      'publicKey',
      'kdf',
      'headerSha256',
      'passphraseCheck',
      'cipher',
      'ciphertext',
      'tag',
    ]);
    expect(file).toMatchObject({ kind: 'kura-officer-key', version: 1, id: 'alice' });
    expect(file.publicKey).toBe(bytesToHex(ecc.xOnlyPointFromScalar(privateKey)));
    expect(file.kdf).toMatchObject({ name: 'scrypt', N: 2 ** 17, r: 8, p: 1 });
    expect(file.ciphertext).toHaveLength(64);
    expect(JSON.stringify(json)).not.toContain(bytesToHex(privateKey));
  });

  it('parse back to the same file, and open with the passphrase to the same key', () => {
    const parsed = parseOfficerKeyFile(json);
    expect(parsed).toEqual(file);
    expect(bytesToHex(openOfficerKey(parsed, TEST_PASSPHRASE))).toBe(bytesToHex(privateKey));
  });

  it('may have no id', () => {
    const anonymous = sealOfficerKey(privateKey, TEST_PASSPHRASE, null);
    expect(parseOfficerKeyFile(JSON.parse(JSON.stringify(anonymous)))).toMatchObject({ id: null });
  });

  it('refuse a wrong passphrase with KEYSTORE_PASSPHRASE_WRONG', () => {
    expect(codeOf(() => openOfficerKey(file, 'not the passphrase'))).toBe('KEYSTORE_PASSPHRASE_WRONG');
  });

  it.each([
    { description: 'another kind', change: { kind: 'kura-keystore' } },
    { description: 'version 2', change: { version: 2 } },
    { description: 'an id with a space', change: { id: 'alice smith' } },
    { description: 'a changed id (header hash)', change: { id: 'mallory' } },
    {
      description: 'a public key off the curve',
      change: { publicKey: 'eefdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34' },
    },
    { description: 'a short public key', change: { publicKey: '79be667e' } },
    {
      description: 'a weak KDF',
      change: { kdf: { name: 'scrypt', N: 1024, r: 8, p: 1, salt: '00'.repeat(32) } },
    },
    { description: 'a ciphertext of 33 bytes', change: { ciphertext: `${file.ciphertext}00` } },
    { description: 'no tag', change: { tag: undefined } },
    { description: 'not an object', change: null },
  ])('refuse $description with KEYSTORE_CORRUPT (no passphrase needed)', ({ change }) => {
    const damaged = change === null ? [json] : { ...json, ...change };
    expect(codeOf(() => parseOfficerKeyFile(damaged))).toBe('KEYSTORE_CORRUPT');
  });

  it("refuse another officer's public key put in the header, even with the header hash redone", () => {
    const mallory = sealOfficerKey(generateOfficerPrivateKey(), TEST_PASSPHRASE, 'alice');
    // The header bytes are its fields as compact JSON in this order (docs/approvals.md).
    const header = {
      kind: file.kind,
      version: file.version,
      id: file.id,
      publicKey: mallory.publicKey,
      kdf: file.kdf,
    };
    const headerSha256 = bytesToHex(sha256(utf8ToBytes(JSON.stringify(header))));
    const swapped = { ...json, publicKey: mallory.publicKey, headerSha256 };
    // The header now parses; the sealed key no longer opens under it (GCM associated data).
    const parsed = parseOfficerKeyFile(swapped);
    expect(codeOf(() => openOfficerKey(parsed, TEST_PASSPHRASE))).toBe('KEYSTORE_CORRUPT');
  });

  it('refuse a damaged ciphertext or tag at opening with KEYSTORE_CORRUPT', () => {
    for (const field of ['ciphertext', 'tag'] as const) {
      const damaged = parseOfficerKeyFile({ ...json, [field]: flipLastHexDigit(file[field]) });
      expect(
        codeOf(() => openOfficerKey(damaged, TEST_PASSPHRASE)),
        field,
      ).toBe('KEYSTORE_CORRUPT');
    }
  });

  it('refuse ids that a policy could not hold', () => {
    expect(codeOf(() => sealOfficerKey(privateKey, TEST_PASSPHRASE, ''))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => sealOfficerKey(privateKey, TEST_PASSPHRASE, 'x'.repeat(65)))).toBe(
      'ARGUMENT_INVALID',
    );
  });
});

describe('x-only public keys', () => {
  it('are checked to lie on the curve, not only for their length', () => {
    expect(isXOnlyPublicKey(hexToBytes(officerPublicKey(hexToBytes('00'.repeat(31) + '01'))))).toBe(true);
    expect(
      isXOnlyPublicKey(hexToBytes('eefdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34')),
    ).toBe(false);
    expect(isXOnlyPublicKey(new Uint8Array(32))).toBe(false);
    expect(isXOnlyPublicKey(new Uint8Array(33))).toBe(false);
  });

  it('come only from valid private keys', () => {
    expect(codeOf(() => officerPublicKey(new Uint8Array(32)))).toBe('ARGUMENT_INVALID');
  });
});
