// Passphrase sealing of a small secret, shared by the signer keystore and officer key files:
// scrypt (memory-hard) derives 64 bytes from the passphrase; the first 32 are an AES-256-GCM key,
// the last 32 give a passphrase check value. Both come from node:crypto (OpenSSL).
//
// The file's public header is bound to the ciphertext as GCM associated data, so editing it
// breaks decryption. Two plain values tell the two failures apart before decryption is tried:
// the SHA-256 of the header (a damaged or edited header, not a MAC) and the passphrase check (a
// wrong passphrase). The check leaks nothing an attacker could not learn by trying passphrases
// against the ciphertext itself.
import { createCipheriv, createDecipheriv, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { KuraError, type ErrorCode } from '../errors.js';

export const MIN_PASSPHRASE_LENGTH = 8;

// scrypt N = 2^17, r = 8: 128 MiB and about half a second per unlock on a two-core machine,
// the cost OWASP suggests for interactive logins, doubled because this guards cold keys.
export const SCRYPT_DEFAULTS = { N: 2 ** 17, r: 8, p: 1 } as const;
// Files outside these bounds are refused: a tiny N would make guessing cheap, a huge one would
// make opening the file a denial of service.
const SCRYPT_BOUNDS = { minLogN: 15, maxLogN: 22, maxR: 32, maxP: 16 } as const;

export interface KdfParams {
  readonly name: 'scrypt';
  readonly N: number;
  readonly r: number;
  readonly p: number;
  /** 32 random bytes, lowercase hex. */
  readonly salt: string;
}

/** The sealed part of a file; the field names are part of the keystore and officer key formats. */
export interface SealedFields {
  /** Plain SHA-256 of the header bytes: tells a damaged header from a wrong passphrase (not a MAC). */
  readonly headerSha256: string;
  readonly passphraseCheck: string;
  readonly cipher: { readonly name: 'aes-256-gcm'; readonly nonce: string };
  readonly ciphertext: string;
  readonly tag: string;
}

/** What kind of file is sealed: names it in messages and chooses its error codes. */
export interface SealKind {
  /** For messages: "keystore", "officer key". */
  readonly label: string;
  /** Domain separator of the passphrase check value; one per kind of file, never changed. */
  readonly checkTag: string;
  readonly wrongPassphrase: ErrorCode;
  readonly corrupt: ErrorCode;
}

export function normalizePassphrase(passphrase: string): string {
  return passphrase.normalize('NFKD');
}

/** A passphrase chosen for a new file: NFKD-normalised and at least MIN_PASSPHRASE_LENGTH long. */
export function checkNewPassphrase(passphrase: string): string {
  const normalized = normalizePassphrase(passphrase);
  if ([...normalized].length < MIN_PASSPHRASE_LENGTH) {
    throw new KuraError(
      'PASSPHRASE_TOO_SHORT',
      `"passphrase" must have at least ${MIN_PASSPHRASE_LENGTH} characters`,
      { field: 'passphrase' },
    );
  }
  return normalized;
}

/** Fresh KDF parameters with a random salt. */
export function newKdfParams(): KdfParams {
  return { name: 'scrypt', ...SCRYPT_DEFAULTS, salt: bytesToHex(randomBytes(32)) };
}

/** The KDF parameters in their fixed key order, as they appear inside a header. */
export function canonicalKdf(kdf: KdfParams): KdfParams {
  return { name: kdf.name, N: kdf.N, r: kdf.r, p: kdf.p, salt: kdf.salt };
}

function deriveKeys(
  passphrase: string,
  kdf: KdfParams,
  kind: SealKind,
): { encryption: Buffer; check: string } {
  const out = scryptSync(normalizePassphrase(passphrase), Buffer.from(kdf.salt, 'hex'), 64, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: 256 * kdf.N * kdf.r + 1024 * 1024,
  });
  const encryption = Buffer.from(out.subarray(0, 32));
  const check = bytesToHex(sha256(concatBytes(utf8ToBytes(kind.checkTag), out.subarray(32))));
  out.fill(0);
  return { encryption, check };
}

/**
 * Seals `plaintext` under `passphrase`. `header` is the exact byte string of the file's public
 * header (it must include `kdf`); it becomes the GCM associated data.
 */
export function seal(
  plaintext: Uint8Array,
  passphrase: string,
  kdf: KdfParams,
  header: Uint8Array,
  kind: SealKind,
): SealedFields {
  const { encryption, check } = deriveKeys(passphrase, kdf, kind);
  try {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', encryption, nonce);
    cipher.setAAD(header);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      headerSha256: bytesToHex(sha256(header)),
      passphraseCheck: check,
      cipher: { name: 'aes-256-gcm', nonce: nonce.toString('hex') },
      ciphertext: ciphertext.toString('hex'),
      tag: cipher.getAuthTag().toString('hex'),
    };
  } finally {
    // Best effort: JavaScript cannot guarantee that no copy of this key remains in memory.
    encryption.fill(0);
  }
}

function corrupt(kind: SealKind, field: string, why: string): KuraError {
  return new KuraError(kind.corrupt, `${kind.label} "${field}" ${why}`, { field });
}

/** Refuses a header whose bytes no longer hash to `headerSha256`: a public field was edited. */
export function checkHeader(sealed: SealedFields, header: Uint8Array, kind: SealKind): void {
  if (bytesToHex(sha256(header)) !== sealed.headerSha256) {
    throw corrupt(kind, 'headerSha256', 'does not match the header: a public field was changed');
  }
}

/**
 * Opens a sealed secret. A header that fails its SHA-256, or a header, ciphertext or tag that
 * fails authentication, is `kind.corrupt`; a wrong passphrase is `kind.wrongPassphrase`. The
 * caller zeroes the returned buffer after use.
 */
export function open(
  sealed: SealedFields,
  passphrase: string,
  kdf: KdfParams,
  header: Uint8Array,
  kind: SealKind,
): Buffer {
  checkHeader(sealed, header, kind);
  const { encryption, check } = deriveKeys(passphrase, kdf, kind);
  try {
    if (!timingSafeEqual(Buffer.from(check, 'hex'), Buffer.from(sealed.passphraseCheck, 'hex'))) {
      throw new KuraError(kind.wrongPassphrase, `the ${kind.label} passphrase is wrong`, {
        field: 'passphrase',
      });
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', encryption, Buffer.from(sealed.cipher.nonce, 'hex'));
      decipher.setAAD(header);
      decipher.setAuthTag(Buffer.from(sealed.tag, 'hex'));
      return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'hex')), decipher.final()]);
    } catch (cause) {
      throw new KuraError(
        kind.corrupt,
        `the ${kind.label} fails authentication: its header, ciphertext or tag was changed`,
        { field: 'ciphertext' },
        cause,
      );
    }
  } finally {
    encryption.fill(0);
  }
}

/** A lowercase hex field of a sealed file, optionally of an exact byte length. */
export function sealedHexField(value: unknown, field: string, kind: SealKind, bytes?: number): string {
  if (
    typeof value !== 'string' ||
    !/^([0-9a-f]{2})*$/.test(value) ||
    (bytes !== undefined && value.length !== bytes * 2)
  ) {
    throw corrupt(
      kind,
      field,
      bytes === undefined ? 'must be lowercase hex' : `must be ${bytes} bytes of lowercase hex`,
    );
  }
  return value;
}

/** Validates the `kdf` object of a file read from disk; any defect is `kind.corrupt`. */
export function parseKdf(value: unknown, kind: SealKind): KdfParams {
  const kdf = value as Record<string, unknown> | undefined;
  if (typeof kdf !== 'object' || kdf === null || kdf.name !== 'scrypt')
    throw corrupt(kind, 'kdf', 'must be scrypt');
  const { N, r, p } = kdf;
  const logN = typeof N === 'number' ? Math.log2(N) : NaN;
  if (!Number.isInteger(logN) || logN < SCRYPT_BOUNDS.minLogN || logN > SCRYPT_BOUNDS.maxLogN) {
    throw corrupt(
      kind,
      'kdf.N',
      `must be a power of two from 2^${SCRYPT_BOUNDS.minLogN} to 2^${SCRYPT_BOUNDS.maxLogN}`,
    );
  }
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 1 || r > SCRYPT_BOUNDS.maxR)
    throw corrupt(kind, 'kdf.r', 'out of range');
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > SCRYPT_BOUNDS.maxP)
    throw corrupt(kind, 'kdf.p', 'out of range');
  return { name: 'scrypt', N: N as number, r, p, salt: sealedHexField(kdf.salt, 'kdf.salt', kind, 32) };
}

/**
 * Validates the sealed fields of a file read from disk; any defect is `kind.corrupt`.
 * `ciphertextBytes` fixes the ciphertext length when the secret has a known size.
 */
export function parseSealedFields(
  o: Record<string, unknown>,
  kind: SealKind,
  ciphertextBytes?: number,
): SealedFields {
  const cipher = o.cipher as Record<string, unknown> | undefined;
  if (typeof cipher !== 'object' || cipher === null || cipher.name !== 'aes-256-gcm') {
    throw corrupt(kind, 'cipher', 'must be aes-256-gcm');
  }
  return {
    headerSha256: sealedHexField(o.headerSha256, 'headerSha256', kind, 32),
    passphraseCheck: sealedHexField(o.passphraseCheck, 'passphraseCheck', kind, 32),
    cipher: { name: 'aes-256-gcm', nonce: sealedHexField(cipher.nonce, 'cipher.nonce', kind, 12) },
    ciphertext: sealedHexField(o.ciphertext, 'ciphertext', kind, ciphertextBytes),
    tag: sealedHexField(o.tag, 'tag', kind, 16),
  };
}
