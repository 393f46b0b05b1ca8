// The request service on a real coordinator home (no node needed): idempotent intake, policy
// refusals with every reason, the rolling 24 h window, approvals up to approved, delays, expiry,
// refused approvals that change nothing, and cancelling.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hexToBytes } from '@noble/hashes/utils.js';
import { signApproval, type Approval } from '../../src/approvals/approval.js';
import { parseRequest } from '../../src/approvals/request.js';
import {
  cancelWithdrawal,
  listWithdrawals,
  parseWithdrawalBody,
  refreshRequests,
  rejectionError,
  showWithdrawal,
  submitApproval,
  submitWithdrawal,
  withdrawalBodySha256,
  type SubmitResult,
  type WithdrawalBody,
  withdrawalView,
  type WithdrawalView,
} from '../../src/coordinator/intake/index.js';
import type { RequestRecord } from '../../src/coordinator/store/index.js';
import { isKuraError } from '../../src/errors.js';
import { testDestination } from '../helpers/scenario.js';
import { approvalOf, auditHead, codeOf, makeIntakeHome, T0, type IntakeHome } from './intake-fixture.js';

const DAY = 86_400;
let h: IntakeHome;

function body(
  amountSat: bigint,
  destination = testDestination(1),
  expiresInSeconds: number | null = null,
): WithdrawalBody {
  return { destination, amountSat, expiresInSeconds };
}

function submit(b: WithdrawalBody, key: string, clientId = 'tok_00000000000000aa'): SubmitResult {
  return submitWithdrawal(h.home, { clientId, idempotencyKey: key, body: b }, h.clock.now);
}

function approve(id: string, approval: Approval) {
  return submitApproval(h.home, approval, h.clock.now, { requestId: id });
}

beforeEach(() => {
  h = makeIntakeHome();
});
afterEach(() => h.close());

describe('intake', () => {
  it('stores a request pending approval, filled in from the home, and says what it waits for', () => {
    const { created, withdrawal } = submit(body(50_000_000n), 'k1');
    expect(created).toBe(true);
    expect(withdrawal).toMatchObject({
      state: 'pending_approval',
      walletId: h.walletId,
      network: 'regtest',
      destination: testDestination(1),
      amountSat: '50000000',
      policyHash: h.home.policy.policyHash,
      expiresAt: T0 + 7 * DAY, // the policy's approvalExpirySeconds by default
      createdAt: T0,
      clientId: 'tok_00000000000000aa',
      idempotencyKey: 'k1',
      refusal: null,
      approvals: [],
    });
    expect(withdrawal.requestId).toMatch(/^[0-9a-f]{64}$/);
    expect(withdrawal.request).toMatchObject({
      kind: 'kura-request',
      requestId: withdrawal.requestId,
      amountSat: '50000000',
    });
    expect(withdrawal.progress).toMatchObject({
      tierIndex: 0,
      approvalsNeeded: 2,
      approvedBy: [],
      readyAt: null,
    });
    expect(withdrawal.progress?.waitingFor.map((r) => r.code)).toEqual(['APPROVAL_QUORUM_NOT_MET']);
  });

  it('answers a new request with exactly the view a later read of the stored row gives', () => {
    // Intake builds its answer from what it holds (newRequestView); a read rebuilds it from the
    // row, the approvals table and a fresh evaluation. Every kind of new request, both ways.
    const cases = [
      body(50_000_000n), // first tier: two approvals
      body(500_000_000n, testDestination(2), 7200), // second tier: roles and a delay
      body(2_000_000_000n, testDestination(3)), // over the per-withdrawal limit: rejected
      body(1_000n, testDestination(4), 3600),
    ];
    cases.forEach((b, i) => {
      const { created, withdrawal } = submit(b, `view-${i}`);
      expect(created).toBe(true);
      const stored = h.home.store.requestById(withdrawal.requestId);
      expect(stored).toBeDefined();
      expect(withdrawal).toEqual(withdrawalView(h.home, stored as RequestRecord, h.clock.now));
    });
  });

  it('answers the same key and body with the original request and writes nothing', () => {
    const first = submit(body(50_000_000n), 'same');
    const head = auditHead(h.home);
    h.clock.now += 60;
    // "50000000" and 50000000 are the same body
    const again = submit(
      parseWithdrawalBody({ destination: testDestination(1), amountSat: '50000000' }),
      'same',
    );
    expect(again.created).toBe(false);
    expect(again.withdrawal.requestId).toBe(first.withdrawal.requestId);
    expect(auditHead(h.home)).toBe(head);
    // another client may use the same key for its own request
    const other = submit(body(50_000_000n), 'same', 'tok_00000000000000bb');
    expect(other.created).toBe(true);
    expect(other.withdrawal.requestId).not.toBe(first.withdrawal.requestId);
  });

  it.each([
    { description: 'another amount', b: body(50_000_001n) },
    { description: 'another destination', b: body(50_000_000n, testDestination(2)) },
    { description: 'an expiry', b: body(50_000_000n, testDestination(1), 3600) },
  ])(
    'refuses the same key with $description (COORDINATOR_IDEMPOTENCY_CONFLICT), writing nothing',
    ({ b }) => {
      submit(body(50_000_000n), 'k');
      const head = auditHead(h.home);
      expect(codeOf(() => submit(b, 'k'))).toBe('COORDINATOR_IDEMPOTENCY_CONFLICT');
      expect(auditHead(h.home)).toBe(head);
      expect(withdrawalBodySha256(b)).not.toBe(withdrawalBodySha256(body(50_000_000n)));
    },
  );

  it.each([
    {
      description: 'a mainnet address',
      destination: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
      code: 'ADDRESS_INVALID',
    },
    {
      description: 'a testnet address',
      destination: 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx',
      code: 'ADDRESS_INVALID',
    },
    { description: 'no address at all', destination: 'not an address', code: 'ADDRESS_INVALID' },
  ])('refuses $description for the regtest wallet, storing nothing', ({ destination, code }) => {
    const head = auditHead(h.home);
    expect(codeOf(() => submit(body(1000n, destination), 'k'))).toBe(code);
    expect(auditHead(h.home)).toBe(head);
    expect(h.home.store.listRequests()).toHaveLength(0);
  });

  it.each([
    { description: 'an array', json: [], code: 'REQUEST_INVALID' },
    { description: 'no destination', json: { amountSat: '1000' }, code: 'REQUEST_INVALID' },
    { description: 'no amount', json: { destination: testDestination(1) }, code: 'REQUEST_INVALID' },
    {
      description: 'a zero amount',
      json: { destination: testDestination(1), amountSat: '0' },
      code: 'AMOUNT_INVALID',
    },
    {
      description: 'a negative amount',
      json: { destination: testDestination(1), amountSat: -5 },
      code: 'AMOUNT_INVALID',
    },
    {
      description: 'a fractional amount',
      json: { destination: testDestination(1), amountSat: 1.5 },
      code: 'AMOUNT_INVALID',
    },
    {
      description: 'an amount in BTC',
      json: { destination: testDestination(1), amountSat: '0.5' },
      code: 'AMOUNT_INVALID',
    },
    {
      description: 'more than 21 million BTC',
      json: { destination: testDestination(1), amountSat: '2100000000000001' },
      code: 'AMOUNT_INVALID',
    },
    {
      description: 'an unknown field',
      json: { destination: testDestination(1), amountSat: '1000', feeRate: 5 },
      code: 'REQUEST_INVALID',
    },
    {
      description: 'an expiry that is not an integer',
      json: { destination: testDestination(1), amountSat: '1000', expiresInSeconds: '3600' },
      code: 'REQUEST_INVALID',
    },
  ])('refuses a body with $description', ({ json, code }) => {
    expect(codeOf(() => parseWithdrawalBody(json))).toBe(code);
  });

  it('bounds the expiry by the policy and by the tier delay', () => {
    expect(codeOf(() => submit(body(1000n, testDestination(1), 59), 'a'))).toBe('REQUEST_INVALID');
    expect(codeOf(() => submit(body(1000n, testDestination(1), 7 * DAY + 1), 'b'))).toBe('REQUEST_INVALID');
    // tier 1 waits 3600 s after the last approval: a request living 3600 s could never be signed
    expect(codeOf(() => submit(body(200_000_000n, testDestination(1), 3600), 'c'))).toBe('REQUEST_INVALID');
    expect(submit(body(200_000_000n, testDestination(1), 3601), 'd').withdrawal.expiresAt).toBe(T0 + 3601);
    expect(codeOf(() => submit(body(1000n), ' spaces '))).toBe('REQUEST_INVALID');
    expect(codeOf(() => submit(body(1000n), 'k'.repeat(129)))).toBe('REQUEST_INVALID');
  });
});

describe('policy refusal at intake', () => {
  it('stores the request as rejected with every reason, and answers a retry with the same refusal', () => {
    h.close();
    h = makeIntakeHome({
      allowlist: {
        enforced: true,
        coolingSeconds: DAY,
        entries: [{ address: testDestination(1), label: 'desk', addedAt: T0 - 10 * DAY }],
      },
    });
    // above perWithdrawalSat, above the last tier, and not on the allowlist
    const { created, withdrawal } = submit(body(1_500_000_000n, testDestination(7)), 'big');
    expect(created).toBe(true);
    expect(withdrawal.state).toBe('rejected');
    const error = rejectionError(withdrawal);
    expect(error?.code).toBe('POLICY_REFUSED');
    const reasons = error?.details.reasons as { code: string; field: string }[];
    expect(reasons.map((r) => `${r.code} ${r.field}`)).toEqual([
      'POLICY_LIMIT_EXCEEDED limits.perWithdrawalSat',
      'POLICY_LIMIT_EXCEEDED tiers',
      'POLICY_DESTINATION_NOT_ALLOWED destination',
    ]);
    expect(error?.details.requestId).toBe(withdrawal.requestId);
    // quorum reasons are not refusals: they are what pending means
    expect(reasons.some((r) => r.code === 'APPROVAL_QUORUM_NOT_MET')).toBe(false);

    const head = auditHead(h.home);
    const retry = submit(body(1_500_000_000n, testDestination(7)), 'big');
    expect(retry.created).toBe(false);
    expect(retry.withdrawal.requestId).toBe(withdrawal.requestId);
    expect(rejectionError(retry.withdrawal)?.details.reasons).toEqual(reasons);
    expect(auditHead(h.home)).toBe(head);

    // one reason keeps its own code; an allowlisted destination still cooling is refused too
    const single = rejectionError(submit(body(1000n, testDestination(8)), 'one').withdrawal);
    expect(single?.code).toBe('POLICY_DESTINATION_NOT_ALLOWED');
    expect(submit(body(1000n, testDestination(1)), 'fine').withdrawal.state).toBe('pending_approval');
    expect(h.home.store.countRequestsByState()).toMatchObject({ rejected: 2, pending_approval: 1 });
  });

  it('counts other live requests of the last 24 h against the rolling limits, not rejected or cancelled ones', () => {
    h.close();
    h = makeIntakeHome({
      limits: { perWithdrawalSat: 1_000_000_000, rolling24h: { amountSat: 100_000_000, count: 3 } },
    });
    const a = submit(body(60_000_000n), 'a').withdrawal;
    expect(a.state).toBe('pending_approval');
    const b = submit(body(50_000_000n), 'b').withdrawal;
    expect(rejectionError(b)?.details.field).toBe('limits.rolling24h.amountSat');
    // a rejected request uses nothing: 60M + 40M fits exactly
    const c = submit(body(40_000_000n), 'c').withdrawal;
    expect(c.state).toBe('pending_approval');
    expect(rejectionError(submit(body(1n), 'd').withdrawal)?.details.field).toBe(
      'limits.rolling24h.amountSat',
    );
    // a cancelled one frees its amount
    cancelWithdrawal(h.home, c.requestId, { actor: 'test' }, h.clock.now);
    expect(submit(body(30_000_000n), 'e').withdrawal.state).toBe('pending_approval');
    // the window is the 24 h before now: a request made exactly 24 h ago no longer counts
    h.clock.now = T0 + DAY;
    const f = submit(body(60_000_000n), 'f').withdrawal;
    expect(f.state).toBe('pending_approval');
    const g = submit(body(1n), 'g').withdrawal;
    expect(g.state).toBe('pending_approval');
    // count: f and g are live in the window; h would be the third, i the fourth
    expect(submit(body(1n), 'h').withdrawal.state).toBe('pending_approval');
    expect(rejectionError(submit(body(1n), 'i').withdrawal)?.details.field).toBe('limits.rolling24h.count');
  });
});

describe('approvals', () => {
  it('moves a request to approved when the quorum is met (tier without delay)', () => {
    const w = submit(body(50_000_000n), 'k').withdrawal;
    const one = approve(w.requestId, approvalOf(w, 0, T0));
    expect(one.added).toBe(true);
    expect(one.withdrawal.state).toBe('pending_approval');
    expect(one.withdrawal.progress?.approvedBy).toEqual(['ops-1']);
    h.clock.now += 10;
    const two = approve(w.requestId, approvalOf(w, 1, T0 + 10));
    expect(two.withdrawal.state).toBe('approved');
    expect(two.withdrawal.approvals.map((a) => a.officerId)).toEqual(['ops-1', 'ops-2']);
    expect(two.withdrawal.progress).toMatchObject({
      approvedBy: ['ops-1', 'ops-2'],
      readyAt: T0 + 10,
      waitingFor: [],
    });
    // the same approval again: nothing written, same answer
    const head = auditHead(h.home);
    expect(approve(w.requestId, approvalOf(w, 1, T0 + 10)).added).toBe(false);
    expect(auditHead(h.home)).toBe(head);
    // a genuine approval after the quorum is not taken: it would restart a tier's delay
    expect(codeOf(() => approve(w.requestId, approvalOf(w, 2, T0 + 10)))).toBe('COORDINATOR_STATE_CONFLICT');
  });

  it('waits for the tier delay after the last approval, then refresh approves', () => {
    const w = submit(body(200_000_000n), 'k').withdrawal;
    approve(w.requestId, approvalOf(w, 0, T0));
    approve(w.requestId, approvalOf(w, 1, T0));
    expect(
      approve(w.requestId, approvalOf(w, 1, T0)).withdrawal.progress?.waitingFor.map((r) => r.field),
    ).toEqual(['tiers[1].approvals', 'tiers[1].requiredRoles', 'tiers[1].delaySeconds']);
    h.clock.now = T0 + 100;
    const third = approve(w.requestId, approvalOf(w, 2, T0 + 100));
    expect(third.withdrawal.state).toBe('pending_approval');
    expect(third.withdrawal.progress?.readyAt).toBe(T0 + 100 + 3600);
    expect(third.withdrawal.progress?.waitingFor.map((r) => r.code)).toEqual(['APPROVAL_DELAY_NOT_OVER']);

    h.clock.now = T0 + 100 + 3599;
    expect(refreshRequests(h.home, h.clock.now)).toEqual({ approved: [], expired: [] });
    h.clock.now = T0 + 100 + 3600;
    expect(refreshRequests(h.home, h.clock.now)).toEqual({ approved: [w.requestId], expired: [] });
    expect(showWithdrawal(h.home, w.requestId, h.clock.now).state).toBe('approved');
  });

  it('expires pending and approved requests at expiresAt; an expired one takes no approvals', () => {
    const pending = submit(body(1000n, testDestination(1), 600), 'p').withdrawal;
    const approved = submit(body(1000n, testDestination(2), 600), 'a').withdrawal;
    approve(approved.requestId, approvalOf(approved, 0, T0));
    expect(approve(approved.requestId, approvalOf(approved, 1, T0)).withdrawal.state).toBe('approved');
    h.clock.now = T0 + 599;
    expect(refreshRequests(h.home, h.clock.now).expired).toEqual([]);
    h.clock.now = T0 + 600;
    const late = approvalOf(pending, 0, T0 + 10);
    expect(codeOf(() => approve(pending.requestId, late))).toBe('APPROVAL_EXPIRED');
    expect(h.home.store.approvalsFor(pending.requestId)).toHaveLength(0);
    // list refreshes first: both show as expired
    const listed = listWithdrawals(h.home, { state: 'expired' }, h.clock.now);
    expect(listed.map((w) => w.requestId).sort()).toEqual([pending.requestId, approved.requestId].sort());
    expect(listed.every((w) => w.progress === null)).toBe(true);
  });

  it('refuses duplicate, foreign, forged, mismatched and stale approvals with their codes, storing nothing', () => {
    const w = submit(body(50_000_000n), 'k').withdrawal;
    const other = submit(body(50_000_000n, testDestination(2)), 'other').withdrawal;
    approve(w.requestId, approvalOf(w, 0, T0 - 60));
    const head = auditHead(h.home);
    const good = approvalOf(w, 1, T0);
    const forgedSignature = {
      ...good,
      signature: (good.signature[0] === 'a' ? 'b' : 'a') + good.signature.slice(1),
    };
    // a valid signature by a key that is no officer's (the BIP-340 test key 0x…07)
    const stranger = approvalWithKey(w, '00'.repeat(31) + '07');
    const cases: { description: string; run: () => unknown; code: string }[] = [
      {
        description: 'another approval by the same officer',
        run: () => approve(w.requestId, approvalOf(w, 0, T0)),
        code: 'COORDINATOR_DUPLICATE',
      },
      {
        description: 'a forged signature',
        run: () => approve(w.requestId, forgedSignature),
        code: 'APPROVAL_SIGNATURE_INVALID',
      },
      {
        description: 'a key that is no officer',
        run: () => approve(w.requestId, stranger),
        code: 'APPROVAL_OFFICER_UNKNOWN',
      },
      {
        description: 'an approval of another request',
        run: () => approve(w.requestId, approvalOf(other, 1, T0)),
        code: 'APPROVAL_MISMATCH',
      },
      {
        description: 'an approval of other content under the same id',
        run: () =>
          approve(w.requestId, {
            ...approvalOf({ ...w, request: { ...w.request, amountSat: '50000001' } }, 1, T0),
          }),
        code: 'APPROVAL_MISMATCH',
      },
      {
        description: 'an approval dated in the future',
        run: () => approve(w.requestId, approvalOf(w, 1, T0 + 301)),
        code: 'APPROVAL_EXPIRED',
      },
      {
        description: 'an unknown request',
        run: () =>
          submitApproval(
            h.home,
            approvalOf({ ...w, request: { ...w.request, requestId: 'ab'.repeat(32) } }, 1, T0),
            h.clock.now,
          ),
        code: 'COORDINATOR_NOT_FOUND',
      },
      {
        description: 'a malformed approval',
        run: () => approve(w.requestId, { ...good, version: 2 } as unknown as Approval),
        code: 'APPROVAL_INVALID',
      },
    ];
    for (const c of cases) {
      expect(codeOf(c.run), c.description).toBe(c.code);
      expect(auditHead(h.home), c.description).toBe(head);
    }
    expect(h.home.store.approvalsFor(w.requestId)).toHaveLength(1);
    expect(approve(w.requestId, good).withdrawal.state).toBe('approved');
  });

  it('drops approvals that no longer count instead of letting them block a fresh quorum', () => {
    h.close();
    h = makeIntakeHome({ approvalExpirySeconds: 3600 });
    const w = submit(body(50_000_000n, testDestination(1), 3000), 'k').withdrawal;
    // ops-1 signed with a clock running 50 minutes slow: the approval counts until T0 + 600
    approve(w.requestId, approvalOf(w, 0, T0 - 3000));
    h.clock.now = T0 + 700;
    const second = approve(w.requestId, approvalOf(w, 1, T0 + 700)).withdrawal;
    expect(second.state).toBe('pending_approval');
    expect(second.progress?.approvedBy).toEqual(['ops-2']);
    expect(second.progress?.waitingFor.map((r) => `${r.code} ${r.field}`)).toEqual([
      'APPROVAL_QUORUM_NOT_MET tiers[0].approvals',
      'APPROVAL_EXPIRED approvals[0]',
    ]);
    // the stale approval is no reason to refuse: two fresh ones make the quorum
    expect(approve(w.requestId, approvalOf(w, 2, T0 + 700)).withdrawal.state).toBe('approved');
  });
});

/** An approval signed by an arbitrary (public test) key. */
function approvalWithKey(w: WithdrawalView, privateKeyHex: string): Approval {
  return signApproval(parseRequest(w.request), hexToBytes(privateKeyHex), T0, new Uint8Array(32));
}

describe('cancel', () => {
  it('cancels pending and approved requests, twice is no error, final ones refuse', () => {
    const w = submit(body(1000n), 'k').withdrawal;
    const head = auditHead(h.home);
    const cancelled = cancelWithdrawal(h.home, w.requestId, { actor: 'cli' }, h.clock.now);
    expect(cancelled).toMatchObject({ changed: true, withdrawal: { state: 'cancelled' } });
    expect(auditHead(h.home)).not.toBe(head);
    expect(cancelWithdrawal(h.home, w.requestId, { actor: 'cli' }, h.clock.now).changed).toBe(false);
    expect(codeOf(() => approve(w.requestId, approvalOf(w, 0, T0)))).toBe('COORDINATOR_STATE_CONFLICT');

    const a = submit(body(1000n, testDestination(2)), 'a').withdrawal;
    approve(a.requestId, approvalOf(a, 0, T0));
    approve(a.requestId, approvalOf(a, 1, T0));
    expect(cancelWithdrawal(h.home, a.requestId, { actor: 'cli' }, h.clock.now).withdrawal.state).toBe(
      'cancelled',
    );

    const rejected = submit(body(1_500_000_000n), 'r').withdrawal;
    expect(codeOf(() => cancelWithdrawal(h.home, rejected.requestId, { actor: 'cli' }, h.clock.now))).toBe(
      'COORDINATOR_STATE_CONFLICT',
    );
    expect(codeOf(() => cancelWithdrawal(h.home, 'ab'.repeat(32), { actor: 'cli' }, h.clock.now))).toBe(
      'COORDINATOR_NOT_FOUND',
    );
  });

  it('refuses a batched request (cancel its batch) and another client’s request for an intake token', () => {
    const w = submit(body(1000n), 'k', 'tok_00000000000000aa').withdrawal;
    expect(
      codeOf(() =>
        cancelWithdrawal(
          h.home,
          w.requestId,
          { actor: 'x', ownClientId: 'tok_00000000000000bb' },
          h.clock.now,
        ),
      ),
    ).toBe('TOKEN_ROLE_FORBIDDEN');
    approve(w.requestId, approvalOf(w, 0, T0));
    approve(w.requestId, approvalOf(w, 1, T0));
    h.home.store.atomically(() => {
      h.home.store.insertBatch({
        batchId: 'b1',
        psbt: Uint8Array.of(1, 2, 3),
        txid: 'cd'.repeat(32),
        feeSat: 500n,
        feeRateSatVb: 2,
      });
      h.home.store.setRequestState(w.requestId, 'batched', { from: 'approved', batchId: 'b1' });
    });
    let error: unknown;
    try {
      cancelWithdrawal(h.home, w.requestId, { actor: 'cli' }, h.clock.now);
    } catch (e) {
      error = e;
    }
    expect(isKuraError(error, 'COORDINATOR_STATE_CONFLICT')).toBe(true);
    expect((error as Error).message).toMatch(/cancel its batch b1/);
  });
});
