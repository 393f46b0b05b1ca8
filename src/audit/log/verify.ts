// `kura audit log verify`: checks an exported coordinator log or a signer ledger (one hash chain
// format, src/artifacts/hashChain.ts) and, at the first entry that does not fit, says what kind of
// damage it is and where (1-based entry number; details.line is the line in the file):
//
//   AUDIT_LOG_MALFORMED   the line is not a chain entry at all
//   AUDIT_LOG_EDITED      its content no longer matches its hash; or it matches a recomputed hash
//                         but the next entry still names the old one (reported at the edited entry)
//   AUDIT_LOG_REORDERED   it belongs later in the chain (the entry that belongs here comes later)
//   AUDIT_LOG_INSERTED    the chain skips it: the next line is what belongs here, or it repeats an
//                         earlier sequence number, or it lies past the count the header names
//   AUDIT_LOG_DELETED     it belongs later and nothing later fills the gap: entries were removed
//   AUDIT_LOG_TRUNCATED   the file ends before the count or head its header names
//   AUDIT_LOG_HEAD_UNKNOWN  a head recorded earlier (--head) is not any entry of the log
//
// Limits, stated plainly: someone who rewrites an entry AND recomputes every hash after it makes a
// chain that is consistent on its own; only the header's head (or a head recorded elsewhere) shows
// it, and then the position named is the last entry, not the first one changed. Cutting entries
// off the end of a log without a header cannot be seen without --head.
import { entryHash, GENESIS_HASH, type ChainEntry } from '../../artifacts/hashChain.js';
import { KuraError, type ErrorCode } from '../../errors.js';
import { forEachLine } from '../lines.js';
import { looksLikeHeader, parseLogHeader, type LogExportHeader } from './header.js';

/** A generous bound: a coordinator writes a few entries per withdrawal and per block. */
export const MAX_LOG_FILE_BYTES = 4 * 1024 * 1024 * 1024;
const MAX_LINE_BYTES = 4 * 1024 * 1024;
const HEX32 = /^[0-9a-f]{64}$/;
const ENTRY_KEYS = ['data', 'hash', 'prev', 'seq', 'time', 'type'];

export interface LogVerification {
  readonly header: LogExportHeader | null;
  readonly chain: readonly ChainEntry[];
  readonly entries: number;
  /** The last entry's hash, 64 zeros for an empty log. */
  readonly head: string;
  /** Whether the end of the log was checked: by the header, or by a recorded head. */
  readonly endChecked: boolean;
  /** Where the recorded head (--head) sits in the log, when one was given. */
  readonly recordedHeadAt?: number;
}

export interface LogVerifyOptions {
  /** A head hash recorded earlier through another channel; the log must contain it. */
  readonly recordedHead?: string;
}

type Parsed = { readonly entry: ChainEntry; readonly hashOk: boolean } | { readonly malformed: string };

function parseEntry(line: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { malformed: 'is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { malformed: 'is not a JSON object' };
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  if (keys.length !== ENTRY_KEYS.length || keys.some((k, i) => k !== ENTRY_KEYS[i]))
    return { malformed: `must have exactly the fields ${ENTRY_KEYS.join(', ')}` };
  if (typeof o.seq !== 'number' || !Number.isSafeInteger(o.seq) || o.seq < 1)
    return { malformed: '"seq" is not a positive integer' };
  if (typeof o.time !== 'number' || !Number.isSafeInteger(o.time) || o.time < 0)
    return { malformed: '"time" is not unix seconds' };
  if (typeof o.type !== 'string' || o.type.length === 0 || o.type.length > 200)
    return { malformed: '"type" is not a short text' };
  if (typeof o.prev !== 'string' || !HEX32.test(o.prev))
    return { malformed: '"prev" is not 32 bytes of hex' };
  if (typeof o.hash !== 'string' || !HEX32.test(o.hash))
    return { malformed: '"hash" is not 32 bytes of hex' };
  // kura writes each entry as JSON.stringify of it: a line with the same content but other bytes
  // (a space, an escaped character, 1.0 for 1) is an edit too, even if its hash still matches.
  if (JSON.stringify(o) !== line) return { malformed: 'is not written byte for byte as kura writes entries' };
  const entry = o as unknown as ChainEntry;
  return { entry, hashOk: entryHash(entry) === entry.hash };
}

class Damage {
  constructor(private readonly headerLines: number) {}

  fail(code: ErrorCode, position: number, why: string, extra: Record<string, unknown> = {}): never {
    throw new KuraError(code, `log entry ${position} ${why}`, {
      position,
      line: position + this.headerLines,
      ...extra,
    });
  }
}

/** Verifies the lines of a log file (header optional) and returns its chain. */
export function verifyLogLines(lines: readonly string[], options: LogVerifyOptions = {}): LogVerification {
  let header: LogExportHeader | null = null;
  let body = lines;
  const first = lines[0];
  if (first !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(first);
    } catch {
      value = undefined;
    }
    if (looksLikeHeader(value)) {
      header = parseLogHeader(value);
      body = lines.slice(1);
    }
  }
  const damage: Damage = new Damage(header === null ? 0 : 1);
  const parsed = new Map<number, Parsed>();
  const at = (position: number): Parsed | undefined => {
    const line = body[position - 1];
    if (line === undefined) return undefined;
    let p = parsed.get(position);
    if (p === undefined) {
      p = parseEntry(line);
      parsed.set(position, p);
    }
    return p;
  };
  const fitsAt = (p: Parsed | undefined, position: number, prev: string): boolean =>
    p !== undefined && 'entry' in p && p.hashOk && p.entry.seq === position && p.entry.prev === prev;

  const chain: ChainEntry[] = [];
  for (let position = 1; position <= body.length; position++) {
    const prev = chain.at(-1)?.hash ?? GENESIS_HASH;
    const here = at(position);
    if (fitsAt(here, position, prev) && here !== undefined && 'entry' in here) {
      chain.push(here.entry);
      // parsed entries are kept only until they are checked: a long log is not held twice
      parsed.delete(position);
      continue;
    }
    classify(position, prev);
  }

  function classify(position: number, prev: string): never {
    const here = at(position);
    if (here === undefined || 'malformed' in here) {
      damage.fail('AUDIT_LOG_MALFORMED', position, here === undefined ? 'is missing' : here.malformed);
    }
    const { entry, hashOk } = here;
    const laterHas = (seq: number) => {
      for (let p = position + 1; p <= body.length; p++) {
        const later = at(p);
        if (later !== undefined && 'entry' in later && later.entry.seq === seq) return p;
      }
      return undefined;
    };
    if (hashOk && entry.seq > position) {
      const belongsAt = laterHas(position);
      if (belongsAt !== undefined) {
        damage.fail(
          'AUDIT_LOG_REORDERED',
          position,
          `is entry ${entry.seq}; entry ${position} comes later, at ${belongsAt}`,
          {
            seq: entry.seq,
          },
        );
      }
    }
    if (fitsAt(at(position + 1), position, prev)) {
      damage.fail(
        'AUDIT_LOG_INSERTED',
        position,
        'was inserted: the entry after it is the one the chain holds here',
        {
          seq: entry.seq,
        },
      );
    }
    if (hashOk && entry.seq > position) {
      damage.fail(
        'AUDIT_LOG_DELETED',
        position,
        `is entry ${entry.seq}: ${entry.seq - position === 1 ? `entry ${position} was` : `entries ${position} to ${entry.seq - 1} were`} removed`,
        { seq: entry.seq, missing: entry.seq - position },
      );
    }
    if (!hashOk) damage.fail('AUDIT_LOG_EDITED', position, 'does not match its hash: it was edited');
    // This line is what belongs one place earlier: the entry accepted there was an insertion
    // that happened to chain correctly onto its predecessor.
    if (position > 1 && fitsAt(here, position - 1, chain.at(-2)?.hash ?? GENESIS_HASH)) {
      damage.fail(
        'AUDIT_LOG_INSERTED',
        position - 1,
        'was inserted: the entry after it is the one the chain holds here',
        {
          seq: entry.seq,
        },
      );
    }
    if (entry.seq < position) {
      damage.fail('AUDIT_LOG_INSERTED', position, `repeats sequence number ${entry.seq}: it was inserted`, {
        seq: entry.seq,
      });
    }
    // seq and hash fit, the link does not: the entry before was edited and its hash recomputed
    // (this entry still names the old hash), or this one was rewritten with a made-up link.
    if (position === 1)
      damage.fail('AUDIT_LOG_EDITED', 1, 'does not start the chain (its "prev" is not 64 zeros)');
    damage.fail(
      'AUDIT_LOG_EDITED',
      position - 1,
      `was edited and its hash recomputed: entry ${position} names another hash for it`,
    );
  }

  const last = chain.at(-1);
  const head = last?.hash ?? GENESIS_HASH;
  if (header !== null) {
    // The header is not hashed; what it says about the wallet must at least be what the chain says.
    const init = chain[0];
    if (init?.type === 'coordinator.init') {
      const data = (typeof init.data === 'object' && init.data !== null ? init.data : {}) as Record<
        string,
        unknown
      >;
      for (const field of ['network', 'walletId'] as const) {
        if (data[field] !== header[field]) {
          throw new KuraError(
            'AUDIT_LOG_MALFORMED',
            `the log export header "${field}" disagrees with entry 1`,
            {
              field,
              line: 1,
            },
          );
        }
      }
    }
    if (chain.length < header.entries) {
      damage.fail(
        'AUDIT_LOG_TRUNCATED',
        chain.length + 1,
        `is missing: the log ends after ${chain.length} entries, its header names ${header.entries}`,
        { entries: chain.length, expected: header.entries },
      );
    }
    if (chain.length > header.entries) {
      damage.fail(
        'AUDIT_LOG_INSERTED',
        header.entries + 1,
        `lies past the ${header.entries} entries the header names`,
        {
          entries: chain.length,
          expected: header.entries,
        },
      );
    }
    if (head !== header.head) {
      damage.fail(
        'AUDIT_LOG_EDITED',
        chain.length,
        `is not the head the header names: the log was rewritten up to here with recomputed hashes`,
        { head, expected: header.head },
      );
    }
  }
  let recordedHeadAt: number | undefined;
  if (options.recordedHead !== undefined) {
    const wanted = options.recordedHead.toLowerCase();
    // 0: the empty start of every chain, which any log contains
    recordedHeadAt = wanted === GENESIS_HASH ? 0 : chain.findIndex((e) => e.hash === wanted) + 1;
    if (wanted !== GENESIS_HASH && recordedHeadAt === 0) {
      throw new KuraError(
        'AUDIT_LOG_HEAD_UNKNOWN',
        `the recorded head ${wanted} is not an entry of this log: it was rewritten or cut before that point`,
        { field: 'head', head: wanted },
      );
    }
  }
  return {
    header,
    chain,
    entries: chain.length,
    head,
    endChecked: header !== null || recordedHeadAt !== undefined,
    ...(recordedHeadAt === undefined ? {} : { recordedHeadAt }),
  };
}

/** Reads a log file line by line and verifies it. */
export function verifyLogFile(path: string, options: LogVerifyOptions = {}): LogVerification {
  const lines: string[] = [];
  forEachLine(
    path,
    {
      field: 'log',
      maxBytes: MAX_LOG_FILE_BYTES,
      maxLineBytes: MAX_LINE_BYTES,
      malformedCode: 'AUDIT_LOG_MALFORMED',
    },
    (text) => void lines.push(text),
  );
  return verifyLogLines(lines, options);
}
