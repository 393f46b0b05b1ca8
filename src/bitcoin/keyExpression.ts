// Key expressions of kura wallets: `[fingerprint/48h/coin'h/accounth/2h]xpub…`, optionally
// followed by `/<0;1>/*` (BIP-389 multipath) or `/0/*`, `/1/*` inside a descriptor.
// SLIP-132 Zpub/Vpub keys are accepted on input and always written back as xpub/tpub.
import bs58check from 'bs58check';
import { KuraError } from '../errors.js';
import { bip32, type BIP32Interface } from './ecc.js';
import { networkInfo, type NetworkName } from './networks.js';

export const HARDENED = 0x80000000;

export interface KeyOrigin {
  /** Master key fingerprint, 8 lowercase hex characters. */
  readonly fingerprint: string;
  /** Derivation from the master key, hardened steps carry HARDENED. */
  readonly path: readonly number[];
}

export interface AccountKey {
  readonly origin: KeyOrigin;
  /** The extended public key in the network's standard encoding (xpub or tpub). */
  readonly xpub: string;
  readonly node: BIP32Interface;
  readonly network: NetworkName;
}

export function formatPath(path: readonly number[], hardenedMark: 'h' | "'" = 'h'): string {
  return path.map((i) => (i >= HARDENED ? `${i - HARDENED}${hardenedMark}` : `${i}`)).join('/');
}

/** `m/48'/0'/0'/2'` style, as BIP-48 and most wallets print it. */
export function formatPathWithRoot(path: readonly number[]): string {
  return ['m', ...path.map((i) => (i >= HARDENED ? `${i - HARDENED}'` : `${i}`))].join('/');
}

export function formatKeyOrigin(origin: KeyOrigin): string {
  return origin.path.length === 0
    ? `[${origin.fingerprint}]`
    : `[${origin.fingerprint}/${formatPath(origin.path)}]`;
}

export function formatAccountKey(key: AccountKey): string {
  return `${formatKeyOrigin(key.origin)}${key.xpub}`;
}

/** Parses `48h/0'/0/2` (no leading m) into numbers; BIP-380 allows only `h` and `'` as markers. */
export function parsePath(text: string, field: string): number[] {
  if (text === '') return [];
  return text.split('/').map((step) => {
    const match = /^(\d{1,10})(['h]?)$/.exec(step);
    const index = match ? Number(match[1]) : NaN;
    if (!match || !Number.isSafeInteger(index) || index >= HARDENED) {
      throw new KuraError('DESCRIPTOR_MALFORMED', `"${field}" has an invalid path step "${step}"`, { field });
    }
    return match[2] ? index + HARDENED : index;
  });
}

/** Parses `m/48'/0'/0'/2'` (leading m required). */
export function parsePathWithRoot(text: string, field: string): number[] {
  if (text !== 'm' && !text.startsWith('m/')) {
    throw new KuraError('ARTIFACT_INVALID', `"${field}" must start with m/`, { field });
  }
  return parsePath(text.slice(2), field);
}

export function parseFingerprint(text: string, field: string): string {
  if (!/^[0-9a-fA-F]{8}$/.test(text)) {
    throw new KuraError('DESCRIPTOR_MALFORMED', `"${field}" fingerprint must be 8 hex characters`, { field });
  }
  return text.toLowerCase();
}

function readVersion(payload: Uint8Array): number {
  return (
    (((payload[0] ?? 0) << 24) | ((payload[1] ?? 0) << 16) | ((payload[2] ?? 0) << 8) | (payload[3] ?? 0)) >>>
    0
  );
}

/**
 * Decodes an extended public key for `network`, accepting the standard versions and SLIP-132
 * P2WSH-multisig versions (Zpub on mainnet, Vpub on test networks). Keys of other networks,
 * private keys and SLIP-132 versions of other script types are refused with their own codes.
 */
export function parseExtendedPublicKey(text: string, network: NetworkName, field: string): BIP32Interface {
  let payload: Uint8Array;
  try {
    payload = bs58check.decode(text);
  } catch (cause) {
    throw new KuraError('KEY_INVALID', `"${field}" is not a base58check extended key`, { field }, cause);
  }
  if (payload.length !== 78) {
    throw new KuraError('KEY_INVALID', `"${field}" must decode to 78 bytes, got ${payload.length}`, {
      field,
    });
  }
  const version = readVersion(payload);
  const info = networkInfo(network);
  const standard = info.bitcoinjs.bip32.public;
  if (version === info.slip132P2wshPublic) {
    const rewritten = Uint8Array.from(payload);
    rewritten.set([standard >>> 24, (standard >>> 16) & 0xff, (standard >>> 8) & 0xff, standard & 0xff], 0);
    payload = rewritten;
  } else if (version !== standard) {
    throw classifyForeignVersion(version, network, field);
  }
  try {
    return bip32.fromBase58(bs58check.encode(payload), info.bitcoinjs);
  } catch (cause) {
    throw new KuraError('KEY_INVALID', `"${field}" is not a valid extended public key`, { field }, cause);
  }
}

// Version bytes of other networks and of SLIP-132 single-sig / nested-segwit keys, so that a
// refusal can say what the key is instead of only "invalid" (SLIP-132 registry).
const FOREIGN_PUBLIC_VERSIONS: Record<number, { network: 'mainnet' | 'test'; what: string }> = {
  0x0488b21e: { network: 'mainnet', what: 'xpub' },
  0x043587cf: { network: 'test', what: 'tpub' },
  0x02aa7ed3: { network: 'mainnet', what: 'Zpub (P2WSH multisig)' },
  0x02575483: { network: 'test', what: 'Vpub (P2WSH multisig)' },
  0x049d7cb2: { network: 'mainnet', what: 'ypub (P2SH-P2WPKH single-sig)' },
  0x04b24746: { network: 'mainnet', what: 'zpub (P2WPKH single-sig)' },
  0x0295b43f: { network: 'mainnet', what: 'Ypub (P2SH-P2WSH multisig)' },
  0x044a5262: { network: 'test', what: 'upub (P2SH-P2WPKH single-sig)' },
  0x045f1cf6: { network: 'test', what: 'vpub (P2WPKH single-sig)' },
  0x024289ef: { network: 'test', what: 'Upub (P2SH-P2WSH multisig)' },
};
const PRIVATE_VERSIONS = new Set([0x0488ade4, 0x04358394, 0x02aa7a99, 0x02575048, 0x04b2430c, 0x045f18bc]);

function classifyForeignVersion(version: number, network: NetworkName, field: string): KuraError {
  if (PRIVATE_VERSIONS.has(version)) {
    return new KuraError('KEY_INVALID', `"${field}" is a private key; give the extended public key`, {
      field,
    });
  }
  const known = FOREIGN_PUBLIC_VERSIONS[version];
  if (known === undefined) {
    return new KuraError('KEY_INVALID', `"${field}" has unknown version bytes 0x${version.toString(16)}`, {
      field,
    });
  }
  const keyIsMainnet = known.network === 'mainnet';
  if (keyIsMainnet !== (network === 'mainnet')) {
    return new KuraError(
      'KEY_NETWORK_MISMATCH',
      `"${field}" is a ${known.network === 'mainnet' ? 'mainnet' : 'test-network'} key (${known.what}), the wallet is ${network}`,
      { field, network },
    );
  }
  return new KuraError(
    'KEY_SCRIPT_TYPE_MISMATCH',
    `"${field}" is a ${known.what} key; kura wallets are P2WSH multisig`,
    {
      field,
    },
  );
}

/** Which network family an extended public key's version bytes belong to, if known. */
export function guessKeyNetwork(text: string): NetworkName | undefined {
  try {
    const known = FOREIGN_PUBLIC_VERSIONS[readVersion(bs58check.decode(text))];
    if (known === undefined) return undefined;
    return known.network === 'mainnet' ? 'mainnet' : 'testnet';
  } catch {
    return undefined;
  }
}

/**
 * Builds an account key from its parts and checks that the origin agrees with what the key says
 * of itself: its depth equals the path length, and a depth-1 key's parent is the master.
 */
export function makeAccountKey(
  origin: KeyOrigin,
  node: BIP32Interface,
  network: NetworkName,
  field: string,
): AccountKey {
  if (node.depth !== origin.path.length) {
    throw new KuraError(
      'KEY_ORIGIN_MISMATCH',
      `"${field}": the key is at depth ${node.depth} but its origin path has ${origin.path.length} steps`,
      { field },
    );
  }
  const last = origin.path[origin.path.length - 1];
  if (last !== undefined && node.index !== last) {
    throw new KuraError(
      'KEY_ORIGIN_MISMATCH',
      `"${field}": the key's child index disagrees with its origin path`,
      {
        field,
      },
    );
  }
  if (origin.path.length === 1 && node.parentFingerprint !== parseInt(origin.fingerprint, 16)) {
    throw new KuraError('KEY_ORIGIN_MISMATCH', `"${field}": the key's parent is not the origin fingerprint`, {
      field,
    });
  }
  const coinStep = origin.path[1];
  if (
    origin.path[0] === 48 + HARDENED &&
    coinStep !== undefined &&
    coinStep !== networkInfo(network).coinType + HARDENED
  ) {
    throw new KuraError(
      'KEY_NETWORK_MISMATCH',
      `"${field}": the BIP-48 coin type in its path is not ${network}'s`,
      {
        field,
        network,
      },
    );
  }
  return { origin, node, xpub: node.toBase58(), network };
}

/**
 * Parses a key-origin string `[fp/path]xpub` with nothing after the key.
 * A key without its origin is refused: the signer could not tell its own key from a stranger's.
 */
export function parseKeyOriginString(text: string, network: NetworkName, field: string): AccountKey {
  const match = /^\[([^\]]*)\]([1-9A-HJ-NP-Za-km-z]+)$/.exec(text.trim());
  if (!match) {
    if (/^[1-9A-HJ-NP-Za-km-z]{100,120}$/.test(text.trim())) {
      throw new KuraError(
        'KEY_ORIGIN_MISSING',
        `"${field}" has no key origin; write it as [fingerprint/path]key`,
        {
          field,
        },
      );
    }
    throw new KuraError(
      'DESCRIPTOR_MALFORMED',
      `"${field}" is not a key-origin string [fingerprint/path]key`,
      {
        field,
      },
    );
  }
  const origin = parseKeyOrigin(match[1] ?? '', field);
  const node = parseExtendedPublicKey(match[2] ?? '', network, field);
  return makeAccountKey(origin, node, network, field);
}

/** Parses the inside of `[fingerprint/path]` as BIP-380 defines it. */
export function parseKeyOrigin(inside: string, field: string): KeyOrigin {
  const slash = inside.indexOf('/');
  const fingerprint = parseFingerprint(slash < 0 ? inside : inside.slice(0, slash), field);
  const path = slash < 0 ? [] : parsePath(inside.slice(slash + 1), field);
  if (slash >= 0 && path.length === 0) {
    throw new KuraError('DESCRIPTOR_MALFORMED', `"${field}" has a trailing slash in its key origin`, {
      field,
    });
  }
  return { fingerprint, path };
}
