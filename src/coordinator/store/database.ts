// The SQLite connection and the one place that runs statements. better-sqlite3 is synchronous, so
// a transaction is a plain function call: nothing else in the process interleaves with it.
import Database from 'better-sqlite3';
import { KuraError, isKuraError } from '../../errors.js';

export type Db = Database.Database;
export type Row = Record<string, unknown>;

/** How long a writer waits for another process's write lock before STORE_FAILED (SQLITE_BUSY). */
export const BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens the database file with the settings every connection needs: WAL (readers never block
 * the writer), synchronous=FULL (a committed transaction survives a power cut, not only a crash),
 * foreign keys enforced, and every INTEGER read as bigint so that money never passes through a
 * double. `mustExist` refuses a missing file instead of creating an empty one.
 */
export function openDatabase(path: string, mustExist: boolean): Db {
  let db: Db;
  try {
    db = new Database(path, { fileMustExist: mustExist, timeout: BUSY_TIMEOUT_MS });
  } catch (cause) {
    throw storeFailure(cause, `cannot open the database ${path}`, true);
  }
  try {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new KuraError('STORE_FAILED', `the database ${path} cannot use WAL mode`);
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.defaultSafeIntegers(true);
    return db;
  } catch (cause) {
    db.close();
    throw storeFailure(cause, `cannot open the database ${path}`, true);
  }
}

/**
 * What SQLite throws becomes STORE_FAILED (the SQLite code in details.sqliteCode); anything else
 * passes through unchanged, so a bug still surfaces as one. `all` also wraps non-SQLite errors
 * (opening a file can fail in other ways).
 */
export function storeFailure(cause: unknown, context: string, all = false): unknown {
  if (isKuraError(cause)) return cause;
  const fromSqlite = cause instanceof Database.SqliteError;
  if (!fromSqlite && !all) return cause;
  const sqliteCode = fromSqlite ? cause.code : cause instanceof Error ? cause.name : 'unknown';
  const message = cause instanceof Error ? cause.message : String(cause);
  return new KuraError('STORE_FAILED', `${context}: ${message}`, { sqliteCode }, cause);
}

/** Prepared statements, cached by their text: the store's only path to SQLite. */
export class Sql {
  private readonly cache = new Map<string, Database.Statement<unknown[], Row>>();

  constructor(readonly db: Db) {}

  private statement(text: string): Database.Statement<unknown[], Row> {
    let statement = this.cache.get(text);
    if (statement === undefined) {
      statement = this.db.prepare<unknown[], Row>(text);
      this.cache.set(text, statement);
    }
    return statement;
  }

  run(text: string, ...params: unknown[]): number {
    return this.statement(text).run(...params).changes;
  }

  get(text: string, ...params: unknown[]): Row | undefined {
    return this.statement(text).get(...params);
  }

  all(text: string, ...params: unknown[]): Row[] {
    return this.statement(text).all(...params);
  }

  /** The database's user_version: the number of the last migration applied. */
  userVersion(): number {
    return Number(this.db.pragma('user_version', { simple: true }));
  }
}
