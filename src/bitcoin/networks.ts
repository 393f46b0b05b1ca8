// The four networks kura knows, and what each one means for keys and addresses.
import { networks as bjsNetworks, type Network as BjsNetwork } from 'bitcoinjs-lib';
import { KuraError } from '../errors.js';

export const NETWORK_NAMES = ['mainnet', 'testnet', 'signet', 'regtest'] as const;
export type NetworkName = (typeof NETWORK_NAMES)[number];

export interface NetworkInfo {
  readonly name: NetworkName;
  /** BIP-44 coin type used in BIP-48 paths: 0 on mainnet, 1 on every test network. */
  readonly coinType: 0 | 1;
  /** bitcoinjs-lib parameters: address prefixes and extended-key version bytes. */
  readonly bitcoinjs: BjsNetwork;
  /** SLIP-132 version bytes of a P2WSH multisig public key (Zpub / Vpub). */
  readonly slip132P2wshPublic: number;
}

// signet shares testnet's address prefix and key versions.
const signet: BjsNetwork = { ...bjsNetworks.testnet };

const INFO: Record<NetworkName, NetworkInfo> = {
  mainnet: { name: 'mainnet', coinType: 0, bitcoinjs: bjsNetworks.bitcoin, slip132P2wshPublic: 0x02aa7ed3 },
  testnet: { name: 'testnet', coinType: 1, bitcoinjs: bjsNetworks.testnet, slip132P2wshPublic: 0x02575483 },
  signet: { name: 'signet', coinType: 1, bitcoinjs: signet, slip132P2wshPublic: 0x02575483 },
  regtest: { name: 'regtest', coinType: 1, bitcoinjs: bjsNetworks.regtest, slip132P2wshPublic: 0x02575483 },
};

export function networkInfo(name: NetworkName): NetworkInfo {
  return INFO[name];
}

export function parseNetworkName(value: unknown, field = 'network'): NetworkName {
  if (typeof value === 'string' && (NETWORK_NAMES as readonly string[]).includes(value)) {
    return value as NetworkName;
  }
  throw new KuraError('ARGUMENT_INVALID', `"${field}" must be one of ${NETWORK_NAMES.join(', ')}`, {
    field,
    value,
  });
}

/** Whether two networks share extended-key versions (all test networks use tpub). */
export function sameKeyFamily(a: NetworkName, b: NetworkName): boolean {
  return INFO[a].coinType === INFO[b].coinType;
}
