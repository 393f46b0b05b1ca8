// The audit log in SQLite: the hash chain of src/artifacts/hashChain.ts, one row per entry. An
// entry is appended only from inside a store transaction, reading the last entry in that same
// transaction, so the state change and its entry commit together or not at all.
import {
  entryHashOfJson,
  GENESIS_HASH,
  parseChain,
  serializeChain,
  type ChainEntry,
} from '../../artifacts/hashChain.js';
import { KuraError } from '../../errors.js';
import type { Sql } from './database.js';
import { int, text } from './rows.js';

/**
 * Audit data as the JSON text that is stored and hashed: bigints become decimal strings (amounts
 * stay exact) and undefined fields disappear, so what an auditor parses back is exactly what was
 * hashed.
 */
export function auditJson(data: unknown): string {
  const json = JSON.stringify(data, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  if (json === undefined) throw new KuraError('INTERNAL', 'audit data must be a JSON value');
  return json;
}

function entryOf(row: Record<string, unknown>): ChainEntry {
  let data: unknown;
  try {
    data = JSON.parse(text(row, 'data')) as unknown;
  } catch (cause) {
    throw new KuraError('STORE_CORRUPT', 'audit_log "data" is not JSON', { field: 'data' }, cause);
  }
  return {
    seq: int(row, 'seq'),
    time: int(row, 'time'),
    type: text(row, 'type'),
    data,
    prev: text(row, 'prev'),
    hash: text(row, 'hash'),
  };
}

export function lastAuditEntry(sql: Sql): ChainEntry | undefined {
  const row = sql.get('SELECT seq, time, type, data, prev, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  return row === undefined ? undefined : entryOf(row);
}

/** Where an appended entry sits in the chain. */
export type AuditPosition = Pick<ChainEntry, 'seq' | 'hash'>;

/**
 * Appends one entry after the last one. Callers are inside a store transaction. The data is
 * serialized once: the same text is hashed and stored (this runs for every request the API takes).
 */
export function appendAudit(sql: Sql, type: string, data: unknown, time: number): AuditPosition {
  if (!sql.db.inTransaction)
    throw new KuraError('INTERNAL', 'an audit entry must be written in a transaction');
  // Only the last entry's seq and hash are chained: its data need not be read or parsed.
  const row = sql.get('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  const seq = row === undefined ? 1 : int(row, 'seq') + 1;
  const prev = row === undefined ? GENESIS_HASH : text(row, 'hash');
  const dataJson = auditJson(data);
  const hash = entryHashOfJson(seq, time, type, dataJson, prev);
  sql.run(
    'INSERT INTO audit_log (seq, time, type, data, prev, hash) VALUES (?, ?, ?, ?, ?, ?)',
    seq,
    time,
    type,
    dataJson,
    prev,
    hash,
  );
  return { seq, hash };
}

export function readAudit(sql: Sql): ChainEntry[] {
  return sql.all('SELECT seq, time, type, data, prev, hash FROM audit_log ORDER BY seq').map(entryOf);
}

/** The chain as text, one entry per line: what `parseChain` (and an auditor) verifies. */
export function exportAudit(sql: Sql): string {
  return serializeChain(readAudit(sql));
}

/** Verifies the whole chain; a broken link is STORE_CORRUPT with the position of the first bad entry. */
export function verifyAudit(sql: Sql): { entries: number; head: string | null } {
  const chain = parseChain(exportAudit(sql), 'STORE_CORRUPT', 'audit log');
  return { entries: chain.length, head: chain.at(-1)?.hash ?? null };
}
