// What proving and verifying reserves read from a node, through RPC calls Bitcoin Core documents
// and bcoin answers alike: a coin's creating transaction is taken from the block that holds it
// (getblock raw, parsed and checked against its merkle root with bitcoinjs-lib), so neither side
// needs -txindex; whether a coin is unspent now is `gettxout` without the mempool; and where a coin
// went after a block is found by reading the blocks after it.
import { Block, Transaction } from 'bitcoinjs-lib';
import { KuraError } from '../../errors.js';
import { isNotFound, type RpcClient } from '../../chain/rpcClient.js';

const displayHex = (hash: Uint8Array): string => Buffer.from(hash).reverse().toString('hex');

function parseBlock(raw: Uint8Array, hash: string): Block {
  let block: Block;
  try {
    block = Block.fromBuffer(raw);
  } catch (cause) {
    throw new KuraError('CHAIN_BLOCK_MALFORMED', `the node's block ${hash} does not parse`, { hash }, cause);
  }
  if (!block.checkTxRoots()) {
    throw new KuraError(
      'CHAIN_BLOCK_MALFORMED',
      `the transactions of the node's block ${hash} do not match its merkle root`,
      { hash },
    );
  }
  return block;
}

/** Reads each block once: many coins often come from the same few blocks. */
export class BlockReader {
  private readonly transactions = new Map<string, Map<string, Transaction>>();

  constructor(private readonly client: RpcClient) {}

  /** The transactions of block `hash` by txid. */
  async transactionsOf(hash: string): Promise<ReadonlyMap<string, Transaction>> {
    let byTxid = this.transactions.get(hash);
    if (byTxid === undefined) {
      const block = parseBlock(await this.client.getBlock(hash), hash);
      byTxid = new Map((block.transactions ?? []).map((tx) => [tx.getId(), tx]));
      this.transactions.set(hash, byTxid);
    }
    return byTxid;
  }

  /** The transaction `txid` from block `blockHash`, or undefined when that block does not hold it. */
  async transactionIn(txid: string, blockHash: string): Promise<Transaction | undefined> {
    try {
      return (await this.transactionsOf(blockHash)).get(txid);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }
}

/**
 * Whether the node's chain state holds the output unspent now (`gettxout` without the mempool:
 * a spend still in the mempool has not happened at any block).
 */
export async function unspentNow(client: RpcClient, txid: string, vout: number): Promise<boolean> {
  const result = await client.call('gettxout', [txid, vout, false]);
  if (result === null) return false;
  if (typeof result !== 'object' || Array.isArray(result)) {
    throw new KuraError('NODE_BAD_RESPONSE', 'the node\'s gettxout "result" is not an object or null', {
      method: 'gettxout',
      field: 'result',
    });
  }
  return true;
}

export interface FoundSpend {
  readonly height: number;
  readonly spentBy: string;
}

/**
 * Reads the blocks from `fromHeight` to `toHeight` and returns, for each outpoint ("txid:vout")
 * spent in them, the height and the spending transaction. Stops once every outpoint is found.
 */
export async function findSpends(
  client: RpcClient,
  outpoints: ReadonlySet<string>,
  fromHeight: number,
  toHeight: number,
): Promise<Map<string, FoundSpend>> {
  const found = new Map<string, FoundSpend>();
  for (let height = fromHeight; height <= toHeight && found.size < outpoints.size; height++) {
    const hash = await client.getBlockHash(height);
    const block = parseBlock(await client.getBlock(hash), hash);
    for (const tx of block.transactions ?? []) {
      for (const input of tx.ins) {
        const key = `${displayHex(input.hash)}:${input.index}`;
        if (outpoints.has(key) && !found.has(key)) found.set(key, { height, spentBy: tx.getId() });
      }
    }
  }
  return found;
}
