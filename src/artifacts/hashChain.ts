// The hash-chained log format shared by the signer's ledger and the coordinator's audit log.
// One JSON object per line: { seq, time, type, data, prev, hash }, where `prev` is the previous
// entry's hash (64 zeros for the first) and `hash` is SHA-256 over the entry's other fields as
// JSON ([seq, time, type, data, prev]). Editing, reordering, inserting or deleting any entry
// breaks the chain at the first bad position (THREATS.md #29).
import { createHash } from 'node:crypto';
import { KuraError, type ErrorCode } from '../errors.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainEntry<T = unknown> {
  readonly seq: number;
  readonly time: number;
  readonly type: string;
  readonly data: T;
  readonly prev: string;
  readonly hash: string;
}

// node:crypto's SHA-256 (OpenSSL) rather than @noble/hashes here: every request, approval and
// batch step of the coordinator hashes one entry, and for entries of a few hundred bytes OpenSSL
// takes 2 µs against noble's 6 (test/unit/hash-chain.test.ts checks it against @noble/hashes).
export function entryHash(entry: Omit<ChainEntry, 'hash'>): string {
  return createHash('sha256')
    .update(JSON.stringify([entry.seq, entry.time, entry.type, entry.data, entry.prev]), 'utf8')
    .digest('hex');
}

/**
 * entryHash for a writer that already holds the entry's data as JSON text (the coordinator's
 * audit log stores that text): the same bytes JSON.stringify would make of the array, built
 * around the text instead of serializing the data again. test/unit/hash-chain.test.ts holds the
 * two equal for any JSON data.
 */
export function entryHashOfJson(
  seq: number,
  time: number,
  type: string,
  dataJson: string,
  prev: string,
): string {
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(time)) {
    throw new KuraError('INTERNAL', "an entry's seq and time must be integers");
  }
  return createHash('sha256')
    .update(`[${seq},${time},${JSON.stringify(type)},${dataJson},${JSON.stringify(prev)}]`, 'utf8')
    .digest('hex');
}

/** The entry after the chain's last one (only its seq and hash are needed). */
export function appendEntry<T>(
  chain: readonly Pick<ChainEntry, 'seq' | 'hash'>[],
  type: string,
  data: T,
  time: number,
): ChainEntry<T> {
  const last = chain.at(-1);
  const body = { seq: (last?.seq ?? 0) + 1, time, type, data, prev: last?.hash ?? GENESIS_HASH };
  return { ...body, hash: entryHash(body) };
}

export function serializeChain(chain: readonly ChainEntry[]): string {
  return chain.map((e) => JSON.stringify(e)).join('\n') + (chain.length > 0 ? '\n' : '');
}

/**
 * Parses and verifies a chain. On the first bad line it throws `code` with details.position
 * (1-based line number) and the reason.
 */
export function parseChain(text: string, code: ErrorCode, what = 'log'): ChainEntry[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const chain: ChainEntry[] = [];
  lines.forEach((line, i) => {
    const position = i + 1;
    const fail = (why: string): never => {
      throw new KuraError(code, `${what} entry ${position} ${why}`, { position });
    };
    let entry: ChainEntry;
    try {
      entry = JSON.parse(line) as ChainEntry;
    } catch {
      return fail('is not valid JSON');
    }
    if (typeof entry !== 'object' || entry === null) fail('is not an object');
    const expectedPrev = chain.at(-1)?.hash ?? GENESIS_HASH;
    if (entry.seq !== position) fail(`has sequence ${String(entry.seq)}, expected ${position}`);
    if (typeof entry.time !== 'number' || typeof entry.type !== 'string') fail('lacks time or type');
    if (entry.prev !== expectedPrev) fail('does not follow the entry before it');
    if (entry.hash !== entryHash(entry)) fail('does not match its hash: it was edited');
    chain.push(entry);
  });
  return chain;
}
