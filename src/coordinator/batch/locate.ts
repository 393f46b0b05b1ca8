// Where the node has a transaction: in its mempool, in a block of its active chain (and how deep),
// or nowhere. Acceptance is never taken from sendrawtransaction's answer; it is this question,
// asked afterwards. Only calls Bitcoin Core documents (bcoin answers them the same way).
import { isNotFound, type RpcClient } from '../../chain/rpcClient.js';
import { asObject, asOptionalHash } from '../../chain/results.js';

export type Located =
  | { readonly where: 'mempool'; readonly vsize: number; readonly feeSat: bigint | undefined }
  | {
      readonly where: 'block';
      readonly blockHash: string;
      readonly height: number;
      readonly confirmations: number;
    }
  | { readonly where: 'missing' };

/**
 * The block `getrawtransaction txid true` names for the transaction; undefined when the node has
 * it in no block or not at all. Core without -txindex finds a confirmed transaction only in a
 * block it is told about, so the hint is tried when the plain question finds nothing (bcoin takes
 * no third argument, and with its index never needs one).
 */
async function blockOf(client: RpcClient, txid: string, blockHashHint?: string): Promise<string | undefined> {
  const m = 'getrawtransaction';
  const ask = async (params: unknown[]): Promise<{ found: boolean; blockHash?: string }> => {
    try {
      const result = asObject(m, await client.call(m, params));
      const blockHash = asOptionalHash(m, result.blockhash, 'blockhash');
      return blockHash === undefined ? { found: true } : { found: true, blockHash };
    } catch (error) {
      if (isNotFound(error)) return { found: false };
      throw error;
    }
  };
  const plain = await ask([txid, true]);
  if (plain.found || blockHashHint === undefined) return plain.blockHash;
  return (await ask([txid, true, blockHashHint])).blockHash;
}

/**
 * Finds `txid` on the node. `blockHashHint` is the block the coordinator's chain sync saw it in,
 * if any (Bitcoin Core without -txindex needs it for a confirmed transaction).
 */
export async function locateTransaction(
  client: RpcClient,
  txid: string,
  blockHashHint?: string,
): Promise<Located> {
  const entry = await client.getMempoolEntry(txid);
  if (entry !== null) return { where: 'mempool', vsize: entry.vsize, feeSat: entry.feeSat };
  const blockHash = await blockOf(client, txid, blockHashHint);
  if (blockHash === undefined) return { where: 'missing' };
  // Only a block of the node's active chain counts: a block orphaned by a reorg confirms nothing.
  const header = await client.getBlockHeader(blockHash);
  const tip = await client.getBlockCount();
  if (header.height > tip || (await client.getBlockHash(header.height)) !== blockHash)
    return { where: 'missing' };
  return { where: 'block', blockHash, height: header.height, confirmations: tip - header.height + 1 };
}
