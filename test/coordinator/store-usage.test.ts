// The rolling-limit usage (requestUsageSince) reads per-minute and per-hour totals that triggers
// keep (src/coordinator/store/usage.sql). Whatever requests arrive when, and whatever becomes of
// them, it must equal the plain sum over the requests table it replaced; and a database of
// schema version 1 that already holds requests must get the same totals when it is migrated.
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Store, type NewRequest, type RequestState } from '../../src/coordinator/store/index.js';
import { tempDir } from '../helpers/cli.js';

const T0 = 1_700_000_000;
const IDENTITY = { network: 'regtest', walletId: 'a'.repeat(64), policyHash: 'b'.repeat(64) } as const;
const open: Store[] = [];

function makeStore(clock: { now: number }): { store: Store; path: string } {
  const path = join(tempDir('kura-usage-'), 'kura.sqlite');
  const store = Store.create(path, { ...IDENTITY, birthdayHeight: 0 }, {}, { now: () => clock.now });
  open.push(store);
  return { store, path };
}

afterEach(() => {
  for (const store of open.splice(0)) store.close();
});

function newRequest(amountSat: bigint, rejected: boolean): NewRequest {
  return {
    requestId: randomBytes(32).toString('hex'),
    clientId: 'client',
    idempotencyKey: randomBytes(8).toString('hex'),
    bodySha256: createHash('sha256').update(randomBytes(8)).digest('hex'),
    destination: 'bcrt1qexample',
    scriptPubKey: '0014' + '1'.repeat(40),
    amountSat,
    policyHash: 'b'.repeat(64),
    expiresAt: T0 + 10 * 86_400,
    ...(rejected ? { refusal: { code: 'POLICY_REFUSED', message: 'test', reasons: [] } } : {}),
  };
}

/** The query intake ran before the totals existed: every counted row after `since`. */
function plainUsage(path: string, since: number): { amountSat: bigint; count: number } {
  const db = new Database(path, { readonly: true });
  try {
    db.defaultSafeIntegers(true);
    const row = db
      .prepare(
        `SELECT count(*) AS n, coalesce(sum(amount_sat), 0) AS total FROM requests
         WHERE created_at > ? AND state NOT IN ('rejected', 'cancelled', 'expired')`,
      )
      .get(since) as { n: bigint; total: bigint };
    return { amountSat: row.total, count: Number(row.n) };
  } finally {
    db.close();
  }
}

/** What can happen to a request after it is stored (moves REQUEST_TRANSITIONS allows). */
const FOLLOW_UPS: Record<string, readonly RequestState[]> = {
  none: [],
  approve: ['approved'],
  cancel: ['cancelled'],
  expire: ['expired'],
  'approve, cancel': ['approved', 'cancelled'],
  'approve, expire': ['approved', 'expired'],
};

const step = fc.record({
  // seconds after the previous request: often the same minute, sometimes hours apart
  gap: fc.oneof(fc.integer({ min: 0, max: 90 }), fc.integer({ min: 0, max: 30_000 })),
  amountSat: fc.bigInt({ min: 1n, max: 2_100_000_000_000_000n }),
  rejected: fc.boolean(),
  followUp: fc.constantFrom(...Object.keys(FOLLOW_UPS)),
});

describe('rolling usage totals', () => {
  it('equal the plain sum over requests for any arrivals, cancellations, expiries and window', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: -100_000, max: 400_000 }), { minLength: 1, maxLength: 8 }),
        (steps, offsets) => {
          const clock = { now: T0 };
          const { store, path } = makeStore(clock);
          for (const s of steps) {
            clock.now += s.gap;
            const { request } = store.insertRequest(newRequest(s.amountSat, s.rejected));
            if (s.rejected) continue;
            let from: RequestState = request.state;
            for (const to of FOLLOW_UPS[s.followUp] ?? []) {
              store.setRequestState(request.requestId, to, { from });
              from = to;
            }
          }
          // Windows that start before, inside and after the requests, on and off minute and hour
          // boundaries (the offsets are seconds from T0).
          for (const since of [...offsets.map((o) => T0 + o), T0 - 1, T0, clock.now, clock.now - 86_400]) {
            expect(store.requestUsageSince(since), `since ${since}`).toEqual(plainUsage(path, since));
          }
          store.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('are rebuilt from the requests already stored when a version-1 database is migrated', () => {
    const clock = { now: T0 };
    const { store, path } = makeStore(clock);
    for (let i = 0; i < 50; i++) {
      clock.now += 997;
      const { request } = store.insertRequest(newRequest(BigInt(1000 + i), i % 7 === 0));
      if (i % 5 === 0 && request.state === 'pending_approval') {
        store.setRequestState(request.requestId, 'cancelled', { from: 'pending_approval' });
      }
    }
    const expected = [T0, T0 + 10_000, T0 + 30_001].map((since) => store.requestUsageSince(since));
    store.close();

    // Take the database back to version 1: no totals, no triggers.
    const db = new Database(path);
    for (const trigger of [
      'requests_amount_and_time_fixed',
      'requests_usage_on_insert',
      'requests_usage_on_release',
      'requests_usage_on_restore',
      'requests_usage_on_delete',
    ]) {
      db.exec(`DROP TRIGGER ${trigger}`);
    }
    db.exec('DROP TABLE usage_by_minute; DROP TABLE usage_by_hour; PRAGMA user_version = 1');
    db.close();

    const again = Store.open(path, IDENTITY, { now: () => clock.now });
    open.push(again);
    expect([T0, T0 + 10_000, T0 + 30_001].map((since) => again.requestUsageSince(since))).toEqual(expected);
    expect(again.verifyAudit().entries).toBeGreaterThan(50);
    expect(again.exportAudit()).toContain('"store.migrate"');
    // and the triggers are back: a new request counts
    const before = again.requestUsageSince(T0);
    again.insertRequest(newRequest(5n, false));
    expect(again.requestUsageSince(T0)).toEqual({
      amountSat: before.amountSat + 5n,
      count: before.count + 1,
    });
  });

  it('refuse a change of a request’s amount or creation time, which the totals depend on', () => {
    const { store, path } = makeStore({ now: T0 });
    const { request } = store.insertRequest(newRequest(1000n, false));
    store.close();
    const db = new Database(path);
    try {
      expect(() =>
        db.prepare('UPDATE requests SET amount_sat = 1 WHERE request_id = ?').run(request.requestId),
      ).toThrow(/never change/);
      expect(() =>
        db.prepare('UPDATE requests SET created_at = 5 WHERE request_id = ?').run(request.requestId),
      ).toThrow(/never change/);
    } finally {
      db.close();
    }
  });
});
