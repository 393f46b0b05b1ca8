// The signer's own ledger: every registration, policy pin, signature and proof of reserves,
// hash-chained in the format of the coordinator's audit log. The signer decides from this file
// alone — never from anything the coordinator says — which coins it already spent, which requests
// it already paid, and how much left in the last 24 hours (THREATS.md #7).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../artifacts/atomicWrite.js';
import { appendEntry, parseChain, serializeChain, type ChainEntry } from '../artifacts/hashChain.js';
import { readBoundedFile } from '../artifacts/readFile.js';

export const LEDGER_FILE = 'ledger.jsonl';
const MAX_LEDGER_BYTES = 256 * 1024 * 1024;
const DAY_SECONDS = 24 * 60 * 60;

export interface SignedEntryData {
  readonly txid: string;
  readonly batchId: string;
  readonly purpose: 'withdrawal' | 'reserves';
  readonly walletId: string;
  readonly fingerprint: string;
  readonly outpoints: readonly string[];
  readonly requests: readonly { requestId: string; amountSat: string }[];
  readonly feeSat: string;
  /** The txid this signature replaces as a declared fee bump, if any. */
  readonly bumps?: string;
}

/**
 * A signed proof of reserves (type 'proof'). Its coins are NOT spent: the transaction can never
 * be mined, so a proof entry never makes LedgerView refuse a later withdrawal of the same coins.
 */
export interface ProofEntryData {
  readonly txid: string;
  readonly batchId: string;
  readonly walletId: string;
  readonly fingerprint: string;
  readonly message: string;
  readonly coins: number;
  readonly totalSat: string;
  readonly outpoints: readonly string[];
}

export type LedgerEntry = ChainEntry;

export function ledgerPath(home: string): string {
  return join(home, LEDGER_FILE);
}

export function readLedger(home: string): ChainEntry[] {
  const path = ledgerPath(home);
  if (!existsSync(path)) return [];
  return parseChain(
    readBoundedFile(path, MAX_LEDGER_BYTES, 'ledger').toString('utf8'),
    'LEDGER_CORRUPT',
    'ledger',
  );
}

/** Appends one entry; the whole file is rewritten atomically so a crash leaves old or new. */
export function appendLedger<T>(home: string, type: string, data: T, time: number): ChainEntry<T> {
  const chain = readLedger(home);
  const entry = appendEntry(chain, type, data, time);
  writeFileAtomic(ledgerPath(home), serializeChain([...chain, entry]), { mode: 0o600 });
  return entry;
}

/** What the ledger says about past signatures, indexed for the checks. */
export class LedgerView {
  /** outpoint "txid:vout" → txid of the transaction that spent it. */
  readonly spentBy = new Map<string, string>();
  /** requestId → the signing entries that paid it (fee bumps add entries). */
  readonly paidBy = new Map<string, SignedEntryData[]>();
  readonly signed = new Map<string, SignedEntryData & { time: number }>();
  /** txid → the proof of reserves signed with it (kept apart from `signed`: it spends nothing). */
  readonly proofs = new Map<string, ProofEntryData & { time: number }>();

  constructor(readonly entries: readonly ChainEntry[]) {
    for (const entry of entries) {
      if (entry.type === 'proof') {
        const proof = entry.data as ProofEntryData;
        this.proofs.set(proof.txid, { ...proof, time: entry.time });
      }
      if (entry.type !== 'sign') continue;
      const data = entry.data as SignedEntryData;
      this.signed.set(data.txid, { ...data, time: entry.time });
      for (const outpoint of data.outpoints) this.spentBy.set(outpoint, data.txid);
      for (const r of data.requests)
        this.paidBy.set(r.requestId, [...(this.paidBy.get(r.requestId) ?? []), data]);
    }
  }

  /**
   * Amount and count of distinct requests first paid in the 24 hours before `now`, leaving out
   * the requests named in `excluding` (a package's own requests, when it pays them again).
   */
  usage24h(now: number, excluding: ReadonlySet<string> = new Set()): { amountSat: bigint; count: number } {
    const firstPaid = new Map<string, { time: number; amountSat: bigint }>();
    for (const entry of this.entries) {
      if (entry.type !== 'sign') continue;
      for (const r of (entry.data as SignedEntryData).requests) {
        if (!firstPaid.has(r.requestId))
          firstPaid.set(r.requestId, { time: entry.time, amountSat: BigInt(r.amountSat) });
      }
    }
    let amountSat = 0n;
    let count = 0;
    for (const [requestId, { time, amountSat: a }] of firstPaid) {
      if (time > now - DAY_SECONDS && !excluding.has(requestId)) {
        amountSat += a;
        count += 1;
      }
    }
    return { amountSat, count };
  }
}
