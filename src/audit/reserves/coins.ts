// The coins a proof of reserves covers: every coin of the wallet the coordinator knows confirmed
// at or below the proof's block and unspent there — coins locked to a batch included (until that
// batch's transaction is in a block they are still the wallet's), and coins whose spend is only
// in the mempool included (it has not happened at any block). Read through the store's own
// methods; the store is the only place with SQL.
import type { CoinRecord, Store } from '../../coordinator/store/index.js';

const key = (c: { txid: string; vout: number }): string => `${c.txid}:${c.vout}`;

/** Oldest first (height, then txid and vout), each coin once. */
export function reserveCoins(store: Store, atHeight: number): CoinRecord[] {
  const coins = new Map<string, CoinRecord>();
  const add = (coin: CoinRecord) => {
    const unspentAtBlock = coin.spentHeight === null || coin.spentHeight > atHeight;
    if (coin.height !== null && coin.height <= atHeight && unspentAtBlock) coins.set(key(coin), coin);
  };
  store.coinsSpendable().forEach(add); // confirmed, unspent, not locked
  // Locked coins, batch by batch (one indexed query each: batches are few next to coins).
  for (const batch of store.listBatches()) store.coinsLockedBy(batch.batchId).forEach(add);
  store.coinsAwaitingBlock().forEach(add); // confirmed coins whose spend is only in the mempool
  return [...coins.values()].sort(
    (a, b) =>
      (a.height as number) - (b.height as number) ||
      (a.txid < b.txid ? -1 : a.txid > b.txid ? 1 : a.vout - b.vout),
  );
}
