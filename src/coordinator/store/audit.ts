// The audit log in SQLite: the hash chain of src/artifacts/hashChain.ts, one row per entry. An
// entry is appended only from inside a store transaction, reading the last entry in that same
// transaction, so the state change and its entry commit together or not at all.
import { appendEntry, parseChain, serializeChain, type ChainEntry } from '../../artifacts/hashChain.js';
import { KuraError } from '../../errors.js';
import type { Sql } from './database.js';
import { int, text } from './rows.js';

/**
 * Audit data is JSON: bigints become decimal strings (amounts stay exact) and undefined fields
 * disappear, so the stored text is exactly what was hashed.
 */
export function auditData(data: unknown): unknown {
  const json = JSON.stringify(data, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  if (json === undefined) throw new KuraError('INTERNAL', 'audit data must be a JSON value');
  return JSON.parse(json) as unknown;
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

/** Appends one entry after the last one. Callers are inside a store transaction. */
export function appendAudit(sql: Sql, type: string, data: unknown, time: number): ChainEntry {
  if (!sql.db.inTransaction)
    throw new KuraError('INTERNAL', 'an audit entry must be written in a transaction');
  // Only the last entry's seq and hash are chained: its data need not be read or parsed.
  const row = sql.get('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  const last = row === undefined ? [] : [{ seq: int(row, 'seq'), hash: text(row, 'hash') }];
  const entry = appendEntry(last, type, auditData(data), time);
  sql.run(
    'INSERT INTO audit_log (seq, time, type, data, prev, hash) VALUES (?, ?, ?, ?, ?, ?)',
    entry.seq,
    entry.time,
    entry.type,
    JSON.stringify(entry.data),
    entry.prev,
    entry.hash,
  );
  return entry;
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
