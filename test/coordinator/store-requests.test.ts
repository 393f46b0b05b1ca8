// Requests and approvals in the store: idempotent intake, one approval per officer, and states
// that only move along the allowed transitions.
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store, type NewRequest } from '../../src/coordinator/store/index.js';
import { isKuraError } from '../../src/errors.js';
import { tempDir } from '../helpers/cli.js';

const NOW = 1_700_000_000;
let store: Store;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isKuraError(error)) return error.code;
    throw error;
  }
  return undefined;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function newRequest(overrides: Partial<NewRequest> = {}): NewRequest {
  const body = JSON.stringify({ destination: 'bcrt1qexample', amountSat: '150000' });
  return {
    requestId: randomBytes(32).toString('hex'),
    clientId: 'exchange-backend',
    idempotencyKey: randomBytes(8).toString('hex'),
    bodySha256: sha256(body),
    destination: 'bcrt1qexample',
    scriptPubKey: '0014' + '1'.repeat(40),
    amountSat: 150_000n,
    policyHash: 'b'.repeat(64),
    expiresAt: NOW + 86_400,
    ...overrides,
  };
}

beforeEach(() => {
  const path = join(tempDir('kura-store-'), 'kura.sqlite');
  store = Store.create(
    path,
    { network: 'regtest', walletId: 'a'.repeat(64), policyHash: 'b'.repeat(64), birthdayHeight: 0 },
    {},
    { now: () => NOW },
  );
});

afterEach(() => store.close());

describe('requests', () => {
  it('stores a request with its amount as bigint, pending approval', () => {
    const input = newRequest({ amountSat: 2_100_000_000_000_000n });
    const { request, created } = store.insertRequest(input);
    expect(created).toBe(true);
    expect(request).toMatchObject({
      state: 'pending_approval',
      batchId: null,
      refusal: null,
      createdAt: NOW,
    });
    expect(request.amountSat).toBe(2_100_000_000_000_000n);
    expect(store.requestById(input.requestId)).toEqual(request);
    expect(store.auditHead()?.type).toBe('request.create');
    expect((store.auditHead()?.data as { amountSat: string }).amountSat).toBe('2100000000000000');
  });

  it('returns the original request for the same idempotency key and body, writing nothing', () => {
    const input = newRequest();
    const first = store.insertRequest(input);
    const entries = store.verifyAudit().entries;
    const again = store.insertRequest({ ...input, requestId: randomBytes(32).toString('hex') });
    expect(again.created).toBe(false);
    expect(again.request).toEqual(first.request);
    expect(store.verifyAudit().entries).toBe(entries);
    expect(store.listRequests()).toHaveLength(1);
    expect(store.requestByIdempotencyKey(input.clientId, input.idempotencyKey)?.requestId).toBe(
      input.requestId,
    );
  });

  it('refuses the same idempotency key with another body', () => {
    const input = newRequest();
    store.insertRequest(input);
    const other = newRequest({
      idempotencyKey: input.idempotencyKey,
      bodySha256: sha256('other'),
      amountSat: 1n,
    });
    expect(codeOf(() => store.insertRequest(other))).toBe('COORDINATOR_IDEMPOTENCY_CONFLICT');
    expect(store.listRequests()).toHaveLength(1);
  });

  it('keeps idempotency keys per client', () => {
    const input = newRequest();
    store.insertRequest(input);
    const otherClient = newRequest({ idempotencyKey: input.idempotencyKey, clientId: 'another-client' });
    expect(store.insertRequest(otherClient).created).toBe(true);
  });

  it('stores a refused request as rejected with every reason, and returns the same refusal on retry', () => {
    const refusal = [
      { code: 'POLICY_LIMIT_EXCEEDED', field: 'amountSat' },
      { code: 'POLICY_DESTINATION_DENIED' },
    ];
    const input = newRequest({ refusal });
    const { request } = store.insertRequest(input);
    expect(request.state).toBe('rejected');
    expect(request.refusal).toEqual(refusal);
    expect(store.insertRequest(input).request.refusal).toEqual(refusal);
    expect(codeOf(() => store.setRequestState(input.requestId, 'approved'))).toBe(
      'COORDINATOR_STATE_CONFLICT',
    );
  });

  it.each([
    { description: 'a zero amount', input: { amountSat: 0n }, code: 'AMOUNT_INVALID' },
    {
      description: 'an amount over 21e14',
      input: { amountSat: 2_100_000_000_000_001n },
      code: 'AMOUNT_INVALID',
    },
    { description: 'a short request id', input: { requestId: 'abc' }, code: 'ARGUMENT_INVALID' },
    { description: 'an empty idempotency key', input: { idempotencyKey: '' }, code: 'ARGUMENT_INVALID' },
    {
      description: 'uppercase script hex',
      input: { scriptPubKey: '0014' + 'A'.repeat(40) },
      code: 'ARGUMENT_INVALID',
    },
  ])('refuses $description', ({ input, code }) => {
    expect(codeOf(() => store.insertRequest(newRequest(input)))).toBe(code);
    expect(store.listRequests()).toHaveLength(0);
  });

  it('moves along the allowed transitions only, with compare-and-set', () => {
    const { request } = store.insertRequest(newRequest());
    const id = request.requestId;
    expect(codeOf(() => store.setRequestState(id, 'batched', { batchId: 'b1' }))).toBe(
      'COORDINATOR_STATE_CONFLICT',
    );
    expect(store.setRequestState(id, 'approved', { from: 'pending_approval' }).state).toBe('approved');
    expect(codeOf(() => store.setRequestState(id, 'cancelled', { from: 'pending_approval' }))).toBe(
      'COORDINATOR_STATE_CONFLICT',
    );
    // a batched request needs its batch, and the batch must exist (foreign key)
    expect(codeOf(() => store.setRequestState(id, 'batched'))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => store.setRequestState(id, 'batched', { batchId: 'nope' }))).toBe('STORE_FAILED');
    store.insertBatch({
      batchId: 'b1',
      psbt: Uint8Array.of(1),
      txid: 'c'.repeat(64),
      feeSat: 500n,
      feeRateSatVb: 2,
    });
    expect(store.setRequestState(id, 'batched', { batchId: 'b1' }).batchId).toBe('b1');
    expect(store.setRequestState(id, 'signed').batchId).toBe('b1');
    expect(store.setRequestState(id, 'approved', { reason: 'batch b1 cancelled' }).batchId).toBeNull();
    expect(store.listRequests({ state: 'approved' }).map((r) => r.requestId)).toEqual([id]);
    expect(store.countRequestsByState()).toMatchObject({ approved: 1, pending_approval: 0 });
    expect(codeOf(() => store.setRequestState('0'.repeat(64), 'approved'))).toBe('COORDINATOR_NOT_FOUND');
  });
});

describe('approvals', () => {
  const officer = 'f'.repeat(64);
  const approval = (requestId: string, signature = '5'.repeat(128), approvedAt = NOW - 60) => ({
    requestId,
    officerPublicKey: officer,
    approvedAt,
    signature,
  });

  it('keeps one approval per officer per request; the same one again is a no-op', () => {
    const { request } = store.insertRequest(newRequest());
    expect(store.addApproval(approval(request.requestId)).added).toBe(true);
    const entries = store.verifyAudit().entries;
    expect(store.addApproval(approval(request.requestId)).added).toBe(false);
    expect(store.verifyAudit().entries).toBe(entries);
    expect(codeOf(() => store.addApproval(approval(request.requestId, '6'.repeat(128))))).toBe(
      'COORDINATOR_DUPLICATE',
    );
    expect(store.approvalsFor(request.requestId)).toEqual([
      { ...approval(request.requestId), receivedAt: NOW },
    ]);
  });

  it('counts the same officer separately on another request, and other officers on the same one', () => {
    const a = store.insertRequest(newRequest()).request.requestId;
    const b = store.insertRequest(newRequest()).request.requestId;
    store.addApproval(approval(a));
    store.addApproval(approval(b));
    store.addApproval({ ...approval(a), officerPublicKey: 'e'.repeat(64) });
    expect(store.approvalsFor(a)).toHaveLength(2);
    expect(store.approvalsFor(b)).toHaveLength(1);
  });

  it('refuses an approval of an unknown request or with a malformed signature', () => {
    expect(codeOf(() => store.addApproval(approval('0'.repeat(64))))).toBe('COORDINATOR_NOT_FOUND');
    const { request } = store.insertRequest(newRequest());
    expect(codeOf(() => store.addApproval(approval(request.requestId, 'zz')))).toBe('ARGUMENT_INVALID');
  });
});
