// The encrypted keystore of a signer: the mnemonic and BIP-39 passphrase, sealed with
// AES-256-GCM under a key from scrypt (memory-hard), both from node:crypto (OpenSSL).
//
// The public header (network, account, fingerprint, path, xpub, KDF parameters) is bound to the
// ciphertext as GCM associated data, so editing it breaks decryption. A separate passphrase check
// value, derived from the same scrypt output, tells a wrong passphrase from a damaged file; it
// leaks nothing an attacker could not learn by trying passphrases against the ciphertext itself.
import { createCipheriv, createDecipheriv, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { KuraError } from '../errors.js';
import { formatPathWithRoot } from '../bitcoin/keyExpression.js';
import { NETWORK_NAMES, type NetworkName } from '../bitcoin/networks.js';
import { accountKeyFromMaster, bip48Path, masterFromSeed } from './account.js';
import { mnemonicToSeed, parseMnemonic } from './mnemonic.js';

export const KEYSTORE_KIND = 'kura-keystore';
export const KEYSTORE_VERSION = 1;
export const MIN_PASSPHRASE_LENGTH = 8;

// scrypt N = 2^17, r = 8: 128 MiB and about half a second per unlock on a two-core machine,
// the cost OWASP suggests for interactive logins, doubled because this guards cold keys.
const SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;
const SCRYPT_BOUNDS = { minLogN: 15, maxLogN: 22, maxR: 32, maxP: 16 } as const;
const CHECK_TAG = utf8ToBytes('kura/keystore-passphrase-check/v1');

export interface KeystoreHeader {
  readonly kind: typeof KEYSTORE_KIND;
  readonly version: typeof KEYSTORE_VERSION;
  readonly network: NetworkName;
  readonly account: number;
  readonly fingerprint: string;
  readonly path: string;
  readonly xpub: string;
  readonly kdf: {
    readonly name: 'scrypt';
    readonly N: number;
    readonly r: number;
    readonly p: number;
    readonly salt: string;
  };
}

export interface KeystoreFile extends KeystoreHeader {
  /** Plain SHA-256 of the header: tells a damaged header from a wrong passphrase (not a MAC). */
  readonly headerSha256: string;
  readonly passphraseCheck: string;
  readonly cipher: { readonly name: 'aes-256-gcm'; readonly nonce: string };
  readonly ciphertext: string;
  readonly tag: string;
}

export interface KeystoreSecret {
  readonly mnemonic: string;
  readonly bip39Passphrase: string;
}

export function normalizePassphrase(passphrase: string): string {
  return passphrase.normalize('NFKD');
}

export function checkNewPassphrase(passphrase: string): string {
  const normalized = normalizePassphrase(passphrase);
  if ([...normalized].length < MIN_PASSPHRASE_LENGTH) {
    throw new KuraError(
      'PASSPHRASE_TOO_SHORT',
      `"passphrase" must have at least ${MIN_PASSPHRASE_LENGTH} characters`,
      {
        field: 'passphrase',
      },
    );
  }
  return normalized;
}

function headerBytes(header: KeystoreHeader): Uint8Array {
  // Fixed key order: this is the exact associated data; never reorder.
  const { kind, version, network, account, fingerprint, path, xpub, kdf } = header;
  const canonical = {
    kind,
    version,
    network,
    account,
    fingerprint,
    path,
    xpub,
    kdf: { name: kdf.name, N: kdf.N, r: kdf.r, p: kdf.p, salt: kdf.salt },
  };
  return utf8ToBytes(JSON.stringify(canonical));
}

function deriveKeys(passphrase: string, kdf: KeystoreHeader['kdf']): { encryption: Buffer; check: string } {
  const out = scryptSync(normalizePassphrase(passphrase), Buffer.from(hexToBytes(kdf.salt)), 64, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: 256 * kdf.N * kdf.r + 1024 * 1024,
  });
  const encryption = Buffer.from(out.subarray(0, 32));
  const check = bytesToHex(sha256(concatBytes(CHECK_TAG, out.subarray(32))));
  out.fill(0);
  return { encryption, check };
}

/** Derives the public side of a secret: fingerprint and the BIP-48 account key. */
export function describeSecret(secret: KeystoreSecret, network: NetworkName, account: number) {
  const master = masterFromSeed(mnemonicToSeed(secret.mnemonic, secret.bip39Passphrase), network);
  return accountKeyFromMaster(master, network, account);
}

export function sealKeystore(
  secret: KeystoreSecret,
  passphrase: string,
  network: NetworkName,
  account: number,
): KeystoreFile {
  const accountKey = describeSecret(secret, network, account);
  const header: KeystoreHeader = {
    kind: KEYSTORE_KIND,
    version: KEYSTORE_VERSION,
    network,
    account,
    fingerprint: accountKey.origin.fingerprint,
    path: formatPathWithRoot(bip48Path(network, account)),
    xpub: accountKey.xpub,
    kdf: { name: 'scrypt', ...SCRYPT, salt: bytesToHex(randomBytes(32)) },
  };
  const { encryption, check } = deriveKeys(passphrase, header.kdf);
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', encryption, nonce);
  cipher.setAAD(headerBytes(header));
  const plaintext = Buffer.from(JSON.stringify(secret), 'utf8');
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  // Best effort: JavaScript cannot guarantee that no copy of these buffers remains in memory.
  plaintext.fill(0);
  encryption.fill(0);
  return {
    ...header,
    headerSha256: bytesToHex(sha256(headerBytes(header))),
    passphraseCheck: check,
    cipher: { name: 'aes-256-gcm', nonce: nonce.toString('hex') },
    ciphertext: ciphertext.toString('hex'),
    tag: cipher.getAuthTag().toString('hex'),
  };
}

function corrupt(field: string, why: string): KuraError {
  return new KuraError('KEYSTORE_CORRUPT', `keystore "${field}" ${why}`, { field });
}

function hexField(value: unknown, field: string, bytes?: number): string {
  if (
    typeof value !== 'string' ||
    !/^([0-9a-f]{2})*$/.test(value) ||
    (bytes !== undefined && value.length !== bytes * 2)
  ) {
    throw corrupt(
      field,
      bytes === undefined ? 'must be lowercase hex' : `must be ${bytes} bytes of lowercase hex`,
    );
  }
  return value;
}

/** Validates every field of a keystore read from disk; any defect is KEYSTORE_CORRUPT. */
export function parseKeystore(json: unknown): KeystoreFile {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw corrupt('(file)', 'is not an object');
  const o = json as Record<string, unknown>;
  if (o.kind !== KEYSTORE_KIND) throw corrupt('kind', `must be "${KEYSTORE_KIND}"`);
  if (o.version !== KEYSTORE_VERSION) throw corrupt('version', `must be ${KEYSTORE_VERSION}`);
  if (typeof o.network !== 'string' || !(NETWORK_NAMES as readonly string[]).includes(o.network)) {
    throw corrupt('network', 'is not a known network');
  }
  if (typeof o.account !== 'number' || !Number.isSafeInteger(o.account) || o.account < 0) {
    throw corrupt('account', 'must be a non-negative integer');
  }
  const fingerprint = hexField(o.fingerprint, 'fingerprint', 4);
  for (const f of ['path', 'xpub'] as const)
    if (typeof o[f] !== 'string') throw corrupt(f, 'must be a string');
  const kdf = o.kdf as Record<string, unknown> | undefined;
  if (typeof kdf !== 'object' || kdf === null || kdf.name !== 'scrypt')
    throw corrupt('kdf', 'must be scrypt');
  const { N, r, p } = kdf;
  const logN = typeof N === 'number' ? Math.log2(N) : NaN;
  if (!Number.isInteger(logN) || logN < SCRYPT_BOUNDS.minLogN || logN > SCRYPT_BOUNDS.maxLogN) {
    throw corrupt(
      'kdf.N',
      `must be a power of two from 2^${SCRYPT_BOUNDS.minLogN} to 2^${SCRYPT_BOUNDS.maxLogN}`,
    );
  }
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 1 || r > SCRYPT_BOUNDS.maxR)
    throw corrupt('kdf.r', 'out of range');
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > SCRYPT_BOUNDS.maxP)
    throw corrupt('kdf.p', 'out of range');
  const cipher = o.cipher as Record<string, unknown> | undefined;
  if (typeof cipher !== 'object' || cipher === null || cipher.name !== 'aes-256-gcm') {
    throw corrupt('cipher', 'must be aes-256-gcm');
  }
  return {
    kind: KEYSTORE_KIND,
    version: KEYSTORE_VERSION,
    network: o.network as NetworkName,
    account: o.account,
    fingerprint,
    path: o.path as string,
    xpub: o.xpub as string,
    kdf: { name: 'scrypt', N: N as number, r, p, salt: hexField(kdf.salt, 'kdf.salt', 32) },
    headerSha256: hexField(o.headerSha256, 'headerSha256', 32),
    passphraseCheck: hexField(o.passphraseCheck, 'passphraseCheck', 32),
    cipher: { name: 'aes-256-gcm', nonce: hexField(cipher.nonce, 'cipher.nonce', 12) },
    ciphertext: hexField(o.ciphertext, 'ciphertext'),
    tag: hexField(o.tag, 'tag', 16),
  };
}

/**
 * Opens a keystore. A wrong passphrase is KEYSTORE_PASSPHRASE_WRONG; a header, ciphertext or
 * tag that fails authentication, or a secret that does not re-derive the header's key, is
 * KEYSTORE_CORRUPT.
 */
export function openKeystore(file: KeystoreFile, passphrase: string): KeystoreSecret {
  if (bytesToHex(sha256(headerBytes(file))) !== file.headerSha256) {
    throw corrupt('headerSha256', 'does not match the header: a public field was changed');
  }
  const { encryption, check } = deriveKeys(passphrase, file.kdf);
  try {
    if (!timingSafeEqual(Buffer.from(check, 'hex'), Buffer.from(file.passphraseCheck, 'hex'))) {
      throw new KuraError('KEYSTORE_PASSPHRASE_WRONG', 'the keystore passphrase is wrong', {
        field: 'passphrase',
      });
    }
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', encryption, Buffer.from(file.cipher.nonce, 'hex'));
      decipher.setAAD(headerBytes(file));
      decipher.setAuthTag(Buffer.from(file.tag, 'hex'));
      plaintext = Buffer.concat([decipher.update(Buffer.from(file.ciphertext, 'hex')), decipher.final()]);
    } catch (cause) {
      throw new KuraError(
        'KEYSTORE_CORRUPT',
        'the keystore fails authentication: its header, ciphertext or tag was changed',
        { field: 'ciphertext' },
        cause,
      );
    }
    const secret = parseSecret(plaintext);
    plaintext.fill(0);
    const key = describeSecret(secret, file.network, file.account);
    if (key.origin.fingerprint !== file.fingerprint || key.xpub !== file.xpub) {
      throw corrupt('xpub', 'does not match the key the sealed words derive');
    }
    return secret;
  } finally {
    encryption.fill(0);
  }
}

function parseSecret(plaintext: Buffer): KeystoreSecret {
  let value: unknown;
  try {
    value = JSON.parse(plaintext.toString('utf8'));
  } catch (cause) {
    throw new KuraError(
      'KEYSTORE_CORRUPT',
      'the sealed secret is not valid JSON',
      { field: 'ciphertext' },
      cause,
    );
  }
  const o = value as Partial<Record<keyof KeystoreSecret, unknown>>;
  if (typeof o?.mnemonic !== 'string' || typeof o.bip39Passphrase !== 'string') {
    throw corrupt('ciphertext', 'does not hold a mnemonic and passphrase');
  }
  return { mnemonic: parseMnemonic(o.mnemonic), bip39Passphrase: o.bip39Passphrase };
}
