// RPC credentials come from files, never from argv or the environment (STYLE.md, "Keys and
// secrets"): Bitcoin Core's cookie file (`__cookie__:<hex>`, rewritten at every node start) or a
// password file next to a user name given as a flag.
import { readFileSync } from 'node:fs';
import { KuraError, systemErrorCode } from '../errors.js';

export interface RpcCredentials {
  readonly username: string;
  readonly password: string;
}

// A cookie is `__cookie__:` and 64 hex digits; a password file is one line. Anything bigger is a
// wrong path (a log, a binary), not a credential.
const MAX_CREDENTIAL_FILE_BYTES = 4096;

function readSmallFile(path: string): string | { reason: string; errno?: string } {
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_CREDENTIAL_FILE_BYTES)
      return { reason: `larger than ${MAX_CREDENTIAL_FILE_BYTES} bytes` };
    return bytes.toString('utf8');
  } catch (err) {
    const errno = systemErrorCode(err);
    return { reason: errno === 'ENOENT' ? 'no such file' : 'cannot be read', ...(errno ? { errno } : {}) };
  }
}

/** The first line, without its line ending. */
function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0] ?? '';
}

/**
 * Reads Bitcoin Core's cookie file. Missing or unreadable is NODE_COOKIE_UNREADABLE: the node
 * deletes the file when it stops and writes a new one when it starts, so the RPC client treats
 * this like a connection failure and retries.
 */
export function readCookieFile(path: string): RpcCredentials {
  const text = readSmallFile(path);
  if (typeof text !== 'string') {
    throw new KuraError(
      'NODE_COOKIE_UNREADABLE',
      `the RPC cookie file ${path}: ${text.reason} (is the node running? is --rpc-cookie right?)`,
      { field: 'rpcCookie', file: path, ...text },
    );
  }
  const line = firstLine(text);
  const colon = line.indexOf(':');
  if (colon <= 0 || colon === line.length - 1) {
    throw new KuraError('NODE_COOKIE_UNREADABLE', `the RPC cookie file ${path} is not "user:secret"`, {
      field: 'rpcCookie',
      file: path,
      reason: 'malformed',
    });
  }
  return { username: line.slice(0, colon), password: line.slice(colon + 1) };
}

/** Reads an RPC password from the first line of a file (for `--rpc-password-file`). */
export function readPasswordFile(path: string): string {
  const text = readSmallFile(path);
  if (typeof text !== 'string') {
    throw new KuraError(
      text.errno === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE',
      `"rpcPasswordFile" ${path}: ${text.reason}`,
      { field: 'rpcPasswordFile', file: path },
    );
  }
  const password = firstLine(text);
  if (password === '') {
    throw new KuraError('FILE_UNREADABLE', `"rpcPasswordFile" ${path}: the first line is empty`, {
      field: 'rpcPasswordFile',
      file: path,
    });
  }
  return password;
}
