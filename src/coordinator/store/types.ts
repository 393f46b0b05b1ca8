// What the store holds, as the rest of the coordinator sees it: plain values, money as bigint.
// The state lists match the CHECK constraints of schema.sql.
import type { NetworkName } from '../../bitcoin/networks.js';

export interface StoreMeta {
  readonly network: NetworkName;
  readonly walletId: string;
  readonly policyHash: string;
  readonly createdAt: number;
  readonly birthdayHeight: number;
}

export const REQUEST_STATES = [
  'pending_approval',
  'approved',
  'batched',
  'signed',
  'broadcast',
  'confirmed',
  'rejected',
  'cancelled',
  'expired',
] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

/** States in which a request belongs to a batch (the schema requires batch_id exactly then). */
export const BATCHED_STATES: readonly RequestState[] = ['batched', 'signed', 'broadcast', 'confirmed'];

/**
 * The moves a request may make. Anything else is COORDINATOR_STATE_CONFLICT. Backward moves
 * exist for a reason each: batched/signed → approved when a batch is cancelled before broadcast;
 * broadcast → batched when a fee bump replaces the transaction (new signatures needed);
 * confirmed → broadcast when a reorg takes the paying block away.
 */
export const REQUEST_TRANSITIONS: Readonly<Record<RequestState, readonly RequestState[]>> = {
  pending_approval: ['approved', 'rejected', 'cancelled', 'expired'],
  approved: ['batched', 'cancelled', 'expired'],
  batched: ['approved', 'signed', 'batched'],
  signed: ['approved', 'broadcast', 'batched'],
  broadcast: ['confirmed', 'batched'],
  confirmed: ['broadcast'],
  rejected: [],
  cancelled: [],
  expired: [],
};

export interface NewRequest {
  readonly requestId: string;
  readonly clientId: string;
  readonly idempotencyKey: string;
  /** SHA-256 of the client's request body in canonical form: what idempotency compares. */
  readonly bodySha256: string;
  readonly destination: string;
  /** Lowercase hex, derived from the destination for the wallet's network. */
  readonly scriptPubKey: string;
  readonly amountSat: bigint;
  readonly policyHash: string;
  readonly expiresAt: number;
  /** A request the policy refused at intake is stored as rejected, with every reason. */
  readonly refusal?: unknown;
}

export interface RequestRecord extends Omit<NewRequest, 'refusal'> {
  readonly state: RequestState;
  readonly batchId: string | null;
  readonly refusal: unknown;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface ApprovalRecord {
  readonly requestId: string;
  readonly officerPublicKey: string;
  readonly approvedAt: number;
  readonly signature: string;
  readonly receivedAt: number;
}

export type Branch = 0 | 1;

export interface AddressRecord {
  readonly branch: Branch;
  readonly addressIndex: number;
  readonly scriptPubKey: string;
  readonly used: boolean;
  readonly issued: boolean;
}

/** The highest index of a branch stored, paid and handed out; -1 for none. */
export interface BranchSummary {
  readonly lastDerived: number;
  readonly lastUsed: number;
  readonly lastIssued: number;
}

export interface BlockRecord {
  readonly height: number;
  readonly hash: string;
  readonly prevHash: string;
}

export interface Outpoint {
  readonly txid: string;
  readonly vout: number;
}

export interface NewCoin extends Outpoint {
  readonly branch: Branch;
  readonly addressIndex: number;
  readonly scriptPubKey: string;
  readonly valueSat: bigint;
  readonly coinbase: boolean;
  /** The block that confirms it, or null while it is in the mempool. */
  readonly block: { readonly height: number; readonly hash: string } | null;
}

export interface CoinRecord extends Outpoint {
  readonly branch: Branch;
  readonly addressIndex: number;
  readonly scriptPubKey: string;
  readonly valueSat: bigint;
  readonly coinbase: boolean;
  readonly height: number | null;
  readonly blockHash: string | null;
  readonly spentByTxid: string | null;
  readonly spentHeight: number | null;
  readonly lockedByBatch: string | null;
}

/** The wallet's unspent coins split three ways; the parts are disjoint and add up to the total. */
export interface Balance {
  /** Confirmed, unspent, not locked to a batch. */
  readonly confirmedSat: bigint;
  /** In the mempool, unspent, not locked. */
  readonly unconfirmedSat: bigint;
  /** Unspent but locked to a batch that spends them (confirmed or not). */
  readonly lockedSat: bigint;
}

export interface RollbackResult {
  readonly toHeight: number;
  readonly blocksRemoved: number;
  /** Coins whose confirming block went away: back to unconfirmed. */
  readonly unconfirmed: readonly Outpoint[];
  /** Coinbase coins of a removed block: gone. */
  readonly removed: readonly Outpoint[];
  /** Coins whose spending transaction's block went away: unspent again (their locks stay). */
  readonly unspent: readonly Outpoint[];
}

export const BATCH_STATES = [
  'built',
  'signed',
  'finalized',
  'broadcast',
  'confirmed',
  'cancelled',
  'replaced',
] as const;
export type BatchState = (typeof BATCH_STATES)[number];

/** The moves a batch may make; 'broadcast' → 'finalized' undoes a broadcast the node dropped. */
export const BATCH_TRANSITIONS: Readonly<Record<BatchState, readonly BatchState[]>> = {
  built: ['signed', 'finalized', 'cancelled', 'replaced'],
  signed: ['finalized', 'cancelled', 'replaced'],
  finalized: ['broadcast', 'replaced'],
  broadcast: ['confirmed', 'replaced', 'finalized'],
  confirmed: ['broadcast'],
  cancelled: [],
  replaced: [],
};

export interface NewBatch {
  readonly batchId: string;
  readonly psbt: Uint8Array;
  readonly txid: string;
  readonly feeSat: bigint;
  readonly feeRateSatVb: number;
  readonly replacesBatch?: string;
}

export interface BatchRecord {
  readonly batchId: string;
  readonly state: BatchState;
  readonly psbt: Uint8Array;
  readonly txid: string;
  readonly feeSat: bigint;
  readonly feeRateSatVb: number;
  readonly replacesBatch: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly finalTx: Uint8Array | null;
}

export interface BatchSignatureRecord {
  readonly batchId: string;
  readonly fingerprint: string;
  readonly psbt: Uint8Array;
  readonly receivedAt: number;
}

export const TOKEN_ROLES = ['intake', 'officer', 'operator', 'auditor'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

export interface TokenRecord {
  readonly tokenId: string;
  readonly role: TokenRole;
  readonly tokenSha256: string;
  readonly label: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}
