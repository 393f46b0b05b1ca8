// Reading the large text files an auditor is handed (balances CSVs, exported logs) one line at a
// time, without ever holding the whole file as one string: a JavaScript string cannot exceed
// about 512 MiB, and a million-customer CSV or a long audit log should not need to.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { KuraError, systemErrorCode, type ErrorCode } from '../errors.js';

export interface LineReadOptions {
  /** What the file is, for messages: "balances", "log". */
  readonly field: string;
  readonly maxBytes: number;
  readonly maxLineBytes: number;
  /** The code for a line that is too long or not UTF-8. */
  readonly malformedCode: ErrorCode;
}

const CHUNK_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;

function openForReading(path: string, field: string): number {
  try {
    return openSync(path, 'r');
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
}

/**
 * Calls `onLine(text, lineNumber)` for every line of the file (1-based; a final newline does not
 * make an extra empty line; a trailing "\r" is removed). Refuses a file over `maxBytes` — also
 * one that grows while it is read — and a line over `maxLineBytes` or not valid UTF-8.
 */
export function forEachLine(
  path: string,
  options: LineReadOptions,
  onLine: (text: string, lineNumber: number) => void,
): { lines: number; bytes: number } {
  const { field, maxBytes, maxLineBytes, malformedCode } = options;
  const fd = openForReading(path, field);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      throw new KuraError('FILE_UNREADABLE', `"${field}": ${path} is not a file`, { field, path });
    const tooLarge = () =>
      new KuraError('FILE_TOO_LARGE', `"${field}": ${path} is larger than ${maxBytes} bytes`, {
        field,
        path,
        max: maxBytes,
      });
    if (stat.size > maxBytes) throw tooLarge();
    // fatal: a byte sequence that is not UTF-8 is refused, never silently replaced
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const chunk = Buffer.alloc(CHUNK_BYTES);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let lineNumber = 0;
    let total = 0;
    const emit = (bytes: Buffer) => {
      lineNumber += 1;
      let text: string;
      try {
        text = decoder.decode(bytes);
      } catch {
        throw new KuraError(malformedCode, `"${field}" line ${lineNumber} is not valid UTF-8`, {
          field,
          line: lineNumber,
        });
      }
      onLine(text.endsWith('\r') ? text.slice(0, -1) : text, lineNumber);
    };
    const lineTooLong = () =>
      new KuraError(malformedCode, `"${field}" line ${lineNumber + 1} is longer than ${maxLineBytes} bytes`, {
        field,
        line: lineNumber + 1,
      });
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw tooLarge();
      let start = 0;
      for (let at = chunk.indexOf(NEWLINE, 0); at !== -1 && at < n; at = chunk.indexOf(NEWLINE, start)) {
        if (pendingBytes + at - start > maxLineBytes) throw lineTooLong();
        const piece = chunk.subarray(start, at);
        emit(pending.length === 0 ? piece : Buffer.concat([...pending, piece]));
        pending = [];
        pendingBytes = 0;
        start = at + 1;
      }
      if (start < n) {
        pendingBytes += n - start;
        if (pendingBytes > maxLineBytes) throw lineTooLong();
        // copied: the chunk buffer is reused by the next read
        pending.push(Buffer.from(chunk.subarray(start, n)));
      }
    }
    if (pendingBytes > 0) emit(Buffer.concat(pending));
    return { lines: lineNumber, bytes: total };
  } finally {
    closeSync(fd);
  }
}
