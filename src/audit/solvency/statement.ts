// The solvency statement: do the reserves an auditor verified at a block cover the liabilities the
// custodian published? Reserves come from the auditor's own verification report of a proof file
// (`kura audit reserves verify --out`), liabilities from the Merkle-sum tree's root file
// (`kura audit liabilities build`). Pure: files are read by index.ts, and the clock is passed in.
import type { LiabilitiesRoot } from '../liabilities/files.js';
import type { PassedCheck, VerificationReport } from '../reserves/report.js';

export const STATEMENT_KIND = 'kura-solvency-statement';
export const STATEMENT_VERSION = 1;
/** Decimal places of the coverage ratio, which is rounded down: 0.99999 is never shown as 1.0000. */
const RATIO_DIGITS = 4;

export interface SolvencyStatement {
  readonly createdAt: number;
  readonly covered: boolean;
  readonly reservesSat: bigint;
  readonly liabilitiesSat: bigint;
  /** Reserves minus liabilities: negative is a shortfall. */
  readonly surplusSat: bigint;
  /** reserves ÷ liabilities, rounded down to 4 places; null when there are no liabilities. */
  readonly coverage: string | null;
  readonly reserves: VerificationReport;
  readonly liabilities: LiabilitiesRoot;
  /** Seconds between the liabilities snapshot and the proof's block time. */
  readonly snapshotGapSeconds: number;
  readonly checks: readonly PassedCheck[];
}

export function coverageRatio(reservesSat: bigint, liabilitiesSat: bigint): string | null {
  if (liabilitiesSat === 0n) return null;
  const scale = 10n ** BigInt(RATIO_DIGITS);
  const scaled = (reservesSat * scale) / liabilitiesSat;
  return `${scaled / scale}.${(scaled % scale).toString().padStart(RATIO_DIGITS, '0')}`;
}

export function solvencyStatement(
  reserves: VerificationReport,
  liabilities: LiabilitiesRoot,
  createdAt: number,
): SolvencyStatement {
  const reservesSat = reserves.totalSat;
  const liabilitiesSat = liabilities.totalSat;
  const covered = reservesSat >= liabilitiesSat;
  const coverage = coverageRatio(reservesSat, liabilitiesSat);
  const checks: PassedCheck[] = [
    ...reserves.checks.map((c) => ({ id: `reserves.${c.id}`, detail: c.detail })),
    {
      id: 'liabilities.root',
      detail: `the liabilities root ${liabilities.hash} is well formed: ${liabilities.count} accounts, depth ${liabilities.depth}, total ${liabilitiesSat} sats`,
    },
    {
      id: 'comparison',
      detail: `reserves ${reservesSat} sats ${covered ? '≥' : '<'} liabilities ${liabilitiesSat} sats${coverage === null ? '' : ` (coverage ${coverage})`}`,
    },
  ];
  return {
    createdAt,
    covered,
    reservesSat,
    liabilitiesSat,
    surplusSat: reservesSat - liabilitiesSat,
    coverage,
    reserves,
    liabilities,
    snapshotGapSeconds: Math.abs(liabilities.createdAt - reserves.block.time),
    checks,
  };
}

/** The statement as JSON: amounts as decimal strings of sats. */
export function statementFileOf(s: SolvencyStatement): Record<string, unknown> {
  return {
    kind: STATEMENT_KIND,
    version: STATEMENT_VERSION,
    createdAt: s.createdAt,
    covered: s.covered,
    reservesSat: s.reservesSat.toString(),
    liabilitiesSat: s.liabilitiesSat.toString(),
    surplusSat: s.surplusSat.toString(),
    coverage: s.coverage,
    snapshotGapSeconds: s.snapshotGapSeconds,
    reserves: {
      proofSha256: s.reserves.proofSha256,
      network: s.reserves.network,
      message: s.reserves.message,
      block: s.reserves.block,
      verifiedAt: s.reserves.verifiedAt,
      nodeTip: s.reserves.nodeTip,
      totalSat: s.reserves.totalSat.toString(),
      coins: s.reserves.coins.map((c) => ({ ...c, valueSat: c.valueSat.toString() })),
    },
    liabilities: {
      rootHash: s.liabilities.hash,
      totalSat: s.liabilities.totalSat.toString(),
      count: s.liabilities.count,
      depth: s.liabilities.depth,
      createdAt: s.liabilities.createdAt,
    },
    checks: s.checks,
  };
}
