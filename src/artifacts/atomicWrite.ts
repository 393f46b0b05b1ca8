// Every file kura writes goes through here: written to a temporary file in the same folder,
// fsynced, then moved into place, and the folder fsynced. A reader sees the old file or the new
// one, never part of one (THREATS.md #27). With `exclusive`, an existing file is never replaced:
// the temporary file is hard-linked to its name, which fails if the name is taken.
import {
  closeSync,
  fsyncSync,
  linkSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
  mkdirSync,
  chmodSync,
  statSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { KuraError, systemErrorCode } from '../errors.js';

export interface WriteOptions {
  /** File mode; defaults to 0o400 (read-only for its owner). */
  readonly mode?: number;
  /** Refuse with FILE_EXISTS instead of replacing an existing file. */
  readonly exclusive?: boolean;
}

function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function writeFileAtomic(path: string, data: string | Uint8Array, options: WriteOptions = {}): void {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', options.mode ?? 0o400);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    if (options.exclusive) {
      linkSync(temp, path);
      unlinkSync(temp);
    } else {
      renameSync(temp, path);
    }
    fsyncDirectory(dir);
  } catch (cause) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // the temporary file was never created or is already in place
    }
    if (systemErrorCode(cause) === 'EEXIST') {
      throw new KuraError(
        'FILE_EXISTS',
        `"${path}" already exists; kura does not overwrite it`,
        { path },
        cause,
      );
    }
    throw new KuraError(
      'FILE_WRITE_FAILED',
      `could not write "${path}" (${systemErrorCode(cause) ?? 'error'}); nothing was left half-written`,
      { path },
      cause,
    );
  }
}

/**
 * Makes (or tightens) a private folder: mode 0700, as key material must live in one. An
 * existing folder that others can read is tightened rather than refused, and said so by the caller.
 */
export function ensurePrivateDirectory(dir: string): { created: boolean; tightened: boolean } {
  let created = false;
  try {
    mkdirSync(dir, { recursive: false, mode: 0o700 });
    created = true;
  } catch (cause) {
    if (systemErrorCode(cause) === 'ENOENT') {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      created = true;
    } else if (systemErrorCode(cause) !== 'EEXIST') {
      throw new KuraError('FILE_WRITE_FAILED', `could not create folder "${dir}"`, { path: dir }, cause);
    }
  }
  const mode = statSync(dir).mode & 0o777;
  if (mode !== 0o700) {
    chmodSync(dir, 0o700);
    return { created, tightened: !created };
  }
  return { created, tightened: false };
}
