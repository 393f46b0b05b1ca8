// Files under faults. (1) A writer killed by SIGKILL at random moments while it rewrites a large
// file with writeFileAtomic: the file is always absent, the old generation or the new one, never
// part of one, and what a killed write leaves behind is only a hidden temporary file no reader
// opens. (2) A full disk: writeFileAtomic meets ENOSPC — the error the kernel gives for /dev/full,
// injected into node:fs — and fails with FILE_WRITE_FAILED naming the path, the old file intact
// and no temporary file left. (3) Every reader of an artifact checks it before use: each strict
// prefix of a valid file of every kind is refused with a typed error. docs/faults.md.
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Psbt } from 'bitcoinjs-lib';
import { bytesToHex } from '@noble/hashes/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  approvalFileText,
  parseApproval,
  signApproval,
  verifyApproval,
} from '../../src/approvals/approval.js';
import { parseRequest, requestToJson } from '../../src/approvals/request.js';
import { writeFileAtomic } from '../../src/artifacts/atomicWrite.js';
import { readPsbtFile } from '../../src/artifacts/psbtFile.js';
import { readJsonFile } from '../../src/artifacts/readFile.js';
import { parseWalletFile, walletFileFor } from '../../src/artifacts/walletFile.js';
import { formatAccountKey } from '../../src/bitcoin/keyExpression.js';
import { coordinatorLogExport, verifyLogFile } from '../../src/audit/log/index.js';
import {
  initCoordinatorHome,
  openCoordinatorHome,
  parseCoordinatorConfig,
} from '../../src/coordinator/home.js';
import { storedSignatures } from '../../src/coordinator/batch/finalize.js';
import { unsignedTx } from '../../src/coordinator/batch/psbt.js';
import type { BatchRecord } from '../../src/coordinator/store/index.js';
import { isKuraError, type ErrorCode } from '../../src/errors.js';
import { masterFromSeed } from '../../src/keys/account.js';
import { parseKeystore } from '../../src/keys/keystore.js';
import { mnemonicToSeed } from '../../src/keys/mnemonic.js';
import { loadPolicy } from '../../src/policy/load.js';
import { appendLedger, LEDGER_FILE, readLedger } from '../../src/signer/ledger.js';
import { demoWallet } from '../chain/fixtures.js';
import { PUBLIC_TEST_MNEMONICS } from '../fixtures/seeds.js';
import { errorCode, kura, tempDir } from '../helpers/cli.js';
import { restoreSigner } from '../helpers/keys.js';
import { buildPackage, makeRequest, NOW, OFFICERS, testPolicy, validParts } from '../helpers/scenario.js';

// --- the full disk: ENOSPC injected into the node:fs that src/artifacts/atomicWrite.ts imports ---

const disk = vi.hoisted(() => ({
  /** Bytes still free; null: the disk is not full. */
  freeBytes: null as number | null,
  /** fsync fails with ENOSPC (a delayed allocation failing at flush time, as on NFS or XFS). */
  fsyncFails: false,
  /** The error the kernel gave for a write to /dev/full, captured before the tests run. */
  enospc: null as NodeJS.ErrnoException | null,
  injected: 0,
}));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const fail = (syscall: string): never => {
    disk.injected++;
    const real = disk.enospc;
    const error = new Error(`${real?.code ?? 'ENOSPC'}: no space left on device, ${syscall}`);
    throw Object.assign(error, { code: real?.code ?? 'ENOSPC', errno: real?.errno ?? -28, syscall });
  };
  const writeSync = ((fd: number, buffer: Uint8Array, offset?: number, length?: number) => {
    if (disk.freeBytes === null) return fs.writeSync(fd, buffer, offset, length);
    if (disk.freeBytes <= 0) return fail('write');
    // Like the kernel: a short write up to the last free byte, then ENOSPC on the next call.
    const n = fs.writeSync(fd, buffer, offset, Math.min(length ?? buffer.length, disk.freeBytes));
    disk.freeBytes -= n;
    return n;
  }) as typeof fs.writeSync;
  const fsyncSync = (fd: number) => (disk.fsyncFails ? fail('fsync') : fs.fsyncSync(fd));
  return { ...fs, default: { ...fs, writeSync, fsyncSync }, writeSync, fsyncSync };
});

const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;

beforeAll(() => {
  dir = tempDir('kura-files-');
  // The real error for a full disk: Linux's /dev/full answers every write with ENOSPC.
  const fd = openSync('/dev/full', 'w');
  try {
    writeSync(fd, Buffer.from('x'));
  } catch (error) {
    disk.enospc = error as NodeJS.ErrnoException;
  } finally {
    closeSync(fd);
  }
  expect(disk.enospc?.code).toBe('ENOSPC');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Files in `folder` other than `name`: what a killed or failed write left behind. */
function leftovers(folder: string, name: string): string[] {
  return readdirSync(folder).filter((f) => f !== name);
}

/** writeFileAtomic's temporary name for `name`: hidden, random, never the name a reader opens. */
const tempPattern = (name: string) => new RegExp(`^\\.${name.replace(/[.]/g, '\\.')}\\.[0-9a-f]{12}\\.tmp$`);

// --- (1) killed writers ---------------------------------------------------------------------------

/** mulberry32: the kill moments come from a fixed seed, so a failing run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const KILL_SEED = 0x6b757261; // "kura"
const FILE_BYTES = 4 * 1024 * 1024;

/** The generation of a whole file written by writerChild.ts; throws if it is partial or mixed. */
function wholeGeneration(bytes: Buffer): number {
  const newline = bytes.indexOf(0x0a);
  const match = /^kura-fault-test (\d+) (\d+)$/.exec(bytes.subarray(0, newline).toString('utf8'));
  if (newline < 0 || match === null) throw new Error('no header: a partial file');
  const generation = Number(match[1]);
  const body = bytes.subarray(newline + 1);
  if (body.length !== Number(match[2])) throw new Error(`body of ${body.length} bytes: a partial file`);
  const fill = generation % 251;
  if (body.some((b) => b !== fill)) throw new Error('bytes of two generations: a mixed file');
  return generation;
}

/** Starts writerChild.ts on `path`, waits for "ready", lets it write for `delayMs`, kills it. */
async function killWriter(
  path: string,
  firstGeneration: number,
  delayMs: number,
): Promise<{ signal: string | null; wrote: number }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/faults/writerChild.ts', path, String(FILE_BYTES), String(firstGeneration)],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  const ended = new Promise<string | null>((resolve) =>
    child.on('close', (_code, signal) => resolve(signal)),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      out += t;
      if (out.startsWith('ready\n')) resolve();
    });
    void ended.then(() => reject(new Error(`the writer ended before it was ready: ${out}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  child.kill('SIGKILL');
  const signal = await ended;
  return { signal, wrote: (out.match(/^wrote /gm) ?? []).length };
}

describe('a writer killed by SIGKILL while writing', () => {
  it('leaves the old file or the new one, never part of one', async () => {
    const random = prng(KILL_SEED);
    const figures = { kills: 0, absent: 0, whole: 0, midWrite: 0, generations: 0 };
    /** The generation the file holds now; `previous` is what it held before (0: no file). */
    const check = (folder: string, name: string, previous: number): number => {
      const path = join(folder, name);
      const left = leftovers(folder, name);
      for (const f of left) expect(f).toMatch(tempPattern(name));
      if (left.length > 0) figures.midWrite++;
      if (!existsSync(path)) {
        figures.absent++;
        expect(previous).toBe(0);
        return 0;
      }
      const generation = wholeGeneration(readFileSync(path));
      expect(generation).toBeGreaterThanOrEqual(previous);
      figures.whole++;
      return generation;
    };

    // A file rewritten over and over by writer after writer, each killed at a random moment:
    // each writer's generations start above the last one's, so the file holds what it held
    // before (the old file) or one this writer wrote whole (a new one), never less.
    const folder = join(dir, 'rewrite');
    mkdirSync(folder);
    let generation = 0;
    for (let trial = 1; trial <= 10; trial++) {
      const first = trial * 1_000_000;
      const delayMs = Math.floor(random() * 150);
      const { signal, wrote } = await killWriter(join(folder, 'big.bin'), first, delayMs);
      expect(signal).toBe('SIGKILL');
      figures.kills++;
      figures.generations += wrote;
      const now = check(folder, 'big.bin', generation);
      if (now !== generation) expect(now).toBeGreaterThanOrEqual(first);
      generation = now;
    }
    // A new file, killed soon after the first write began: absent or whole.
    for (let trial = 0; trial < 6; trial++) {
      const fresh = join(dir, `fresh-${trial}`);
      mkdirSync(fresh);
      const { signal } = await killWriter(join(fresh, 'new.bin'), 1, Math.floor(random() * 40));
      expect(signal).toBe('SIGKILL');
      figures.kills++;
      check(fresh, 'new.bin', 0);
    }
    // With writes taking most of each loop, some kills must have hit one mid-write; a run where
    // none did would prove nothing about partial files.
    expect(figures.midWrite).toBeGreaterThan(0);
    // The next write replaces the target. It does not sweep the temporary files of killed
    // writers (another process may be writing one right now): they stay, hidden, under names no
    // reader opens, until an operator deletes them (docs/faults.md).
    const before = leftovers(folder, 'big.bin');
    writeFileAtomic(join(folder, 'big.bin'), 'after the crashes\n', { mode: 0o600 });
    expect(readFileSync(join(folder, 'big.bin'), 'utf8')).toBe('after the crashes\n');
    expect(leftovers(folder, 'big.bin')).toEqual(before);
    console.info(
      `killed writers: ${figures.kills} SIGKILLs (seed ${KILL_SEED}) over ${figures.generations} completed ` +
        `writes of ${FILE_BYTES} bytes; ${figures.whole} files whole, ${figures.absent} absent, 0 partial; ` +
        `${figures.midWrite} kills landed mid-write and left a hidden temporary file`,
    );
  }, 60_000);
});

// --- (2) a full disk --------------------------------------------------------------------------------

describe('a full disk while writing', () => {
  const fullDisk = <R>(freeBytes: number, fsyncFails: boolean, fn: () => R): R => {
    disk.freeBytes = freeBytes;
    disk.fsyncFails = fsyncFails;
    try {
      return fn();
    } finally {
      disk.freeBytes = null;
      disk.fsyncFails = false;
    }
  };
  /** The error `fn` throws, or undefined when it succeeds. */
  const outcome = (fn: () => unknown): unknown => {
    try {
      fn();
      return undefined;
    } catch (error) {
      return error;
    }
  };

  it.each([
    { description: 'no byte free', freeBytes: 0, fsyncFails: false },
    { description: 'the disk fills up mid-write', freeBytes: 70_000, fsyncFails: false },
    { description: 'fsync fails (a delayed allocation)', freeBytes: 100_000_000, fsyncFails: true },
  ])('$description: FILE_WRITE_FAILED naming the path, the old file intact, nothing left', (c) => {
    const folder = join(dir, `full-${c.freeBytes}-${c.fsyncFails}`);
    mkdirSync(folder);
    const path = join(folder, 'batch.psbt');
    writeFileAtomic(path, 'the old content\n', { mode: 0o600 });
    const injected = disk.injected;
    const error = fullDisk(c.freeBytes, c.fsyncFails, () =>
      outcome(() => writeFileAtomic(path, Buffer.alloc(1024 * 1024, 7), { mode: 0o600 })),
    );
    expect(disk.injected).toBe(injected + 1);
    expect(isKuraError(error, 'FILE_WRITE_FAILED')).toBe(true);
    expect(error).toMatchObject({ details: { path } });
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toContain('ENOSPC');
    expect(readFileSync(path, 'utf8')).toBe('the old content\n');
    expect(leftovers(folder, 'batch.psbt')).toEqual([]);

    // A new file on a full disk: no file at all, and no temporary one.
    const fresh = join(folder, 'new.json');
    const refused = fullDisk(c.freeBytes, c.fsyncFails, () =>
      outcome(() => writeFileAtomic(fresh, '{"a":1}\n', { exclusive: true })),
    );
    if (c.freeBytes > 0 && !c.fsyncFails) {
      // 8 bytes fit in what is left: the write succeeds.
      expect(refused).toBeUndefined();
    } else {
      expect(isKuraError(refused, 'FILE_WRITE_FAILED')).toBe(true);
      expect(existsSync(fresh)).toBe(false);
      expect(leftovers(folder, 'batch.psbt')).toEqual([]);
    }
  });

  it('a command whose output file cannot be written exits 10 with FILE_WRITE_FAILED and writes nothing', async () => {
    const out = join(dir, 'full-cli', 'treasury.wallet.json');
    mkdirSync(join(dir, 'full-cli'));
    const cosigners = demoWallet.keys.flatMap((k) => ['--cosigner', formatAccountKey(k)]);
    const args = ['wallet', 'create', '--threshold', '2', '--name', 'treasury', '--network', 'regtest'];
    args.push('--out', out, ...cosigners);
    disk.freeBytes = 100;
    let run: Awaited<ReturnType<typeof kura>>;
    try {
      run = await kura([...args, '--json']);
    } finally {
      disk.freeBytes = null;
    }
    expect(run.code).toBe(10);
    expect(errorCode(run)).toBe('FILE_WRITE_FAILED');
    expect(run.stderr).toContain(out);
    expect(readdirSync(join(dir, 'full-cli'))).toEqual([]);
    // With room again, the same command succeeds.
    expect((await kura([...args, '--json'])).code).toBe(0);
    expect(existsSync(out)).toBe(true);
  });
});

// --- (3) readers check what they take in ------------------------------------------------------------

/**
 * Where to cut a file: every cut near both ends (headers, the last field, a missing closing
 * brace), at both sides of every line end (whole lines of a line-based log), and evenly spaced
 * ones in between (a PSBT prefix takes ~15 ms to refuse, so not every byte).
 */
function cutsOf(bytes: Uint8Array): number[] {
  const EDGE = 48;
  const MIDDLE = 64;
  const length = bytes.length;
  const cuts = new Set<number>();
  for (let i = 0; i < Math.min(EDGE, length); i++) cuts.add(i).add(length - 1 - i);
  for (let i = 1; i < MIDDLE; i++) cuts.add(Math.floor((length * i) / MIDDLE));
  bytes.forEach((b, i) => {
    if (b === 0x0a) cuts.add(i).add(i + 1);
  });
  return [...cuts].filter((c) => c >= 0 && c < length).sort((a, b) => a - b);
}

interface Reader {
  /** What is read, and what the reader checks before anything uses it. */
  readonly artifact: string;
  readonly checks: string;
  readonly bytes: Uint8Array;
  /** Codes a damaged file may be refused with. */
  readonly codes: readonly ErrorCode[];
  read(path: string): unknown;
  /** Cuts a reader cannot tell from a whole file by design (documented), if any. */
  readonly wholePrefix?: (whole: string, cut: number) => boolean;
}

describe('every reader checks an artifact before using it', () => {
  let readers: Reader[];

  beforeAll(async () => {
    const walletFile = walletFileFor('treasury', demoWallet);
    const walletText = `${JSON.stringify(walletFile, null, 2)}\n`;
    const wallet = parseWalletFile(JSON.parse(walletText));
    const policyText = `${JSON.stringify(testPolicy(wallet.id), null, 2)}\n`;
    const scenario = { wallet, policyHash: bytesToHex(sha256(Buffer.from(policyText))) };
    const request = makeRequest(scenario, 25_000_000n);
    const approval = signApproval(request, OFFICERS[0]?.privateKey as Uint8Array, NOW - 600);
    const signer = await restoreSigner(dir, 'alice', 'regtest');
    const ledgerHome = join(dir, 'ledger-home');
    mkdirSync(ledgerHome);
    for (let i = 0; i < 4; i++) appendLedger(ledgerHome, 'test.entry', { i }, NOW + i);
    // A coordinator home (no node is needed to make one): its config.json and its log export.
    writeFileSync(join(dir, 'wallet.json'), walletText);
    writeFileSync(join(dir, 'policy.json'), policyText);
    const homeDir = join(dir, 'coordinator');
    initCoordinatorHome({
      home: homeDir,
      walletPath: join(dir, 'wallet.json'),
      policyPath: join(dir, 'policy.json'),
      rpcUrl: 'http://127.0.0.1:18443/',
      rpcAuth: { kind: 'cookie', cookieFile: join(dir, '.cookie') },
    });
    const home = openCoordinatorHome(homeDir);
    let auditExport: string;
    try {
      for (let i = 0; i < 3; i++) home.store.audit('test.note', { i });
      auditExport = coordinatorLogExport(home, NOW).text;
    } finally {
      home.close();
    }
    const text = (s: string) => Buffer.from(s, 'utf8');
    const json = ['JSON_MALFORMED'] as const;
    readers = [
      {
        artifact: 'wallet file',
        checks: 'JSON, every field, descriptor checksum, wallet id = SHA-256 of the descriptor',
        bytes: text(walletText),
        codes: [...json, 'ARTIFACT_INVALID'],
        read: (p) => parseWalletFile(readJsonFile(p)),
      },
      {
        artifact: 'policy file',
        checks: 'JSON and schema; its SHA-256 must be the hash the store or signer pinned',
        bytes: text(policyText),
        codes: [...json, 'POLICY_INVALID'],
        read: (p) => loadPolicy(p),
      },
      {
        artifact: 'coordinator config.json',
        checks: 'JSON and every field',
        bytes: readFileSync(join(homeDir, 'config.json')),
        codes: [...json, 'COORDINATOR_CONFIG_INVALID'],
        read: (p) => parseCoordinatorConfig(readJsonFile(p)),
      },
      {
        artifact: 'request file (officer approve)',
        checks: 'JSON and every field; the officer signs its digest',
        bytes: text(`${JSON.stringify(requestToJson(request), null, 2)}\n`),
        codes: [...json, 'REQUEST_INVALID'],
        read: (p) => parseRequest(readJsonFile(p)),
      },
      {
        artifact: 'approval file',
        checks: "JSON, every field, the BIP-340 signature over the request's approval hash",
        bytes: text(approvalFileText(approval)),
        codes: [...json, 'APPROVAL_INVALID'],
        read: (p) => verifyApproval(parseApproval(readJsonFile(p)), request),
      },
      {
        artifact: 'signing package / signed file (PSBT)',
        checks: 'BIP-174 parse; then the signer checks all of it, the importer the txid and every signature',
        bytes: buildPackage(scenario, validParts(scenario)).toBuffer(),
        codes: ['PSBT_MALFORMED'],
        read: (p) => readPsbtFile(p),
      },
      {
        artifact: 'keystore',
        checks: 'JSON and every field; AES-256-GCM authenticates header and secret when opened',
        bytes: readFileSync(join(signer, 'keystore.json')),
        codes: [...json, 'KEYSTORE_CORRUPT'],
        read: (p) => parseKeystore(readJsonFile(p)),
      },
      {
        artifact: 'signer ledger',
        checks: 'the hash chain, entry by entry',
        bytes: readFileSync(join(ledgerHome, LEDGER_FILE)),
        codes: ['LEDGER_CORRUPT'],
        read: (p) => readLedger(join(p, '..')),
        // Cut at a line end, a ledger is a shorter valid chain: a crash cannot cut it (the whole
        // file is rewritten atomically), and the signer cannot tell it from an older ledger.
        wholePrefix: (whole, cut) => cut === 0 || whole[cut - 1] === '\n' || whole[cut] === '\n',
      },
      {
        artifact: 'coordinator audit log export',
        checks: "the hash chain, and the header's entry count and head",
        bytes: text(auditExport),
        codes: ['AUDIT_LOG_MALFORMED', 'AUDIT_LOG_TRUNCATED', 'AUDIT_LOG_EDITED'],
        read: (p) => verifyLogFile(p),
        // An empty file is an empty log without a header, whose end cannot be checked (the
        // verifier says so, docs/audit.md); any other cut is caught by the header's count and head.
        wholePrefix: (_whole, cut) => cut === 0,
      },
    ];
  });

  it('refuses truncated files of every kind of artifact with a typed error', () => {
    const rows: string[] = [];
    let cases = 0;
    for (const reader of readers) {
      const folder = join(dir, `reader-${reader.artifact.replace(/\W+/g, '-')}`);
      mkdirSync(folder);
      const path = join(folder, reader.artifact === 'signer ledger' ? LEDGER_FILE : 'artifact');
      writeFileSync(path, reader.bytes);
      expect(() => reader.read(path), `${reader.artifact} whole`).not.toThrow();
      const whole = Buffer.from(reader.bytes).toString('latin1');
      const codes = new Map<string, number>();
      let tried = 0;
      for (const cut of cutsOf(reader.bytes)) {
        const prefix = reader.bytes.subarray(0, cut);
        // Dropping only trailing whitespace leaves the same content, not a partial one.
        if (whole.slice(0, cut).trimEnd() === whole.trimEnd()) continue;
        if (reader.wholePrefix?.(whole, cut)) continue;
        writeFileSync(path, prefix);
        let error: unknown;
        try {
          reader.read(path);
        } catch (e) {
          error = e;
        }
        expect(isKuraError(error), `${reader.artifact} cut at ${cut}: ${String(error)}`).toBe(true);
        const code = (error as { code: ErrorCode }).code;
        expect(reader.codes, `${reader.artifact} cut at ${cut}`).toContain(code);
        codes.set(code, (codes.get(code) ?? 0) + 1);
        tried++;
      }
      cases += tried;
      rows.push(
        `  ${reader.artifact} (${reader.checks}): ${tried} prefixes refused ` +
          `(${[...codes].map(([c, n]) => `${c} ${n}`).join(', ')})`,
      );
    }
    console.info(`readers: ${cases} truncated artifacts refused\n${rows.join('\n')}`);
  });

  it('the coordinator checks the signed files it stored again before it combines them', () => {
    // Not covered elsewhere: a batch_signatures row damaged in the database (a disk error, an
    // edit) must not reach the final transaction. Alice signs a package; her stored file is
    // re-verified at finalize, and one flipped bit in its signature is STORE_CORRUPT.
    const wallet = parseWalletFile(walletFileFor('treasury', demoWallet));
    const scenario = { wallet, policyHash: '00'.repeat(32) };
    const built = buildPackage(scenario, validParts(scenario));
    const alice = masterFromSeed(mnemonicToSeed(PUBLIC_TEST_MNEMONICS.alice, ''), 'regtest');
    const signed = Psbt.fromBuffer(built.toBuffer()).signAllInputsHD(alice);
    const fingerprint = bytesToHex(alice.fingerprint);
    const batch: BatchRecord = {
      batchId: 'b20250101-00000001',
      state: 'signed',
      psbt: built.toBuffer(),
      txid: unsignedTx(built).getId(),
      feeSat: 0n,
      feeRateSatVb: 1,
      replacesBatch: null,
      createdAt: NOW,
      updatedAt: NOW,
      finalTx: null,
    };
    const row = (psbt: Uint8Array) => ({ batchId: batch.batchId, fingerprint, psbt, receivedAt: NOW });
    const good = storedSignatures(batch, [row(signed.toBuffer())]);
    expect(good.map((sigs) => sigs.size)).toEqual(built.data.inputs.map(() => 1));

    const damaged = Psbt.fromBuffer(signed.toBuffer());
    const partial = damaged.data.inputs[0]?.partialSig?.[0];
    if (partial === undefined) throw new Error('alice signed no input');
    const flipped = Uint8Array.from(partial.signature);
    flipped[10] = (flipped[10] ?? 0) ^ 0x01;
    (partial as { signature: Uint8Array }).signature = flipped;
    let error: unknown;
    try {
      storedSignatures(batch, [row(damaged.toBuffer())]);
    } catch (e) {
      error = e;
    }
    expect(isKuraError(error, 'STORE_CORRUPT')).toBe(true);
    expect(error).toMatchObject({ details: { field: 'batch_signatures', fingerprint } });
  });
});
