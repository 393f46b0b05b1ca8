// Moving a batch's requests forward with it. Requests follow the transaction that pays them:
// batched → signed (the batch is finalized) → broadcast → confirmed. A fee bump's requests stay
// with the transaction in the mempool until the bump itself is broadcast; then they move to the
// bump through the store's own transitions (broadcast → batched → signed → broadcast), each an
// audit entry, all in the caller's transaction.
import type { RequestState, Store } from '../store/index.js';

const FORWARD: readonly RequestState[] = ['batched', 'signed', 'broadcast', 'confirmed'];

/** Moves one request to `to` within batch `batchId`, step by allowed step. */
export function advanceRequest(
  store: Store,
  requestId: string,
  to: 'signed' | 'broadcast' | 'confirmed',
  batchId: string,
  reason: string,
): void {
  let current = store.requestById(requestId);
  if (current === undefined) return;
  if (current.batchId !== batchId) {
    current = store.setRequestState(requestId, 'batched', { from: current.state, batchId, reason });
  }
  while (FORWARD.indexOf(current.state) < FORWARD.indexOf(to)) {
    const next = FORWARD[FORWARD.indexOf(current.state) + 1] as RequestState;
    current = store.setRequestState(requestId, next, { from: current.state, batchId, reason });
  }
}

/** The requests a batch pays right now (those whose batch_id is it). */
export function requestsOf(store: Store, batchId: string): string[] {
  return store.listRequests({ batchId, limit: 100_000 }).map((r) => r.requestId);
}
