// The node must serve the wallet's network: `getblockchaininfo.chain` names it.
import { KuraError } from '../errors.js';
import type { NetworkName } from '../bitcoin/networks.js';

/** Chain names of `getblockchaininfo` per kura network (Core 28 adds testnet4; bcoin says test). */
const CHAIN_NAMES: Readonly<Record<NetworkName, readonly string[]>> = {
  mainnet: ['main'],
  testnet: ['test', 'testnet4'],
  signet: ['signet'],
  regtest: ['regtest'],
};

/** Refuses a node whose chain is not the wallet's network (NODE_WRONG_NETWORK). */
export function checkNodeChain(chain: string, network: NetworkName): void {
  if (!CHAIN_NAMES[network].includes(chain)) {
    throw new KuraError(
      'NODE_WRONG_NETWORK',
      `the node serves chain "${chain}", the wallet is for ${network} (${CHAIN_NAMES[network].join(' or ')})`,
      { field: 'rpcUrl', chain, network },
    );
  }
}
