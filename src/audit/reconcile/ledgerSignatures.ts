// The signatures a signer's ledger records, written by src/signer/signCeremony.ts before the
// signed file (src/signer/ledger.ts): 'sign' entries for withdrawals (SignedEntryData) and 'proof'
// entries for proofs of reserves (ProofEntryData, which pay no request). They are checked field by
// field as they enter the auditor's hands. A ledger is the signer's own word, kept offline.
import type { ChainEntry } from '../../artifacts/hashChain.js';
import { KuraError } from '../../errors.js';

export interface LedgerSignature {
  /** 1-based entry number in the ledger. */
  readonly position: number;
  readonly time: number;
  readonly txid: string;
  readonly batchId: string;
  readonly purpose: 'withdrawal' | 'reserves';
  readonly walletId: string;
  readonly fingerprint: string;
  readonly requests: readonly { readonly requestId: string; readonly amountSat: string }[];
  readonly bumps?: string;
}

const HEX32 = /^[0-9a-f]{64}$/;

export function ledgerSignatures(chain: readonly ChainEntry[], ledger: string): LedgerSignature[] {
  return chain
    .filter((entry) => entry.type === 'sign' || entry.type === 'proof')
    .map((entry) => {
      const fail = (field: string) =>
        new KuraError(
          'AUDIT_LOG_MALFORMED',
          `ledger ${ledger} entry ${entry.seq} (${entry.type}) "${field}" is missing or malformed`,
          {
            ledger,
            position: entry.seq,
            field,
          },
        );
      const d = entry.data;
      if (typeof d !== 'object' || d === null || Array.isArray(d)) throw fail('data');
      const o = d as Record<string, unknown>;
      const text = (field: string, pattern: RegExp): string => {
        const v = o[field];
        if (typeof v !== 'string' || !pattern.test(v)) throw fail(field);
        return v;
      };
      // a 'proof' entry has no purpose field: it is a proof of reserves by its type
      const purpose = entry.type === 'proof' ? 'reserves' : o.purpose;
      if (purpose !== 'withdrawal' && purpose !== 'reserves') throw fail('purpose');
      const listed = entry.type === 'proof' ? [] : o.requests;
      if (!Array.isArray(listed)) throw fail('requests');
      const requests = listed.map((r: unknown, i) => {
        const request = (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown>;
        if (typeof request.requestId !== 'string' || !HEX32.test(request.requestId))
          throw fail(`requests[${i}].requestId`);
        if (typeof request.amountSat !== 'string' || !/^[0-9]{1,30}$/.test(request.amountSat))
          throw fail(`requests[${i}].amountSat`);
        return { requestId: request.requestId, amountSat: request.amountSat };
      });
      const bumps = o.bumps === undefined ? undefined : text('bumps', HEX32);
      return {
        position: entry.seq,
        time: entry.time,
        txid: text('txid', HEX32),
        batchId: text('batchId', /^.{1,200}$/s),
        purpose,
        walletId: text('walletId', HEX32),
        fingerprint: text('fingerprint', /^[0-9a-f]{8}$/),
        requests,
        ...(bumps === undefined ? {} : { bumps }),
      };
    });
}
