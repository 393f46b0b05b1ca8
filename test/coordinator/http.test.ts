// The coordinator's HTTP API on a real server and home (no node needed): the withdrawal flow,
// every route against every role, tokens, bodies and headers that are refused with their codes,
// and refusals that leave the store exactly as it was.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  route,
  ROUTE_ROLES,
  startCoordinatorServer,
  type RouteKey,
} from '../../src/coordinator/http/index.js';
import { openCoordinatorHome } from '../../src/coordinator/home.js';
import { submitWithdrawal, type WithdrawalView } from '../../src/coordinator/intake/index.js';
import { TOKEN_ROLES, type TokenRole } from '../../src/coordinator/store/index.js';
import { revokeToken } from '../../src/coordinator/tokens.js';
import { ERROR_CODES } from '../../src/errors.js';
import { testDestination } from '../helpers/scenario.js';
import {
  call,
  chunkedPost,
  rawExchange,
  startApi,
  type ApiFixture,
  type ApiResponse,
} from './http-helpers.js';
import { approvalOf, auditHead, T0 } from './intake-fixture.js';

let api: ApiFixture;
let keyCounter = 0;

const withdrawalBody = (amountSat: string | number = '50000000', destination = testDestination(1)) => ({
  destination,
  amountSat,
});

function post(path: string, body: unknown, role: TokenRole = 'intake', headers: Record<string, string> = {}) {
  return call(api, 'POST', path, { token: api.tokens[role], body, headers });
}

async function submitted(amountSat = '50000000', key = `key-${++keyCounter}`): Promise<WithdrawalView> {
  const res = await post('/v1/withdrawals', withdrawalBody(amountSat), 'intake', { 'Idempotency-Key': key });
  expect(res.status).toBe(201);
  return res.json<{ withdrawal: WithdrawalView }>().withdrawal;
}

beforeEach(async () => {
  api = await startApi();
});
afterEach(async () => {
  await api.stop();
});

describe('withdrawals over HTTP', () => {
  it('creates a request once per idempotency key and body, and refuses the key with another body', async () => {
    const headers = { 'Idempotency-Key': 'payout-42' };
    const first = await post('/v1/withdrawals', withdrawalBody(), 'intake', headers);
    expect(first.status).toBe(201);
    const created = first.json<{ withdrawal: WithdrawalView }>().withdrawal;
    expect(created).toMatchObject({
      state: 'pending_approval',
      amountSat: '50000000',
      clientId: api.tokenIds.intake,
    });
    expect(first.headers.get('location')).toBe(`/v1/withdrawals/${created.requestId}`);

    const head = auditHead(api.home);
    const again = await post('/v1/withdrawals', withdrawalBody(50_000_000), 'intake', headers);
    expect(again.status).toBe(200);
    expect(again.json<{ withdrawal: WithdrawalView }>().withdrawal.requestId).toBe(created.requestId);

    const other = await post('/v1/withdrawals', withdrawalBody('50000001'), 'intake', headers);
    expect(other.status).toBe(409);
    expect(other.json()).toMatchObject({
      error: {
        code: 'COORDINATOR_IDEMPOTENCY_CONFLICT',
        field: 'Idempotency-Key',
        requestId: created.requestId,
      },
    });
    expect(auditHead(api.home)).toBe(head);

    const missing = await post('/v1/withdrawals', withdrawalBody(), 'intake');
    expect(missing.status).toBe(400);
    expect(missing.json()).toMatchObject({ error: { code: 'REQUEST_INVALID', field: 'Idempotency-Key' } });
  });

  it('refuses a destination of another network and answers a policy refusal with 422 and every reason', async () => {
    const mainnet = await post(
      '/v1/withdrawals',
      withdrawalBody('1000', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'),
      'intake',
      { 'Idempotency-Key': 'm' },
    );
    expect(mainnet.status).toBe(400);
    expect(mainnet.json()).toMatchObject({ error: { code: 'ADDRESS_INVALID', field: 'destination' } });

    const refused = await post('/v1/withdrawals', withdrawalBody('1500000000'), 'intake', {
      'Idempotency-Key': 'r',
    });
    expect(refused.status).toBe(422);
    const error = refused.json<{ error: { code: string; reasons: { field: string }[]; requestId: string } }>()
      .error;
    expect(error.code).toBe('POLICY_REFUSED');
    expect(error.reasons.map((r) => r.field)).toEqual(['limits.perWithdrawalSat', 'tiers']);
    const retry = await post('/v1/withdrawals', withdrawalBody('1500000000'), 'intake', {
      'Idempotency-Key': 'r',
    });
    expect(retry.status).toBe(422);
    expect(retry.json()).toEqual(refused.json());
    const shown = await call(api, 'GET', `/v1/withdrawals/${error.requestId}`, { token: api.tokens.auditor });
    expect(shown.json<{ withdrawal: WithdrawalView }>().withdrawal.state).toBe('rejected');
  });

  it('takes approvals from officers up to approved, lists by state, and cancels', async () => {
    const w = await submitted();
    const path = `/v1/withdrawals/${w.requestId}/approvals`;
    const one = await post(path, approvalOf(w, 0, T0), 'officer');
    expect(one.status).toBe(201);
    expect(one.json()).toMatchObject({ added: true, withdrawal: { state: 'pending_approval' } });
    expect((await post(path, approvalOf(w, 0, T0), 'officer')).status).toBe(200);
    const elsewhere = await submitted('1000');
    const misrouted = await post(
      `/v1/withdrawals/${elsewhere.requestId}/approvals`,
      approvalOf(w, 1, T0),
      'officer',
    );
    expect(misrouted.json()).toMatchObject({ error: { code: 'APPROVAL_MISMATCH', field: 'requestId' } });
    expect(misrouted.status).toBe(422);
    const two = await post(path, approvalOf(w, 1, T0), 'officer');
    expect(two.json()).toMatchObject({ added: true, withdrawal: { state: 'approved' } });

    const approved = await call(api, 'GET', '/v1/withdrawals?state=approved', { token: api.tokens.officer });
    expect(approved.json<{ withdrawals: WithdrawalView[] }>().withdrawals.map((x) => x.requestId)).toEqual([
      w.requestId,
    ]);
    const all = await call(api, 'GET', '/v1/withdrawals?limit=1', { token: api.tokens.operator });
    expect(all.json<{ withdrawals: unknown[] }>().withdrawals).toHaveLength(1);
    for (const query of [
      'state=paid',
      'limit=0',
      'limit=1001',
      'satte=approved',
      'state=approved&state=expired',
    ]) {
      const bad = await call(api, 'GET', `/v1/withdrawals?${query}`, { token: api.tokens.auditor });
      expect(bad.code, query).toBe('ARGUMENT_INVALID');
      expect(bad.status).toBe(400);
    }

    const cancelled = await post(`/v1/withdrawals/${w.requestId}/cancel`, undefined, 'operator');
    expect(cancelled.json()).toMatchObject({ changed: true, withdrawal: { state: 'cancelled' } });
    expect((await post(`/v1/withdrawals/${elsewhere.requestId}/cancel`, undefined, 'intake')).status).toBe(
      200,
    );
  });

  it('lets an intake token cancel only the requests it submitted', async () => {
    const theirs = submitWithdrawal(
      api.home,
      {
        clientId: 'cli',
        idempotencyKey: 'k',
        body: { destination: testDestination(1), amountSat: 1000n, expiresInSeconds: null },
      },
      T0,
    ).withdrawal;
    const head = auditHead(api.home);
    const res = await post(`/v1/withdrawals/${theirs.requestId}/cancel`, undefined, 'intake');
    expect(res.status).toBe(403);
    expect(res.code).toBe('TOKEN_ROLE_FORBIDDEN');
    expect(auditHead(api.home)).toBe(head);
  });

  it('refuses ids that are malformed or unknown', async () => {
    const token = api.tokens.auditor;
    expect((await call(api, 'GET', '/v1/withdrawals/xyz', { token })).code).toBe('ARGUMENT_INVALID');
    const unknown = await call(api, 'GET', `/v1/withdrawals/${'ab'.repeat(32)}`, { token });
    expect(unknown.status).toBe(404);
    expect(unknown.code).toBe('COORDINATOR_NOT_FOUND');
    expect((await call(api, 'GET', '/v1/withdrawals/%E0%A4%A', { token })).code).toBe(
      'HTTP_REQUEST_MALFORMED',
    );
    expect((await call(api, 'GET', '/v1/batches/no%20such/psbt', { token })).code).toBe('ARGUMENT_INVALID');
  });
});

describe('batch PSBT', () => {
  it('serves the PSBT as binary or base64 to operators and auditors', async () => {
    const psbt = Uint8Array.from(Buffer.from('70736274ff01000a0200000000000000000000', 'hex'));
    api.home.store.insertBatch({
      batchId: 'batch-7',
      psbt,
      txid: 'cd'.repeat(32),
      feeSat: 500n,
      feeRateSatVb: 2,
    });
    const binary = await call(api, 'GET', '/v1/batches/batch-7/psbt', { token: api.tokens.operator });
    expect(binary.status).toBe(200);
    expect(binary.headers.get('content-type')).toBe('application/octet-stream');
    expect(binary.headers.get('content-disposition')).toBe('attachment; filename="batch-7.psbt"');
    expect(Buffer.from(binary.bytes).equals(Buffer.from(psbt))).toBe(true);
    const text = await call(api, 'GET', '/v1/batches/batch-7/psbt?format=base64', {
      token: api.tokens.auditor,
    });
    expect(text.text).toBe(Buffer.from(psbt).toString('base64'));
    const missing = await call(api, 'GET', '/v1/batches/batch-8/psbt', { token: api.tokens.auditor });
    expect(missing.status).toBe(404);
    expect(missing.code).toBe('COORDINATOR_NOT_FOUND');
    expect(
      (await call(api, 'GET', '/v1/batches/batch-7/psbt?format=hex', { token: api.tokens.auditor })).code,
    ).toBe('ARGUMENT_INVALID');
  });
});

describe('health', () => {
  it('answers status alone without a token, and the details to any role', async () => {
    const anonymous = await call(api, 'GET', '/v1/health');
    expect(anonymous.status).toBe(200);
    expect(anonymous.json()).toEqual({ status: 'ok' });
    await submitted();
    for (const role of TOKEN_ROLES) {
      const res = await call(api, 'GET', '/v1/health', { token: api.tokens[role] });
      expect(res.json()).toMatchObject({
        status: 'ok',
        time: T0,
        network: 'regtest',
        walletId: api.walletId,
        node: { status: 'not configured' },
        store: { tip: null },
        requests: { pending_approval: 1, approved: 0 },
      });
    }
    expect((await call(api, 'GET', '/v1/health', { token: 'kura_nope' })).code).toBe('TOKEN_INVALID');
  });

  it('shows what the injected provider reports, and its failure as a typed status', async () => {
    let calls = 0;
    const server = await startCoordinatorServer({
      home: api.home,
      listen: { host: '127.0.0.1', port: 0 },
      now: () => T0,
      health: () => {
        calls += 1;
        if (calls > 1) throw new Error('node gone');
        return Promise.resolve({ status: 'synced', height: 512 });
      },
    });
    try {
      const first = await call(server, 'GET', '/v1/health', { token: api.tokens.auditor });
      expect(first.json()).toMatchObject({ node: { status: 'synced', height: 512 } });
      const second = await call(server, 'GET', '/v1/health', { token: api.tokens.auditor });
      expect(second.status).toBe(200);
      expect(second.json()).toMatchObject({ node: { status: 'error', code: 'INTERNAL' } });
    } finally {
      await server.close();
    }
  });
});

/**
 * One valid call per route: `prepare` makes what the call needs (a request to show, approve or
 * cancel, submitted by the intake token) and returns the call, to be made with a role's token.
 * The signature import is a stub plugged in the way the batch module will plug in its own, to
 * show that the role table governs plugged-in routes too.
 */
async function prepare(key: RouteKey): Promise<(token: string) => Promise<ApiResponse>> {
  switch (key) {
    case 'GET /v1/health':
      return (token) => call(api, 'GET', '/v1/health', { token });
    case 'POST /v1/withdrawals':
      return (token) =>
        call(api, 'POST', '/v1/withdrawals', {
          token,
          body: withdrawalBody('1000'),
          headers: { 'Idempotency-Key': `matrix-${++keyCounter}` },
        });
    case 'GET /v1/withdrawals':
      return (token) => call(api, 'GET', '/v1/withdrawals', { token });
    case 'GET /v1/withdrawals/{id}': {
      const w = await submitted();
      return (token) => call(api, 'GET', `/v1/withdrawals/${w.requestId}`, { token });
    }
    case 'POST /v1/withdrawals/{id}/approvals': {
      const w = await submitted();
      const approval = approvalOf(w, 0, T0);
      return (token) =>
        call(api, 'POST', `/v1/withdrawals/${w.requestId}/approvals`, { token, body: approval });
    }
    case 'POST /v1/withdrawals/{id}/cancel': {
      const w = await submitted();
      return (token) => call(api, 'POST', `/v1/withdrawals/${w.requestId}/cancel`, { token });
    }
    case 'GET /v1/batches/{id}/psbt':
      return (token) => call(api, 'GET', '/v1/batches/matrix/psbt', { token });
    case 'POST /v1/batches/{id}/signatures':
      return (token) =>
        call(api, 'POST', '/v1/batches/matrix/signatures', {
          token,
          body: Buffer.from('70736274ff', 'hex'),
          headers: { 'Content-Type': 'application/octet-stream' },
        });
  }
}

describe('roles', () => {
  const cases = (Object.keys(ROUTE_ROLES) as RouteKey[]).flatMap((key) =>
    TOKEN_ROLES.map((role) => ({
      key,
      role,
      allowed: (ROUTE_ROLES[key] as readonly string[]).includes(role),
    })),
  );

  it('gives each role what the faults issue says, in one table', () => {
    // an intake token cannot approve; an officer cannot build or import; an auditor only reads
    expect(ROUTE_ROLES['POST /v1/withdrawals/{id}/approvals']).toEqual(['officer']);
    expect(ROUTE_ROLES['POST /v1/withdrawals']).toEqual(['intake']);
    for (const key of Object.keys(ROUTE_ROLES) as RouteKey[]) {
      if (key.startsWith('POST')) expect(ROUTE_ROLES[key], key).not.toContain('auditor');
      if (key.startsWith('GET')) expect(ROUTE_ROLES[key], key).toContain('auditor');
      if (key.includes('/batches')) expect(ROUTE_ROLES[key], key).not.toContain('officer');
      if (key.includes('/batches')) expect(ROUTE_ROLES[key], key).not.toContain('intake');
    }
  });

  it.each(cases)('$key as $role: allowed $allowed', async ({ key, role, allowed }) => {
    await api.stop();
    api = await startApi();
    api.home.store.insertBatch({
      batchId: 'matrix',
      psbt: Uint8Array.of(1),
      txid: 'cd'.repeat(32),
      feeSat: 1n,
      feeRateSatVb: 1,
    });
    const send = await prepare(key);
    const head = auditHead(api.home);
    const res = await send(api.tokens[role]);
    if (allowed && key === 'POST /v1/batches/{id}/signatures') {
      // past the role check, the batch module refuses the bare PSBT magic on its merits
      expect(res.json(), res.text).toMatchObject({ error: { code: 'PSBT_MALFORMED' } });
    } else if (allowed) {
      expect(res.status, res.text).toBeLessThan(300);
    } else {
      expect(res.status).toBe(403);
      expect(res.json()).toMatchObject({ error: { code: 'TOKEN_ROLE_FORBIDDEN', field: 'role' } });
      expect(auditHead(api.home)).toBe(head);
    }
  });
});

describe('tokens', () => {
  it.each([
    { description: 'no header', header: undefined, code: 'TOKEN_MISSING' },
    { description: 'an empty header', header: '', code: 'TOKEN_MISSING' },
    { description: 'another scheme', header: 'Basic a3VyYTprdXJh', code: 'TOKEN_INVALID' },
    { description: 'a token without the scheme', header: 'TOKEN', code: 'TOKEN_INVALID' },
    { description: 'a truncated token', header: 'Bearer TOKEN-1', code: 'TOKEN_INVALID' },
    { description: 'an unknown token', header: `Bearer kura_${'A'.repeat(43)}`, code: 'TOKEN_INVALID' },
    { description: 'a very long header', header: `Bearer ${'A'.repeat(5000)}`, code: 'TOKEN_INVALID' },
  ])('refuses $description with 401 $code, changing nothing', async ({ header, code }) => {
    const head = auditHead(api.home);
    const headers: Record<string, string> = { 'Idempotency-Key': 'k' };
    if (header !== undefined) {
      headers.Authorization = header
        .replace('TOKEN-1', api.tokens.intake.slice(0, -1))
        .replace('TOKEN', api.tokens.intake);
    }
    const res = await call(api, 'POST', '/v1/withdrawals', { body: withdrawalBody(), headers });
    expect(res.status).toBe(401);
    expect(res.code).toBe(code);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(auditHead(api.home)).toBe(head);
  });

  it('refuses a revoked token from the next call on', async () => {
    await submitted();
    revokeToken(api.home.store, api.tokenIds.intake);
    const res = await post('/v1/withdrawals', withdrawalBody(), 'intake', { 'Idempotency-Key': 'after' });
    expect(res.status).toBe(401);
    expect(res.code).toBe('TOKEN_REVOKED');
  });

  it('refuses a token another process revoked while the server remembered it, storing nothing', async () => {
    await submitted(); // the server has now seen the intake token valid
    const other = openCoordinatorHome(api.path, { now: () => api.clock.now });
    try {
      revokeToken(other.store, api.tokenIds.intake);
    } finally {
      other.close();
    }
    const head = auditHead(api.home);
    // a bad body too: the token is refused first, as on every route
    const badBody = await post('/v1/withdrawals', { destination: 'nowhere' }, 'intake', {
      'Idempotency-Key': 'after-0',
    });
    expect(badBody.code).toBe('TOKEN_REVOKED');
    for (const key of ['after-1', 'after-2']) {
      const res = await post('/v1/withdrawals', withdrawalBody(), 'intake', { 'Idempotency-Key': key });
      expect(res.status).toBe(401);
      expect(res.code).toBe('TOKEN_REVOKED');
    }
    expect(auditHead(api.home)).toBe(head);
    expect(api.home.store.countRequestsByState().pending_approval).toBe(1);
  });

  it('reads a remembered withdrawal token only inside the transaction that stores the request', async () => {
    const reads: boolean[] = [];
    const tokenByDigest = api.home.store.tokenByDigest.bind(api.home.store);
    const spy = vi.spyOn(api.home.store, 'tokenByDigest').mockImplementation((digest) => {
      reads.push(api.home.store.inTransaction);
      return tokenByDigest(digest);
    });
    try {
      await submitted();
      await submitted();
      await submitted();
    } finally {
      spy.mockRestore();
    }
    // the first call authenticates from the store; every call confirms inside its transaction
    expect(reads).toEqual([false, true, true, true]);
  });
});

describe('bodies, headers and paths', () => {
  const headers = () => ({
    Authorization: `Bearer ${api.tokens.intake}`,
    'Idempotency-Key': `b-${++keyCounter}`,
  });

  it.each([
    {
      description: 'malformed JSON',
      body: '{"destination": ',
      type: 'application/json',
      status: 400,
      code: 'JSON_MALFORMED',
    },
    { description: 'an empty body', body: '', type: 'application/json', status: 400, code: 'JSON_MALFORMED' },
    {
      description: 'invalid UTF-8',
      body: Buffer.from([0x7b, 0xff, 0x7d]),
      type: 'application/json',
      status: 400,
      code: 'JSON_MALFORMED',
    },
    {
      description: 'a JSON string',
      body: '"hello"',
      type: 'application/json',
      status: 400,
      code: 'REQUEST_INVALID',
    },
    {
      description: 'form data',
      body: 'destination=x&amountSat=1',
      type: 'application/x-www-form-urlencoded',
      status: 415,
      code: 'HTTP_CONTENT_TYPE_UNSUPPORTED',
    },
    {
      description: 'text',
      body: '{}',
      type: 'text/plain',
      status: 415,
      code: 'HTTP_CONTENT_TYPE_UNSUPPORTED',
    },
    {
      description: 'another charset',
      body: '{}',
      type: 'application/json; charset=latin1',
      status: 415,
      code: 'HTTP_CONTENT_TYPE_UNSUPPORTED',
    },
  ])('refuses $description with $status $code', async ({ body, type, status, code }) => {
    const head = auditHead(api.home);
    const res = await call(api, 'POST', '/v1/withdrawals', {
      body,
      headers: { ...headers(), 'Content-Type': type },
    });
    expect(res.status).toBe(status);
    expect(res.code).toBe(code);
    expect(ERROR_CODES[code as keyof typeof ERROR_CODES].http).toBe(status);
    expect(auditHead(api.home)).toBe(head);
  });

  it('accepts JSON with a charset utf-8 parameter', async () => {
    const res = await call(api, 'POST', '/v1/withdrawals', {
      body: JSON.stringify(withdrawalBody()),
      headers: { ...headers(), 'Content-Type': 'Application/JSON; charset="UTF-8"' },
    });
    expect(res.status).toBe(201);
  });

  it('refuses a body over 64 KiB, declared or chunked, before buffering it', async () => {
    const head = auditHead(api.home);
    const padding = 'x'.repeat(70 * 1024);
    const declared = await call(api, 'POST', '/v1/withdrawals', {
      body: JSON.stringify({ ...withdrawalBody(), padding }),
      headers: { ...headers(), 'Content-Type': 'application/json' },
    });
    expect(declared.status).toBe(413);
    expect(declared.code).toBe('HTTP_BODY_TOO_LARGE');
    const chunks = [
      Buffer.from('{"destination":"'),
      ...Array.from({ length: 20 }, () => Buffer.alloc(4096, 0x61)),
      Buffer.from('"}'),
    ];
    const chunked = await chunkedPost(
      api.url,
      '/v1/withdrawals',
      { ...headers(), 'Content-Type': 'application/json' },
      chunks,
    );
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.text)).toMatchObject({ error: { code: 'HTTP_BODY_TOO_LARGE' } });
    expect(auditHead(api.home)).toBe(head);
  });

  it('answers unknown paths with 404 and other methods with 405 and Allow', async () => {
    const token = api.tokens.auditor;
    for (const path of [
      '/',
      '/v1',
      '/v1/withdrawals/',
      '/v2/withdrawals',
      '/v1/withdrawals//approvals',
      '/v1/health/x',
    ]) {
      const res = await call(api, 'GET', path, { token });
      expect(res.code, path).toBe('HTTP_ROUTE_NOT_FOUND');
      expect(res.status).toBe(404);
    }
    const res = await call(api, 'DELETE', '/v1/withdrawals', { token });
    expect(res.status).toBe(405);
    expect(res.code).toBe('HTTP_METHOD_NOT_ALLOWED');
    expect(res.headers.get('allow')).toBe('POST, GET');
  });

  it('answers a request that does not parse as HTTP with a typed error', async () => {
    const answer = await rawExchange(api.url, 'GARBAGE\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(answer).toContain('"code":"HTTP_REQUEST_MALFORMED"');
    const huge = await rawExchange(
      api.url,
      `GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(huge).toContain('"code":"HTTP_REQUEST_MALFORMED"');
  });
});

describe('plugging in routes', () => {
  it('refuses a route registered twice', async () => {
    const twice = route('GET /v1/health', () => ({ status: 200, json: {} }));
    await expect(
      startCoordinatorServer({ home: api.home, listen: { host: '127.0.0.1', port: 0 }, routes: [twice] }),
    ).rejects.toThrow(/registered twice/);
  });

  it('sends a JSON or text answer with its length in UTF-8 bytes, not in characters', async () => {
    const text = 'naïve ₿ 𝄞';
    const plugged = await startCoordinatorServer({
      home: api.home,
      listen: { host: '127.0.0.1', port: 0 },
      routes: [
        {
          method: 'GET',
          path: '/v1/test/json',
          roles: ['auditor'],
          handle: () => ({ status: 200, json: { text } }),
        },
        {
          method: 'GET',
          path: '/v1/test/text',
          roles: ['auditor'],
          handle: () => ({ status: 200, body: text, contentType: 'text/plain; charset=utf-8' }),
        },
      ],
    });
    try {
      for (const [path, expected] of [
        ['/v1/test/json', JSON.stringify({ text })],
        ['/v1/test/text', text],
      ] as const) {
        const res = await call({ url: plugged.url }, 'GET', path, { token: api.tokens.auditor });
        expect(res.text).toBe(expected);
        expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(expected, 'utf8')));
      }
    } finally {
      await plugged.close();
    }
  });
});
