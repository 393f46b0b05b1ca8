// Access to the coordinator's HTTP API (faults issue, part 6), the parts test/coordinator/http.test.ts
// does not cover: a revoked token of every role on every route, the tokens of another coordinator
// home (well formed, unknown here) on every route, a body over its route's bound on every route
// that takes one, and how a token is compared — by its SHA-256, with crypto.timingSafeEqual over
// the fixed 32 bytes, the same work whether the token matches a stored one in no character or in
// all but the last. That last part is a unit test of the comparison, not a timing measurement:
// tests never depend on timing.
import { createHash } from 'node:crypto';
import * as nodeCrypto from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_JSON_BODY_BYTES, ROUTE_ROLES, type RouteKey } from '../../src/coordinator/http/index.js';
import { MAX_SIGNED_PSBT_BYTES } from '../../src/coordinator/http/batchRoutes.js';
import type { WithdrawalView } from '../../src/coordinator/intake/index.js';
import { TOKEN_ROLES, type TokenRole } from '../../src/coordinator/store/index.js';
import { authenticate, createToken, revokeToken } from '../../src/coordinator/tokens.js';
import { isKuraError } from '../../src/errors.js';
import { testDestination } from '../helpers/scenario.js';
import { call, rawExchange, startApi, type ApiFixture, type ApiResponse } from './http-helpers.js';
import { approvalOf, auditHead, T0 } from './intake-fixture.js';

// The real timingSafeEqual, watched: the test counts its calls and the sizes it compares.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const ROUTES = Object.keys(ROUTE_ROLES) as RouteKey[];

let api: ApiFixture;
/** Another coordinator home with its own tokens: well formed, unknown to `api`. */
let other: ApiFixture;
let revoked: Record<TokenRole, string>;
let pending: WithdrawalView;
let keyCounter = 0;

beforeAll(async () => {
  [api, other] = await Promise.all([startApi(), startApi()]);
  revoked = {} as Record<TokenRole, string>;
  for (const role of TOKEN_ROLES) {
    const made = createToken(api.home.store, role, `revoked ${role}`);
    revokeToken(api.home.store, made.tokenId);
    revoked[role] = made.token;
  }
  const res = await call(api, 'POST', '/v1/withdrawals', {
    token: api.tokens.intake,
    body: { destination: testDestination(1), amountSat: '50000000' },
    headers: { 'Idempotency-Key': 'access-pending' },
  });
  pending = res.json<{ withdrawal: WithdrawalView }>().withdrawal;
  api.home.store.insertBatch({
    batchId: 'access',
    psbt: Uint8Array.of(1),
    txid: 'cd'.repeat(32),
    feeSat: 1n,
    feeRateSatVb: 1,
  });
});
afterAll(async () => {
  await Promise.all([api.stop(), other.stop()]);
});

/** A call to `key` that succeeds (or is refused on its merits) with a token of an allowed role. */
function send(key: RouteKey, token: string | undefined): Promise<ApiResponse> {
  const id = pending.requestId;
  switch (key) {
    case 'GET /v1/health':
      return call(api, 'GET', '/v1/health', { token });
    case 'POST /v1/withdrawals':
      return call(api, 'POST', '/v1/withdrawals', {
        token,
        body: { destination: testDestination(2), amountSat: '1000' },
        headers: { 'Idempotency-Key': `access-${++keyCounter}` },
      });
    case 'GET /v1/withdrawals':
      return call(api, 'GET', '/v1/withdrawals', { token });
    case 'GET /v1/withdrawals/{id}':
      return call(api, 'GET', `/v1/withdrawals/${id}`, { token });
    case 'POST /v1/withdrawals/{id}/approvals':
      return call(api, 'POST', `/v1/withdrawals/${id}/approvals`, {
        token,
        body: approvalOf(pending, 2, T0),
      });
    case 'POST /v1/withdrawals/{id}/cancel':
      return call(api, 'POST', `/v1/withdrawals/${id}/cancel`, { token });
    case 'GET /v1/batches/{id}/psbt':
      return call(api, 'GET', '/v1/batches/access/psbt', { token });
    case 'POST /v1/batches/{id}/signatures':
      return call(api, 'POST', '/v1/batches/access/signatures', {
        token,
        body: Buffer.from('70736274ff', 'hex'),
        headers: { 'Content-Type': 'application/octet-stream' },
      });
  }
}

const everyRouteAndRole = ROUTES.flatMap((key) => TOKEN_ROLES.map((role) => ({ key, role })));

describe('tokens that are refused on every route, whatever their role', () => {
  it.each(everyRouteAndRole)('$key: a revoked $role token is 401 TOKEN_REVOKED', async ({ key, role }) => {
    const head = auditHead(api.home);
    const res = await send(key, revoked[role]);
    expect(res.status, res.text).toBe(401);
    expect(res.code).toBe('TOKEN_REVOKED');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(auditHead(api.home)).toBe(head);
  });

  it.each(everyRouteAndRole)(
    "$key: another home's $role token is 401 TOKEN_INVALID",
    async ({ key, role }) => {
      const head = auditHead(api.home);
      const res = await send(key, other.tokens[role]);
      expect(res.status, res.text).toBe(401);
      expect(res.code).toBe('TOKEN_INVALID');
      expect(auditHead(api.home)).toBe(head);
    },
  );

  // Last, since a successful call changes the store: the same calls with a live token of an
  // allowed role get past authentication, so the refusals above were about the token alone.
  it.each(ROUTES)(
    '%s: the same call with a live token of an allowed role is not refused for its token',
    async (key) => {
      const role = ROUTE_ROLES[key][0] as TokenRole;
      const res = await send(key, api.tokens[role]);
      expect([401, 403], res.text).not.toContain(res.status);
    },
  );
});

describe('request bodies over their bound', () => {
  /** The routes that read a body, with the bound their handler reads up to. */
  const bounded: { key: RouteKey; path: () => string; role: TokenRole; type: string; max: number }[] = [
    {
      key: 'POST /v1/withdrawals',
      path: () => '/v1/withdrawals',
      role: 'intake',
      type: 'application/json',
      max: MAX_JSON_BODY_BYTES,
    },
    {
      key: 'POST /v1/withdrawals/{id}/approvals',
      path: () => `/v1/withdrawals/${pending.requestId}/approvals`,
      role: 'officer',
      type: 'application/json',
      max: MAX_JSON_BODY_BYTES,
    },
    {
      key: 'POST /v1/batches/{id}/signatures',
      path: () => '/v1/batches/access/signatures',
      role: 'operator',
      type: 'application/octet-stream',
      max: MAX_SIGNED_PSBT_BYTES,
    },
  ];

  it('covers every POST route that reads a body', () => {
    const posts = ROUTES.filter((k) => k.startsWith('POST'));
    // the cancel route reads no body at all; every other POST route is in the table
    expect([...bounded.map((b) => b.key), 'POST /v1/withdrawals/{id}/cancel'].sort()).toEqual(posts.sort());
  });

  it.each(bounded)('$key: a declared length one byte over $max is 413 before the body is sent', async (b) => {
    const head = auditHead(api.home);
    // Only the headers: the server must answer from the declared length without waiting for bytes.
    const answer = await rawExchange(
      api.url,
      [
        `POST ${b.path()} HTTP/1.1`,
        'Host: 127.0.0.1',
        `Authorization: Bearer ${api.tokens[b.role]}`,
        `Content-Type: ${b.type}`,
        'Idempotency-Key: access-large',
        `Content-Length: ${b.max + 1}`,
        '',
        '',
      ].join('\r\n'),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain('"code":"HTTP_BODY_TOO_LARGE"');
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(auditHead(api.home)).toBe(head);
  });

  it.each(bounded.filter((b) => b.max === MAX_JSON_BODY_BYTES))(
    '$key: a chunked body that grows past $max is 413',
    async (b) => {
      const head = auditHead(api.home);
      // fetch sends a body of known size with Content-Length: the chunked body goes over a socket
      const chunk = `${(4096).toString(16)}\r\n${'a'.repeat(4096)}\r\n`;
      const answer = await rawExchange(
        api.url,
        [
          `POST ${b.path()} HTTP/1.1`,
          'Host: 127.0.0.1',
          `Authorization: Bearer ${api.tokens[b.role]}`,
          `Content-Type: ${b.type}`,
          'Idempotency-Key: access-chunked',
          'Transfer-Encoding: chunked',
          '',
          `${chunk.repeat(Math.ceil(b.max / 4096) + 1)}0\r\n\r\n`,
        ].join('\r\n'),
      );
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toContain('"code":"HTTP_BODY_TOO_LARGE"');
      expect(auditHead(api.home)).toBe(head);
    },
  );
});

describe('how a presented token is compared', () => {
  const timingSafeEqual = vi.mocked(nodeCrypto.timingSafeEqual);
  const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
  let store: ApiFixture['home']['store'];
  let real: string;
  let revokedToken: string;

  beforeAll(() => {
    store = api.home.store;
    real = api.tokens.operator;
    revokedToken = revoked.auditor;
  });
  beforeEach(() => {
    timingSafeEqual.mockClear();
  });

  /** What authenticate did for one header: its store lookups, its comparisons, and its answer. */
  function trace(token: string) {
    const lookup = vi.spyOn(store, 'tokenByDigest');
    timingSafeEqual.mockClear();
    let answer: string;
    try {
      answer = authenticate(store, `Bearer ${token}`).role;
    } catch (error) {
      if (!isKuraError(error)) throw error;
      answer = error.code;
    }
    const lookups = lookup.mock.calls.map(([digest]) => digest);
    lookup.mockRestore();
    const comparisons = timingSafeEqual.mock.calls.map(([a, b]) => [
      (a as Uint8Array).length,
      (b as Uint8Array).length,
    ]);
    return { answer, lookups, comparisons };
  }

  /** The real token with its last `n` characters replaced (still a well-formed token). */
  function differingInLast(n: number): string {
    const tail = [...real.slice(-n)].map((c) => (c === 'A' ? 'B' : 'A')).join('');
    return real.slice(0, -n) + tail;
  }

  it('looks a token up by the SHA-256 of all of it, never by the token or a part of it', () => {
    for (const token of [real, differingInLast(1), differingInLast(43), revokedToken]) {
      const { lookups } = trace(token);
      expect(lookups).toEqual([sha256(token)]);
      expect(lookups[0]).not.toContain(token.slice(5, 15));
    }
  });

  it('compares 32 bytes with timingSafeEqual once, whether a row matched or not', () => {
    const cases = {
      valid: real,
      'wrong in the last character': differingInLast(1),
      'wrong in the last 10 characters': differingInLast(10),
      'wrong in every character after kura_': differingInLast(43),
      'of another home': other.tokens.operator,
      revoked: revokedToken,
    };
    const traces = Object.fromEntries(Object.entries(cases).map(([name, token]) => [name, trace(token)]));
    expect(Object.fromEntries(Object.entries(traces).map(([name, t]) => [name, t.answer]))).toEqual({
      valid: 'operator',
      'wrong in the last character': 'TOKEN_INVALID',
      'wrong in the last 10 characters': 'TOKEN_INVALID',
      'wrong in every character after kura_': 'TOKEN_INVALID',
      'of another home': 'TOKEN_INVALID',
      revoked: 'TOKEN_REVOKED',
    });
    // The same work for all of them: one lookup by a 64-hex digest, one 32-byte constant-time
    // comparison; how much of the token matched a stored one changes neither.
    for (const [name, t] of Object.entries(traces)) {
      expect(
        t.lookups.map((d) => d.length),
        name,
      ).toEqual([64]);
      expect(t.comparisons, name).toEqual([[32, 32]]);
    }
  });

  it('refuses a malformed token before any lookup: its format is public, not a secret', () => {
    for (const token of [
      real.slice(0, -1),
      `${real}A`,
      real.replace('kura_', 'kurb_'),
      `${real.slice(0, -1)}!`,
    ]) {
      const t = trace(token);
      expect(t.answer, token).toBe('TOKEN_INVALID');
      expect(t.lookups).toEqual([]);
      expect(t.comparisons).toEqual([]);
    }
  });
});
