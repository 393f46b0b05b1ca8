// Numbered migrations. Migration N brings the database from user_version N-1 to N, inside one
// transaction that also sets user_version: a crash leaves the old version or the new, never half.
// A database from a newer kura (user_version above the last migration here) is refused before
// anything touches it.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KuraError } from '../../errors.js';
import { appendAudit } from './audit.js';
import type { Sql } from './database.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: () => string;
}

// The .sql files sit next to this module in the sources; the compiled module (dist/src/…) reads
// the same files from the sources, which ship with the checkout.
function sqlFile(name: string): string {
  for (const candidate of [`./${name}`, `../../../../src/coordinator/store/${name}`]) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return readFileSync(path, 'utf8');
  }
  throw new KuraError('INTERNAL', `src/coordinator/store/${name} is missing from this installation`);
}

export function schemaSql(): string {
  return sqlFile('schema.sql');
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'schema', sql: schemaSql },
  { version: 2, name: 'rolling usage totals', sql: () => sqlFile('usage.sql') },
  { version: 3, name: 'audit log without a hash index', sql: () => sqlFile('audit-hash-index.sql') },
];

export const LATEST_VERSION = MIGRATIONS.length;

/** Refuses a database written by a newer kura. */
export function checkVersion(sql: Sql, path: string): number {
  const version = sql.userVersion();
  if (version > LATEST_VERSION) {
    throw new KuraError(
      'STORE_VERSION_UNSUPPORTED',
      `the database ${path} is at schema version ${version}; this kura knows up to ${LATEST_VERSION}: upgrade kura`,
      { field: 'user_version', version, supported: LATEST_VERSION },
    );
  }
  return version;
}

/**
 * Applies every migration above the database's version, each in its own immediate transaction
 * (nested in the caller's, if any). An upgrade of an existing database writes an audit entry in
 * the same transaction; migration 1 creates the audit log, whose first entry the caller writes.
 */
export function migrate(sql: Sql, path: string, time: number): { from: number; to: number } {
  const from = checkVersion(sql, path);
  for (const migration of MIGRATIONS) {
    sql.db
      .transaction(() => {
        // Read again under the write lock: another process may have migrated meanwhile.
        const current = checkVersion(sql, path);
        if (current >= migration.version) return;
        if (current !== migration.version - 1) {
          throw new KuraError('STORE_CORRUPT', `the database ${path} skipped a migration`, {
            version: current,
          });
        }
        sql.db.exec(migration.sql());
        sql.db.pragma(`user_version = ${migration.version}`);
        // A new database's first entry is the caller's 'coordinator.init', not a migration.
        if (from > 0) {
          appendAudit(sql, 'store.migrate', { version: migration.version, name: migration.name }, time);
        }
      })
      .immediate();
  }
  return { from, to: LATEST_VERSION };
}
