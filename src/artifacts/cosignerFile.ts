// The cosigner file: one signer's public BIP-48 account key with its origin, handed to whoever
// assembles the wallet. Its fields repeat each other on purpose (fingerprint, path, xpub and the
// key-origin string); a reader checks that they agree.
import { KuraError } from '../errors.js';
import {
  formatAccountKey,
  formatPathWithRoot,
  parseKeyOriginString,
  parsePathWithRoot,
  type AccountKey,
} from '../bitcoin/keyExpression.js';
import type { NetworkName } from '../bitcoin/networks.js';
import { asNetwork, asObject, asString, expectKind, invalid } from './fields.js';

export const COSIGNER_KIND = 'kura-cosigner';
export const COSIGNER_VERSION = 1;

export interface CosignerFile {
  readonly kind: typeof COSIGNER_KIND;
  readonly version: typeof COSIGNER_VERSION;
  readonly network: NetworkName;
  readonly fingerprint: string;
  readonly path: string;
  readonly xpub: string;
  readonly keyOrigin: string;
}

export function cosignerFileFor(key: AccountKey): CosignerFile {
  return {
    kind: COSIGNER_KIND,
    version: COSIGNER_VERSION,
    network: key.network,
    fingerprint: key.origin.fingerprint,
    path: formatPathWithRoot(key.origin.path),
    xpub: key.xpub,
    keyOrigin: formatAccountKey(key),
  };
}

/** Parses a cosigner file and returns its key; every field must agree with the key-origin string. */
export function parseCosignerFile(json: unknown, expectedNetwork?: NetworkName): AccountKey {
  const o = asObject(json, 'cosigner');
  expectKind(o, COSIGNER_KIND, COSIGNER_VERSION);
  const network = asNetwork(o.network);
  if (expectedNetwork !== undefined && network !== expectedNetwork) {
    throw new KuraError(
      'KEY_NETWORK_MISMATCH',
      `cosigner "network" is ${network}, the wallet is ${expectedNetwork}`,
      {
        field: 'network',
      },
    );
  }
  const key = parseKeyOriginString(asString(o.keyOrigin, 'keyOrigin'), network, 'keyOrigin');
  if (asString(o.fingerprint, 'fingerprint').toLowerCase() !== key.origin.fingerprint) {
    throw invalid('fingerprint', 'disagrees with keyOrigin');
  }
  const path = parsePathWithRoot(asString(o.path, 'path'), 'path');
  if (path.join('/') !== key.origin.path.join('/')) throw invalid('path', 'disagrees with keyOrigin');
  if (asString(o.xpub, 'xpub') !== key.xpub) throw invalid('xpub', 'disagrees with keyOrigin');
  return key;
}
