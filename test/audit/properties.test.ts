// Property tests (fast-check) for the auditor's parsers: random and mutated balances CSVs, proofs
// and log exports give either a result or a typed refusal (KuraError) — never another exception —
// and every tampered proof or log is refused. Seeds are printed by fast-check on failure.
import { bytesToHex } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildTree,
  MAX_LIABILITY_SAT,
  parseBalancesCsv,
  parseProofFile,
  parseRootFile,
  proofFileOf,
  rootFileOf,
  verifyInclusion,
  type Account,
} from '../../src/audit/liabilities/index.js';
import { coordinatorLogExport, verifyLogLines } from '../../src/audit/log/index.js';
import { openCoordinatorHome } from '../../src/coordinator/home.js';
import { isKuraError } from '../../src/errors.js';
import { busyDay, demoCoordinator } from './coordinatorFixture.js';

/** Runs fn; a KuraError is a refusal (returned), anything else thrown is a failure of the property. */
function outcome<T>(fn: () => T): { ok: true; value: T } | { ok: false; code: string } {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    if (isKuraError(error)) return { ok: false, code: error.code };
    throw error;
  }
}

const CSV_CHARS = 'aZ09._@+-,"\n\r -.e\t\uFEFFé'.split('');
const idArb = fc.stringMatching(/^[a-z0-9][a-z0-9._@+-]{0,12}$/);
const accountsArb = fc.uniqueArray(
  fc.record({ customerId: idArb, balanceSat: fc.bigInt({ min: 0n, max: MAX_LIABILITY_SAT / 64n }) }),
  { minLength: 1, maxLength: 40, selector: (a) => a.customerId.toLowerCase() },
);
const csvOf = (accounts: readonly Account[]) =>
  ['customer_id,balance_sat', ...accounts.map((a) => `${a.customerId},${a.balanceSat}`)].join('\n') + '\n';

/** One character replaced, inserted or deleted at a position. */
const editArb = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('replace', 'insert', 'delete'),
  char: fc.constantFrom(...CSV_CHARS),
});
function applyEdit(text: string, edit: { at: number; kind: string; char: string }): string {
  const at = text.length === 0 ? 0 : edit.at % text.length;
  if (edit.kind === 'insert') return text.slice(0, at) + edit.char + text.slice(at);
  if (edit.kind === 'delete') return text.slice(0, at) + text.slice(at + 1);
  return text.slice(0, at) + edit.char + text.slice(at + 1);
}

describe('balances CSV parser', () => {
  it('random text: accounts or a typed refusal', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.constant('customer_id,balance_sat'), fc.constant('a,1'))),
        (rows) => {
          const result = outcome(() => parseBalancesCsv(rows.join('\n')));
          if (result.ok) expect(result.value.length).toBeGreaterThan(0);
        },
      ),
    );
  });

  it('valid balances, mutated: the same accounts back, or a typed refusal that never lets a bad row through', () => {
    fc.assert(
      fc.property(accountsArb, fc.array(editArb, { minLength: 1, maxLength: 4 }), (accounts, edits) => {
        const text = edits.reduce(applyEdit, csvOf(accounts));
        const result = outcome(() => parseBalancesCsv(text));
        if (!result.ok) return;
        const ids = new Set<string>();
        let total = 0n;
        for (const a of result.value) {
          expect(a.customerId).toMatch(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/);
          expect(a.balanceSat >= 0n && a.balanceSat <= MAX_LIABILITY_SAT).toBe(true);
          expect(ids.has(a.customerId.toLowerCase())).toBe(false);
          ids.add(a.customerId.toLowerCase());
          total += a.balanceSat;
        }
        expect(total <= MAX_LIABILITY_SAT).toBe(true);
      }),
    );
  });
});

describe('liabilities tree and proofs', () => {
  it('every customer of a random tree verifies, and the total is the sum of the balances', () => {
    fc.assert(
      fc.property(accountsArb, (accounts) => {
        const tree = buildTree(accounts, { createdAt: 1_750_000_000 });
        const root = parseRootFile(rootFileOf(tree));
        const total = accounts.reduce((s, a) => s + a.balanceSat, 0n);
        expect(root.totalSat).toBe(total);
        for (let i = 0; i < accounts.length; i++) {
          expect(verifyInclusion(parseProofFile(proofFileOf(tree, i)), root).totalSat).toBe(total);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('a proof file changed anywhere is refused, unless the change leaves the same proof', () => {
    fc.assert(
      fc.property(
        accountsArb,
        fc.nat(),
        fc.array(editArb, { minLength: 1, maxLength: 3 }),
        (accounts, pick, edits) => {
          const tree = buildTree(accounts, { createdAt: 1_750_000_000 });
          const root = parseRootFile(rootFileOf(tree));
          const original = proofFileOf(tree, pick % accounts.length);
          const text = edits.reduce(applyEdit, JSON.stringify(original, null, 2));
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            return; // the CLI refuses it as JSON_MALFORMED (readJsonFile)
          }
          const result = outcome(() => verifyInclusion(parseProofFile(json), root));
          if (result.ok) expect(json).toEqual(original);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('any one path step with another hash or sum is refused', () => {
    fc.assert(
      fc.property(
        accountsArb,
        fc.nat(),
        fc.nat(),
        fc.bigInt({ min: 1n, max: 1000n }),
        (accounts, pick, stepPick, delta) => {
          const tree = buildTree(accounts, { createdAt: 1_750_000_000 });
          const root = parseRootFile(rootFileOf(tree));
          const proof = parseProofFile(proofFileOf(tree, pick % accounts.length));
          const s = stepPick % proof.path.length;
          const step = proof.path[s] as { hash: Uint8Array; sumSat: bigint };
          const hash = step.hash.slice();
          const byte = Number(delta) % 32;
          hash[byte] = (hash[byte] ?? 0) ^ 1;
          for (const changed of [
            { ...step, hash },
            { ...step, sumSat: step.sumSat + delta },
          ]) {
            const path = proof.path.map((p, i) => (i === s ? changed : p));
            const result = outcome(() => verifyInclusion({ ...proof, path }, root));
            expect(result.ok, bytesToHex(changed.hash)).toBe(false);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('log export verifier', () => {
  let lines: string[];

  beforeAll(async () => {
    const { home } = await demoCoordinator();
    busyDay(home, 4);
    const opened = openCoordinatorHome(home);
    try {
      lines = coordinatorLogExport(opened, 1_750_000_000).text.replace(/\n$/, '').split('\n');
    } finally {
      opened.close();
    }
  });

  it('random lines: a chain or a typed refusal', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.json(), fc.constantFrom(...lines))), (text) => {
        outcome(() => verifyLogLines(text));
      }),
    );
  });

  const mutationArb = fc.oneof(
    fc.record({ kind: fc.constant('delete' as const), a: fc.nat() }),
    fc.record({ kind: fc.constant('duplicate' as const), a: fc.nat(), b: fc.nat() }),
    fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), a: fc.nat(), text: fc.oneof(fc.string(), fc.json()) }),
    fc.record({ kind: fc.constant('edit' as const), a: fc.nat(), edit: editArb }),
  );

  it('any deletion, duplication, swap, insertion or edit of an entry is refused', () => {
    fc.assert(
      fc.property(mutationArb, (m) => {
        const entries = lines.length - 1;
        const a = 1 + (m.a % entries); // entries only: the header's own time is not hashed
        const next = [...lines];
        if (m.kind === 'delete') next.splice(a, 1);
        if (m.kind === 'duplicate') next.splice(1 + (m.b % (entries + 1)), 0, next[a] as string);
        if (m.kind === 'swap') {
          const b = 1 + (m.b % entries);
          [next[a], next[b]] = [next[b] as string, next[a] as string];
        }
        if (m.kind === 'insert') next.splice(a, 0, m.text);
        if (m.kind === 'edit') next[a] = applyEdit(next[a] as string, m.edit);
        const result = outcome(() => verifyLogLines(next));
        if (next.join('\n') === lines.join('\n')) expect(result.ok).toBe(true);
        else expect(result.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
