// kura wallets as output descriptors: wsh(sortedmulti(M, [origin]xpub/<0;1>/*, …)).
// One canonical multipath form (BIP-389) names the wallet; its SHA-256 is the wallet id.
// Keys are ordered by their account public key so that the same cosigners in another order
// make the same wallet (sortedmulti makes the scripts order-independent anyway).
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { KuraError } from '../errors.js';
import { verifyChecksum, withChecksum } from './descriptorChecksum.js';
import { formatAccountKey, parseKeyOriginString, type AccountKey } from './keyExpression.js';
import { sameKeyFamily, type NetworkName } from './networks.js';

/** P2WSH sortedmulti: Bitcoin Core's standardness limit for CHECKMULTISIG in witness scripts. */
export const MAX_COSIGNERS = 15;

export interface MultisigWallet {
  readonly network: NetworkName;
  readonly threshold: number;
  /** Canonical order: ascending account public key. */
  readonly keys: readonly AccountKey[];
}

export type Branch = 0 | 1;
export const RECEIVE: Branch = 0;
export const CHANGE: Branch = 1;

function comparePublicKeys(a: AccountKey, b: AccountKey): number {
  const x = bytesToHex(a.node.publicKey);
  const y = bytesToHex(b.node.publicKey);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Validates M-of-N and the keys. The same key twice is refused by public key, so a duplicate
 * disguised by another fingerprint, path or version bytes is still caught (THREATS.md #17).
 */
export function makeMultisigWallet(
  threshold: number,
  keys: readonly AccountKey[],
  network: NetworkName,
): MultisigWallet {
  const n = keys.length;
  if (n > MAX_COSIGNERS) {
    throw new KuraError('TOO_MANY_COSIGNERS', `"cosigners": ${n} keys, at most ${MAX_COSIGNERS}`, {
      field: 'cosigners',
      n,
    });
  }
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > n) {
    throw new KuraError('THRESHOLD_INVALID', `"threshold" must be between 1 and ${n}, got ${threshold}`, {
      field: 'threshold',
      threshold,
      n,
    });
  }
  const seen = new Map<string, number>();
  keys.forEach((key, i) => {
    if (!sameKeyFamily(key.network, network)) {
      throw new KuraError(
        'KEY_NETWORK_MISMATCH',
        `cosigner ${i + 1} is for ${key.network}, the wallet is ${network}`,
        {
          field: `cosigners[${i}]`,
        },
      );
    }
    const pub = bytesToHex(key.node.publicKey);
    const first = seen.get(pub);
    if (first !== undefined) {
      throw new KuraError('KEY_DUPLICATE', `cosigners ${first + 1} and ${i + 1} are the same key`, {
        field: `cosigners[${i}]`,
        publicKey: pub,
      });
    }
    seen.set(pub, i);
  });
  return { network, threshold, keys: [...keys].map((k) => ({ ...k, network })).sort(comparePublicKeys) };
}

function body(wallet: MultisigWallet, suffix: string): string {
  const keys = wallet.keys.map((k) => `${formatAccountKey(k)}${suffix}`).join(',');
  return `wsh(sortedmulti(${wallet.threshold},${keys}))`;
}

/** `wsh(sortedmulti(M,…/<0;1>/*))#checksum`, the wallet's canonical form. */
export function multipathDescriptor(wallet: MultisigWallet): string {
  return withChecksum(body(wallet, '/<0;1>/*'));
}

/** The single-path receive (`/0/*`) or change (`/1/*`) descriptor, for wallets without BIP-389. */
export function branchDescriptor(wallet: MultisigWallet, branch: Branch): string {
  return withChecksum(body(wallet, `/${branch}/*`));
}

/** SHA-256 of the canonical multipath descriptor (with its checksum), hex. */
export function walletId(wallet: MultisigWallet): string {
  return bytesToHex(sha256(utf8ToBytes(multipathDescriptor(wallet))));
}

export type DescriptorBranch = 'multipath' | Branch;

const SUFFIXES: Record<string, DescriptorBranch> = { '/<0;1>/*': 'multipath', '/0/*': 0, '/1/*': 1 };

/**
 * Parses a kura descriptor (checksum required). Anything but wsh(sortedmulti(...)) over
 * origin-tagged extended keys, all with the same ranged suffix, is refused.
 */
export function parseMultisigDescriptor(
  text: string,
  network: NetworkName,
): { wallet: MultisigWallet; branch: DescriptorBranch } {
  const inner = verifyChecksum(text.trim());
  const match = /^wsh\(sortedmulti\((\d+),(.*)\)\)$/.exec(inner);
  if (!match) {
    throw new KuraError('DESCRIPTOR_UNSUPPORTED', '"descriptor" must be wsh(sortedmulti(M, keys…))', {
      field: 'descriptor',
    });
  }
  const threshold = Number(match[1]);
  let branch: DescriptorBranch | undefined;
  const keys = (match[2] ?? '').split(',').map((expr, i) => {
    const field = `descriptor key ${i + 1}`;
    const suffixAt = expr.indexOf(']') >= 0 ? expr.indexOf('/', expr.indexOf(']')) : -1;
    const suffix = suffixAt >= 0 ? expr.slice(suffixAt) : '';
    const keyBranch = SUFFIXES[suffix];
    if (keyBranch === undefined) {
      throw new KuraError('DESCRIPTOR_UNSUPPORTED', `"${field}" must end in /<0;1>/*, /0/* or /1/*`, {
        field,
      });
    }
    if (branch !== undefined && branch !== keyBranch) {
      throw new KuraError('DESCRIPTOR_UNSUPPORTED', `"${field}" mixes derivation branches`, { field });
    }
    branch = keyBranch;
    return parseKeyOriginString(expr.slice(0, suffixAt), network, field);
  });
  if (branch === undefined) {
    throw new KuraError('DESCRIPTOR_MALFORMED', '"descriptor" has no keys', { field: 'descriptor' });
  }
  return { wallet: makeMultisigWallet(threshold, keys, network), branch };
}
