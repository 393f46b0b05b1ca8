// The cosigner's BIP-48 account: m/48'/coin'/account'/2' (2' = native segwit P2WSH multisig).
import { bytesToHex } from '@noble/hashes/utils.js';
import { KuraError } from '../errors.js';
import { bip32, type BIP32Interface } from '../bitcoin/ecc.js';
import { HARDENED, makeAccountKey, type AccountKey } from '../bitcoin/keyExpression.js';
import { networkInfo, type NetworkName } from '../bitcoin/networks.js';

/** BIP-48 script type 2' is native segwit multisig (P2WSH). */
const BIP48_SCRIPT_P2WSH = 2;

export function bip48Path(network: NetworkName, account: number): number[] {
  if (!Number.isSafeInteger(account) || account < 0 || account >= HARDENED) {
    throw new KuraError('ARGUMENT_INVALID', `"account" must be an integer from 0 to ${HARDENED - 1}`, {
      field: 'account',
    });
  }
  return [
    48 + HARDENED,
    networkInfo(network).coinType + HARDENED,
    account + HARDENED,
    BIP48_SCRIPT_P2WSH + HARDENED,
  ];
}

export function masterFromSeed(seed: Uint8Array, network: NetworkName): BIP32Interface {
  return bip32.fromSeed(seed, networkInfo(network).bitcoinjs);
}

export function fingerprintHex(master: BIP32Interface): string {
  return bytesToHex(master.fingerprint);
}

/** The account's public key with its origin, as the cosigner file and descriptors carry it. */
export function accountKeyFromMaster(
  master: BIP32Interface,
  network: NetworkName,
  account: number,
): AccountKey {
  const path = bip48Path(network, account);
  const node = path.reduce((n, step) => n.derive(step), master).neutered();
  return makeAccountKey({ fingerprint: fingerprintHex(master), path }, node, network, 'account key');
}

/** The account's private node, for signing. Callers drop it as soon as they are done. */
export function accountPrivateNode(master: BIP32Interface, path: readonly number[]): BIP32Interface {
  return path.reduce((n, step) => n.derive(step), master);
}
