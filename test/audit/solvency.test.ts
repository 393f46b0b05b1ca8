// The solvency statement from a verification report and a liabilities root, without a node: the
// coverage arithmetic (exact, rounded down), the report's own checks, and an HTML page that stays
// inert whatever the custodian's message says.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KuraError } from '../../src/errors.js';
import { depthFor } from '../../src/audit/liabilities/hashes.js';
import { parseRootFile } from '../../src/audit/liabilities/files.js';
import { parseReport, reportFileOf, type VerificationReport } from '../../src/audit/reserves/index.js';
import {
  coverageRatio,
  escapeHtml,
  solvencyFromFiles,
  solvencyStatement,
  statementHtml,
} from '../../src/audit/solvency/index.js';
import { tempDir } from '../helpers/cli.js';

const HOSTILE =
  'ACME </title><script>alert("x")</script><img src=x onerror=alert(1)> & co — block 9 ' + 'ab'.repeat(32);

function report(overrides: Partial<VerificationReport> = {}): VerificationReport {
  return {
    proofSha256: '11'.repeat(32),
    network: 'regtest',
    message: HOSTILE,
    block: { height: 9, hash: 'ab'.repeat(32), time: 1_750_000_000 },
    verifiedAt: 1_750_000_600,
    nodeTip: { height: 12, hash: 'cd'.repeat(32) },
    totalSat: 300_000_000n,
    coins: [
      {
        txid: '22'.repeat(32),
        vout: 0,
        valueSat: 200_000_000n,
        height: 3,
        blockHash: '33'.repeat(32),
        status: 'unspent',
      },
      {
        txid: '44'.repeat(32),
        vout: 1,
        valueSat: 100_000_000n,
        height: 4,
        blockHash: '55'.repeat(32),
        status: 'spent-since',
        spentAtHeight: 11,
        spentBy: '66'.repeat(32),
      },
    ],
    checks: [{ id: 'commitment', detail: 'input 0 <is> the commitment' }],
    ...overrides,
  };
}

function root(totalSat: bigint, count = 3) {
  return parseRootFile({
    kind: 'kura-liabilities-root',
    version: 1,
    hash: '77'.repeat(32),
    totalSat: totalSat.toString(),
    count,
    depth: depthFor(count),
    createdAt: 1_750_000_300,
  });
}

describe('coverage', () => {
  it.each([
    [300n, 200n, '1.5000'],
    [200n, 300n, '0.6666'],
    [99_999n, 100_000n, '0.9999'],
    [100_000n, 100_000n, '1.0000'],
    [0n, 5n, '0.0000'],
    [5n, 0n, null],
  ])('reserves %s over liabilities %s is %s (rounded down)', (reserves, liabilities, expected) => {
    expect(coverageRatio(reserves, liabilities)).toBe(expected);
  });

  it('never shows 1.0000 or more unless the reserves cover the liabilities', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2_100_000_000_000_000n }),
        fc.bigInt({ min: 1n, max: 2_100_000_000_000_000n }),
        (reserves, liabilities) => {
          const ratio = coverageRatio(reserves, liabilities) as string;
          expect(Number(ratio) >= 1).toBe(reserves >= liabilities);
          expect(solvencyStatement(report({ totalSat: reserves }), root(liabilities), 0).covered).toBe(
            reserves >= liabilities,
          );
        },
      ),
    );
  });

  it('states covered, the surplus, and every check', () => {
    const s = solvencyStatement(report(), root(250_000_000n), 1_750_001_000);
    expect(s).toMatchObject({
      covered: true,
      surplusSat: 50_000_000n,
      coverage: '1.2000',
      snapshotGapSeconds: 300,
    });
    expect(s.checks.map((c) => c.id)).toEqual(['reserves.commitment', 'liabilities.root', 'comparison']);
    const short = solvencyStatement(report(), root(300_000_001n), 0);
    expect(short).toMatchObject({ covered: false, surplusSat: -1n, coverage: '0.9999' });
  });
});

describe('the HTML page', () => {
  it('escapes the message and every other text, and holds no script or external resource', () => {
    const page = statementHtml(solvencyStatement(report(), root(250_000_000n), 1_750_001_000));
    expect(page).toContain(escapeHtml(HOSTILE));
    expect(page).not.toContain('<script');
    expect(page).not.toContain('<img');
    // The only markup is the page's own: no tag carries a link, a source or an event handler.
    const tags = page.match(/<[a-z][^>]*>/gi) ?? [];
    expect(tags.filter((t) => /\s(src|href|on\w+)=/i.test(t))).toEqual([]);
    expect(new Set(tags.map((t) => /^<([a-z0-9]+)/i.exec(t)?.[1]))).not.toContain('img');
    expect(page).toContain('input 0 &lt;is&gt; the commitment');
    expect(page).toContain('Content-Security-Policy" content="default-src \'none\'');
    expect(page).toContain('Reserves cover liabilities at block 9');
    expect(page).toContain('spent since, at height 11');
    expect(page).toContain('1.2000 (rounded down)');
    const short = statementHtml(solvencyStatement(report(), root(400_000_000n), 0));
    expect(short).toContain('Reserves do NOT cover liabilities at block 9');
    expect(short).toContain('Shortfall');
  });

  it('escapes the five characters HTML gives meaning', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});

describe('the verification report', () => {
  it('round-trips through its file', () => {
    expect(parseReport(JSON.parse(JSON.stringify(reportFileOf(report()))))).toEqual(report());
  });

  it.each([
    [
      'a total that is not the coins’ sum',
      (o: Record<string, unknown>) => void (o.totalSat = '300000001'),
      'totalSat',
    ],
    [
      'an unknown coin status',
      (o: Record<string, unknown>) =>
        void (((o.coins as Record<string, unknown>[])[0] as Record<string, unknown>).status = 'maybe'),
      'coins[0].status',
    ],
    ['another kind', (o: Record<string, unknown>) => void (o.kind = 'kura-reserves-proof'), 'kind'],
    ['no coins', (o: Record<string, unknown>) => void (o.coins = []), 'coins'],
  ])('refuses %s: RESERVES_REPORT_INVALID', (_, change, field) => {
    const o = JSON.parse(JSON.stringify(reportFileOf(report()))) as Record<string, unknown>;
    change(o);
    try {
      parseReport(o);
      expect.unreachable();
    } catch (error) {
      expect((error as KuraError).code).toBe('RESERVES_REPORT_INVALID');
      expect((error as KuraError).details.field).toBe(field);
    }
  });

  it('is checked against the proof file it names when one is given', () => {
    const dir = tempDir('kura-solvency-');
    const reportPath = join(dir, 'report.json');
    const rootPath = join(dir, 'root.json');
    const proofPath = join(dir, 'proof.json');
    writeFileSync(proofPath, 'the proof file bytes');
    const sha = '0d'.repeat(32);
    writeFileSync(reportPath, JSON.stringify(reportFileOf(report({ proofSha256: sha }))));
    writeFileSync(
      rootPath,
      JSON.stringify({
        kind: 'kura-liabilities-root',
        version: 1,
        hash: '77'.repeat(32),
        totalSat: '1',
        count: 1,
        depth: depthFor(1),
        createdAt: 0,
      }),
    );
    const run = () => solvencyFromFiles({ reportPath, liabilitiesPath: rootPath, proofPath, now: 0 });
    expect(() => run()).toThrowError(expect.objectContaining({ code: 'SOLVENCY_INPUT_MISMATCH' }) as Error);
    expect(solvencyFromFiles({ reportPath, liabilitiesPath: rootPath, now: 0 }).covered).toBe(true);
  });
});
