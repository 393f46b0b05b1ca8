// Replay checks against the signer's own ledger (THREATS.md #7): a coin already spent in another
// transaction, or a request already paid, is refused — unless the package declares itself a fee
// bump of that very transaction and pays exactly its requests with a higher fee.
import { KuraError } from '../../errors.js';
import type { LedgerView } from '../ledger.js';

export interface ReplayContext {
  readonly txid: string;
  readonly outpoints: readonly string[];
  readonly requestIds: readonly string[];
  readonly feeSat: bigint;
  readonly bumps: string | undefined;
}

export type ReplayVerdict = { kind: 'new' } | { kind: 'same' } | { kind: 'bump'; replaces: string };

export function checkReplay(ledger: LedgerView, ctx: ReplayContext): ReplayVerdict {
  if (ledger.signed.has(ctx.txid)) return { kind: 'same' };
  const conflicts = new Set<string>();
  for (const outpoint of ctx.outpoints) {
    const earlier = ledger.spentBy.get(outpoint);
    if (earlier !== undefined) conflicts.add(earlier);
  }
  for (const requestId of ctx.requestIds) {
    for (const earlier of ledger.paidBy.get(requestId) ?? []) conflicts.add(earlier.txid);
  }
  if (conflicts.size === 0) return { kind: 'new' };

  const bumped = ctx.bumps === undefined ? undefined : ledger.signed.get(ctx.bumps);
  const sameRequests = (ids: readonly string[]) =>
    ids.length === ctx.requestIds.length && ids.every((id) => ctx.requestIds.includes(id));
  // Every conflict must be the declared transaction or an earlier bump of the same requests.
  const allowed =
    bumped !== undefined &&
    sameRequests(bumped.requests.map((r) => r.requestId)) &&
    ctx.feeSat > BigInt(bumped.feeSat) &&
    [...conflicts].every((txid) => {
      const earlier = ledger.signed.get(txid);
      return earlier !== undefined && sameRequests(earlier.requests.map((r) => r.requestId));
    });
  if (allowed && bumped !== undefined) return { kind: 'bump', replaces: bumped.txid };

  const outpoint = ctx.outpoints.find((o) => ledger.spentBy.has(o));
  if (outpoint !== undefined) {
    throw new KuraError(
      'LEDGER_OUTPOINT_REUSED',
      `coin ${outpoint} was already signed away in ${ledger.spentBy.get(outpoint)}; a fee bump must declare it and pay the same requests with a higher fee`,
      { field: 'inputs', outpoint, earlier: ledger.spentBy.get(outpoint) },
    );
  }
  const requestId = ctx.requestIds.find((id) => ledger.paidBy.has(id)) ?? '';
  throw new KuraError(
    'LEDGER_REQUEST_PAID',
    `request ${requestId.slice(0, 16)}… was already paid in ${ledger.paidBy.get(requestId)?.[0]?.txid}`,
    { field: 'requests', requestId },
  );
}
