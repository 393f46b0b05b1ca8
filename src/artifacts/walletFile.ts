// The wallet file: a kura wallet as the descriptors every other wallet imports, plus its id.
// The multipath descriptor is the source of truth; every other field is re-derived from it on
// reading and must agree, so an edited file is refused rather than half-believed.
import { KuraError } from '../errors.js';
import {
  branchDescriptor,
  CHANGE,
  multipathDescriptor,
  parseMultisigDescriptor,
  RECEIVE,
  walletId,
  type MultisigWallet,
} from '../bitcoin/descriptor.js';
import { formatAccountKey, formatPathWithRoot } from '../bitcoin/keyExpression.js';
import type { NetworkName } from '../bitcoin/networks.js';
import { asInteger, asNetwork, asObject, asString, expectKind, invalid } from './fields.js';

export const WALLET_KIND = 'kura-wallet';
export const WALLET_VERSION = 1;

export interface WalletFile {
  readonly kind: typeof WALLET_KIND;
  readonly version: typeof WALLET_VERSION;
  readonly name: string;
  readonly network: NetworkName;
  readonly walletId: string;
  readonly threshold: number;
  readonly cosigners: readonly { fingerprint: string; path: string; xpub: string; keyOrigin: string }[];
  readonly descriptor: string;
  readonly receiveDescriptor: string;
  readonly changeDescriptor: string;
}

export interface LoadedWallet {
  readonly name: string;
  readonly id: string;
  readonly wallet: MultisigWallet;
  readonly file: WalletFile;
}

export function walletFileFor(name: string, wallet: MultisigWallet): WalletFile {
  return {
    kind: WALLET_KIND,
    version: WALLET_VERSION,
    name,
    network: wallet.network,
    walletId: walletId(wallet),
    threshold: wallet.threshold,
    cosigners: wallet.keys.map((k) => ({
      fingerprint: k.origin.fingerprint,
      path: formatPathWithRoot(k.origin.path),
      xpub: k.xpub,
      keyOrigin: formatAccountKey(k),
    })),
    descriptor: multipathDescriptor(wallet),
    receiveDescriptor: branchDescriptor(wallet, RECEIVE),
    changeDescriptor: branchDescriptor(wallet, CHANGE),
  };
}

export const MAX_WALLET_NAME_LENGTH = 64;

export function checkWalletName(value: unknown, field = 'name'): string {
  const name = asString(value, field);
  if (name.length > MAX_WALLET_NAME_LENGTH || [...name].some((c) => c < ' ' || c === '\u007f')) {
    throw new KuraError(
      'ARGUMENT_INVALID',
      `"${field}" must be 1–${MAX_WALLET_NAME_LENGTH} printable characters`,
      { field },
    );
  }
  return name;
}

export function parseWalletFile(json: unknown): LoadedWallet {
  const o = asObject(json, 'wallet');
  expectKind(o, WALLET_KIND, WALLET_VERSION);
  const network = asNetwork(o.network);
  const name = checkWalletName(o.name);
  const { wallet, branch } = parseMultisigDescriptor(asString(o.descriptor, 'descriptor'), network);
  if (branch !== 'multipath') throw invalid('descriptor', 'must be the multipath form /<0;1>/*');
  const expected = walletFileFor(name, wallet);
  asInteger(o.threshold, 'threshold', 1, 15);
  for (const field of [
    'walletId',
    'threshold',
    'descriptor',
    'receiveDescriptor',
    'changeDescriptor',
  ] as const) {
    if (JSON.stringify(o[field]) !== JSON.stringify(expected[field])) {
      throw new KuraError('WALLET_ID_MISMATCH', `wallet "${field}" disagrees with its descriptor`, { field });
    }
  }
  if (JSON.stringify(o.cosigners) !== JSON.stringify(expected.cosigners)) {
    throw new KuraError('WALLET_ID_MISMATCH', 'wallet "cosigners" disagree with its descriptor', {
      field: 'cosigners',
    });
  }
  return { name, id: expected.walletId, wallet, file: expected };
}
