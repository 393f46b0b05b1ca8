// Batches (the PSBTs handed to the signers) and the signed PSBTs that come back, one per cosigner.
import { bytesToHex } from '@noble/hashes/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { KuraError } from '../../errors.js';
import type { Row, Sql } from './database.js';
import { blob, blobOrNull, int, oneOf, sats, text, textOrNull } from './rows.js';
import type { Tx } from './tx.js';
import {
  BATCH_STATES,
  BATCH_TRANSITIONS,
  type BatchRecord,
  type BatchSignatureRecord,
  type BatchState,
  type NewBatch,
} from './types.js';
import { batchIdOf, bytesOf, hexOf, integerOf, satsOf } from './validate.js';

const COLUMNS =
  'batch_id, state, psbt, txid, fee_sat, fee_rate_sat_vb, replaces_batch, created_at, updated_at, final_tx';

function batchOf(row: Row): BatchRecord {
  return {
    batchId: text(row, 'batch_id'),
    state: oneOf(row, 'state', BATCH_STATES),
    psbt: blob(row, 'psbt'),
    txid: text(row, 'txid'),
    feeSat: sats(row, 'fee_sat'),
    feeRateSatVb: int(row, 'fee_rate_sat_vb'),
    replacesBatch: textOrNull(row, 'replaces_batch'),
    createdAt: int(row, 'created_at'),
    updatedAt: int(row, 'updated_at'),
    finalTx: blobOrNull(row, 'final_tx'),
  };
}

function notFound(batchId: string): KuraError {
  return new KuraError('COORDINATOR_NOT_FOUND', `no batch has "batchId" ${batchId}`, {
    field: 'batchId',
    batchId,
  });
}

export function batchById(sql: Sql, batchId: string): BatchRecord | undefined {
  const row = sql.get(`SELECT ${COLUMNS} FROM batches WHERE batch_id = ?`, batchId);
  return row === undefined ? undefined : batchOf(row);
}

export function listBatches(sql: Sql, state?: BatchState): BatchRecord[] {
  return sql
    .all(
      `SELECT ${COLUMNS} FROM batches WHERE (@state IS NULL OR state = @state) ORDER BY created_at, batch_id`,
      {
        state: state ?? null,
      },
    )
    .map(batchOf);
}

/** Every batch whose unsigned transaction has this txid (a cancelled one may share it with its rebuild). */
export function batchesByTxid(sql: Sql, txid: string): BatchRecord[] {
  hexOf(txid, 'txid');
  return sql
    .all(`SELECT ${COLUMNS} FROM batches WHERE txid = ? ORDER BY created_at, batch_id`, txid)
    .map(batchOf);
}

const digest = (bytes: Uint8Array): string => bytesToHex(sha256(bytes));

/** Stores a newly built batch in state 'built'. Locking its coins and batching its requests are separate calls. */
export function insertBatch(tx: Tx, input: NewBatch): BatchRecord {
  batchIdOf(input.batchId);
  bytesOf(input.psbt, 'psbt');
  hexOf(input.txid, 'txid');
  satsOf(input.feeSat, 'feeSat', 0n);
  integerOf(input.feeRateSatVb, 'feeRateSatVb', 1);
  if (batchById(tx.sql, input.batchId) !== undefined) {
    throw new KuraError('COORDINATOR_DUPLICATE', `a batch with "batchId" ${input.batchId} exists`, {
      field: 'batchId',
    });
  }
  if (input.replacesBatch !== undefined && batchById(tx.sql, input.replacesBatch) === undefined) {
    throw notFound(input.replacesBatch);
  }
  tx.sql.run(
    `INSERT INTO batches (${COLUMNS}) VALUES (?, 'built', ?, ?, ?, ?, ?, ?, ?, NULL)`,
    input.batchId,
    input.psbt,
    input.txid,
    input.feeSat,
    input.feeRateSatVb,
    input.replacesBatch ?? null,
    tx.now,
    tx.now,
  );
  tx.audit('batch.build', {
    batchId: input.batchId,
    txid: input.txid,
    feeSat: input.feeSat,
    feeRateSatVb: input.feeRateSatVb,
    psbtSha256: digest(input.psbt),
    ...(input.replacesBatch === undefined ? {} : { replacesBatch: input.replacesBatch }),
  });
  const batch = batchById(tx.sql, input.batchId);
  if (batch === undefined) throw new KuraError('INTERNAL', 'a stored batch cannot be read back');
  return batch;
}

export interface BatchStateChange {
  readonly from?: BatchState;
  /** The finalized transaction, required to enter 'finalized'. */
  readonly finalTx?: Uint8Array;
  readonly reason?: string;
}

/** Moves a batch along BATCH_TRANSITIONS; any other move is COORDINATOR_STATE_CONFLICT. */
export function setBatchState(
  tx: Tx,
  batchId: string,
  to: BatchState,
  change: BatchStateChange = {},
): BatchRecord {
  const current = batchById(tx.sql, batchId);
  if (current === undefined) throw notFound(batchId);
  if (
    (change.from !== undefined && current.state !== change.from) ||
    !BATCH_TRANSITIONS[current.state].includes(to)
  ) {
    throw new KuraError(
      'COORDINATOR_STATE_CONFLICT',
      `batch ${batchId} is ${current.state}; it cannot become ${to}`,
      {
        field: 'state',
        batchId,
        state: current.state,
        to,
        expected: change.from,
      },
    );
  }
  if (change.finalTx !== undefined) bytesOf(change.finalTx, 'finalTx');
  const finalTx = change.finalTx ?? current.finalTx;
  if (to === 'finalized' && finalTx === null) {
    throw new KuraError('ARGUMENT_INVALID', '"finalTx" is needed for a batch to become finalized', {
      field: 'finalTx',
    });
  }
  tx.sql.run(
    'UPDATE batches SET state = ?, final_tx = ?, updated_at = max(updated_at, ?) WHERE batch_id = ?',
    to,
    finalTx,
    tx.now,
    batchId,
  );
  tx.audit('batch.state', {
    batchId,
    from: current.state,
    to,
    ...(change.finalTx === undefined ? {} : { finalTxSha256: digest(change.finalTx) }),
    ...(change.reason === undefined ? {} : { reason: change.reason }),
  });
  return { ...current, state: to, finalTx, updatedAt: Math.max(current.updatedAt, tx.now) };
}

function signatureOf(row: Row): BatchSignatureRecord {
  return {
    batchId: text(row, 'batch_id'),
    fingerprint: text(row, 'fingerprint'),
    psbt: blob(row, 'psbt'),
    receivedAt: int(row, 'received_at'),
  };
}

export function batchSignatures(sql: Sql, batchId: string): BatchSignatureRecord[] {
  return sql
    .all(
      'SELECT batch_id, fingerprint, psbt, received_at FROM batch_signatures WHERE batch_id = ? ORDER BY fingerprint',
      batchId,
    )
    .map(signatureOf);
}

/**
 * Stores a cosigner's signed PSBT (checked by the caller). The same file again is a no-op
 * (added: false); a different one from the same cosigner is COORDINATOR_DUPLICATE.
 */
export function addBatchSignature(
  tx: Tx,
  input: { batchId: string; fingerprint: string; psbt: Uint8Array },
): { added: boolean } {
  hexOf(input.fingerprint, 'fingerprint', 4);
  bytesOf(input.psbt, 'psbt');
  if (batchById(tx.sql, input.batchId) === undefined) throw notFound(input.batchId);
  const existing = batchSignatures(tx.sql, input.batchId).find((s) => s.fingerprint === input.fingerprint);
  if (existing !== undefined) {
    if (digest(existing.psbt) === digest(input.psbt)) return { added: false };
    throw new KuraError(
      'COORDINATOR_DUPLICATE',
      `cosigner ${input.fingerprint} already signed batch ${input.batchId} with another file`,
      { field: 'fingerprint', batchId: input.batchId, fingerprint: input.fingerprint },
    );
  }
  tx.sql.run(
    'INSERT INTO batch_signatures (batch_id, fingerprint, psbt, received_at) VALUES (?, ?, ?, ?)',
    input.batchId,
    input.fingerprint,
    input.psbt,
    tx.now,
  );
  tx.audit('batch.signature', {
    batchId: input.batchId,
    fingerprint: input.fingerprint,
    psbtSha256: digest(input.psbt),
  });
  return { added: true };
}
