// The audit log: every state change appends one entry in the same transaction, the exported chain
// verifies with the signer ledger's parser, an edited row is caught, and a change that fails
// half-way leaves neither its rows nor its entry.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH, parseChain } from '../../src/artifacts/hashChain.js';
import { Store, type NewRequest } from '../../src/coordinator/store/index.js';
import { isKuraError, KuraError } from '../../src/errors.js';
import { tempDir } from '../helpers/cli.js';

const ID = { network: 'regtest' as const, walletId: 'a'.repeat(64), policyHash: 'b'.repeat(64) };
let path: string;
let store: Store;
let clock: number;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isKuraError(error)) return error.code;
    throw error;
  }
  return undefined;
}

function newRequest(n: number): NewRequest {
  return {
    requestId: randomBytes(32).toString('hex'),
    clientId: 'client',
    idempotencyKey: `key-${n}`,
    bodySha256: randomBytes(32).toString('hex'),
    destination: 'bcrt1qexample',
    scriptPubKey: '0014' + '1'.repeat(40),
    amountSat: BigInt(1000 + n),
    policyHash: ID.policyHash,
    expiresAt: clock + 86_400,
  };
}

beforeEach(() => {
  clock = 1_700_000_000;
  path = join(tempDir('kura-store-'), 'kura.sqlite');
  store = Store.create(path, { ...ID, birthdayHeight: 0 }, { walletName: 'test' }, { now: () => clock++ });
});

afterEach(() => store.close());

/** A few hundred operations of every kind. */
function busyDay(): void {
  store.addAddresses([{ branch: 0, addressIndex: 0, scriptPubKey: '0020' + '2'.repeat(64) }]);
  for (let h = 0; h < 20; h++) {
    store.recordBlock({
      height: h,
      hash: h.toString(16).padStart(64, 'f'),
      prevHash: h === 0 ? GENESIS_HASH : (h - 1).toString(16).padStart(64, 'f'),
    });
  }
  for (let n = 0; n < 40; n++) {
    const { request } = store.insertRequest(newRequest(n));
    store.addApproval({
      requestId: request.requestId,
      officerPublicKey: 'c'.repeat(64),
      approvedAt: clock,
      signature: '7'.repeat(128),
    });
    if (n % 2 === 0) store.setRequestState(request.requestId, 'approved');
    else store.setRequestState(request.requestId, 'cancelled');
    store.upsertCoin({
      txid: n.toString(16).padStart(64, '0'),
      vout: 0,
      branch: 0,
      addressIndex: 0,
      scriptPubKey: '0020' + '2'.repeat(64),
      valueSat: 10_000n,
      coinbase: false,
      block: { height: 10 + (n % 10), hash: (10 + (n % 10)).toString(16).padStart(64, 'f') },
    });
  }
  store.rollbackToHeight(15);
  store.audit('operator.note', { text: 'end of day', amountSat: 5n });
}

describe('the audit chain', () => {
  it('verifies after many operations, with one entry per change, in the hash-chain format of the signer ledger', () => {
    busyDay();
    const text = store.exportAudit();
    const chain = parseChain(text, 'STORE_CORRUPT', 'audit log');
    // init + address + 20 blocks + 40 × (request, approval, state, coin) + rollback + note
    expect(chain).toHaveLength(1 + 1 + 20 + 160 + 1 + 1);
    expect(chain[0]).toMatchObject({ seq: 1, type: 'coordinator.init', prev: GENESIS_HASH });
    expect(chain.at(-1)).toMatchObject({
      type: 'operator.note',
      data: { text: 'end of day', amountSat: '5' },
    });
    expect(chain.map((e) => e.seq)).toEqual(chain.map((_, i) => i + 1));
    expect(store.verifyAudit()).toEqual({ entries: chain.length, head: chain.at(-1)?.hash });
    // the time of each entry is the time of its change
    expect(chain.every((e, i) => i === 0 || e.time > (chain[i - 1]?.time ?? 0))).toBe(true);
  });

  it('is append-only inside SQLite', () => {
    store.close();
    const db = new Database(path);
    expect(() => db.prepare("UPDATE audit_log SET type = 'x' WHERE seq = 1").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect(() =>
      db
        .prepare('INSERT INTO audit_log VALUES (5, 0, ?, ?, ?, ?)')
        .run('x', '{}', GENESIS_HASH, 'e'.repeat(64)),
    ).toThrow(/follow the last one/);
    db.close();
    store = Store.open(path, ID);
  });

  it.each([
    { description: 'edited data', sql: `UPDATE audit_log SET data = '{"amountSat":"999"}' WHERE seq = 3` },
    { description: 'an edited time', sql: 'UPDATE audit_log SET time = time + 1 WHERE seq = 3' },
    { description: 'a deleted entry', sql: 'DELETE FROM audit_log WHERE seq = 3' },
  ])('catches $description made behind kura’s back (triggers dropped)', ({ sql }) => {
    busyDay();
    store.close();
    const db = new Database(path);
    db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
    db.exec(sql);
    db.close();
    store = Store.open(path, ID);
    let error: unknown;
    try {
      parseChain(store.exportAudit(), 'STORE_CORRUPT', 'audit log');
    } catch (e) {
      error = e;
    }
    expect(isKuraError(error, 'STORE_CORRUPT')).toBe(true);
    expect((error as KuraError).details.position).toBe(3);
    expect(codeOf(() => store.verifyAudit())).toBe('STORE_CORRUPT');
  });
});

describe('atomicity', () => {
  it('a group of changes that throws midway leaves neither the changes nor their audit entries', () => {
    const { request } = store.insertRequest(newRequest(1));
    const before = store.exportAudit();
    expect(() =>
      store.atomically(() => {
        store.setRequestState(request.requestId, 'approved');
        store.addApproval({
          requestId: request.requestId,
          officerPublicKey: 'c'.repeat(64),
          approvedAt: 1,
          signature: '7'.repeat(128),
        });
        throw new RangeError('crash between two steps');
      }),
    ).toThrow(RangeError); // not an SQLite error: passed through as it is
    expect(store.requestById(request.requestId)?.state).toBe('pending_approval');
    expect(store.approvalsFor(request.requestId)).toEqual([]);
    expect(store.exportAudit()).toBe(before);
  });

  it('a group of changes that succeeds commits them all with their entries', () => {
    const { request } = store.insertRequest(newRequest(1));
    const entries = store.verifyAudit().entries;
    store.atomically(() => {
      store.addApproval({
        requestId: request.requestId,
        officerPublicKey: 'c'.repeat(64),
        approvedAt: 1,
        signature: '7'.repeat(128),
      });
      store.setRequestState(request.requestId, 'approved');
    });
    expect(store.requestById(request.requestId)?.state).toBe('approved');
    expect(store.verifyAudit().entries).toBe(entries + 2);
  });

  it('a failed step inside a group rolls back only itself when the group carries on', () => {
    const { request } = store.insertRequest(newRequest(1));
    store.atomically(() => {
      expect(codeOf(() => store.setRequestState(request.requestId, 'confirmed'))).toBe(
        'COORDINATOR_STATE_CONFLICT',
      );
      store.setRequestState(request.requestId, 'approved');
    });
    expect(store.requestById(request.requestId)?.state).toBe('approved');
    expect(parseChain(store.exportAudit(), 'STORE_CORRUPT').at(-1)?.data).toMatchObject({ to: 'approved' });
  });

  it('one change whose second row fails leaves nothing (a lock of two coins, the second taken)', () => {
    store.addAddresses([{ branch: 0, addressIndex: 0, scriptPubKey: '0020' + '2'.repeat(64) }]);
    const coin = (n: number) => ({
      txid: n.toString(16).padStart(64, '0'),
      vout: 0,
      branch: 0 as const,
      addressIndex: 0,
      scriptPubKey: '0020' + '2'.repeat(64),
      valueSat: 1000n,
      coinbase: false,
      block: null,
    });
    store.upsertCoin(coin(1));
    store.upsertCoin(coin(2));
    store.insertBatch({
      batchId: 'a',
      psbt: Uint8Array.of(1),
      txid: 'a'.repeat(64),
      feeSat: 1n,
      feeRateSatVb: 1,
    });
    store.insertBatch({
      batchId: 'b',
      psbt: Uint8Array.of(1),
      txid: 'b'.repeat(64),
      feeSat: 1n,
      feeRateSatVb: 1,
    });
    store.lockCoins('a', [coin(2)]);
    const before = store.exportAudit();
    expect(codeOf(() => store.lockCoins('b', [coin(1), coin(2)]))).toBe('COORDINATOR_COIN_UNAVAILABLE');
    expect(store.coin(coin(1))?.lockedByBatch).toBeNull();
    expect(store.exportAudit()).toBe(before);
  });
});
