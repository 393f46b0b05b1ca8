// The wallet's coins as a batch needs them: which may be spent now, the full previous transaction
// of each (the signers hash it to the outpoint and read the amount from it), and the next change
// address. The store's rows are checked against what the node and the wallet descriptor say.
import { bytesToHex } from '@noble/hashes/utils.js';
import { Transaction } from 'bitcoinjs-lib';
import { KuraError } from '../../errors.js';
import type { WalletDeriver } from '../../bitcoin/addresses.js';
import { CHANGE } from '../../bitcoin/descriptor.js';
import { isNotFound, type RpcClient } from '../../chain/rpcClient.js';
import type { AddressRecord, CoinRecord, Store } from '../store/index.js';

/** A coinbase output may be spent in a block 100 blocks after its own (consensus). */
export const COINBASE_MATURITY = 100;

/**
 * Confirmed, unspent, unlocked coins that a transaction in the next block may spend. Unconfirmed
 * coins are never spent: their transaction may still be replaced or dropped.
 */
export function spendableCoins(store: Store, tipHeight: number): CoinRecord[] {
  return store
    .coinsSpendable()
    .filter((c) => !c.coinbase || (c.height !== null && tipHeight + 1 - c.height >= COINBASE_MATURITY));
}

/**
 * The full previous transaction of every coin, by txid, checked to hold the coin as the store
 * recorded it. bcoin (with its transaction index) is asked by txid alone; Bitcoin Core without
 * -txindex only finds a confirmed transaction given its block, so the block hash is tried next.
 */
export async function previousTransactions(
  client: RpcClient,
  coins: readonly CoinRecord[],
  deriver: WalletDeriver,
): Promise<Map<string, Uint8Array>> {
  const found = new Map<string, Uint8Array>();
  for (const coin of coins) {
    let raw = found.get(coin.txid);
    if (raw === undefined) {
      try {
        raw = await client.getRawTransaction(coin.txid);
      } catch (error) {
        if (!isNotFound(error) || coin.blockHash === null) throw error;
        raw = await client.getRawTransaction(coin.txid, coin.blockHash);
      }
      found.set(coin.txid, raw);
    }
    const out = Transaction.fromBuffer(raw).outs[coin.vout];
    const expected = bytesToHex(deriver.derive(coin.branch, coin.addressIndex).scriptPubKey);
    if (
      out === undefined ||
      out.value !== coin.valueSat ||
      bytesToHex(out.script) !== coin.scriptPubKey ||
      coin.scriptPubKey !== expected
    ) {
      throw new KuraError(
        'STORE_CORRUPT',
        `coin ${coin.txid}:${coin.vout} is stored as ${coin.valueSat} sats at ${coin.branch}/${coin.addressIndex}, which the node's transaction or the wallet descriptor contradicts`,
        { field: 'coins', outpoint: `${coin.txid}:${coin.vout}` },
      );
    }
  }
  return found;
}

/**
 * The next change address: the lowest stored change address neither paid nor handed out, or a
 * newly derived one after the last stored. Must run inside the transaction that uses it, so that
 * two batches never get the same address. Its stored script is checked against the descriptor.
 */
export function issueChangeAddress(store: Store, deriver: WalletDeriver): AddressRecord {
  let address = store.nextUnusedAddress(CHANGE);
  if (address === undefined) {
    const index = store.branchSummary(CHANGE).lastDerived + 1;
    const scriptPubKey = bytesToHex(deriver.derive(CHANGE, index).scriptPubKey);
    store.addAddresses([{ branch: CHANGE, addressIndex: index, scriptPubKey }]);
    address = store.addressAt(CHANGE, index);
  }
  if (address === undefined) throw new KuraError('INTERNAL', 'a change address cannot be read back');
  const expected = bytesToHex(deriver.derive(CHANGE, address.addressIndex).scriptPubKey);
  if (address.scriptPubKey !== expected) {
    throw new KuraError(
      'STORE_CORRUPT',
      `change address 1/${address.addressIndex} is stored with a script the wallet descriptor does not derive`,
      { field: 'addresses', branch: CHANGE, addressIndex: address.addressIndex },
    );
  }
  return store.issueAddress(CHANGE, address.addressIndex);
}
