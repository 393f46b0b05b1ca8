// API bearer tokens: made once, stored as SHA-256 only, checked in constant time, revocable.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/coordinator/store/index.js';
import {
  authenticate,
  authorize,
  confirmToken,
  createToken,
  KnownTokens,
  listTokens,
  revokeToken,
} from '../../src/coordinator/tokens.js';
import { isKuraError } from '../../src/errors.js';
import { tempDir } from '../helpers/cli.js';

let store: Store;
let path: string;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isKuraError(error)) return error.code;
    throw error;
  }
  return undefined;
}

beforeEach(() => {
  path = join(tempDir('kura-tokens-'), 'kura.sqlite');
  store = Store.create(
    path,
    { network: 'regtest', walletId: 'a'.repeat(64), policyHash: 'b'.repeat(64), birthdayHeight: 0 },
    {},
    { now: () => 1_700_000_000 },
  );
});

afterEach(() => store.close());

describe('tokens', () => {
  it('makes a kura_ token of 32 random bytes and stores only its SHA-256', () => {
    const made = createToken(store, 'intake', 'exchange backend');
    expect(made.token).toMatch(/^kura_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(made.token.slice(5), 'base64url')).toHaveLength(32);
    expect(made.tokenId).toMatch(/^tok_[0-9a-f]{16}$/);
    const record = store.tokenById(made.tokenId);
    expect(record?.tokenSha256).toBe(createHash('sha256').update(made.token).digest('hex'));
    store.close();
    // neither the token nor its digest is in the exported audit log; the token is nowhere in the file
    const file = readFileSync(path);
    expect(file.includes(Buffer.from(made.token))).toBe(false);
    store = Store.open(path, { network: 'regtest', walletId: 'a'.repeat(64), policyHash: 'b'.repeat(64) });
    expect(store.exportAudit()).not.toContain(record?.tokenSha256);
    expect(store.exportAudit()).toContain(made.tokenId);
  });

  it('authenticates a bearer token to its id and role', () => {
    const made = createToken(store, 'officer');
    expect(authenticate(store, `Bearer ${made.token}`)).toEqual({
      tokenId: made.tokenId,
      role: 'officer',
      tokenSha256: createHash('sha256').update(made.token).digest('hex'),
    });
    expect(authenticate(store, `bearer ${made.token}`).role).toBe('officer');
    const tokens = [createToken(store, 'auditor'), createToken(store, 'operator')];
    expect(tokens.map((t) => authenticate(store, `Bearer ${t.token}`).role)).toEqual(['auditor', 'operator']);
  });

  it.each([
    { description: 'no header', header: undefined, code: 'TOKEN_MISSING' },
    { description: 'an empty header', header: '  ', code: 'TOKEN_MISSING' },
    { description: 'another scheme', header: 'Basic dXNlcjpwYXNz', code: 'TOKEN_INVALID' },
    { description: 'a bare token without "Bearer"', header: `kura_${'A'.repeat(43)}`, code: 'TOKEN_INVALID' },
    { description: 'a token without the prefix', header: `Bearer ${'A'.repeat(48)}`, code: 'TOKEN_INVALID' },
    { description: 'a short token', header: 'Bearer kura_abc', code: 'TOKEN_INVALID' },
    {
      description: 'a token with a bad character',
      header: `Bearer kura_${'A'.repeat(42)}!`,
      code: 'TOKEN_INVALID',
    },
    {
      description: 'a well-formed unknown token',
      header: `Bearer kura_${'A'.repeat(43)}`,
      code: 'TOKEN_INVALID',
    },
    { description: 'an enormous header', header: `Bearer kura_${'A'.repeat(10_000)}`, code: 'TOKEN_INVALID' },
  ])('refuses $description', ({ header, code }) => {
    createToken(store, 'intake');
    expect(codeOf(() => authenticate(store, header))).toBe(code);
  });

  it('refuses a token that differs from a real one in its last character', () => {
    const made = createToken(store, 'intake');
    const last = made.token.at(-1) === 'A' ? 'B' : 'A';
    expect(codeOf(() => authenticate(store, `Bearer ${made.token.slice(0, -1)}${last}`))).toBe(
      'TOKEN_INVALID',
    );
  });

  it('refuses a revoked token; revoking twice changes nothing; unknown ids are not found', () => {
    const made = createToken(store, 'intake');
    const other = createToken(store, 'intake');
    expect(revokeToken(store, made.tokenId)).toMatchObject({
      changed: true,
      token: { revokedAt: 1_700_000_000 },
    });
    expect(revokeToken(store, made.tokenId).changed).toBe(false);
    expect(codeOf(() => authenticate(store, `Bearer ${made.token}`))).toBe('TOKEN_REVOKED');
    expect(authenticate(store, `Bearer ${other.token}`).tokenId).toBe(other.tokenId);
    expect(codeOf(() => revokeToken(store, 'tok_0000000000000000'))).toBe('COORDINATOR_NOT_FOUND');
    expect(listTokens(store).map((t) => [t.tokenId, t.revokedAt !== null])).toEqual(
      expect.arrayContaining([
        [made.tokenId, true],
        [other.tokenId, false],
      ]),
    );
    expect(JSON.stringify(listTokens(store))).not.toContain('Sha256');
  });

  it('confirms a token seen valid only while it is stored, unrevoked and of the same role', () => {
    const made = createToken(store, 'intake');
    const auth = authenticate(store, `Bearer ${made.token}`);
    expect(() => confirmToken(store, auth)).not.toThrow();
    expect(codeOf(() => confirmToken(store, { ...auth, role: 'operator' }))).toBe('TOKEN_INVALID');
    expect(codeOf(() => confirmToken(store, { ...auth, tokenId: 'tok_0000000000000000' }))).toBe(
      'TOKEN_INVALID',
    );
    expect(codeOf(() => confirmToken(store, { ...auth, tokenSha256: 'ab'.repeat(32) }))).toBe(
      'TOKEN_INVALID',
    );
    revokeToken(store, made.tokenId);
    expect(codeOf(() => confirmToken(store, auth))).toBe('TOKEN_REVOKED');
  });

  it('remembers only the tokens it is given, refuses malformed headers, and forgets', () => {
    const known = new KnownTokens();
    const made = createToken(store, 'intake');
    const header = `Bearer ${made.token}`;
    expect(known.recall(header)).toBeUndefined();
    const auth = authenticate(store, header);
    known.remember(auth);
    expect(known.recall(header)).toEqual(auth);
    expect(known.recall(`bearer  ${made.token}`)).toEqual(auth);
    expect(known.recall(`Bearer kura_${'A'.repeat(43)}`)).toBeUndefined();
    expect(codeOf(() => known.recall('Bearer kura_abc'))).toBe('TOKEN_INVALID');
    expect(codeOf(() => known.recall(undefined))).toBe('TOKEN_MISSING');
    known.forget(auth);
    expect(known.recall(header)).toBeUndefined();
  });

  it('refuses an unknown role, and a role not allowed for an operation', () => {
    expect(codeOf(() => createToken(store, 'admin' as 'intake'))).toBe('ARGUMENT_INVALID');
    const made = createToken(store, 'intake');
    const auth = authenticate(store, `Bearer ${made.token}`);
    expect(() => authorize(auth, ['intake', 'operator'])).not.toThrow();
    expect(codeOf(() => authorize(auth, ['officer']))).toBe('TOKEN_ROLE_FORBIDDEN');
  });
});
