// `kura batch broadcast`: sends the stored final transaction — the same bytes every time, so a
// crash anywhere between signing and broadcast can only ever end in this transaction being sent
// again, never a new one — and then asks the node whether it holds it (getmempoolentry, or a
// block of its active chain). Only then does anything change: the batch and its requests become
// 'broadcast' and its coins are marked spent by it. A fee bump that is accepted replaces its
// original: the original becomes 'replaced', its coin locks and its requests move to the bump.
import { Psbt } from 'bitcoinjs-lib';
import { KuraError, isKuraError } from '../../errors.js';
import type { RpcClient } from '../../chain/rpcClient.js';
import { faultPoint } from '../faults.js';
import type { CoordinatorHome } from '../home.js';
import type { BatchRecord, BatchState, Outpoint, Store } from '../store/index.js';
import { finalizeIfReady } from './import.js';
import { locateTransaction, type Located } from './locate.js';
import { outpointsOf } from './psbt.js';
import { advanceRequest, requestsOf } from './states.js';

export interface BroadcastResult {
  readonly batchId: string;
  readonly txid: string;
  readonly state: BatchState;
  /** Where the node holds the transaction now. */
  readonly located: Exclude<Located, { where: 'missing' }>;
  /** The node already had it (a retry, or a resend after a crash): the same bytes went out again. */
  readonly alreadyKnown: boolean;
  /** The batch this fee bump replaced, when it is one. */
  readonly replaced: string | null;
}

export function batchOrNotFound(store: Store, batchId: string): BatchRecord {
  const batch = store.batchById(batchId);
  if (batch === undefined) {
    throw new KuraError('COORDINATOR_NOT_FOUND', `no batch has "batchId" ${batchId}`, {
      field: 'batchId',
      batchId,
    });
  }
  return batch;
}

/** The block the chain sync saw the batch's transaction in, from the coins it spends. */
export function blockHintOf(store: Store, batch: BatchRecord): string | undefined {
  for (const outpoint of outpointsOf(Psbt.fromBuffer(batch.psbt))) {
    const coin = store.coin(outpoint);
    if (coin?.spentByTxid === batch.txid && coin.spentHeight !== null)
      return store.blockAt(coin.spentHeight)?.hash;
  }
  return undefined;
}

/** Marks a coin spent by `txid` in the mempool, unless that is already known (or confirmed). */
export function markSpentInMempool(store: Store, outpoint: Outpoint, txid: string): void {
  const coin = store.coin(outpoint);
  if (coin === undefined || coin.spentByTxid === txid || coin.spentHeight !== null) return;
  store.markCoinSpent(outpoint, txid, null);
}

function readyToSend(home: CoordinatorHome, batchId: string): BatchRecord {
  const { store } = home;
  let batch = batchOrNotFound(store, batchId);
  if (batch.state === 'built' || batch.state === 'signed') {
    // The signatures may all be stored already (a crash after import): finalize now.
    const progress = finalizeIfReady(home, batchId);
    batch = batchOrNotFound(store, batchId);
    if (batch.finalTx === null) {
      throw new KuraError(
        'COORDINATOR_STATE_CONFLICT',
        `batch ${batchId} is ${batch.state}: ${progress.inputsReady} of ${progress.inputs} inputs have ${progress.threshold} signatures; import the signed files first`,
        {
          field: 'state',
          batchId,
          state: batch.state,
          inputsReady: progress.inputsReady,
          inputs: progress.inputs,
        },
      );
    }
  }
  if (batch.state === 'cancelled' || batch.state === 'replaced' || batch.finalTx === null) {
    throw new KuraError(
      'COORDINATOR_STATE_CONFLICT',
      `batch ${batchId} is ${batch.state}; it is not broadcast`,
      {
        field: 'state',
        batchId,
        state: batch.state,
      },
    );
  }
  if (batch.replacesBatch !== null) {
    const original = batchOrNotFound(store, batch.replacesBatch);
    if (original.state === 'confirmed') {
      throw new KuraError(
        'COORDINATOR_STATE_CONFLICT',
        `batch ${batchId} is a fee bump of ${original.batchId}, whose transaction confirmed: the bump can never be valid`,
        { field: 'replacesBatch', batchId, replaces: original.batchId },
      );
    }
  }
  return batch;
}

export async function broadcastBatch(
  home: CoordinatorHome,
  client: RpcClient,
  batchId: string,
  now?: number,
): Promise<BroadcastResult> {
  void now; // the store's own clock dates every change
  const { store } = home;
  const batch = readyToSend(home, batchId);
  const finalTx = batch.finalTx as Uint8Array;
  const knownBefore = (await client.getMempoolEntry(batch.txid)) !== null;
  let refusal: KuraError | undefined;
  try {
    await client.sendRawTransaction(finalTx);
  } catch (error) {
    // "Already in the mempool / in the chain" and real refusals alike: the node's own view decides.
    if (!isKuraError(error, 'NODE_RPC_ERROR')) throw error;
    refusal = error;
  }
  faultPoint('broadcast-sent');
  const located = await locateTransaction(client, batch.txid, blockHintOf(store, batch));
  if (located.where === 'missing') {
    const rpc = {
      rpcCode: refusal?.details.rpcCode ?? null,
      rpcMessage: refusal?.details.rpcMessage ?? refusal?.message ?? null,
    };
    store.audit('batch.broadcast_refused', { batchId, txid: batch.txid, ...rpc });
    throw new KuraError(
      'BROADCAST_REFUSED',
      refusal === undefined
        ? `the node answered ${batch.txid} but holds it neither in its mempool nor in a block`
        : `the node refused ${batch.txid}: ${String(rpc.rpcMessage)}`,
      { field: 'batchId', batchId, txid: batch.txid, ...rpc },
      refusal,
    );
  }

  const where = located.where === 'mempool' ? 'in its mempool' : `in block ${located.blockHash}`;
  const reason = `the node holds ${batch.txid} ${where}`;
  const replaced = batch.replacesBatch;
  const state = store.atomically(() => {
    let current = batchOrNotFound(store, batchId);
    if (current.state === 'finalized') {
      current = store.setBatchState(batchId, 'broadcast', { from: 'finalized', reason });
    }
    if (replaced !== null) {
      const original = batchOrNotFound(store, replaced);
      if (original.state !== 'replaced') {
        store.setBatchState(replaced, 'replaced', {
          from: original.state,
          reason: `replaced by fee bump ${batchId} (${batch.txid})`,
        });
      }
      store.moveCoinLocks(replaced, batchId);
      for (const requestId of requestsOf(store, replaced)) {
        advanceRequest(store, requestId, 'broadcast', batchId, `fee bump ${batchId} replaced ${replaced}`);
      }
    }
    for (const requestId of requestsOf(store, batchId)) {
      advanceRequest(store, requestId, 'broadcast', batchId, reason);
    }
    for (const outpoint of outpointsOf(Psbt.fromBuffer(batch.psbt)))
      markSpentInMempool(store, outpoint, batch.txid);
    return current.state;
  });
  faultPoint('broadcast-recorded');
  return {
    batchId,
    txid: batch.txid,
    state,
    located,
    alreadyKnown: knownBefore || refusal !== undefined,
    replaced,
  };
}
