// Property: whatever method, path, token, headers and body a caller sends, the API answers with a
// typed refusal (a known code with the HTTP status its table gives, as JSON) or a success, never
// an internal error, and a refusal never changes the store. The one refusal that is recorded on
// purpose is a policy rejection of a well-formed request (stored as rejected so that a retry with
// the same idempotency key gets the same answer); it is told apart by its requestId.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WithdrawalView } from '../../src/coordinator/intake/index.js';
import { TOKEN_ROLES } from '../../src/coordinator/store/index.js';
import { ERROR_CODES } from '../../src/errors.js';
import { testDestination } from '../helpers/scenario.js';
import { call, startApi, type ApiFixture } from './http-helpers.js';
import { approvalOf, auditHead, T0 } from './intake-fixture.js';

/** Fixed so that a failure reproduces; fast-check prints the counterexample and its path. */
const SEED = 20_240_607;
const RUNS = 400;

let api: ApiFixture;
let pending: WithdrawalView;
let toCancel: WithdrawalView;

beforeAll(async () => {
  api = await startApi();
  const submit = async (destination: string) => {
    const res = await call(api, 'POST', '/v1/withdrawals', {
      token: api.tokens.intake,
      body: { destination, amountSat: '50000000' },
      headers: { 'Idempotency-Key': destination },
    });
    return res.json<{ withdrawal: WithdrawalView }>().withdrawal;
  };
  pending = await submit(testDestination(1));
  toCancel = await submit(testDestination(3));
  api.home.store.insertBatch({
    batchId: 'b1',
    psbt: Uint8Array.of(1),
    txid: 'cd'.repeat(32),
    feeSat: 1n,
    feeRateSatVb: 1,
  });
});
afterAll(async () => {
  await api.stop();
});

const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 80 });

interface Target {
  readonly method: string;
  readonly path: string;
  /** A token the call is sent with (or a malformed Authorization header), or none. */
  readonly authorization: string | undefined;
}

/**
 * Mostly calls that reach a handler (a route's own method and path, a token of a role it
 * allows), so that bodies and headers are what gets tested; some of everything else.
 */
function targets(): fc.Arbitrary<Target> {
  const id = pending.requestId;
  const routes: { method: string; path: string; roles: readonly string[] }[] = [
    { method: 'GET', path: '/v1/health', roles: TOKEN_ROLES },
    { method: 'POST', path: '/v1/withdrawals', roles: ['intake'] },
    { method: 'POST', path: '/v1/withdrawals', roles: ['intake'] },
    { method: 'POST', path: '/v1/withdrawals', roles: ['intake'] },
    { method: 'GET', path: '/v1/withdrawals?state=pending_approval', roles: TOKEN_ROLES },
    { method: 'GET', path: `/v1/withdrawals/${id}`, roles: TOKEN_ROLES },
    { method: 'POST', path: `/v1/withdrawals/${id}/approvals`, roles: ['officer'] },
    { method: 'POST', path: `/v1/withdrawals/${id}/approvals`, roles: ['officer'] },
    { method: 'POST', path: `/v1/withdrawals/${id}/approvals`, roles: ['officer'] },
    { method: 'POST', path: `/v1/withdrawals/${toCancel.requestId}/cancel`, roles: ['intake', 'operator'] },
    { method: 'GET', path: '/v1/batches/b1/psbt', roles: ['operator', 'auditor'] },
  ];
  const tokens = TOKEN_ROLES.map((r) => api.tokens[r]);
  const bearer = (role: string) => `Bearer ${api.tokens[role as (typeof TOKEN_ROLES)[number]]}`;
  const reaching = fc.tuple(fc.constantFrom(...routes), fc.nat()).map(([r, n]) => ({
    method: r.method,
    path: r.path,
    authorization: bearer(r.roles[n % r.roles.length] ?? ''),
  }));
  const anything = fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
    path: fc.oneof(
      fc.constantFrom(...routes.map((r) => r.path), '/v1/batches/b1/signatures', '/v1/withdrawals?limit=5'),
      fc
        .tuple(fc.constantFrom('/v1/withdrawals', '/v1/batches', '/v1', ''), printable)
        .map(([prefix, rest]) => `${prefix}/${encodeURI(rest)}`),
    ),
    authorization: fc.oneof(
      fc.constant(undefined),
      fc.constantFrom(...tokens).map((t) => `Bearer ${t}`),
      fc
        .tuple(fc.constantFrom(...tokens), fc.nat(50), printable)
        .map(([t, at, x]) => `Bearer ${t.slice(0, at)}${x}`),
      printable,
    ),
  });
  return fc.oneof({ arbitrary: reaching, weight: 4 }, { arbitrary: anything, weight: 1 });
}

/** Bodies: valid ones, valid ones with one field replaced by anything, any JSON, any bytes. */
function bodies(): fc.Arbitrary<string | Uint8Array | undefined> {
  const validWithdrawal = { destination: testDestination(2), amountSat: '1000' };
  const validApproval = approvalOf(pending, 1, T0) as unknown as Record<string, unknown>;
  const mutated = (base: Record<string, unknown>) =>
    fc
      .tuple(fc.constantFrom(...Object.keys(base), 'extra'), fc.jsonValue())
      .map(([field, value]) => JSON.stringify({ ...base, [field]: value }));
  // Well-formed withdrawals of any size to any destination: created, refused by the policy
  // (recorded), of another network, or in conflict with an earlier body under the same key.
  const withdrawals = fc
    .record({
      destination: fc.constantFrom(
        testDestination(2),
        testDestination(4),
        'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
        'not an address',
      ),
      amountSat: fc.oneof(fc.bigInt(1n, 3_000_000_000n).map(String), fc.integer()),
      expiresInSeconds: fc.option(fc.integer({ min: -10, max: 800_000 }), { nil: undefined }),
    })
    .map((w) => JSON.stringify(w));
  return fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 1 },
    { arbitrary: fc.constant(JSON.stringify(validWithdrawal)), weight: 1 },
    { arbitrary: withdrawals, weight: 4 },
    { arbitrary: mutated(validWithdrawal), weight: 4 },
    { arbitrary: mutated(validApproval), weight: 4 },
    { arbitrary: fc.json(), weight: 2 },
    // JSON cut short somewhere, or plain text: UTF-8 that does not parse
    { arbitrary: fc.tuple(fc.json(), fc.nat()).map(([j, n]) => j.slice(0, n % (j.length + 1))), weight: 2 },
    { arbitrary: printable, weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: 300 }), weight: 1 },
  );
}

/** Mostly JSON, sometimes anything, sometimes none. */
const contentTypes: fc.Arbitrary<string | null> = fc.option(
  fc.oneof({ arbitrary: fc.constant('application/json'), weight: 4 }, { arbitrary: printable, weight: 1 }),
  { freq: 10 },
);

/** Short keys collide often: replays and idempotency conflicts; printable ones are mostly refused. */
const idempotencyKeys: fc.Arbitrary<string | undefined> = fc.oneof(
  { arbitrary: fc.stringMatching(/^[a-z0-9]{1,2}$/), weight: 3 },
  { arbitrary: printable, weight: 1 },
  { arbitrary: fc.constant(undefined), weight: 1 },
);

describe('the API under random calls', () => {
  it('answers only typed refusals or successes, and refusals change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        targets(),
        contentTypes,
        idempotencyKeys,
        bodies(),
        async ({ method, path, authorization }, contentType, idempotencyKey, body) => {
          const headers: Record<string, string> = {};
          if (authorization !== undefined) headers.Authorization = authorization;
          if (contentType !== null) headers['Content-Type'] = contentType;
          if (idempotencyKey !== undefined) headers['Idempotency-Key'] = idempotencyKey;
          const before = auditHead(api.home);
          const res = await call(api, method, path, {
            headers,
            ...(method === 'GET' || body === undefined ? {} : { body }),
          });
          expect(res.status).toBeLessThan(500);
          if (res.status < 400) return;
          const error = res.json<{ error: { code: string; message: string; requestId?: string } }>().error;
          expect(Object.keys(ERROR_CODES)).toContain(error.code);
          expect(ERROR_CODES[error.code as keyof typeof ERROR_CODES].http).toBe(res.status);
          expect(typeof error.message).toBe('string');
          expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
          const recordedRejection =
            res.status === 422 && error.requestId !== undefined && path === '/v1/withdrawals';
          if (!recordedRejection) expect(auditHead(api.home)).toBe(before);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
