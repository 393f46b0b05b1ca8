// API token rows. The store sees only a token's SHA-256, never the token (src/coordinator/tokens.ts
// makes and checks tokens).
import { KuraError } from '../../errors.js';
import type { Row, Sql } from './database.js';
import { int, intOrNull, oneOf, text } from './rows.js';
import type { Tx } from './tx.js';
import { TOKEN_ROLES, type TokenRecord, type TokenRole } from './types.js';
import { hexOf, textOf } from './validate.js';

const COLUMNS = 'token_id, role, token_sha256, label, created_at, revoked_at';
const TOKEN_ID = /^tok_[0-9a-f]{16}$/;

function tokenOf(row: Row): TokenRecord {
  return {
    tokenId: text(row, 'token_id'),
    role: oneOf(row, 'role', TOKEN_ROLES),
    tokenSha256: text(row, 'token_sha256'),
    label: text(row, 'label'),
    createdAt: int(row, 'created_at'),
    revokedAt: intOrNull(row, 'revoked_at'),
  };
}

export function tokenById(sql: Sql, tokenId: string): TokenRecord | undefined {
  const row = sql.get(`SELECT ${COLUMNS} FROM tokens WHERE token_id = ?`, tokenId);
  return row === undefined ? undefined : tokenOf(row);
}

export function tokenByDigest(sql: Sql, tokenSha256: string): TokenRecord | undefined {
  const row = sql.get(`SELECT ${COLUMNS} FROM tokens WHERE token_sha256 = ?`, tokenSha256);
  return row === undefined ? undefined : tokenOf(row);
}

export function listTokens(sql: Sql): TokenRecord[] {
  return sql.all(`SELECT ${COLUMNS} FROM tokens ORDER BY created_at, token_id`).map(tokenOf);
}

export function insertToken(
  tx: Tx,
  input: { tokenId: string; role: TokenRole; tokenSha256: string; label: string },
): TokenRecord {
  if (!TOKEN_ID.test(input.tokenId)) {
    throw new KuraError('ARGUMENT_INVALID', '"tokenId" must be tok_ and 16 hex digits', { field: 'tokenId' });
  }
  if (!(TOKEN_ROLES as readonly string[]).includes(input.role)) {
    throw new KuraError('ARGUMENT_INVALID', `"role" must be one of ${TOKEN_ROLES.join(', ')}`, {
      field: 'role',
    });
  }
  hexOf(input.tokenSha256, 'tokenSha256');
  textOf(input.label, 'label', 200, 0);
  tx.sql.run(
    `INSERT INTO tokens (${COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL)`,
    input.tokenId,
    input.role,
    input.tokenSha256,
    input.label,
    tx.now,
  );
  // The digest stays out of the log: the log is exported to auditors, the digest is not theirs.
  tx.audit('token.create', { tokenId: input.tokenId, role: input.role, label: input.label });
  return { ...input, createdAt: tx.now, revokedAt: null };
}

/** Revokes a token; revoking it again changes nothing (changed: false). */
export function revokeToken(tx: Tx, tokenId: string): { token: TokenRecord; changed: boolean } {
  const token = tokenById(tx.sql, tokenId);
  if (token === undefined) {
    throw new KuraError('COORDINATOR_NOT_FOUND', `no token has "id" ${tokenId}`, { field: 'id', tokenId });
  }
  if (token.revokedAt !== null) return { token, changed: false };
  const revokedAt = Math.max(tx.now, token.createdAt);
  tx.sql.run('UPDATE tokens SET revoked_at = ? WHERE token_id = ?', revokedAt, tokenId);
  tx.audit('token.revoke', { tokenId, role: token.role });
  return { token: { ...token, revokedAt }, changed: true };
}
