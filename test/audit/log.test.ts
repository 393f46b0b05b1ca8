// The coordinator's audit log exported and verified offline: an intact export verifies to the
// store's head, and every kind of tampering — editing (with and without recomputing the hash),
// reordering, inserting, deleting, truncating, appending, a malformed line — is refused with its
// own code at the first bad entry.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { entryHash, GENESIS_HASH, type ChainEntry } from '../../src/artifacts/hashChain.js';
import { verifyLogLines } from '../../src/audit/log/index.js';
import { openCoordinatorHome } from '../../src/coordinator/home.js';
import { isKuraError } from '../../src/errors.js';
import { errorCode, kura, writeTemp } from '../helpers/cli.js';
import { busyDay, demoCoordinator } from './coordinatorFixture.js';

let dir: string;
let home: string;
/** The export as lines: [header, entry 1, …, entry N]. */
let lines: string[];
let storeHead: string;

beforeAll(async () => {
  ({ dir, home } = await demoCoordinator());
  busyDay(home);
  const out = join(dir, 'audit.jsonl');
  const run = await kura(['audit', 'log', 'export', '--home', home, '--out', out, '--json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  lines = readFileSync(out, 'utf8').replace(/\n$/, '').split('\n');
  const opened = openCoordinatorHome(home);
  storeHead = opened.store.auditHead()?.hash ?? '';
  opened.close();
});

const N = () => lines.length - 1;
const entry = (position: number): ChainEntry => JSON.parse(lines[position] as string) as ChainEntry;
const line = (e: ChainEntry) => JSON.stringify(e);
const rehash = (e: ChainEntry): ChainEntry => ({ ...e, hash: entryHash(e) });
const header = () => lines[0] as string;
const entries = () => lines.slice(1);

function refusal(text: string[]): { code: string; position: unknown } | undefined {
  try {
    verifyLogLines(text);
  } catch (error) {
    if (isKuraError(error)) return { code: error.code, position: error.details.position };
    throw error;
  }
  return undefined;
}

describe('kura audit log export | verify', () => {
  it('exports a header and the chain; the export verifies to the store’s own head', async () => {
    const parsedHeader = JSON.parse(header()) as Record<string, unknown>;
    expect(parsedHeader).toMatchObject({
      kind: 'kura-audit-log-export',
      version: 1,
      source: 'coordinator',
      network: 'regtest',
      entries: N(),
      head: storeHead,
    });
    expect(entry(1).type).toBe('coordinator.init');
    expect(N()).toBeGreaterThan(20);

    const run = await kura(['audit', 'log', 'verify', join(dir, 'audit.jsonl'), '--json']);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ ok: true, entries: N(), head: storeHead, endChecked: true });
    const human = await kura(['audit', 'log', 'verify', join(dir, 'audit.jsonl')]);
    expect(human.stdout).toContain(`Log intact: ${N()} entries, head ${storeHead}`);
  });

  it('never overwrites an export, and refuses a folder that is not a coordinator home', async () => {
    const again = await kura([
      'audit',
      'log',
      'export',
      '--home',
      home,
      '--out',
      join(dir, 'audit.jsonl'),
      '--json',
    ]);
    expect(errorCode(again)).toBe('FILE_EXISTS');
    const notHome = await kura([
      'audit',
      'log',
      'export',
      '--home',
      dir,
      '--out',
      join(dir, 'x.jsonl'),
      '--json',
    ]);
    expect(errorCode(notHome)).toBe('COORDINATOR_NOT_INITIALIZED');
  });

  it('verifies a signer-style export without a header, and says its end is unchecked', () => {
    const result = verifyLogLines(entries());
    expect(result).toMatchObject({ entries: N(), head: storeHead, endChecked: false, header: null });
    expect(verifyLogLines(entries(), { recordedHead: entry(5).hash })).toMatchObject({
      endChecked: true,
      recordedHeadAt: 5,
    });
    expect(verifyLogLines([])).toMatchObject({ entries: 0, head: GENESIS_HASH });
  });
});

describe('every kind of tampering, refused with its code at the first bad entry', () => {
  const cases: { name: string; tamper: () => string[]; code: string; position: number | (() => number) }[] = [
    {
      name: 'an entry edited (its hash left as it was)',
      tamper: () => lines.map((l, i) => (i === 5 ? line({ ...entry(5), data: { forged: true } }) : l)),
      code: 'AUDIT_LOG_EDITED',
      position: 5,
    },
    {
      name: 'an entry edited and its hash recomputed',
      tamper: () =>
        lines.map((l, i) => (i === 7 ? line(rehash({ ...entry(7), time: entry(7).time + 60 })) : l)),
      code: 'AUDIT_LOG_EDITED',
      position: 7,
    },
    {
      name: 'the last entry edited and its hash recomputed (only the header shows it)',
      tamper: () =>
        lines.map((l, i) =>
          i === N() ? line(rehash({ ...entry(N()), data: { text: 'nothing happened' } })) : l,
        ),
      code: 'AUDIT_LOG_EDITED',
      position: () => N(),
    },
    {
      name: 'the first entry rewritten with another start',
      tamper: () => lines.map((l, i) => (i === 1 ? line(rehash({ ...entry(1), prev: 'f'.repeat(64) })) : l)),
      code: 'AUDIT_LOG_EDITED',
      position: 1,
    },
    {
      name: 'two entries swapped',
      tamper: () => [
        header(),
        ...entries().slice(0, 3),
        lines[5] as string,
        lines[4] as string,
        ...entries().slice(5),
      ],
      code: 'AUDIT_LOG_REORDERED',
      position: 4,
    },
    {
      name: 'an entry moved to the end',
      tamper: () => [header(), ...entries().filter((_, i) => i !== 2), lines[3] as string],
      code: 'AUDIT_LOG_REORDERED',
      position: 3,
    },
    {
      name: 'a forged entry inserted with a valid hash',
      tamper: () => {
        const forged = rehash({
          seq: 6,
          time: entry(5).time,
          type: 'note',
          data: { text: 'all fine' },
          prev: entry(5).hash,
          hash: '',
        });
        return [...lines.slice(0, 6), line(forged), ...lines.slice(6)];
      },
      code: 'AUDIT_LOG_INSERTED',
      position: 6,
    },
    {
      name: 'an entry inserted as a copy of an earlier one',
      tamper: () => [...lines.slice(0, 8), lines[2] as string, ...lines.slice(8)],
      code: 'AUDIT_LOG_INSERTED',
      position: 8,
    },
    {
      name: 'a garbage entry inserted',
      tamper: () => [
        ...lines.slice(0, 4),
        line({ ...entry(4), seq: 99, hash: 'e'.repeat(64) }),
        ...lines.slice(4),
      ],
      code: 'AUDIT_LOG_INSERTED',
      position: 4,
    },
    {
      name: 'a correctly chained entry appended after the export',
      tamper: () => [
        ...lines,
        line(
          rehash({
            seq: N() + 1,
            time: entry(N()).time,
            type: 'note',
            data: {},
            prev: entry(N()).hash,
            hash: '',
          }),
        ),
      ],
      code: 'AUDIT_LOG_INSERTED',
      position: () => N() + 1,
    },
    {
      name: 'one entry deleted',
      tamper: () => lines.filter((_, i) => i !== 6),
      code: 'AUDIT_LOG_DELETED',
      position: 6,
    },
    {
      name: 'three entries deleted',
      tamper: () => lines.filter((_, i) => i < 9 || i > 11),
      code: 'AUDIT_LOG_DELETED',
      position: 9,
    },
    {
      name: 'the last two entries cut off',
      tamper: () => lines.slice(0, -2),
      code: 'AUDIT_LOG_TRUNCATED',
      position: () => N() - 1,
    },
    {
      name: 'a line that is not JSON',
      tamper: () => lines.map((l, i) => (i === 7 ? l.slice(0, -1) : l)),
      code: 'AUDIT_LOG_MALFORMED',
      position: 7,
    },
    {
      name: 'an entry with a field the hash does not cover',
      tamper: () =>
        lines.map((l, i) => (i === 3 ? line({ ...entry(3), note: 'approved by the CEO' } as ChainEntry) : l)),
      code: 'AUDIT_LOG_MALFORMED',
      position: 3,
    },
    {
      name: 'a blank line',
      tamper: () => [...lines.slice(0, 5), '', ...lines.slice(5)],
      code: 'AUDIT_LOG_MALFORMED',
      position: 5,
    },
  ];

  it.each(cases)('$name → $code', ({ tamper, code, position }) => {
    const want = typeof position === 'function' ? position() : position;
    expect(refusal(tamper())).toEqual({ code, position: want });
  });

  it('refuses a header that disagrees with the chain or is damaged', () => {
    const h = JSON.parse(header()) as Record<string, unknown>;
    const withHeader = (value: unknown) => [JSON.stringify(value), ...entries()];
    expect(refusal(withHeader({ ...h, walletId: 'a'.repeat(64) }))?.code).toBe('AUDIT_LOG_MALFORMED');
    expect(refusal(withHeader({ ...h, version: 2 }))?.code).toBe('AUDIT_LOG_MALFORMED');
    expect(refusal(withHeader({ ...h, head: 'a'.repeat(64) }))).toEqual({
      code: 'AUDIT_LOG_EDITED',
      position: N(),
    });
  });

  it('a recorded head that is not in the log shows a rewrite even without a header', () => {
    const rewritten = entries().slice(0, 10); // the end cut off: the chain itself is fine
    expect(verifyLogLines(rewritten).entries).toBe(10);
    try {
      verifyLogLines(rewritten, { recordedHead: entry(N()).hash });
      expect.unreachable();
    } catch (error) {
      expect(isKuraError(error, 'AUDIT_LOG_HEAD_UNKNOWN')).toBe(true);
    }
  });

  it('through the CLI: the code, exit 4, and the position in the details', async () => {
    const path = writeTemp(dir, 'tampered.jsonl', `${lines.filter((_, i) => i !== 6).join('\n')}\n`);
    const run = await kura(['audit', 'log', 'verify', path, '--json']);
    expect(run.code).toBe(4);
    expect(run.json()).toMatchObject({
      error: { code: 'AUDIT_LOG_DELETED', details: { position: 6, line: 7 } },
    });
    const unknown = await kura([
      'audit',
      'log',
      'verify',
      join(dir, 'audit.jsonl'),
      '--head',
      'ab'.repeat(32),
      '--json',
    ]);
    expect(errorCode(unknown)).toBe('AUDIT_LOG_HEAD_UNKNOWN');
    const badFlag = await kura(['audit', 'log', 'verify', join(dir, 'audit.jsonl'), '--head', 'xyz']);
    expect(badFlag.code).toBe(2);
    writeFileSync(join(dir, 'binary.jsonl'), Buffer.from([0xff, 0xfe, 0x0a]));
    expect(errorCode(await kura(['audit', 'log', 'verify', join(dir, 'binary.jsonl'), '--json']))).toBe(
      'AUDIT_LOG_MALFORMED',
    );
  });
});
