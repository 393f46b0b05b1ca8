// `kura batch cancel`: a batch that is not yet fully signed is given up. In one transaction the
// batch becomes 'cancelled', its coins are released and its requests return to 'approved', to be
// batched again by the next build. A finalized batch cannot be cancelled: a valid signed
// transaction exists and anyone holding it can broadcast it — it can only be broadcast or
// replaced by a fee bump. Cosigners who already signed have the coins and requests in their
// ledgers, and will refuse a new transaction for them unless it is a declared fee bump of this
// one; the result names them.
import { KuraError } from '../../errors.js';
import type { CoordinatorHome } from '../home.js';
import { batchOrNotFound } from './broadcast.js';
import { requestsOf } from './states.js';

export interface CancelResult {
  readonly batchId: string;
  readonly txid: string;
  readonly coinsReleased: number;
  /** Requests returned to 'approved'. */
  readonly requests: readonly string[];
  /** Cosigners whose signatures for this batch were imported. */
  readonly signedBy: readonly string[];
  readonly warning: string | null;
}

export function cancelBatch(home: CoordinatorHome, batchId: string, now?: number): CancelResult {
  void now; // the store's own clock dates every change
  const { store } = home;
  const batch = batchOrNotFound(store, batchId);
  if (batch.state !== 'built' && batch.state !== 'signed') {
    const why =
      batch.state === 'finalized'
        ? 'a fully signed transaction exists; broadcast it, or replace it with kura batch bump'
        : batch.state === 'broadcast' || batch.state === 'confirmed'
          ? 'its transaction was broadcast; only a fee bump can replace it'
          : 'it is over already';
    throw new KuraError('COORDINATOR_STATE_CONFLICT', `batch ${batchId} is ${batch.state}: ${why}`, {
      field: 'state',
      batchId,
      state: batch.state,
    });
  }
  const signedBy = store.batchSignatures(batchId).map((s) => s.fingerprint);
  const reason = `batch ${batchId} cancelled`;
  const result = store.atomically(() => {
    store.setBatchState(batchId, 'cancelled', { from: batch.state, reason });
    const coinsReleased = store.unlockCoins(batchId);
    const requests = requestsOf(store, batchId);
    for (const requestId of requests) store.setRequestState(requestId, 'approved', { reason });
    return { coinsReleased, requests };
  });
  return {
    batchId,
    txid: batch.txid,
    ...result,
    signedBy,
    warning:
      signedBy.length === 0
        ? null
        : `cosigners ${signedBy.join(', ')} signed ${batch.txid}: their ledgers will refuse another transaction for these coins or requests unless it is a fee bump of it`,
  };
}
