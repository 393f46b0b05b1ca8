// Group commit of API submissions (src/coordinator/intake/submissions.ts): submissions that arrive
// together share one transaction, yet each is checked, stored, refused or failed on its own, the
// limits see the earlier members of the group, and a group whose commit fails stores nothing and
// tells every caller so.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  rejectionError,
  withdrawalView,
  WithdrawalSubmissions,
  type SubmitResult,
  type WithdrawalBody,
} from '../../src/coordinator/intake/index.js';
import type { RequestRecord } from '../../src/coordinator/store/index.js';
import { isKuraError } from '../../src/errors.js';
import { testDestination } from '../helpers/scenario.js';
import { makeIntakeHome, type IntakeHome } from './intake-fixture.js';

let h: IntakeHome;
afterEach(() => h.close());

function body(amountSat: bigint, n = 1): WithdrawalBody {
  return { destination: testDestination(n), amountSat, expiresInSeconds: null };
}

/** Submits every body in the same turn of the event loop; each settles on its own. */
function submitTogether(
  submissions: WithdrawalSubmissions,
  items: readonly { key: string; body: WithdrawalBody }[],
): Promise<PromiseSettledResult<SubmitResult>[]> {
  return Promise.allSettled(
    items.map((item) =>
      submissions.submit(
        { clientId: 'tok_00000000000000aa', idempotencyKey: item.key, body: item.body },
        h.clock.now,
      ),
    ),
  );
}

function codeOfRejection(result: PromiseSettledResult<SubmitResult> | undefined): string | undefined {
  if (result?.status !== 'rejected') return undefined;
  return isKuraError(result.reason) ? result.reason.code : `not a KuraError: ${String(result.reason)}`;
}

function auditTypes(): string[] {
  return h.home.store
    .exportAudit()
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { type: string }).type);
}

describe('group commit of submissions', () => {
  beforeEach(() => {
    h = makeIntakeHome();
  });

  it('stores submissions that arrive together, each with its own audit entry, answered as a read would', async () => {
    h.close();
    h = makeIntakeHome({
      limits: { perWithdrawalSat: 1_000_000_000, rolling24h: { amountSat: 2_000_000_000, count: 1000 } },
    });
    const submissions = new WithdrawalSubmissions(h.home);
    const items = Array.from({ length: 40 }, (_, i) => ({
      key: `k${i}`,
      body: body(10_000n + BigInt(i), i + 1),
    }));
    const before = auditTypes().length;
    const results = await submitTogether(submissions, items.slice(0, 19));
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    for (const r of results) {
      if (r.status !== 'fulfilled') continue;
      expect(r.value.created).toBe(true);
      const stored = h.home.store.requestById(r.value.withdrawal.requestId) as RequestRecord;
      expect(r.value.withdrawal).toEqual(withdrawalView(h.home, stored, h.clock.now));
    }
    expect(auditTypes().slice(before)).toEqual(Array(19).fill('request.create'));
    expect(h.home.store.verifyAudit().entries).toBe(before + 19);
    // More than one group's worth at once is split into groups, and nothing is lost.
    const many = await submitTogether(
      submissions,
      Array.from({ length: 300 }, (_, i) => ({ key: `m${i}`, body: body(1_000n, (i % 16) + 1) })),
    );
    expect(many.filter((r) => r.status === 'fulfilled')).toHaveLength(300);
    expect(h.home.store.countRequestsByState().pending_approval).toBe(319);
  });

  it('refuses one member alone: a reused key with another body, an address of another network', async () => {
    const submissions = new WithdrawalSubmissions(h.home);
    const results = await submitTogether(submissions, [
      { key: 'a', body: body(20_000n) },
      { key: 'a', body: body(30_000n) }, // same key, other body, same group
      { key: 'b', body: { ...body(20_000n), destination: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4' } },
      { key: 'a', body: body(20_000n) }, // same key and body: the first one, not created again
      { key: 'c', body: body(40_000n) },
    ]);
    expect(results[0]?.status).toBe('fulfilled');
    expect(codeOfRejection(results[1])).toBe('COORDINATOR_IDEMPOTENCY_CONFLICT');
    expect(codeOfRejection(results[2])).toBe('ADDRESS_INVALID');
    const first = results[0]?.status === 'fulfilled' ? results[0].value : undefined;
    const replay = results[3]?.status === 'fulfilled' ? results[3].value : undefined;
    expect(replay?.created).toBe(false);
    expect(replay?.withdrawal.requestId).toBe(first?.withdrawal.requestId);
    expect(results[4]?.status).toBe('fulfilled');
    expect(h.home.store.countRequestsByState().pending_approval).toBe(2);
    expect(h.home.store.verifyAudit().entries).toBe(1 + 2);
  });

  it('counts the earlier members of a group against the rolling limits', async () => {
    h.close();
    h = makeIntakeHome({
      limits: { perWithdrawalSat: 1_000_000_000, rolling24h: { amountSat: 2_000_000_000, count: 3 } },
    });
    const submissions = new WithdrawalSubmissions(h.home);
    const results = await submitTogether(
      submissions,
      Array.from({ length: 5 }, (_, i) => ({ key: `r${i}`, body: body(1_000n, i + 1) })),
    );
    const states = results.map((r) => (r.status === 'fulfilled' ? r.value.withdrawal.state : 'failed'));
    expect(states).toEqual([
      'pending_approval',
      'pending_approval',
      'pending_approval',
      'rejected',
      'rejected',
    ]);
    const last = results[4];
    expect(last?.status === 'fulfilled' ? rejectionError(last.value.withdrawal)?.code : undefined).toBe(
      'POLICY_LIMIT_EXCEEDED',
    );
  });

  it('stores nothing of a group whose transaction SQLite ends, fails every caller, and takes the retries', async () => {
    // A trigger that makes SQLite roll back the whole transaction when it sees one amount: what a
    // full disk or an I/O error does to a transaction in the middle of a group.
    const db = new Database(join(h.path, 'kura.sqlite'));
    db.exec(`CREATE TRIGGER test_rollback BEFORE INSERT ON requests WHEN NEW.amount_sat = 777
             BEGIN SELECT RAISE(ROLLBACK, 'test: the transaction is gone'); END`);
    const submissions = new WithdrawalSubmissions(h.home);
    const items = [
      { key: 'x1', body: body(10_000n, 1) },
      { key: 'x2', body: body(777n, 2) },
      { key: 'x3', body: body(30_000n, 3) },
    ];
    const before = h.home.store.verifyAudit();
    const failed = await submitTogether(submissions, items);
    expect(failed.map(codeOfRejection)).toEqual(['STORE_FAILED', 'STORE_FAILED', 'STORE_FAILED']);
    expect(h.home.store.listRequests({ limit: 10 })).toEqual([]);
    expect(h.home.store.verifyAudit()).toEqual(before);

    db.exec('DROP TRIGGER test_rollback');
    db.close();
    const retried = await submitTogether(submissions, items);
    expect(retried.every((r) => r.status === 'fulfilled' && r.value.created)).toBe(true);
    expect(h.home.store.countRequestsByState().pending_approval).toBe(3);
  });
});
