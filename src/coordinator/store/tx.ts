// What a state-changing store function gets: the statements, the time of the change, and the one
// way to write an audit entry. A Tx exists only inside a store transaction (Store.write), so a
// change and its audit entry cannot be committed apart.
import type { AuditPosition } from './audit.js';
import type { Sql } from './database.js';

export interface Tx {
  readonly sql: Sql;
  /** Unix seconds: the time of this change, and of its audit entry. */
  readonly now: number;
  audit(type: string, data: unknown): AuditPosition;
}
