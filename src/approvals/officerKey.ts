// An officer's approval key: a secp256k1 private key from the OS CSPRNG, sealed under a
// passphrase exactly as the signer keystore is (../keys/seal.ts). The public header holds the
// BIP-340 x-only public key (what the policy lists under officers[].publicKey), so the key can be
// shown and checked without the passphrase. File format: docs/approvals.md.
import { randomBytes } from 'node:crypto';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { KuraError } from '../errors.js';
import { ecc } from '../bitcoin/ecc.js';
import {
  canonicalKdf,
  checkHeader,
  newKdfParams,
  open,
  parseKdf,
  parseSealedFields,
  seal,
  sealedHexField,
  type KdfParams,
  type SealedFields,
  type SealKind,
} from '../keys/seal.js';

export const OFFICER_KEY_KIND = 'kura-officer-key';
export const OFFICER_KEY_VERSION = 1;

/** Officer names as a policy lists them: short, no spaces, safe in file names and logs. */
const OFFICER_ID = /^[A-Za-z0-9._@-]{1,64}$/;

const SEAL: SealKind = {
  label: 'officer key',
  checkTag: 'kura/officer-key-passphrase-check/v1',
  // The same failures as a signer keystore, with the same codes: scripts need not learn new ones.
  wrongPassphrase: 'KEYSTORE_PASSPHRASE_WRONG',
  corrupt: 'KEYSTORE_CORRUPT',
};

export interface OfficerKeyHeader {
  readonly kind: typeof OFFICER_KEY_KIND;
  readonly version: typeof OFFICER_KEY_VERSION;
  /** The officer's name in the policy, or null when none was given. */
  readonly id: string | null;
  /** BIP-340 x-only public key, 32 bytes of lowercase hex. */
  readonly publicKey: string;
  readonly kdf: KdfParams;
}

export interface OfficerKeyFile extends OfficerKeyHeader, SealedFields {}

export function checkOfficerId(value: string, field = 'id'): string {
  if (!OFFICER_ID.test(value)) {
    throw new KuraError('ARGUMENT_INVALID', `"${field}" must be 1–64 letters, digits, '.', '_', '@' or '-'`, {
      field,
    });
  }
  return value;
}

/** Whether 32 bytes are the x coordinate of a point on secp256k1 (a usable BIP-340 key). */
export function isXOnlyPublicKey(bytes: Uint8Array): boolean {
  if (bytes.length !== 32) return false;
  try {
    // tiny-secp256k1's isXOnlyPoint only checks the length; parsing the point checks the curve.
    ecc.pointCompress(Uint8Array.of(0x02, ...bytes), true);
    return true;
  } catch {
    return false;
  }
}

/** The BIP-340 x-only public key of a private key, as lowercase hex. */
export function officerPublicKey(privateKey: Uint8Array): string {
  if (!ecc.isPrivate(privateKey)) {
    throw new KuraError('ARGUMENT_INVALID', '"privateKey" is not a valid secp256k1 private key', {
      field: 'privateKey',
    });
  }
  return bytesToHex(ecc.xOnlyPointFromScalar(privateKey));
}

/** 32 bytes from the OS CSPRNG that are a valid private key (all but ~2^-128 of draws are). */
export function generateOfficerPrivateKey(): Uint8Array {
  for (let attempt = 0; attempt < 8; attempt++) {
    const candidate = new Uint8Array(randomBytes(32));
    if (ecc.isPrivate(candidate)) return candidate;
    candidate.fill(0);
  }
  throw new KuraError('INTERNAL', 'the CSPRNG gave eight invalid private keys in a row');
}

function headerBytes(header: OfficerKeyHeader): Uint8Array {
  // Fixed key order: this is the exact associated data; never reorder.
  const { kind, version, id, publicKey, kdf } = header;
  return utf8ToBytes(JSON.stringify({ kind, version, id, publicKey, kdf: canonicalKdf(kdf) }));
}

/**
 * Seals a private key under a passphrase (already checked with checkNewPassphrase). The caller
 * owns `privateKey` and zeroes it after use.
 */
export function sealOfficerKey(
  privateKey: Uint8Array,
  passphrase: string,
  id: string | null,
): OfficerKeyFile {
  const header: OfficerKeyHeader = {
    kind: OFFICER_KEY_KIND,
    version: OFFICER_KEY_VERSION,
    id: id === null ? null : checkOfficerId(id),
    publicKey: officerPublicKey(privateKey),
    kdf: newKdfParams(),
  };
  return { ...header, ...seal(privateKey, passphrase, header.kdf, headerBytes(header), SEAL) };
}

function corrupt(field: string, why: string): KuraError {
  return new KuraError(SEAL.corrupt, `officer key "${field}" ${why}`, { field });
}

/**
 * Validates every field of an officer key file read from disk, including that its public
 * header still hashes to `headerSha256`; any defect is KEYSTORE_CORRUPT. No passphrase needed.
 */
export function parseOfficerKeyFile(json: unknown): OfficerKeyFile {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw corrupt('(file)', 'is not an object');
  const o = json as Record<string, unknown>;
  if (o.kind !== OFFICER_KEY_KIND) {
    throw corrupt('kind', `must be "${OFFICER_KEY_KIND}", got ${JSON.stringify(o.kind)}`);
  }
  if (o.version !== OFFICER_KEY_VERSION) throw corrupt('version', `must be ${OFFICER_KEY_VERSION}`);
  if (o.id !== null && (typeof o.id !== 'string' || !OFFICER_ID.test(o.id))) {
    throw corrupt('id', 'must be null or 1–64 letters, digits, ".", "_", "@" or "-"');
  }
  const publicKey = sealedHexField(o.publicKey, 'publicKey', SEAL, 32);
  if (!isXOnlyPublicKey(Buffer.from(publicKey, 'hex')))
    throw corrupt('publicKey', 'is not a point on secp256k1');
  const file: OfficerKeyFile = {
    kind: OFFICER_KEY_KIND,
    version: OFFICER_KEY_VERSION,
    id: o.id,
    publicKey,
    kdf: parseKdf(o.kdf, SEAL),
    // The sealed secret is the 32-byte private key, so its ciphertext is 32 bytes too (GCM).
    ...parseSealedFields(o, SEAL, 32),
  };
  checkHeader(file, headerBytes(file), SEAL);
  return file;
}

/**
 * Unlocks an officer key. A wrong passphrase is KEYSTORE_PASSPHRASE_WRONG; a file that fails
 * authentication, or a private key that does not give the header's public key, is
 * KEYSTORE_CORRUPT. The caller zeroes the returned key after use (best effort: JavaScript
 * cannot guarantee that no copy remains in memory).
 */
export function openOfficerKey(file: OfficerKeyFile, passphrase: string): Uint8Array {
  const plaintext = open(file, passphrase, file.kdf, headerBytes(file), SEAL);
  const privateKey = new Uint8Array(plaintext);
  plaintext.fill(0);
  if (!ecc.isPrivate(privateKey) || bytesToHex(ecc.xOnlyPointFromScalar(privateKey)) !== file.publicKey) {
    privateKey.fill(0);
    throw corrupt('publicKey', 'does not match the sealed private key');
  }
  return privateKey;
}
