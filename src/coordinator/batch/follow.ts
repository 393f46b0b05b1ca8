// `kura batch follow`: asks the node where each broadcast transaction is. In a block of the
// active chain → the batch and its requests are 'confirmed' (and fee bumps still waiting to
// replace it are dropped: they can never be valid now). Back in the mempool or gone after a
// reorg → 'broadcast' again. Gone entirely → reported, so the operator sends the same bytes again
// with `kura batch broadcast`. Which coins a block spent is the chain sync's business, not this.
import type { RpcClient } from '../../chain/rpcClient.js';
import { faultPoint } from '../faults.js';
import type { CoordinatorHome } from '../home.js';
import type { BatchRecord, BatchState, Store } from '../store/index.js';
import { blockHintOf } from './broadcast.js';
import { locateTransaction } from './locate.js';
import { advanceRequest, requestsOf } from './states.js';

export interface FollowedBatch {
  readonly batchId: string;
  readonly txid: string;
  readonly state: BatchState;
  readonly where: 'mempool' | 'block' | 'missing';
  /** 0 in the mempool or missing. */
  readonly confirmations: number;
  readonly blockHash: string | null;
  readonly height: number | null;
  /** The state changed in this call. */
  readonly changed: boolean;
  readonly note: string | null;
}

/** Fee bumps of `batch` that were never broadcast: dropped once the original confirmed. */
function dropPendingBumps(store: Store, batch: BatchRecord): void {
  for (const bump of store.listBatches()) {
    if (bump.replacesBatch !== batch.batchId) continue;
    const reason = `the transaction it would replace (${batch.txid}) confirmed`;
    if (bump.state === 'built' || bump.state === 'signed') {
      store.setBatchState(bump.batchId, 'cancelled', { from: bump.state, reason });
    } else if (bump.state === 'finalized') {
      // A finalized batch holds a valid transaction and cannot be cancelled; it is superseded.
      store.setBatchState(bump.batchId, 'replaced', { from: 'finalized', reason });
    }
  }
}

async function followOne(
  home: CoordinatorHome,
  client: RpcClient,
  batch: BatchRecord,
): Promise<FollowedBatch> {
  const { store } = home;
  const located = await locateTransaction(client, batch.txid, blockHintOf(store, batch));
  const base = { batchId: batch.batchId, txid: batch.txid, where: located.where };
  if (located.where === 'block') {
    let changed = false;
    if (batch.state === 'broadcast') {
      const reason = `in block ${located.blockHash} at height ${located.height}`;
      store.atomically(() => {
        store.setBatchState(batch.batchId, 'confirmed', { from: 'broadcast', reason });
        for (const requestId of requestsOf(store, batch.batchId)) {
          advanceRequest(store, requestId, 'confirmed', batch.batchId, reason);
        }
        dropPendingBumps(store, batch);
      });
      faultPoint('confirmation-recorded');
      changed = true;
    }
    return {
      ...base,
      state: 'confirmed',
      confirmations: located.confirmations,
      blockHash: located.blockHash,
      height: located.height,
      changed,
      note: null,
    };
  }
  let changed = false;
  if (batch.state === 'confirmed') {
    const reason =
      located.where === 'mempool'
        ? 'a reorg took its block away; it is back in the mempool'
        : 'a reorg took its block away and the node does not hold it';
    store.atomically(() => {
      store.setBatchState(batch.batchId, 'broadcast', { from: 'confirmed', reason });
      for (const requestId of requestsOf(store, batch.batchId)) {
        store.setRequestState(requestId, 'broadcast', { from: 'confirmed', reason });
      }
    });
    changed = true;
  }
  return {
    ...base,
    state: 'broadcast',
    confirmations: 0,
    blockHash: null,
    height: null,
    changed,
    note:
      located.where === 'missing'
        ? `the node holds ${batch.txid} neither in its mempool nor in a block: send the same transaction again with kura batch broadcast ${batch.batchId}`
        : null,
  };
}

/** Follows every broadcast or confirmed batch on the node; returns where each one is. */
export async function followBatches(home: CoordinatorHome, client: RpcClient): Promise<FollowedBatch[]> {
  // Both lists are read first: a batch confirmed below is not followed a second time.
  const batches = [...home.store.listBatches('broadcast'), ...home.store.listBatches('confirmed')];
  const followed: FollowedBatch[] = [];
  for (const batch of batches) followed.push(await followOne(home, client, batch));
  return followed;
}
