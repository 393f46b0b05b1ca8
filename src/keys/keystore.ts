// The encrypted keystore of a signer: the mnemonic and BIP-39 passphrase, sealed with
// AES-256-GCM under a key from scrypt (memory-hard), both from node:crypto (OpenSSL), by the
// sealing shared with officer key files (./seal.ts).
//
// The public header (network, account, fingerprint, path, xpub, KDF parameters) is bound to the
// ciphertext as GCM associated data, so editing it breaks decryption. A separate passphrase check
// value, derived from the same scrypt output, tells a wrong passphrase from a damaged file; it
// leaks nothing an attacker could not learn by trying passphrases against the ciphertext itself.
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { KuraError } from '../errors.js';
import { formatPathWithRoot } from '../bitcoin/keyExpression.js';
import { NETWORK_NAMES, type NetworkName } from '../bitcoin/networks.js';
import { accountKeyFromMaster, bip48Path, masterFromSeed } from './account.js';
import { mnemonicToSeed, parseMnemonic } from './mnemonic.js';
import {
  canonicalKdf,
  newKdfParams,
  open,
  parseKdf,
  parseSealedFields,
  seal,
  sealedHexField,
  type KdfParams,
  type SealedFields,
  type SealKind,
} from './seal.js';

export { checkNewPassphrase, MIN_PASSPHRASE_LENGTH, normalizePassphrase } from './seal.js';

export const KEYSTORE_KIND = 'kura-keystore';
export const KEYSTORE_VERSION = 1;

const SEAL: SealKind = {
  label: 'keystore',
  checkTag: 'kura/keystore-passphrase-check/v1',
  wrongPassphrase: 'KEYSTORE_PASSPHRASE_WRONG',
  corrupt: 'KEYSTORE_CORRUPT',
};

export interface KeystoreHeader {
  readonly kind: typeof KEYSTORE_KIND;
  readonly version: typeof KEYSTORE_VERSION;
  readonly network: NetworkName;
  readonly account: number;
  readonly fingerprint: string;
  readonly path: string;
  readonly xpub: string;
  readonly kdf: KdfParams;
}

export interface KeystoreFile extends KeystoreHeader, SealedFields {}

export interface KeystoreSecret {
  readonly mnemonic: string;
  readonly bip39Passphrase: string;
}

function headerBytes(header: KeystoreHeader): Uint8Array {
  // Fixed key order: this is the exact associated data; never reorder.
  const { kind, version, network, account, fingerprint, path, xpub, kdf } = header;
  const canonical = { kind, version, network, account, fingerprint, path, xpub, kdf: canonicalKdf(kdf) };
  return utf8ToBytes(JSON.stringify(canonical));
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
    kdf: newKdfParams(),
  };
  const plaintext = Buffer.from(JSON.stringify(secret), 'utf8');
  try {
    return { ...header, ...seal(plaintext, passphrase, header.kdf, headerBytes(header), SEAL) };
  } finally {
    // Best effort: JavaScript cannot guarantee that no copy of the secret remains in memory.
    plaintext.fill(0);
  }
}

function corrupt(field: string, why: string): KuraError {
  return new KuraError('KEYSTORE_CORRUPT', `keystore "${field}" ${why}`, { field });
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
  const fingerprint = sealedHexField(o.fingerprint, 'fingerprint', SEAL, 4);
  for (const f of ['path', 'xpub'] as const)
    if (typeof o[f] !== 'string') throw corrupt(f, 'must be a string');
  const kdf = parseKdf(o.kdf, SEAL);
  return {
    kind: KEYSTORE_KIND,
    version: KEYSTORE_VERSION,
    network: o.network as NetworkName,
    account: o.account,
    fingerprint,
    path: o.path as string,
    xpub: o.xpub as string,
    kdf,
    ...parseSealedFields(o, SEAL),
  };
}

/**
 * Opens a keystore. A wrong passphrase is KEYSTORE_PASSPHRASE_WRONG; a header, ciphertext or
 * tag that fails authentication, or a secret that does not re-derive the header's key, is
 * KEYSTORE_CORRUPT.
 */
export function openKeystore(file: KeystoreFile, passphrase: string): KeystoreSecret {
  const plaintext = open(file, passphrase, file.kdf, headerBytes(file), SEAL);
  let secret: KeystoreSecret;
  try {
    secret = parseSecret(plaintext);
  } finally {
    plaintext.fill(0);
  }
  const key = describeSecret(secret, file.network, file.account);
  if (key.origin.fingerprint !== file.fingerprint || key.xpub !== file.xpub) {
    throw corrupt('xpub', 'does not match the key the sealed words derive');
  }
  return secret;
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
