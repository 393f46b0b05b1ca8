// Opening the coordinator store: a fresh database gets the whole schema and user_version in one
// go; start-up refuses a database from a newer kura or of another network, wallet or policy; the
// schema's own constraints refuse rows the code would never write.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { LATEST_VERSION, Store, type StoreIdentity } from '../../src/coordinator/store/index.js';
import { schemaSql } from '../../src/coordinator/store/migrations.js';
import { isKuraError } from '../../src/errors.js';
import { tempDir } from '../helpers/cli.js';

const ID: StoreIdentity = { network: 'regtest', walletId: 'a'.repeat(64), policyHash: 'b'.repeat(64) };
const NOW = 1_700_000_000;
const open: Store[] = [];

function fresh(): { path: string; store: Store } {
  const path = join(tempDir('kura-store-'), 'kura.sqlite');
  const store = Store.create(
    path,
    { ...ID, birthdayHeight: 800_000 },
    { walletName: 'test' },
    { now: () => NOW },
  );
  open.push(store);
  return { path, store };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isKuraError(error)) return error.code;
    throw error;
  }
  return undefined;
}

/** A raw connection, as someone with the file (and no kura) would have. */
function raw(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('foreign_keys = ON');
  return db;
}

afterEach(() => {
  for (const store of open.splice(0)) store.close();
});

describe('a fresh store', () => {
  it('has the whole schema, the last user_version, WAL mode, the meta row and one audit entry', () => {
    const { path, store } = fresh();
    expect(store.meta()).toEqual({ ...ID, createdAt: NOW, birthdayHeight: 800_000 });
    expect(store.verifyAudit().entries).toBe(1);
    expect(store.auditHead()?.type).toBe('coordinator.init');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    store.close();
    const db = raw(path);
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((t) => t.name);
    expect(tables).toEqual([
      'addresses',
      'approvals',
      'audit_log',
      'batch_signatures',
      'batches',
      'blocks',
      'coins',
      'meta',
      'requests',
      'tokens',
      'usage_by_hour',
      'usage_by_minute',
    ]);
    db.close();
  });

  it('reopens with the same files, keeping its rows', () => {
    const { path, store } = fresh();
    store.audit('note', { n: 1 });
    store.close();
    const again = Store.open(path, ID);
    open.push(again);
    expect(again.meta().birthdayHeight).toBe(800_000);
    expect(again.verifyAudit().entries).toBe(2);
  });

  it('refuses to be created twice', () => {
    const { path, store } = fresh();
    store.close();
    expect(Store.isInitialized(path)).toBe(true);
    expect(codeOf(() => Store.create(path, { ...ID, birthdayHeight: 0 }))).toBe('COORDINATOR_HOME_EXISTS');
    const db = raw(path);
    expect(db.prepare('SELECT count(*) AS n FROM audit_log').get()).toEqual({ n: 1 });
    db.close();
  });
});

describe('migration 3', () => {
  /** The audit log's table as migration 1 made it (with UNIQUE on hash), read from schema.sql. */
  function auditLogOfVersion1(): string {
    const schema = schemaSql();
    return schema.slice(schema.indexOf('CREATE TABLE audit_log ('));
  }

  it('rebuilds a version-2 audit log without its hash index, keeping every entry and trigger', () => {
    const { path, store } = fresh();
    for (let n = 1; n <= 20; n++) store.audit('note', { n });
    const before = store.exportAudit();
    store.close();

    // Take the database back to version 2: the audit log of migration 1, with the same rows.
    const db = raw(path);
    db.exec(`DROP TRIGGER audit_log_extends_chain; DROP TRIGGER audit_log_no_update;
      DROP TRIGGER audit_log_no_delete; ALTER TABLE audit_log RENAME TO audit_log_copy;`);
    db.exec(auditLogOfVersion1());
    db.exec('INSERT INTO audit_log SELECT * FROM audit_log_copy ORDER BY seq; DROP TABLE audit_log_copy');
    db.pragma('user_version = 2');
    expect(db.pragma('index_list(audit_log)')).toHaveLength(1);
    db.close();

    const again = Store.open(path, ID, { now: () => NOW });
    open.push(again);
    const after = again.exportAudit();
    expect(after.startsWith(before)).toBe(true);
    expect(after.slice(before.length)).toContain('"store.migrate"');
    expect(again.verifyAudit().entries).toBe(22);
    again.close();

    const check = raw(path);
    expect(check.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(check.pragma('index_list(audit_log)')).toEqual([]);
    // still append-only and linked
    expect(() => check.prepare("UPDATE audit_log SET type = 'x' WHERE seq = 1").run()).toThrow(/append-only/);
    expect(() => check.prepare('DELETE FROM audit_log WHERE seq = 22').run()).toThrow(/append-only/);
    expect(() =>
      check
        .prepare('INSERT INTO audit_log VALUES (23, 0, ?, ?, ?, ?)')
        .run('note', '{}', '0'.repeat(64), 'e'.repeat(64)),
    ).toThrow(/follow the last one/);
    check.close();
  });
});

describe('start-up refuses', () => {
  it('a database written by a newer kura, without touching it', () => {
    const { path, store } = fresh();
    store.close();
    const db = raw(path);
    db.pragma(`user_version = ${LATEST_VERSION + 1}`);
    db.close();
    expect(codeOf(() => Store.open(path, ID))).toBe('STORE_VERSION_UNSUPPORTED');
    const after = raw(path);
    expect(after.pragma('user_version', { simple: true })).toBe(LATEST_VERSION + 1);
    after.close();
  });

  it.each([
    {
      description: 'another network',
      expected: { ...ID, network: 'testnet' as const },
      code: 'STORE_MISMATCH',
    },
    { description: 'another wallet', expected: { ...ID, walletId: 'c'.repeat(64) }, code: 'STORE_MISMATCH' },
    {
      description: 'another policy',
      expected: { ...ID, policyHash: 'd'.repeat(64) },
      code: 'POLICY_HASH_MISMATCH',
    },
  ])('a database of $description', ({ expected, code }) => {
    const { path, store } = fresh();
    store.close();
    expect(codeOf(() => Store.open(path, expected))).toBe(code);
  });

  it('a missing or empty database, without creating one', () => {
    const dir = tempDir('kura-store-');
    const missing = join(dir, 'kura.sqlite');
    expect(codeOf(() => Store.open(missing, ID))).toBe('COORDINATOR_NOT_INITIALIZED');
    expect(existsSync(missing)).toBe(false);
    const empty = join(dir, 'empty.sqlite');
    new Database(empty).close();
    expect(codeOf(() => Store.open(empty, ID))).toBe('COORDINATOR_NOT_INITIALIZED');
    expect(Store.isInitialized(empty)).toBe(false);
  });

  it('a database without its meta row', () => {
    const { path, store } = fresh();
    store.close();
    const db = raw(path);
    db.prepare('DELETE FROM meta').run();
    db.close();
    expect(codeOf(() => Store.open(path, ID))).toBe('STORE_CORRUPT');
  });
});

describe('the schema itself refuses', () => {
  const request = (
    amount: bigint | number,
    state = 'pending_approval',
    scriptPubKey = '0014' + 'e'.repeat(40),
  ) => [
    'f'.repeat(64),
    'client',
    'key',
    'd'.repeat(64),
    'bcrt1qexample',
    scriptPubKey,
    amount,
    'b'.repeat(64),
    NOW + 3600,
    NOW,
    NOW,
    state,
  ];
  const insertRequest = `INSERT INTO requests (request_id, client_id, idempotency_key, body_sha256, destination,
    script_pubkey, amount_sat, policy_hash, expires_at, created_at, updated_at, state) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`;

  it.each([
    { description: 'a zero amount', params: request(0n) },
    { description: 'more than 21 million BTC', params: request(2_100_000_000_000_001n) },
    { description: 'an amount that is not an integer', params: request(1.5) },
    { description: 'an unknown state', params: request(1000n, 'paid') },
    { description: 'a batched request without a batch', params: request(1000n, 'batched') },
    { description: 'a rejected request without its refusal', params: request(1000n, 'rejected') },
    { description: 'uppercase hex', params: request(1000n, 'pending_approval', '0014' + 'E'.repeat(40)) },
  ])('$description', ({ params }) => {
    const { path, store } = fresh();
    store.close();
    const db = raw(path);
    expect(() => db.prepare(insertRequest).run(...params)).toThrow(/constraint|cannot store/i);
    expect(() => db.prepare(insertRequest).run(...request(1000n))).not.toThrow();
    db.close();
  });

  it('a coin of an address it does not know, and a second meta row', () => {
    const { path, store } = fresh();
    store.close();
    const db = raw(path);
    expect(() =>
      db
        .prepare(
          'INSERT INTO coins (txid, vout, branch, address_index, script_pubkey, value_sat) VALUES (?,?,?,?,?,?)',
        )
        .run('1'.repeat(64), 0, 0, 5, '0020' + '1'.repeat(64), 1000),
    ).toThrow(/FOREIGN KEY/);
    expect(() =>
      db
        .prepare('INSERT INTO meta VALUES (2, ?, ?, ?, ?, 0)')
        .run('regtest', 'a'.repeat(64), 'b'.repeat(64), NOW),
    ).toThrow(/constraint/i);
    db.close();
  });
});
