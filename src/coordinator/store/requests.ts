// Withdrawal requests and officers' approvals. Whether a request passes the policy and whether an
// approval's signature verifies is decided before these functions are called; here they are
// stored with their idempotency, uniqueness and state rules.
import { KuraError } from '../../errors.js';
import type { Row, Sql } from './database.js';
import { int, jsonOrNull, oneOf, sats, satsSum, text, textOrNull } from './rows.js';
import type { Tx } from './tx.js';
import {
  BATCHED_STATES,
  REQUEST_STATES,
  REQUEST_TRANSITIONS,
  type ApprovalRecord,
  type NewRequest,
  type RequestRecord,
  type RequestState,
} from './types.js';
import { batchIdOf, hexOf, integerOf, satsOf, scriptHex, textOf } from './validate.js';

const COLUMNS =
  'request_id, client_id, idempotency_key, body_sha256, destination, script_pubkey, amount_sat, ' +
  'policy_hash, expires_at, created_at, updated_at, state, batch_id, refusal';

function requestOf(row: Row): RequestRecord {
  return {
    requestId: text(row, 'request_id'),
    clientId: text(row, 'client_id'),
    idempotencyKey: text(row, 'idempotency_key'),
    bodySha256: text(row, 'body_sha256'),
    destination: text(row, 'destination'),
    scriptPubKey: text(row, 'script_pubkey'),
    amountSat: sats(row, 'amount_sat'),
    policyHash: text(row, 'policy_hash'),
    expiresAt: int(row, 'expires_at'),
    createdAt: int(row, 'created_at'),
    updatedAt: int(row, 'updated_at'),
    state: oneOf(row, 'state', REQUEST_STATES),
    batchId: textOrNull(row, 'batch_id'),
    refusal: jsonOrNull(row, 'refusal'),
  };
}

function notFound(requestId: string): KuraError {
  return new KuraError('COORDINATOR_NOT_FOUND', `no request has "requestId" ${requestId}`, {
    field: 'requestId',
    requestId,
  });
}

export function requestById(sql: Sql, requestId: string): RequestRecord | undefined {
  const row = sql.get(`SELECT ${COLUMNS} FROM requests WHERE request_id = ?`, requestId);
  return row === undefined ? undefined : requestOf(row);
}

export function requestByIdempotencyKey(
  sql: Sql,
  clientId: string,
  idempotencyKey: string,
): RequestRecord | undefined {
  const row = sql.get(
    `SELECT ${COLUMNS} FROM requests WHERE client_id = ? AND idempotency_key = ?`,
    clientId,
    idempotencyKey,
  );
  return row === undefined ? undefined : requestOf(row);
}

export interface RequestQuery {
  readonly state?: RequestState;
  readonly batchId?: string;
  /** At most this many, oldest first, in arrival order within a second (default 1000). */
  readonly limit?: number;
}

export function listRequests(sql: Sql, query: RequestQuery = {}): RequestRecord[] {
  const limit = integerOf(query.limit ?? 1000, 'limit', 1, 100_000);
  const rows = sql.all(
    `SELECT ${COLUMNS} FROM requests WHERE (@state IS NULL OR state = @state)
     AND (@batchId IS NULL OR batch_id = @batchId) ORDER BY created_at, rowid LIMIT @limit`,
    { state: query.state ?? null, batchId: query.batchId ?? null, limit },
  );
  return rows.map(requestOf);
}

export function countRequestsByState(sql: Sql): Record<RequestState, number> {
  const counts = Object.fromEntries(REQUEST_STATES.map((s) => [s, 0])) as Record<RequestState, number>;
  for (const row of sql.all('SELECT state, count(*) AS n FROM requests GROUP BY state')) {
    counts[oneOf(row, 'state', REQUEST_STATES)] = int(row, 'n');
  }
  return counts;
}

function checkNewRequest(input: NewRequest): void {
  hexOf(input.requestId, 'requestId');
  textOf(input.clientId, 'clientId', 128);
  textOf(input.idempotencyKey, 'idempotencyKey', 128);
  hexOf(input.bodySha256, 'bodySha256');
  textOf(input.destination, 'destination', 128);
  scriptHex(input.scriptPubKey, 'scriptPubKey');
  satsOf(input.amountSat, 'amountSat');
  hexOf(input.policyHash, 'policyHash');
  integerOf(input.expiresAt, 'expiresAt', 0);
}

/**
 * Stores a new request, or returns the one this client already stored under the same
 * idempotency key with the same body (created: false, nothing written). The same key with
 * another body is COORDINATOR_IDEMPOTENCY_CONFLICT. A request with a `refusal` is stored as
 * rejected, so that a retry with the same key gets the same refusal back.
 */
export function insertRequest(tx: Tx, input: NewRequest): { request: RequestRecord; created: boolean } {
  checkNewRequest(input);
  const existing = requestByIdempotencyKey(tx.sql, input.clientId, input.idempotencyKey);
  if (existing !== undefined) {
    if (existing.bodySha256 !== input.bodySha256) {
      throw new KuraError(
        'COORDINATOR_IDEMPOTENCY_CONFLICT',
        `"idempotencyKey" ${JSON.stringify(input.idempotencyKey)} was already used for another request body`,
        { field: 'idempotencyKey', requestId: existing.requestId },
      );
    }
    return { request: existing, created: false };
  }
  const state: RequestState = input.refusal === undefined ? 'pending_approval' : 'rejected';
  const refusal = input.refusal === undefined ? null : JSON.stringify(input.refusal);
  tx.sql.run(
    `INSERT INTO requests (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
    input.requestId,
    input.clientId,
    input.idempotencyKey,
    input.bodySha256,
    input.destination,
    input.scriptPubKey,
    input.amountSat,
    input.policyHash,
    input.expiresAt,
    tx.now,
    tx.now,
    state,
    refusal,
  );
  // The fields the client's request fixed: the audit entry and the record returned both carry them.
  const fields = {
    requestId: input.requestId,
    clientId: input.clientId,
    idempotencyKey: input.idempotencyKey,
    bodySha256: input.bodySha256,
    destination: input.destination,
    scriptPubKey: input.scriptPubKey,
    amountSat: input.amountSat,
    policyHash: input.policyHash,
    expiresAt: input.expiresAt,
  };
  tx.audit(state === 'rejected' ? 'request.reject' : 'request.create', {
    ...fields,
    state,
    ...(input.refusal === undefined ? {} : { refusal: input.refusal }),
  });
  // The row as written (the CHECKs passed, so it reads back the same): no need to read it again.
  const request: RequestRecord = {
    ...fields,
    createdAt: tx.now,
    updatedAt: tx.now,
    state,
    batchId: null,
    refusal: refusal === null ? null : (JSON.parse(refusal) as unknown),
  };
  return { request, created: true };
}

export interface StateChange {
  /** Refuse unless the request is in this state now (compare-and-set). */
  readonly from?: RequestState;
  /** The batch, when moving into a batched state (kept from before when omitted). */
  readonly batchId?: string;
  /** Why, for the audit entry: "quorum met", "batch b1 cancelled", … */
  readonly reason?: string;
}

/** Moves a request along REQUEST_TRANSITIONS; any other move is COORDINATOR_STATE_CONFLICT. */
export function setRequestState(
  tx: Tx,
  requestId: string,
  to: RequestState,
  change: StateChange = {},
): RequestRecord {
  const current = requestById(tx.sql, requestId);
  if (current === undefined) throw notFound(requestId);
  const allowed = REQUEST_TRANSITIONS[current.state];
  if ((change.from !== undefined && current.state !== change.from) || !allowed.includes(to)) {
    throw new KuraError(
      'COORDINATOR_STATE_CONFLICT',
      `request ${requestId} is ${current.state}; it cannot become ${to}`,
      { field: 'state', requestId, state: current.state, to, expected: change.from },
    );
  }
  let batchId: string | null = null;
  if (BATCHED_STATES.includes(to)) {
    batchId = change.batchId === undefined ? current.batchId : batchIdOf(change.batchId);
    if (batchId === null) {
      throw new KuraError('ARGUMENT_INVALID', `"batchId" is needed for a request to become ${to}`, {
        field: 'batchId',
      });
    }
  }
  tx.sql.run(
    'UPDATE requests SET state = ?, batch_id = ?, updated_at = max(updated_at, ?) WHERE request_id = ?',
    to,
    batchId,
    tx.now,
    requestId,
  );
  tx.audit('request.state', {
    requestId,
    from: current.state,
    to,
    ...(batchId === null ? {} : { batchId }),
    ...(change.reason === undefined ? {} : { reason: change.reason }),
  });
  return { ...current, state: to, batchId, updatedAt: Math.max(current.updatedAt, tx.now) };
}

export interface NewApproval {
  readonly requestId: string;
  readonly officerPublicKey: string;
  readonly approvedAt: number;
  readonly signature: string;
}

function approvalOf(row: Row): ApprovalRecord {
  return {
    requestId: text(row, 'request_id'),
    officerPublicKey: text(row, 'officer_public_key'),
    approvedAt: int(row, 'approved_at'),
    signature: text(row, 'signature'),
    receivedAt: int(row, 'received_at'),
  };
}

export function approvalsFor(sql: Sql, requestId: string): ApprovalRecord[] {
  return sql
    .all(
      `SELECT request_id, officer_public_key, approved_at, signature, received_at FROM approvals
       WHERE request_id = ? ORDER BY approved_at, officer_public_key`,
      requestId,
    )
    .map(approvalOf);
}

/**
 * Stores a verified approval. One per officer per request: the same approval again is a no-op
 * (added: false); another approval by the same officer is COORDINATOR_DUPLICATE.
 */
export function addApproval(tx: Tx, input: NewApproval): { approval: ApprovalRecord; added: boolean } {
  hexOf(input.officerPublicKey, 'officerPublicKey');
  hexOf(input.signature, 'signature', 64);
  integerOf(input.approvedAt, 'approvedAt', 0);
  if (requestById(tx.sql, input.requestId) === undefined) throw notFound(input.requestId);
  const existing = approvalsFor(tx.sql, input.requestId).find(
    (a) => a.officerPublicKey === input.officerPublicKey,
  );
  if (existing !== undefined) {
    if (existing.signature === input.signature && existing.approvedAt === input.approvedAt) {
      return { approval: existing, added: false };
    }
    throw new KuraError(
      'COORDINATOR_DUPLICATE',
      `officer ${input.officerPublicKey} already approved request ${input.requestId}`,
      { field: 'officerPublicKey', requestId: input.requestId, officerPublicKey: input.officerPublicKey },
    );
  }
  tx.sql.run(
    `INSERT INTO approvals (request_id, officer_public_key, approved_at, signature, received_at)
     VALUES (?, ?, ?, ?, ?)`,
    input.requestId,
    input.officerPublicKey,
    input.approvedAt,
    input.signature,
    tx.now,
  );
  tx.audit('approval.add', { ...input });
  return { approval: { ...input, receivedAt: tx.now }, added: true };
}

/**
 * What the rolling 24 h limits count (docs/intake.md): requests created after `since` (unix
 * seconds, exclusive) that were not rejected, cancelled or expired — pending, approved and paid
 * alike, since each of them is money that may leave.
 */
export function requestUsageSince(sql: Sql, since: number): { amountSat: bigint; count: number } {
  integerOf(since, 'since', Number.MIN_SAFE_INTEGER);
  // (since, ∞) = the rest of since's minute, read row by row, + the whole minutes to the end of
  // its hour + every whole hour after: never more than a minute of rows, 59 minutes and the
  // hours up to now (usage.sql keeps the per-minute and per-hour totals).
  const minute = Math.floor(since / 60);
  const hour = Math.floor(since / 3600);
  const parts = [
    sql.get(
      `SELECT count(*) AS n, sum(amount_sat) AS total FROM requests
       WHERE created_at > ? AND created_at < ? AND state NOT IN ('rejected', 'cancelled', 'expired')`,
      since,
      (minute + 1) * 60,
    ),
    sql.get(
      'SELECT sum(count) AS n, sum(amount_sat) AS total FROM usage_by_minute WHERE minute > ? AND minute < ?',
      minute,
      (hour + 1) * 60,
    ),
    sql.get('SELECT sum(count) AS n, sum(amount_sat) AS total FROM usage_by_hour WHERE hour > ?', hour),
  ];
  let amountSat = 0n;
  let count = 0;
  for (const row of parts) {
    if (row === undefined) throw new KuraError('INTERNAL', 'a sum query returned no row');
    amountSat += satsSum(row, 'total');
    count += row.n === null ? 0 : int(row, 'n');
  }
  return { amountSat, count };
}
