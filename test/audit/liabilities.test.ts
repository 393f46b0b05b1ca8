// Proof of liabilities: the balances CSV and its refusals (with line numbers), the Merkle-sum tree
// and its proofs, the attacks the literature describes against such trees, and the CLI.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  buildTree,
  depthFor,
  leafHash,
  LIABILITIES_VERSION,
  MAX_LIABILITY_SAT,
  nodeHash,
  paddingHash,
  parseBalancesCsv,
  parseProofFile,
  parseRootFile,
  proofFileOf,
  PROOF_KIND,
  readBalancesCsv,
  rootFileOf,
  rootHash,
  ROOT_KIND,
  verifyInclusion,
  type Account,
  type ProofFile,
  type RootFile,
} from '../../src/audit/liabilities/index.js';
import { isKuraError } from '../../src/errors.js';
import { errorCode, kura, tempDir, writeTemp } from '../helpers/cli.js';

const NOW = 1_750_000_000;

function codeOf(fn: () => unknown): { code: string; details: Record<string, unknown> } | undefined {
  try {
    fn();
  } catch (error) {
    if (isKuraError(error)) return { code: error.code, details: error.details };
    throw error;
  }
  return undefined;
}

function csv(...rows: string[]): string {
  return ['customer_id,balance_sat', ...rows].join('\n') + '\n';
}

const ACCOUNTS: Account[] = [
  { customerId: 'alice', balanceSat: 150_000_000n },
  { customerId: 'bob@example.com', balanceSat: 42n },
  { customerId: 'carol', balanceSat: 0n },
  { customerId: 'dave.1', balanceSat: 7_000_000_000n },
  { customerId: 'erin+x', balanceSat: 1n },
];

/** Builds a tree and returns the files its customers would hold, as parsed values. */
function published(accounts: readonly Account[] = ACCOUNTS, keepOrder = false) {
  const tree = buildTree(accounts, { createdAt: NOW, keepOrder });
  const rootFile = rootFileOf(tree);
  const proofFiles = accounts.map((_, i) => proofFileOf(tree, i));
  return { tree, rootFile, proofFiles };
}

const verifyFiles = (proof: ProofFile, root: RootFile) =>
  verifyInclusion(parseProofFile(proof), parseRootFile(root));

describe('balances CSV', () => {
  it('reads ids and whole-sat balances, CRLF and a BOM included', () => {
    const text = '\uFEFFcustomer_id,balance_sat\r\nalice,1\r\nBob_2,2099999999999999\r\n';
    expect(parseBalancesCsv(text)).toEqual([
      { customerId: 'alice', balanceSat: 1n },
      { customerId: 'Bob_2', balanceSat: 2_099_999_999_999_999n },
    ]);
  });

  const invalid: { description: string; input: string; code: string; line: number }[] = [
    { description: 'an empty file', input: '', code: 'LIABILITIES_CSV_MALFORMED', line: 1 },
    {
      description: 'another header',
      input: 'id,amount\nalice,1\n',
      code: 'LIABILITIES_CSV_MALFORMED',
      line: 1,
    },
    { description: 'no customers', input: csv(), code: 'LIABILITIES_CSV_MALFORMED', line: 2 },
    {
      description: 'a blank line',
      input: csv('alice,1', '', 'bob,2'),
      code: 'LIABILITIES_CSV_MALFORMED',
      line: 3,
    },
    { description: 'three fields', input: csv('alice,1,2'), code: 'LIABILITIES_CSV_MALFORMED', line: 2 },
    { description: 'quoted fields', input: csv('"alice",1'), code: 'LIABILITIES_CSV_MALFORMED', line: 2 },
    { description: 'an id with a space', input: csv('al ice,1'), code: 'LIABILITIES_CSV_MALFORMED', line: 2 },
    {
      description: 'an id with a slash',
      input: csv('ok,1', '../x,1'),
      code: 'LIABILITIES_CSV_MALFORMED',
      line: 3,
    },
    { description: 'a blank id', input: csv(',1'), code: 'LIABILITIES_CSV_MALFORMED', line: 2 },
    {
      description: 'an id of 129 characters',
      input: csv(`${'a'.repeat(129)},1`),
      code: 'LIABILITIES_CSV_MALFORMED',
      line: 2,
    },
    { description: 'a blank balance', input: csv('alice,'), code: 'LIABILITIES_BALANCE_INVALID', line: 2 },
    {
      description: 'a fraction',
      input: csv('alice,1', 'bob,0.5'),
      code: 'LIABILITIES_BALANCE_INVALID',
      line: 3,
    },
    { description: 'an exponent', input: csv('alice,1e8'), code: 'LIABILITIES_BALANCE_INVALID', line: 2 },
    { description: 'a plus sign', input: csv('alice,+5'), code: 'LIABILITIES_BALANCE_INVALID', line: 2 },
    { description: 'a word', input: csv('alice,lots'), code: 'LIABILITIES_BALANCE_INVALID', line: 2 },
    { description: 'a space', input: csv('alice, 5'), code: 'LIABILITIES_BALANCE_INVALID', line: 2 },
    {
      description: 'a negative balance',
      input: csv('alice,5', 'mallory,-500'),
      code: 'LIABILITIES_NEGATIVE_AMOUNT',
      line: 3,
    },
    {
      description: 'a negative fraction',
      input: csv('mallory,-0.5'),
      code: 'LIABILITIES_NEGATIVE_AMOUNT',
      line: 2,
    },
    {
      description: 'a balance above 21e6 BTC',
      input: csv('alice,2100000000000001'),
      code: 'LIABILITIES_AMOUNT_TOO_LARGE',
      line: 2,
    },
    {
      description: 'a balance that would overflow a u64',
      input: csv('alice,18446744073709551616'),
      code: 'LIABILITIES_AMOUNT_TOO_LARGE',
      line: 2,
    },
    {
      description: 'a total above 21e6 BTC',
      input: csv('alice,2000000000000000', 'bob,100000000000000', 'carol,1'),
      code: 'LIABILITIES_AMOUNT_TOO_LARGE',
      line: 4,
    },
    {
      description: 'a duplicate id',
      input: csv('alice,1', 'bob,2', 'alice,3'),
      code: 'LIABILITIES_DUPLICATE_ID',
      line: 4,
    },
    {
      description: 'ids differing only in case',
      input: csv('Alice,1', 'alice,2'),
      code: 'LIABILITIES_DUPLICATE_ID',
      line: 3,
    },
  ];

  it('reads a file larger than its 1 MiB read chunks line by line, and refuses an overlong line', () => {
    const dir = tempDir('kura-liabilities-');
    const rows = Array.from({ length: 120_000 }, (_, i) => `customer-${i},${i}`);
    const path = writeTemp(dir, 'big.csv', csv(...rows));
    expect(statSync(path).size).toBeGreaterThan(2 * 1024 * 1024);
    const accounts = readBalancesCsv(path);
    expect(accounts).toHaveLength(120_000);
    expect(accounts[77_777]).toEqual({ customerId: 'customer-77777', balanceSat: 77_777n });
    expect(accounts.at(-1)).toEqual({ customerId: 'customer-119999', balanceSat: 119_999n });
    const long = writeTemp(dir, 'long.csv', csv('alice,1', `bob,${'1'.repeat(2000)}`));
    expect(codeOf(() => readBalancesCsv(long))).toMatchObject({
      code: 'LIABILITIES_CSV_MALFORMED',
      details: { line: 3 },
    });
  });

  it.each(invalid)('refuses $description with $code on line $line', ({ input, code, line }) => {
    expect(codeOf(() => parseBalancesCsv(input))).toMatchObject({ code, details: { line } });
  });
});

describe('the Merkle-sum tree', () => {
  it('gives every customer a proof that verifies to the root, its total the sum of all balances', () => {
    const { rootFile, proofFiles } = published();
    const total = ACCOUNTS.reduce((sum, a) => sum + a.balanceSat, 0n);
    expect(rootFile).toMatchObject({
      kind: ROOT_KIND,
      version: LIABILITIES_VERSION,
      totalSat: total.toString(),
      count: 5,
      depth: 3,
      createdAt: NOW,
    });
    const seen = new Set<string>();
    for (const proof of proofFiles) {
      expect(proof.kind).toBe(PROOF_KIND);
      expect(proof.path).toHaveLength(3);
      const result = verifyFiles(proof, rootFile);
      expect(result.totalSat).toBe(total);
      expect(result.rootHash).toBe(rootFile.hash);
      seen.add(`${result.customerId}:${result.balanceSat}`);
    }
    expect(seen).toEqual(new Set(ACCOUNTS.map((a) => `${a.customerId}:${a.balanceSat}`)));
  });

  it('recomputes the root from the published construction, byte for byte', () => {
    const accounts = ACCOUNTS.slice(0, 3);
    const salts = new Uint8Array(3 * 32).map((_, i) => i);
    const tree = buildTree(accounts, { createdAt: NOW, keepOrder: true, randomSalts: () => salts });
    const leaves = accounts.map((a, i) => ({
      hash: leafHash(salts.subarray(32 * i, 32 * i + 32), a.customerId, a.balanceSat),
      sum: a.balanceSat,
    }));
    const pad = { hash: paddingHash(3), sum: 0n };
    const [l0, l1, l2] = leaves as [(typeof leaves)[0], (typeof leaves)[0], (typeof leaves)[0]];
    const left = nodeHash(l0.hash, l0.sum, l1.hash, l1.sum);
    const right = nodeHash(l2.hash, l2.sum, pad.hash, 0n);
    const top = nodeHash(left, l0.sum + l1.sum, right, l2.sum);
    const total = l0.sum + l1.sum + l2.sum;
    expect(bytesToHex(tree.rootHash)).toBe(bytesToHex(rootHash(top, total, 3, 2, NOW)));
  });

  it('salts every leaf afresh: the same balances make another root each time', () => {
    expect(published().rootFile.hash).not.toBe(published().rootFile.hash);
  });

  it('pads to a power of two with zero sums, and the depth follows the count', () => {
    expect([1, 2, 3, 4, 5, 8, 9, 1_000_000].map(depthFor)).toEqual([1, 1, 2, 2, 3, 3, 4, 20]);
    const one = published([{ customerId: 'solo', balanceSat: 5n }]);
    expect(one.rootFile).toMatchObject({ count: 1, depth: 1, totalSat: '5' });
    const [proof] = one.proofFiles as [ProofFile];
    expect(proof.path).toEqual([{ hash: bytesToHex(paddingHash(1)), sumSat: '0' }]);
    expect(verifyFiles(proof, one.rootFile).balanceSat).toBe(5n);
  });

  it('refuses a proof or root that was changed in any field', () => {
    const { rootFile, proofFiles } = published();
    const proof = proofFiles[1] as ProofFile;
    const step0 = proof.path[0] as { hash: string; sumSat: string };
    const flip = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);
    const cases: [string, ProofFile, RootFile, string][] = [
      [
        'balance raised',
        { ...proof, balanceSat: (BigInt(proof.balanceSat) + 1n).toString() },
        rootFile,
        'LIABILITIES_ROOT_MISMATCH',
      ],
      ['another customer id', { ...proof, customerId: 'mallory' }, rootFile, 'LIABILITIES_ROOT_MISMATCH'],
      ['another salt', { ...proof, salt: flip(proof.salt) }, rootFile, 'LIABILITIES_ROOT_MISMATCH'],
      [
        'a sibling hash',
        { ...proof, path: [{ ...step0, hash: flip(step0.hash) }, ...proof.path.slice(1)] },
        rootFile,
        'LIABILITIES_ROOT_MISMATCH',
      ],
      [
        'a sibling sum lowered',
        { ...proof, path: [{ ...step0, sumSat: '0' }, ...proof.path.slice(1)] },
        rootFile,
        step0.sumSat === '0' ? '' : 'LIABILITIES_ROOT_MISMATCH',
      ],
      ['another position', { ...proof, index: proof.index ^ 1 }, rootFile, 'LIABILITIES_ROOT_MISMATCH'],
      [
        'the root total',
        proof,
        { ...rootFile, totalSat: (BigInt(rootFile.totalSat) - 1n).toString() },
        'LIABILITIES_TOTAL_MISMATCH',
      ],
      ['the root count', proof, { ...rootFile, count: rootFile.count + 1 }, 'LIABILITIES_ROOT_MISMATCH'],
      [
        'the root time',
        proof,
        { ...rootFile, createdAt: rootFile.createdAt + 1 },
        'LIABILITIES_ROOT_MISMATCH',
      ],
      ['a root of another tree', proof, published().rootFile, 'LIABILITIES_ROOT_MISMATCH'],
      [
        'the root kind',
        proof,
        { ...rootFile, kind: 'kura-liabilities-proof' as typeof ROOT_KIND },
        'LIABILITIES_ROOT_INVALID',
      ],
      [
        'the proof version',
        { ...proof, version: 2 as typeof LIABILITIES_VERSION },
        rootFile,
        'LIABILITIES_PROOF_INVALID',
      ],
      [
        'a sum as a number',
        { ...proof, path: [{ ...step0, sumSat: 5 as unknown as string }] },
        rootFile,
        'LIABILITIES_PROOF_INVALID',
      ],
    ];
    for (const [what, p, r, code] of cases) {
      if (code === '') continue; // the sibling's sum was already 0: nothing was changed
      expect(codeOf(() => verifyFiles(p, r))?.code, what).toBe(code);
    }
  });
});

describe('attacks on Merkle-sum trees from the literature', () => {
  // Four customers, fixed salts and order, so the cheating prover below can rebuild what it needs.
  const accounts: Account[] = [
    { customerId: 'a', balanceSat: 100n },
    { customerId: 'b', balanceSat: 60n },
    { customerId: 'c', balanceSat: 30n },
    { customerId: 'd', balanceSat: 10n },
  ];
  const salts = new Uint8Array(4 * 32).map((_, i) => (i * 7) % 251);
  const salt = (i: number) => salts.subarray(32 * i, 32 * i + 32);
  const leaf = (i: number) => {
    const account = accounts[i] as Account;
    return { hash: leafHash(salt(i), account.customerId, account.balanceSat), sum: account.balanceSat };
  };
  const proofOf = (i: number, path: { hash: Uint8Array; sum: bigint }[], root: Uint8Array): ProofFile => ({
    kind: PROOF_KIND,
    version: LIABILITIES_VERSION,
    rootHash: bytesToHex(root),
    customerId: (accounts[i] as Account).customerId,
    balanceSat: (accounts[i] as Account).balanceSat.toString(),
    salt: bytesToHex(salt(i)),
    index: i,
    path: path.map((s) => ({ hash: bytesToHex(s.hash), sumSat: s.sum.toString() })),
  });
  const rootOf = (hash: Uint8Array, totalSat: bigint, count = 4, depth = 2): RootFile => ({
    kind: ROOT_KIND,
    version: LIABILITIES_VERSION,
    hash: bytesToHex(hash),
    totalSat: totalSat.toString(),
    count,
    depth,
    createdAt: NOW,
  });

  it('an honest tree of the four verifies for every customer (the baseline of the attacks)', () => {
    const tree = buildTree(accounts, { createdAt: NOW, keepOrder: true, randomSalts: () => salts });
    accounts.forEach((_, i) =>
      expect(verifyFiles(proofFileOf(tree, i), rootFileOf(tree)).totalSat).toBe(200n),
    );
  });

  it('a negative balance, planted to cancel others out, cannot even be written into a proof', () => {
    const tree = buildTree(accounts, { createdAt: NOW, keepOrder: true, randomSalts: () => salts });
    const proof = proofFileOf(tree, 0);
    const planted = {
      ...proof,
      path: [{ ...(proof.path[0] as ProofFile['path'][0]), sumSat: '-60' }, ...proof.path.slice(1)],
    };
    expect(codeOf(() => verifyFiles(planted, rootFileOf(tree)))?.code).toBe('LIABILITIES_NEGATIVE_AMOUNT');
    // …nor sneaked in as a u64 that wraps around to "minus 60"
    const wrapped = {
      ...proof,
      path: [{ ...(proof.path[0] as ProofFile['path'][0]), sumSat: (2n ** 64n - 60n).toString() }],
    };
    expect(codeOf(() => verifyFiles(wrapped, rootFileOf(tree)))?.code).toBe('LIABILITIES_AMOUNT_TOO_LARGE');
    expect(codeOf(() => parseBalancesCsv(csv('a,100', 'mallory,-60')))?.code).toBe(
      'LIABILITIES_NEGATIVE_AMOUNT',
    );
  });

  it("a node whose sum is not its children's (Hu et al.: max instead of sum) is caught by a customer below it", () => {
    // The prover wants node(a, b) to count 100 instead of 160. In Maxwell's original scheme only
    // the parent's total was hashed, so it could tell a "b's side holds 0" and b "a's side holds
    // 40". Here a node hashes both children's sums, so one of the two must see a wrong root.
    const [a, b, c, d] = [leaf(0), leaf(1), leaf(2), leaf(3)];
    const understated = 100n;
    const cheatAB = nodeHash(a.hash, a.sum, b.hash, understated - a.sum); // what a is shown
    const cd = nodeHash(c.hash, c.sum, d.hash, d.sum);
    const top = nodeHash(cheatAB, understated, cd, c.sum + d.sum);
    const total = understated + c.sum + d.sum;
    const root = rootOf(rootHash(top, total, 4, 2, NOW), total);
    const cdStep = { hash: cd, sum: c.sum + d.sum };
    // a's proof is consistent with the lie (a alone cannot see the other side)…
    expect(
      verifyFiles(proofOf(0, [{ hash: b.hash, sum: 0n }, cdStep], rootHash(top, total, 4, 2, NOW)), root)
        .totalSat,
    ).toBe(total);
    // …but b, whatever split it is shown, recomputes another node and another root.
    for (const shownA of [0n, understated - b.sum, a.sum]) {
      const bProof = proofOf(1, [{ hash: a.hash, sum: shownA }, cdStep], rootHash(top, total, 4, 2, NOW));
      expect(codeOf(() => verifyFiles(bProof, root))?.code).toBe('LIABILITIES_ROOT_MISMATCH');
    }
  });

  it('one account posing as the whole set: a short path, a shallow root or a padding position is refused', () => {
    // The prover publishes a root for 1,000 accounts but the tree holds only a's leaf and padding.
    const a = leaf(0);
    const lone = nodeHash(a.hash, a.sum, paddingHash(1), 0n);
    const claimed = rootOf(rootHash(lone, a.sum, 1000, 10, NOW), a.sum, 1000, 10);
    const short = proofOf(0, [{ hash: paddingHash(1), sum: 0n }], rootHash(lone, a.sum, 1000, 10, NOW));
    expect(codeOf(() => verifyFiles(short, claimed))?.code).toBe('LIABILITIES_DEPTH_MISMATCH');
    // A root whose depth does not fit its count is refused before any proof is looked at.
    const shallow = rootOf(rootHash(lone, a.sum, 1000, 1, NOW), a.sum, 1000, 1);
    expect(codeOf(() => verifyFiles({ ...short, rootHash: shallow.hash }, shallow))?.code).toBe(
      'LIABILITIES_ROOT_INVALID',
    );
    // A proof placed in the padding (index ≥ count) is refused even when its hashes add up.
    const tree = buildTree(accounts.slice(0, 3), {
      createdAt: NOW,
      keepOrder: true,
      randomSalts: () => salts.slice(0, 96),
    });
    const proof = proofFileOf(tree, 2);
    expect(codeOf(() => verifyFiles({ ...proof, index: 3 }, rootFileOf(tree)))?.code).toBe(
      'LIABILITIES_DEPTH_MISMATCH',
    );
  });

  it('a leaf can never be passed off as a node or as padding (each has its own tag)', () => {
    const a = leaf(0);
    const asNode = nodeHash(a.hash, a.sum, a.hash, 0n);
    expect(new Set([bytesToHex(a.hash), bytesToHex(asNode), bytesToHex(paddingHash(0))]).size).toBe(3);
    expect(bytesToHex(paddingHash(0))).not.toBe(bytesToHex(paddingHash(1)));
    // the same bytes under the leaf tag and the padding tag hash differently
    expect(bytesToHex(leafHash(new Uint8Array(32), 'a', 0n))).not.toBe(bytesToHex(paddingHash(0)));
  });

  it('refuses sums and totals that pass 21e6 BTC, so nothing wraps around', () => {
    const big: Account[] = [
      { customerId: 'x', balanceSat: MAX_LIABILITY_SAT },
      { customerId: 'y', balanceSat: 1n },
    ];
    expect(codeOf(() => buildTree(big, { createdAt: NOW }))?.code).toBe('LIABILITIES_AMOUNT_TOO_LARGE');
    const tree = buildTree([{ customerId: 'x', balanceSat: MAX_LIABILITY_SAT }], { createdAt: NOW });
    const proof = proofFileOf(tree, 0);
    const inflated = { ...proof, path: [{ hash: bytesToHex(paddingHash(1)), sumSat: '1' }] };
    expect(codeOf(() => verifyFiles(inflated, rootFileOf(tree)))?.code).toBe('LIABILITIES_AMOUNT_TOO_LARGE');
    expect(hexToBytes(rootFileOf(tree).hash)).toHaveLength(32);
  });
});

describe('kura audit liabilities build | verify', () => {
  it('writes root.json and one private proof per customer; each customer verifies their own', async () => {
    const dir = tempDir('kura-liabilities-');
    const balances = writeTemp(dir, 'balances.csv', csv('alice,150000000', 'bob@example.com,42', 'carol,0'));
    const out = join(dir, 'out');
    const built = await kura([
      'audit',
      'liabilities',
      'build',
      '--balances',
      balances,
      '--out',
      out,
      '--json',
    ]);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    const result = built.json<{ root: RootFile; rootPath: string; proofsDir: string; proofs: number }>();
    expect(result.root).toMatchObject({ totalSat: '150000042', count: 3, depth: 2 });
    expect(JSON.parse(readFileSync(join(out, 'root.json'), 'utf8'))).toEqual(result.root);
    expect(readdirSync(join(out, 'proofs')).sort()).toEqual([
      'alice.json',
      'bob@example.com.json',
      'carol.json',
    ]);
    expect(readdirSync(dir).sort()).toEqual(['balances.csv', 'out']); // no staging folder left

    const verified = await kura([
      'audit',
      'liabilities',
      'verify',
      '--proof',
      join(out, 'proofs', 'bob@example.com.json'),
      '--root',
      join(out, 'root.json'),
      '--json',
    ]);
    expect(verified.code).toBe(0);
    expect(verified.json()).toMatchObject({
      ok: true,
      customerId: 'bob@example.com',
      balanceSat: '42',
      totalSat: '150000042',
    });

    const human = await kura([
      'audit',
      'liabilities',
      'verify',
      '--proof',
      join(out, 'proofs', 'alice.json'),
      '--root',
      join(out, 'root.json'),
    ]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('Included: customer alice with 150000000 sats (1.50000000 BTC)');

    // A tampered root (the total lowered by one sat) is refused with its code and exit 4.
    const root = JSON.parse(readFileSync(join(out, 'root.json'), 'utf8')) as RootFile;
    const lowered = writeTemp(dir, 'lowered-root.json', JSON.stringify({ ...root, totalSat: '150000041' }));
    const refused = await kura([
      'audit',
      'liabilities',
      'verify',
      '--proof',
      join(out, 'proofs', 'alice.json'),
      '--root',
      lowered,
      '--json',
    ]);
    expect(errorCode(refused)).toBe('LIABILITIES_TOTAL_MISMATCH');
    expect(refused.code).toBe(4);
  });

  it('refuses bad balances with the line number and writes nothing', async () => {
    const dir = tempDir('kura-liabilities-');
    const balances = writeTemp(dir, 'balances.csv', csv('alice,1', 'bob,2.5'));
    const run = await kura([
      'audit',
      'liabilities',
      'build',
      '--balances',
      balances,
      '--out',
      join(dir, 'out'),
    ]);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      'kura: LIABILITIES_BALANCE_INVALID: balances line 3: "balance_sat" is not whole sats (2.5): write integers of sats, no decimals or exponents\n',
    );
    expect(readdirSync(dir)).toEqual(['balances.csv']);
  });

  it('never writes into a folder that holds something, and refuses files that are not there', async () => {
    const dir = tempDir('kura-liabilities-');
    const balances = writeTemp(dir, 'balances.csv', csv('alice,1'));
    mkdirSync(join(dir, 'out'));
    writeFileSync(join(dir, 'out', 'keep.txt'), 'mine');
    const run = await kura([
      'audit',
      'liabilities',
      'build',
      '--balances',
      balances,
      '--out',
      join(dir, 'out'),
      '--json',
    ]);
    expect(errorCode(run)).toBe('FILE_EXISTS');
    expect(readdirSync(join(dir, 'out'))).toEqual(['keep.txt']);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect((await kura(['audit', 'liabilities', 'build', '--balances', balances, '--out', empty])).code).toBe(
      0,
    );
    expect(existsSync(join(empty, 'root.json'))).toBe(true);
    const missing = await kura([
      'audit',
      'liabilities',
      'verify',
      '--proof',
      join(dir, 'nope.json'),
      '--root',
      join(empty, 'root.json'),
      '--json',
    ]);
    expect(errorCode(missing)).toBe('FILE_NOT_FOUND');
  });

  it('reports progress on stderr for long inputs, counted in rows rather than time', async () => {
    const { buildLiabilities } = await import('../../src/audit/liabilities/index.js');
    const dir = tempDir('kura-liabilities-');
    const rows = Array.from({ length: 25 }, (_, i) => `c${i},${i}`);
    const balances = writeTemp(dir, 'balances.csv', csv(...rows));
    const seen: string[] = [];
    const result = await buildLiabilities({
      balancesPath: balances,
      outDir: join(dir, 'out'),
      now: NOW,
      progressEvery: 10,
      onProgress: (p) => seen.push(`${p.phase}:${p.done}`),
    });
    expect(result.proofs).toBe(25);
    expect(seen).toEqual([
      'read:10',
      'read:20',
      'leaves:10',
      'leaves:20',
      'nodes:10',
      'nodes:20',
      'nodes:30',
      'proofs:10',
      'proofs:20',
    ]);
  });
});
