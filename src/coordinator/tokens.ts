// Bearer tokens for the coordinator's HTTP API, one per client, each with a role. A token is
// "kura_" and 32 random bytes in base64url; the store keeps only its SHA-256, so a copy of the
// database lets nobody call the API. The token is printed once, when it is made.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { KuraError } from '../errors.js';
import { TOKEN_ROLES, type Store, type TokenRecord, type TokenRole } from './store/index.js';

export const TOKEN_PREFIX = 'kura_';
/** 256 bits: guessing is hopeless, and the digest can be looked up without a slow KDF. */
const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^kura_[A-Za-z0-9_-]{43}$/;
/** "Bearer " and a token are 55 characters; anything much longer is not ours. */
const MAX_HEADER_LENGTH = 256;

export interface NewToken {
  readonly tokenId: string;
  readonly role: TokenRole;
  readonly label: string;
  readonly createdAt: number;
  /** The secret. Shown once; only its SHA-256 is stored. */
  readonly token: string;
}

/** The public view of a token: never its digest. */
export interface TokenInfo {
  readonly tokenId: string;
  readonly role: TokenRole;
  readonly label: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

export interface Authenticated {
  readonly tokenId: string;
  readonly role: TokenRole;
  /** The token's SHA-256 (hex), by which confirmToken finds it again. */
  readonly tokenSha256: string;
}

export function parseRole(value: unknown, field = 'role'): TokenRole {
  if (typeof value !== 'string' || !(TOKEN_ROLES as readonly string[]).includes(value)) {
    throw new KuraError('ARGUMENT_INVALID', `"${field}" must be one of ${TOKEN_ROLES.join(', ')}`, { field });
  }
  return value as TokenRole;
}

function digestOf(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function infoOf(t: TokenRecord): TokenInfo {
  return { tokenId: t.tokenId, role: t.role, label: t.label, createdAt: t.createdAt, revokedAt: t.revokedAt };
}

export function createToken(store: Store, role: TokenRole, label = ''): NewToken {
  parseRole(role);
  const secret = randomBytes(TOKEN_BYTES);
  const token = `${TOKEN_PREFIX}${secret.toString('base64url')}`;
  secret.fill(0);
  const record = store.insertToken({
    tokenId: `tok_${randomBytes(8).toString('hex')}`,
    role,
    tokenSha256: digestOf(token).toString('hex'),
    label,
  });
  return { ...infoOf(record), token };
}

export function revokeToken(store: Store, tokenId: string): { token: TokenInfo; changed: boolean } {
  const { token, changed } = store.revokeToken(tokenId);
  return { token: infoOf(token), changed };
}

export function listTokens(store: Store): TokenInfo[] {
  return store.listTokens().map(infoOf);
}

function invalid(reason: string): KuraError {
  return new KuraError('TOKEN_INVALID', `"Authorization" bearer token is ${reason}`, {
    field: 'Authorization',
    reason,
  });
}

function revoked(tokenId: string): KuraError {
  return new KuraError('TOKEN_REVOKED', `token ${tokenId} was revoked`, { field: 'Authorization', tokenId });
}

/** The SHA-256 of the token in an `Authorization: Bearer kura_…` header; a malformed one is refused. */
function presentedDigest(header: string | undefined): Buffer {
  if (header === undefined || header.trim() === '') {
    throw new KuraError('TOKEN_MISSING', 'no "Authorization: Bearer" token was given', {
      field: 'Authorization',
    });
  }
  if (header.length > MAX_HEADER_LENGTH) throw invalid('malformed');
  const match = /^Bearer +(\S+) *$/i.exec(header);
  const token = match?.[1];
  if (token === undefined || !TOKEN_PATTERN.test(token)) throw invalid('malformed');
  return digestOf(token);
}

/**
 * Checks an `Authorization: Bearer kura_…` header. The token's SHA-256 finds its row (an index
 * lookup on a hash of a 256-bit secret tells a prober nothing about any stored token), and the
 * stored digest is then compared with crypto.timingSafeEqual over the fixed 32 bytes, so no
 * comparison takes longer for a token that matches in more places.
 */
export function authenticate(store: Store, header: string | undefined): Authenticated {
  const presented = presentedDigest(header);
  const tokenSha256 = presented.toString('hex');
  const record = store.tokenByDigest(tokenSha256);
  const stored = Buffer.from(record?.tokenSha256 ?? '00'.repeat(32), 'hex');
  const equal = stored.length === presented.length && timingSafeEqual(stored, presented);
  if (record === undefined || !equal) throw invalid('unknown');
  if (record.revokedAt !== null) throw revoked(record.tokenId);
  return { tokenId: record.tokenId, role: record.role, tokenSha256 };
}

/**
 * Checks again that a token authenticated earlier is still stored, unrevoked and of the same
 * role. Called inside a write transaction, it sees every revocation committed before that
 * transaction, by any process, and costs an index lookup in a transaction already open.
 */
export function confirmToken(store: Store, auth: Authenticated): void {
  const record = store.tokenByDigest(auth.tokenSha256);
  if (record === undefined || record.tokenId !== auth.tokenId || record.role !== auth.role) {
    throw invalid('unknown');
  }
  if (record.revokedAt !== null) throw revoked(record.tokenId);
}

/** More tokens than any coordinator has clients; past it the memory starts over. */
const MAX_KNOWN_TOKENS = 1024;

/**
 * Tokens the server has seen valid, for routes whose handler confirms the token inside its own
 * write transaction (confirmToken) before changing anything: POST /v1/withdrawals, whose group
 * commit does. Authenticating from the store costs a SQLite read transaction of its own, with its
 * locks on the WAL index: about 12 µs of every withdrawal under load, where the confirmation in
 * the group's transaction costs 1–2 µs. Only tokens that authenticated enter; a refusal of the
 * confirmation makes the server forget the token, so its next call is authenticated afresh.
 */
export class KnownTokens {
  private readonly valid = new Map<string, Authenticated>();

  /** The caller of `header` if its token was seen valid; a malformed header is refused as by authenticate. */
  recall(header: string | undefined): Authenticated | undefined {
    return this.valid.get(presentedDigest(header).toString('hex'));
  }

  remember(auth: Authenticated): void {
    if (this.valid.size >= MAX_KNOWN_TOKENS) this.valid.clear();
    this.valid.set(auth.tokenSha256, auth);
  }

  forget(auth: Authenticated): void {
    this.valid.delete(auth.tokenSha256);
  }
}

/** Refuses a caller whose role is not among `allowed` (TOKEN_ROLE_FORBIDDEN). */
export function authorize(auth: Authenticated, allowed: readonly TokenRole[]): void {
  if (!allowed.includes(auth.role)) {
    throw new KuraError(
      'TOKEN_ROLE_FORBIDDEN',
      `token ${auth.tokenId} has role ${auth.role}; this needs ${allowed.join(' or ')}`,
      { field: 'role', role: auth.role, allowed },
    );
  }
}
