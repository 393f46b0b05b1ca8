// Reading rows back: every value is checked for the type the schema promises (DB rows are a
// boundary too, STYLE.md). A row that fails is STORE_CORRUPT naming the column: the file was
// edited, or a bug wrote it.
import { KuraError } from '../../errors.js';
import { MAX_MONEY_SAT } from '../../approvals/request.js';
import type { Row } from './database.js';

function corrupt(column: string, why: string): KuraError {
  return new KuraError('STORE_CORRUPT', `database column "${column}" ${why}`, { field: column });
}

function value(row: Row, column: string): unknown {
  if (!(column in row)) throw corrupt(column, 'is missing from the row');
  return row[column];
}

/** An INTEGER column that fits a JavaScript number (heights, times, indexes, counts). */
export function int(row: Row, column: string): number {
  const v = value(row, column);
  if (typeof v !== 'bigint' || v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw corrupt(column, 'is not an integer in range');
  }
  return Number(v);
}

export function intOrNull(row: Row, column: string): number | null {
  return value(row, column) === null ? null : int(row, column);
}

/** An amount of satoshis, 0 ≤ sats ≤ 21e14, as bigint. */
export function sats(row: Row, column: string): bigint {
  const v = value(row, column);
  if (typeof v !== 'bigint' || v < 0n || v > MAX_MONEY_SAT) throw corrupt(column, 'is not an amount of sats');
  return v;
}

/** A sum of amounts (a balance may exceed what one output can hold only through a bug). */
export function satsSum(row: Row, column: string): bigint {
  const v = value(row, column);
  if (v === null) return 0n;
  if (typeof v !== 'bigint' || v < 0n) throw corrupt(column, 'is not a sum of sats');
  return v;
}

export function text(row: Row, column: string): string {
  const v = value(row, column);
  if (typeof v !== 'string') throw corrupt(column, 'is not text');
  return v;
}

export function textOrNull(row: Row, column: string): string | null {
  return value(row, column) === null ? null : text(row, column);
}

export function blob(row: Row, column: string): Uint8Array {
  const v = value(row, column);
  if (!(v instanceof Uint8Array)) throw corrupt(column, 'is not a blob');
  return new Uint8Array(v);
}

export function blobOrNull(row: Row, column: string): Uint8Array | null {
  return value(row, column) === null ? null : blob(row, column);
}

export function flag(row: Row, column: string): boolean {
  const v = int(row, column);
  if (v !== 0 && v !== 1) throw corrupt(column, 'is not 0 or 1');
  return v === 1;
}

/** A TEXT column restricted to a closed list (the schema's CHECK says the same). */
export function oneOf<T extends string>(row: Row, column: string, allowed: readonly T[]): T {
  const v = text(row, column);
  if (!(allowed as readonly string[]).includes(v)) throw corrupt(column, `holds unknown value "${v}"`);
  return v as T;
}

export function jsonOrNull(row: Row, column: string): unknown {
  const v = textOrNull(row, column);
  if (v === null) return null;
  try {
    return JSON.parse(v) as unknown;
  } catch (cause) {
    throw new KuraError('STORE_CORRUPT', `database column "${column}" is not JSON`, { field: column }, cause);
  }
}
