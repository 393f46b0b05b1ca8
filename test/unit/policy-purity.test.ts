// DESIGN.md section 4: src/policy is pure — same input, same answer, no clock unless passed in.
// Statically: no policy module reads the clock or randomness, none imports the file system
// directly, and only load.ts reaches it (through src/artifacts/readFile.ts). At run time: with
// Date.now and Math.random made to throw, parsing and evaluating still work and agree.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseRequest } from '../../src/approvals/request.js';
import { evaluateRequest } from '../../src/policy/evaluate.js';
import { evaluateFee } from '../../src/policy/fee.js';
import { parsePolicy, policyHashOf } from '../../src/policy/schema.js';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const policyDir = join(root, 'src', 'policy');
const files = readdirSync(policyDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join(policyDir, f));
const FILE_SYSTEM = /^(node:)?fs(\/promises)?$/;
/** The modules allowed to reach the file system: the loader, and the index that re-exports it. */
const LOADERS = ['load.ts', 'index.ts'].map((f) => join(policyDir, f));

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? '');
}

/** Every module reachable from `file` through imports (relative ones followed). */
function reach(file: string, seen = new Set<string>()): Set<string> {
  for (const spec of importsOf(file)) {
    const path = spec.startsWith('.') ? resolve(dirname(file), spec.replace(/\.js$/, '.ts')) : spec;
    if (seen.has(path)) continue;
    seen.add(path);
    if (spec.startsWith('.')) reach(path, seen);
  }
  return seen;
}

describe('src/policy is pure', () => {
  it('has the modules this test expects', () => {
    expect(files.map((f) => relative(policyDir, f)).sort()).toEqual(
      expect.arrayContaining(['evaluate.ts', 'fee.ts', 'load.ts', 'schema.ts']),
    );
  });

  it.each(files.map((f) => [relative(root, f), f]))('%s reads no clock or randomness', (_, file) => {
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/Date\.now|new Date\(\s*\)|Math\.random|performance\.now|process\.|hrtime/);
  });

  it.each(files.map((f) => [relative(root, f), f]))(
    '%s imports no file system module directly',
    (_, file) => {
      expect(importsOf(file).filter((m) => FILE_SYSTEM.test(m))).toEqual([]);
    },
  );

  it.each(files.filter((f) => !LOADERS.includes(f)).map((f) => [relative(root, f), f]))(
    '%s reaches no file system at all',
    (_, file) => {
      const reached = [...reach(file)].filter(
        (m) => FILE_SYSTEM.test(m) || m.includes(`${join('src', 'artifacts')}/`),
      );
      expect(reached).toEqual([]);
    },
  );
});

describe('same input, same answer', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  const policyBytes = readFileSync(join(root, 'policies', 'treasury.json'));
  const denylist = readFileSync(join(root, 'policies', 'denylist.example.txt'));
  const policyHash = policyHashOf(policyBytes);
  const request = parseRequest({
    kind: 'kura-request',
    version: 1,
    walletId: 'd4495213697ea605214146a07cb12a104a0ef1016a2d4d49de90b853ad539f1d',
    requestId: '22'.repeat(32),
    network: 'regtest',
    destination: 'bcrt1q2afxkxs4xn2tmeugy5egzeylct53m3ctmpvhjv',
    amountSat: '100000000',
    policyHash,
    expiresAt: 1_800_000_000,
  });
  const ctx = {
    now: 1_767_225_600,
    approvals: [
      {
        officerPublicKey: '79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798',
        approvedAt: 1_767_220_000,
      },
    ],
    usage24h: { amountSat: 10_000_000n, count: 1 },
  };

  function run() {
    const policy = parsePolicy(policyBytes, denylist);
    return {
      decision: evaluateRequest(policy, policyHash, request, ctx),
      fee: evaluateFee(policy, { feeSat: 300_000n, vsize: 1000, paymentsSat: 100_000_000n }),
    };
  }

  it('never calls Date.now or Math.random, and answers the same whatever the wall clock says', () => {
    const first = run();
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2040-01-01T00:00:00Z'));
    const later = run();
    vi.useRealTimers();
    vi.spyOn(Date, 'now').mockImplementation(() => {
      throw new Error('src/policy read the clock');
    });
    vi.spyOn(Math, 'random').mockImplementation(() => {
      throw new Error('src/policy used randomness');
    });
    const noClock = run();
    expect(later).toEqual(first);
    expect(noClock).toEqual(first);
    expect(first.decision.reasons.length).toBeGreaterThan(0);
    expect(first.fee.length).toBeGreaterThan(0);
  });
});
