// Reading files a user or another machine hands to kura: bounded in size, with refusals that
// name the file. Content checks belong to the parser of each kind of file.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { KuraError, systemErrorCode } from '../errors.js';

/** Cosigner, wallet, policy and approval files are a few kilobytes; 1 MiB is generous. */
export const MAX_JSON_FILE_BYTES = 1024 * 1024;

export function readBoundedFile(path: string, maxBytes: number, field = 'file'): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (cause) {
    const sys = systemErrorCode(cause);
    if (sys === 'ENOENT')
      throw new KuraError('FILE_NOT_FOUND', `"${field}": ${path} does not exist`, { field, path });
    throw new KuraError(
      'FILE_UNREADABLE',
      `"${field}": cannot read ${path} (${sys ?? 'error'})`,
      { field, path },
      cause,
    );
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      throw new KuraError('FILE_UNREADABLE', `"${field}": ${path} is not a file`, { field, path });
    if (stat.size > maxBytes) {
      throw new KuraError(
        'FILE_TOO_LARGE',
        `"${field}": ${path} is ${stat.size} bytes, at most ${maxBytes}`,
        {
          field,
          path,
          size: stat.size,
          max: maxBytes,
        },
      );
    }
    // Read one byte past the bound so a file that grows while we read is still refused.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) {
        throw new KuraError('FILE_TOO_LARGE', `"${field}": ${path} is larger than ${maxBytes} bytes`, {
          field,
          path,
        });
      }
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

export function readJsonFile(path: string, field = 'file', maxBytes = MAX_JSON_FILE_BYTES): unknown {
  const text = readBoundedFile(path, maxBytes, field).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new KuraError('JSON_MALFORMED', `"${field}": ${path} is not valid JSON`, { field, path }, cause);
  }
}

/** A text secret from a file: the content with one trailing newline removed, nothing else. */
export function readSecretFile(path: string, field: string): string {
  const text = readBoundedFile(path, 64 * 1024, field).toString('utf8');
  return text.replace(/\r?\n$/, '');
}
