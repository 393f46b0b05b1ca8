// The chain as far as it was scanned: one row per block, each linked to the one before, so a
// reorg is found by walking back to the first stored block the node still has (the fork point)
// and undone with rollbackToHeight.
import { KuraError } from '../../errors.js';
import type { Row, Sql } from './database.js';
import { int, text } from './rows.js';
import type { Tx } from './tx.js';
import type { BlockRecord, Outpoint, RollbackResult } from './types.js';
import { hexOf, integerOf, outpointText } from './validate.js';

function blockOf(row: Row): BlockRecord {
  return { height: int(row, 'height'), hash: text(row, 'hash'), prevHash: text(row, 'prev_hash') };
}

export function blockAt(sql: Sql, height: number): BlockRecord | undefined {
  const row = sql.get('SELECT height, hash, prev_hash FROM blocks WHERE height = ?', height);
  return row === undefined ? undefined : blockOf(row);
}

export function tipBlock(sql: Sql): BlockRecord | undefined {
  const row = sql.get('SELECT height, hash, prev_hash FROM blocks ORDER BY height DESC LIMIT 1');
  return row === undefined ? undefined : blockOf(row);
}

export function recentBlocks(sql: Sql, count: number): BlockRecord[] {
  integerOf(count, 'count', 1, 1_000_000);
  return sql
    .all('SELECT height, hash, prev_hash FROM blocks ORDER BY height DESC LIMIT ?', count)
    .map(blockOf)
    .reverse();
}

/**
 * Records a scanned block. It must extend the stored tip (or be the first block stored); a block
 * that does not is STORE_BLOCK_MISMATCH, and the scanner rolls back to the fork point first.
 * Recording the same block again is a no-op (false).
 */
export function recordBlock(tx: Tx, block: BlockRecord): boolean {
  integerOf(block.height, 'height', 0);
  hexOf(block.hash, 'hash');
  hexOf(block.prevHash, 'prevHash');
  const same = blockAt(tx.sql, block.height);
  if (same !== undefined && same.hash === block.hash && same.prevHash === block.prevHash) return false;
  const tip = tipBlock(tx.sql);
  if (tip !== undefined && (block.height !== tip.height + 1 || block.prevHash !== tip.hash)) {
    throw new KuraError(
      'STORE_BLOCK_MISMATCH',
      `block ${block.hash} at height ${block.height} does not extend the stored tip ${tip.hash} at ${tip.height}`,
      { field: 'prevHash', height: block.height, tipHeight: tip.height, tipHash: tip.hash },
    );
  }
  tx.sql.run(
    'INSERT INTO blocks (height, hash, prev_hash) VALUES (?, ?, ?)',
    block.height,
    block.hash,
    block.prevHash,
  );
  tx.audit('chain.block', { height: block.height, hash: block.hash, prevHash: block.prevHash });
  return true;
}

function outpointsOf(rows: Row[]): Outpoint[] {
  return rows.map((r) => ({ txid: text(r, 'txid'), vout: int(r, 'vout') }));
}

/**
 * Undoes every block above `height` (a reorg's fork point, or -1 for all): the blocks are
 * deleted; coins they confirmed fall back to unconfirmed (their transaction returns to the
 * mempool) except coinbase coins, which cease to exist; coins whose spend they confirmed are
 * unspent again. Locks to batches stay: a batch's transaction may confirm again.
 */
export function rollbackToHeight(tx: Tx, height: number): RollbackResult {
  integerOf(height, 'height', -1);
  const removed = outpointsOf(
    tx.sql.all('SELECT txid, vout FROM coins WHERE height > ? AND coinbase = 1 ORDER BY txid, vout', height),
  );
  const unconfirmed = outpointsOf(
    tx.sql.all('SELECT txid, vout FROM coins WHERE height > ? AND coinbase = 0 ORDER BY txid, vout', height),
  );
  const unspent = outpointsOf(
    tx.sql.all('SELECT txid, vout FROM coins WHERE spent_height > ? ORDER BY txid, vout', height),
  );
  tx.sql.run('UPDATE coins SET spent_by_txid = NULL, spent_height = NULL WHERE spent_height > ?', height);
  tx.sql.run('DELETE FROM coins WHERE height > ? AND coinbase = 1', height);
  tx.sql.run('UPDATE coins SET height = NULL, block_hash = NULL WHERE height > ?', height);
  const blocksRemoved = tx.sql.run('DELETE FROM blocks WHERE height > ?', height);
  const result: RollbackResult = { toHeight: height, blocksRemoved, unconfirmed, removed, unspent };
  if (blocksRemoved > 0 || removed.length + unconfirmed.length + unspent.length > 0) {
    tx.audit('chain.rollback', {
      toHeight: height,
      blocksRemoved,
      unconfirmed: unconfirmed.map(outpointText),
      removed: removed.map(outpointText),
      unspent: unspent.map(outpointText),
    });
  }
  return result;
}
