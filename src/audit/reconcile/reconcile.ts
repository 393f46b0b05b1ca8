// `kura audit reconcile`: do the signers' ledgers and the coordinator's log tell the same story?
//
// For every withdrawal signature in every ledger (a 'sign' entry), the coordinator's log must show:
//   - the same wallet, and a signer that is one of the wallet's cosigners;
//   - a batch built under that batch id with exactly that txid (a fee bump: built as the
//     replacement of a batch whose txid is the one the signer says it bumped);
//   - every request the signature pays, taken in with the same amount, approved, and then put
//     into that batch — approval before batching, in the log's own order.
// For every transaction the log shows as broadcast, at least M (the wallet threshold, read from
// the descriptor in the log's first entry) distinct cosigners must have a ledger signature of its
// txid, and the coordinator must have logged at least M signed files for the batch.
//
// What this cannot check, with the data there is: the ledgers' and the log's clocks are different
// machines', so times are not compared; the log stores a signed file's SHA-256, not the signing
// receipt inside it, so a file cannot be tied to its ledger entry by hash; officer approvals are
// not re-verified here (every signer does that before signing). A proof-of-reserves signature (a
// 'proof' ledger entry) must match a 'reserves.prove' entry of the log with the same package id and
// txid (finding 'reserves-not-logged' otherwise). And a broadcast can only be counted against the ledgers supplied: give
// every signer's ledger, or a threshold short of receipts is reported.
import type { LoadedWallet } from '../../artifacts/walletFile.js';
import { KuraError } from '../../errors.js';
import type { LogVerification } from '../log/verify.js';
import { indexCoordinatorLog, type CoordinatorLogIndex } from './coordinatorLog.js';
import { ledgerSignatures, type LedgerSignature } from './ledgerSignatures.js';

export const FINDING_KINDS = [
  'wallet-mismatch',
  'unknown-cosigner',
  'batch-unknown',
  'txid-mismatch',
  'bump-mismatch',
  'request-unknown',
  'amount-mismatch',
  'request-not-approved',
  'request-not-in-batch',
  'reserves-not-logged',
  'broadcast-under-signed',
  'broadcast-few-signed-files',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** Worth knowing, not a disagreement. */
export type NoteKind = 'signature-not-received' | 'ledger-end-unchecked' | 'log-end-unchecked';

export interface Finding<K extends string = FindingKind> {
  readonly kind: K;
  readonly message: string;
  readonly ledger?: string;
  /** Entry number in the ledger (for ledger findings) or the log (for broadcast findings). */
  readonly position?: number;
  readonly batchId?: string;
  readonly txid?: string;
  readonly requestId?: string;
  readonly fingerprint?: string;
}

export interface ReconcileInput {
  readonly log: LogVerification;
  readonly ledgers: readonly { readonly name: string; readonly verification: LogVerification }[];
  /** The auditor's own copy of the wallet file: its id must be the log's, its threshold is used. */
  readonly wallet?: LoadedWallet;
}

export interface ReconcileReport {
  readonly ok: boolean;
  readonly log: {
    readonly entries: number;
    readonly head: string;
    readonly walletId: string;
    readonly network: string;
    readonly threshold: number;
    readonly cosigners: readonly string[];
  };
  readonly ledgers: readonly {
    readonly name: string;
    readonly entries: number;
    readonly head: string;
    readonly signatures: number;
    readonly fingerprints: readonly string[];
  }[];
  readonly checked: { readonly signatures: number; readonly broadcasts: number };
  readonly findings: readonly Finding[];
  readonly notes: readonly Finding<NoteKind>[];
}

function checkSignature(
  index: CoordinatorLogIndex,
  sig: LedgerSignature,
  found: (f: Omit<Finding, 'ledger' | 'position' | 'txid' | 'batchId'>) => void,
): void {
  if (sig.walletId !== index.walletId) {
    found({
      kind: 'wallet-mismatch',
      message: `signs for wallet ${sig.walletId}, the log's wallet is ${index.walletId}`,
    });
    return;
  }
  if (!index.cosigners.includes(sig.fingerprint)) {
    found({
      kind: 'unknown-cosigner',
      message: `is signed by ${sig.fingerprint}, not a cosigner of the wallet (${index.cosigners.join(', ')})`,
      fingerprint: sig.fingerprint,
    });
  }
  if (sig.purpose === 'reserves') {
    const loggedTxid = index.proofs.get(sig.batchId);
    if (loggedTxid !== sig.txid) {
      found({
        kind: 'reserves-not-logged',
        message:
          loggedTxid === undefined
            ? `is a proof-of-reserves signature for ${sig.batchId}, which the log never shows being built`
            : `is a proof-of-reserves signature of txid ${sig.txid}; the log built ${sig.batchId} as ${loggedTxid}`,
      });
    }
    return;
  }
  const batch = index.batches.get(sig.batchId);
  if (batch === undefined) {
    found({
      kind: 'batch-unknown',
      message: `is for batch ${sig.batchId}, which the log never shows being built`,
    });
    return;
  }
  if (batch.txid !== sig.txid) {
    found({
      kind: 'txid-mismatch',
      message: `is of txid ${sig.txid}; the log built batch ${sig.batchId} as ${batch.txid}`,
    });
    return;
  }
  if (sig.bumps !== undefined) {
    const replaced = batch.replacesBatch === undefined ? undefined : index.batches.get(batch.replacesBatch);
    if (replaced?.txid !== sig.bumps) {
      found({
        kind: 'bump-mismatch',
        message: `declares a fee bump of ${sig.bumps}, but the log built batch ${sig.batchId} ${replaced === undefined ? 'as no replacement' : `to replace ${replaced.txid}`}`,
      });
    }
  }
  for (const paid of sig.requests) {
    const request = index.requests.get(paid.requestId);
    if (request === undefined) {
      found({
        kind: 'request-unknown',
        message: `pays request ${paid.requestId}, which the log never took in`,
        requestId: paid.requestId,
      });
      continue;
    }
    if (request.amountSat !== paid.amountSat) {
      found({
        kind: 'amount-mismatch',
        message: `pays ${paid.amountSat} sats for request ${paid.requestId}; the log took it in for ${request.amountSat}`,
        requestId: paid.requestId,
      });
    }
    const batchedAt = request.batchedAt.get(sig.batchId);
    if (request.approvedAt === undefined || (batchedAt !== undefined && request.approvedAt > batchedAt)) {
      found({
        kind: 'request-not-approved',
        message: `pays request ${paid.requestId}, which the log never shows approved before it was batched`,
        requestId: paid.requestId,
      });
    }
    if (batchedAt === undefined) {
      found({
        kind: 'request-not-in-batch',
        message: `pays request ${paid.requestId}, which the log never put into batch ${sig.batchId}`,
        requestId: paid.requestId,
      });
    }
  }
}

export function reconcile(input: ReconcileInput): ReconcileReport {
  const index = indexCoordinatorLog(input.log.chain);
  if (input.wallet !== undefined && input.wallet.id !== index.walletId) {
    throw new KuraError(
      'WALLET_ID_MISMATCH',
      `the wallet file is wallet ${input.wallet.id}; the log is of wallet ${index.walletId}`,
      { field: 'wallet' },
    );
  }
  const findings: Finding[] = [];
  const notes: Finding<NoteKind>[] = [];
  if (!input.log.endChecked) {
    notes.push({
      kind: 'log-end-unchecked',
      message:
        'the log has no export header and no recorded head was given: entries cut off its end cannot be seen',
    });
  }
  /** txid → fingerprints with a ledger signature of it. */
  const receipts = new Map<string, Set<string>>();
  let signatures = 0;
  const ledgers = input.ledgers.map(({ name, verification }) => {
    const sigs = ledgerSignatures(verification.chain, name);
    if (!verification.endChecked) {
      notes.push({
        kind: 'ledger-end-unchecked',
        ledger: name,
        message: `ledger ${name} has no export header and no recorded head was given: entries cut off its end cannot be seen`,
      });
    }
    for (const sig of sigs) {
      signatures += 1;
      const where = { ledger: name, position: sig.position, txid: sig.txid, batchId: sig.batchId };
      checkSignature(index, sig, (f) =>
        findings.push({ ...where, ...f, message: `ledger ${name} entry ${sig.position} ${f.message}` }),
      );
      if (index.cosigners.includes(sig.fingerprint) && sig.walletId === index.walletId)
        receipts.set(sig.txid, (receipts.get(sig.txid) ?? new Set()).add(sig.fingerprint));
      const batch = index.batches.get(sig.batchId);
      if (batch !== undefined && batch.txid === sig.txid && !batch.signedFiles.has(sig.fingerprint)) {
        notes.push({
          kind: 'signature-not-received',
          ...where,
          fingerprint: sig.fingerprint,
          message: `ledger ${name} entry ${sig.position}: cosigner ${sig.fingerprint} signed batch ${sig.batchId}, but the log shows no signed file from it`,
        });
      }
    }
    return {
      name,
      entries: verification.entries,
      head: verification.head,
      signatures: sigs.length,
      fingerprints: [...new Set(sigs.map((s) => s.fingerprint))],
    };
  });

  const threshold = input.wallet?.wallet.threshold ?? index.threshold;
  let broadcasts = 0;
  for (const batch of index.batches.values()) {
    if (batch.broadcastAt === undefined) continue;
    broadcasts += 1;
    const where = { position: batch.broadcastAt, batchId: batch.batchId, txid: batch.txid };
    const signers = [...(receipts.get(batch.txid) ?? [])].sort();
    if (signers.length < threshold) {
      findings.push({
        kind: 'broadcast-under-signed',
        ...where,
        message: `log entry ${batch.broadcastAt} broadcasts batch ${batch.batchId} (${batch.txid}) with ${signers.length} signer receipt(s) in the ledgers${signers.length > 0 ? ` (${signers.join(', ')})` : ''}; the wallet needs ${threshold}`,
      });
    }
    if (batch.signedFiles.size < threshold) {
      findings.push({
        kind: 'broadcast-few-signed-files',
        ...where,
        message: `log entry ${batch.broadcastAt} broadcasts batch ${batch.batchId} with ${batch.signedFiles.size} signed file(s) logged; the wallet needs ${threshold}`,
      });
    }
  }

  return {
    ok: findings.length === 0,
    log: {
      entries: input.log.entries,
      head: input.log.head,
      walletId: index.walletId,
      network: index.network,
      threshold,
      cosigners: index.cosigners,
    },
    ledgers,
    checked: { signatures, broadcasts },
    findings,
    notes,
  };
}
