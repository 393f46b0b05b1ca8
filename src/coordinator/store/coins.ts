// The wallet's coins: what the chain scanner found, what batches lock, and the balance split
// into confirmed, unconfirmed and locked.
import { KuraError } from '../../errors.js';
import { addressAt, branchOf } from './addresses.js';
import type { Row, Sql } from './database.js';
import { flag, int, intOrNull, sats, satsSum, text, textOrNull } from './rows.js';
import type { Tx } from './tx.js';
import type { Balance, CoinRecord, NewCoin, Outpoint } from './types.js';
import { batchIdOf, hexOf, integerOf, outpointText, satsOf } from './validate.js';

const COIN_COLUMNS =
  'txid, vout, branch, address_index, script_pubkey, value_sat, coinbase, height, block_hash, ' +
  'spent_by_txid, spent_height, locked_by_batch';

function coinOf(row: Row): CoinRecord {
  return {
    txid: text(row, 'txid'),
    vout: int(row, 'vout'),
    branch: branchOf(int(row, 'branch')),
    addressIndex: int(row, 'address_index'),
    scriptPubKey: text(row, 'script_pubkey'),
    valueSat: sats(row, 'value_sat'),
    coinbase: flag(row, 'coinbase'),
    height: intOrNull(row, 'height'),
    blockHash: textOrNull(row, 'block_hash'),
    spentByTxid: textOrNull(row, 'spent_by_txid'),
    spentHeight: intOrNull(row, 'spent_height'),
    lockedByBatch: textOrNull(row, 'locked_by_batch'),
  };
}

export function coinAt(sql: Sql, outpoint: Outpoint): CoinRecord | undefined {
  const row = sql.get(
    `SELECT ${COIN_COLUMNS} FROM coins WHERE txid = ? AND vout = ?`,
    outpoint.txid,
    outpoint.vout,
  );
  return row === undefined ? undefined : coinOf(row);
}

function coinNotFound(outpoint: Outpoint): KuraError {
  return new KuraError('COORDINATOR_NOT_FOUND', `no coin ${outpointText(outpoint)} is known`, {
    field: 'outpoint',
    outpoint: outpointText(outpoint),
  });
}

/**
 * Records a coin of the wallet, or its confirmation (or its fall back to the mempool). The
 * address must be stored already, with the coin's script; it becomes used. Returns what changed.
 */
export function upsertCoin(tx: Tx, coin: NewCoin): 'received' | 'confirmed' | 'unconfirmed' | 'unchanged' {
  hexOf(coin.txid, 'txid');
  integerOf(coin.vout, 'vout', 0, 2 ** 32 - 1);
  satsOf(coin.valueSat, 'valueSat', 0n);
  if (coin.block !== null) {
    integerOf(coin.block.height, 'block.height', 0);
    hexOf(coin.block.hash, 'block.hash');
  }
  const address = addressAt(tx.sql, branchOf(coin.branch), coin.addressIndex);
  if (address === undefined || address.scriptPubKey !== coin.scriptPubKey) {
    throw new KuraError(
      'ARGUMENT_INVALID',
      `coin ${outpointText(coin)} pays no stored address ${coin.branch}/${coin.addressIndex} with its script`,
      { field: 'scriptPubKey', outpoint: outpointText(coin) },
    );
  }
  const height = coin.block?.height ?? null;
  const blockHash = coin.block?.hash ?? null;
  const existing = coinAt(tx.sql, coin);
  if (existing === undefined) {
    tx.sql.run(
      `INSERT INTO coins (${COIN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)`,
      coin.txid,
      coin.vout,
      coin.branch,
      coin.addressIndex,
      coin.scriptPubKey,
      coin.valueSat,
      coin.coinbase ? 1 : 0,
      height,
      blockHash,
    );
    tx.sql.run(
      'UPDATE addresses SET used = 1 WHERE branch = ? AND address_index = ?',
      coin.branch,
      coin.addressIndex,
    );
    tx.audit('coin.receive', {
      outpoint: outpointText(coin),
      address: `${coin.branch}/${coin.addressIndex}`,
      valueSat: coin.valueSat,
      coinbase: coin.coinbase,
      height,
      blockHash,
    });
    return 'received';
  }
  if (
    existing.valueSat !== coin.valueSat ||
    existing.scriptPubKey !== coin.scriptPubKey ||
    existing.coinbase !== coin.coinbase
  ) {
    throw new KuraError(
      'STORE_CORRUPT',
      `coin ${outpointText(coin)} is stored with another value or script`,
      {
        field: 'outpoint',
        outpoint: outpointText(coin),
      },
    );
  }
  if (existing.height === height && existing.blockHash === blockHash) return 'unchanged';
  tx.sql.run(
    'UPDATE coins SET height = ?, block_hash = ? WHERE txid = ? AND vout = ?',
    height,
    blockHash,
    coin.txid,
    coin.vout,
  );
  const change = height === null ? 'unconfirmed' : 'confirmed';
  tx.audit(`coin.${change === 'confirmed' ? 'confirm' : 'unconfirm'}`, {
    outpoint: outpointText(coin),
    height,
    blockHash,
  });
  return change;
}

/**
 * Marks a coin spent by `txid`, confirmed at `height` or still in the mempool (null). A spend
 * seen in the mempool may be replaced by another (RBF) until one confirms; a confirmed spend is
 * only undone by rollbackToHeight.
 */
export function markCoinSpent(tx: Tx, outpoint: Outpoint, txid: string, height: number | null): boolean {
  hexOf(txid, 'spentByTxid');
  if (height !== null) integerOf(height, 'spentHeight', 0);
  const coin = coinAt(tx.sql, outpoint);
  if (coin === undefined) throw coinNotFound(outpoint);
  if (coin.spentByTxid === txid && coin.spentHeight === height) return false;
  if (coin.spentHeight !== null && coin.spentByTxid !== txid) {
    throw new KuraError(
      'COORDINATOR_COIN_UNAVAILABLE',
      `coin ${outpointText(outpoint)} is spent by ${coin.spentByTxid ?? '?'} in block ${coin.spentHeight}`,
      { field: 'outpoint', outpoint: outpointText(outpoint) },
    );
  }
  tx.sql.run(
    'UPDATE coins SET spent_by_txid = ?, spent_height = ? WHERE txid = ? AND vout = ?',
    txid,
    height,
    outpoint.txid,
    outpoint.vout,
  );
  tx.audit('coin.spend', { outpoint: outpointText(outpoint), txid, height });
  return true;
}

export interface SpendableQuery {
  /** Include coins still in the mempool (default: confirmed only). */
  readonly includeUnconfirmed?: boolean;
}

/** Unspent coins not locked to any batch, oldest first. */
export function coinsSpendable(sql: Sql, query: SpendableQuery = {}): CoinRecord[] {
  return sql
    .all(
      `SELECT ${COIN_COLUMNS} FROM coins
       WHERE spent_by_txid IS NULL AND locked_by_batch IS NULL AND (height IS NOT NULL OR ?)
       ORDER BY height IS NULL, height, txid, vout`,
      query.includeUnconfirmed === true ? 1 : 0,
    )
    .map(coinOf);
}

export function coinsLockedBy(sql: Sql, batchId: string): CoinRecord[] {
  return sql
    .all(`SELECT ${COIN_COLUMNS} FROM coins WHERE locked_by_batch = ? ORDER BY txid, vout`, batchId)
    .map(coinOf);
}

/** Locks coins to a batch: every one must be known, unspent and unlocked, or none is locked. */
export function lockCoins(tx: Tx, batchId: string, outpoints: readonly Outpoint[]): void {
  batchIdOf(batchId);
  if (tx.sql.get('SELECT 1 FROM batches WHERE batch_id = ?', batchId) === undefined) {
    throw new KuraError('COORDINATOR_NOT_FOUND', `no batch has "batchId" ${batchId}`, { field: 'batchId' });
  }
  for (const outpoint of outpoints) {
    const coin = coinAt(tx.sql, outpoint);
    if (coin === undefined) throw coinNotFound(outpoint);
    if (coin.spentByTxid !== null || coin.lockedByBatch !== null) {
      throw new KuraError(
        'COORDINATOR_COIN_UNAVAILABLE',
        `coin ${outpointText(outpoint)} is ${coin.spentByTxid !== null ? `spent by ${coin.spentByTxid}` : `locked to batch ${coin.lockedByBatch ?? ''}`}`,
        { field: 'outpoint', outpoint: outpointText(outpoint) },
      );
    }
    tx.sql.run(
      'UPDATE coins SET locked_by_batch = ? WHERE txid = ? AND vout = ?',
      batchId,
      outpoint.txid,
      outpoint.vout,
    );
  }
  tx.audit('coin.lock', { batchId, outpoints: outpoints.map(outpointText) });
}

/** Releases every coin locked to the batch; returns how many. */
export function unlockCoins(tx: Tx, batchId: string): number {
  const locked = coinsLockedBy(tx.sql, batchId);
  if (locked.length === 0) return 0;
  tx.sql.run('UPDATE coins SET locked_by_batch = NULL WHERE locked_by_batch = ?', batchId);
  tx.audit('coin.unlock', { batchId, outpoints: locked.map(outpointText) });
  return locked.length;
}

/**
 * Moves every coin locked to `fromBatch` to `toBatch` (a fee bump's transaction now spends them);
 * returns how many. Both batches must exist; the coins stay locked throughout.
 */
export function moveCoinLocks(tx: Tx, fromBatch: string, toBatch: string): number {
  batchIdOf(fromBatch, 'fromBatch');
  batchIdOf(toBatch, 'toBatch');
  if (tx.sql.get('SELECT 1 FROM batches WHERE batch_id = ?', toBatch) === undefined) {
    throw new KuraError('COORDINATOR_NOT_FOUND', `no batch has "batchId" ${toBatch}`, { field: 'toBatch' });
  }
  const locked = coinsLockedBy(tx.sql, fromBatch);
  if (locked.length === 0) return 0;
  tx.sql.run('UPDATE coins SET locked_by_batch = ? WHERE locked_by_batch = ?', toBatch, fromBatch);
  tx.audit('coin.relock', { fromBatch, toBatch, outpoints: locked.map(outpointText) });
  return locked.length;
}

export function balance(sql: Sql): Balance {
  const row = sql.get(
    `SELECT
       sum(CASE WHEN locked_by_batch IS NULL AND height IS NOT NULL THEN value_sat END) AS confirmed,
       sum(CASE WHEN locked_by_batch IS NULL AND height IS NULL THEN value_sat END) AS unconfirmed,
       sum(CASE WHEN locked_by_batch IS NOT NULL THEN value_sat END) AS locked
     FROM coins WHERE spent_by_txid IS NULL`,
  );
  if (row === undefined) throw new KuraError('INTERNAL', 'the balance query returned no row');
  return {
    confirmedSat: satsSum(row, 'confirmed'),
    unconfirmedSat: satsSum(row, 'unconfirmed'),
    lockedSat: satsSum(row, 'locked'),
  };
}

/**
 * What the mempool step of a sync re-checks against the node's mempool: coins in no block yet,
 * and coins whose spending transaction is in no block yet.
 */
export function coinsAwaitingBlock(sql: Sql): CoinRecord[] {
  return sql
    .all(
      `SELECT ${COIN_COLUMNS} FROM coins
       WHERE height IS NULL OR (spent_by_txid IS NOT NULL AND spent_height IS NULL)
       ORDER BY txid, vout`,
    )
    .map(coinOf);
}

/**
 * The height of the block that holds transaction `txid`, as the spends of the wallet's coins
 * recorded it; null while no scanned block holds it. Every transaction of the wallet spends at
 * least one of its coins, so this is how a batch's confirmation is known.
 */
export function spendHeightOf(sql: Sql, txid: string): number | null {
  hexOf(txid, 'txid');
  const row = sql.get('SELECT max(spent_height) AS height FROM coins WHERE spent_by_txid = ?', txid);
  return row === undefined ? null : intOrNull(row, 'height');
}

/**
 * Forgets a coin that no block holds and that left the node's mempool (replaced, evicted, or
 * orphaned with its block and not taken back). A confirmed coin is never dropped here: only
 * rollbackToHeight undoes a block. Returns false when there was nothing to drop.
 */
export function dropUnconfirmedCoin(tx: Tx, outpoint: Outpoint, reason: string): boolean {
  const coin = coinAt(tx.sql, outpoint);
  if (coin === undefined || coin.height !== null) return false;
  tx.sql.run(
    'DELETE FROM coins WHERE txid = ? AND vout = ? AND height IS NULL',
    outpoint.txid,
    outpoint.vout,
  );
  tx.audit('coin.drop', {
    outpoint: outpointText(outpoint),
    valueSat: coin.valueSat,
    ...(coin.lockedByBatch === null ? {} : { lockedByBatch: coin.lockedByBatch }),
    reason,
  });
  return true;
}

/**
 * Clears a spend that no block holds and whose transaction left the node's mempool: the coin is
 * unspent again (its lock to a batch, if any, stays). A confirmed spend is never cleared here.
 */
export function clearUnconfirmedSpend(tx: Tx, outpoint: Outpoint, reason: string): boolean {
  const coin = coinAt(tx.sql, outpoint);
  if (coin === undefined || coin.spentByTxid === null || coin.spentHeight !== null) return false;
  tx.sql.run(
    'UPDATE coins SET spent_by_txid = NULL WHERE txid = ? AND vout = ? AND spent_height IS NULL',
    outpoint.txid,
    outpoint.vout,
  );
  tx.audit('coin.unspend', { outpoint: outpointText(outpoint), txid: coin.spentByTxid, reason });
  return true;
}

/** Txids whose spends of the wallet's coins sit in blocks above `height`: what a rollback to it undoes. */
export function spendTxidsAbove(sql: Sql, height: number): string[] {
  integerOf(height, 'height', -1);
  return sql
    .all('SELECT DISTINCT spent_by_txid FROM coins WHERE spent_height > ? ORDER BY spent_by_txid', height)
    .map((row) => text(row, 'spent_by_txid'));
}
