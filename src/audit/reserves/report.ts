// The auditor's verification report, written by `kura audit reserves verify --out` and read by
// `kura audit solvency`: what the auditor's own node confirmed about one proof file (named by its
// SHA-256), coin by coin, with the checks that passed. A report records a verification; it is
// not itself evidence for anyone who did not run it — a third party runs verify again.
import { NETWORK_NAMES, type NetworkName } from '../../bitcoin/networks.js';
import { fieldReaders } from './fieldReaders.js';

export const REPORT_KIND = 'kura-reserves-verification';
export const REPORT_VERSION = 1;

export type CoinState = 'unspent' | 'spent-since';

export interface CoinStatus {
  readonly txid: string;
  readonly vout: number;
  readonly valueSat: bigint;
  readonly height: number;
  readonly blockHash: string;
  /** 'unspent': unspent at the proof's block and now; 'spent-since': unspent at the block, spent after. */
  readonly status: CoinState;
  readonly spentAtHeight?: number;
  readonly spentBy?: string;
}

export interface PassedCheck {
  readonly id: string;
  readonly detail: string;
}

export interface VerificationReport {
  readonly proofSha256: string;
  readonly network: NetworkName;
  readonly message: string;
  readonly block: { readonly height: number; readonly hash: string; readonly time: number };
  readonly verifiedAt: number;
  readonly nodeTip: { readonly height: number; readonly hash: string };
  readonly totalSat: bigint;
  readonly coins: readonly CoinStatus[];
  /** Only checks that passed are listed: a failed check is a refusal, not a report. */
  readonly checks: readonly PassedCheck[];
}

export function reportFileOf(report: VerificationReport): Record<string, unknown> {
  return {
    kind: REPORT_KIND,
    version: REPORT_VERSION,
    ...report,
    totalSat: report.totalSat.toString(),
    coins: report.coins.map((c) => ({ ...c, valueSat: c.valueSat.toString() })),
  };
}

const { invalid, object, hash, integer, sats, text } = fieldReaders(
  'RESERVES_REPORT_INVALID',
  'verification report',
);

function coinOf(value: unknown, i: number): CoinStatus {
  const field = `coins[${i}]`;
  const c = object(value, field);
  if (c.status !== 'unspent' && c.status !== 'spent-since')
    throw invalid(`${field}.status`, 'must be "unspent" or "spent-since"');
  const base = {
    txid: hash(c.txid, `${field}.txid`),
    vout: integer(c.vout, `${field}.vout`, 0xffffffff),
    valueSat: sats(c.valueSat, `${field}.valueSat`),
    height: integer(c.height, `${field}.height`),
    blockHash: hash(c.blockHash, `${field}.blockHash`),
  };
  if (c.status === 'unspent') return { ...base, status: 'unspent' };
  return {
    ...base,
    status: 'spent-since',
    spentAtHeight: integer(c.spentAtHeight, `${field}.spentAtHeight`),
    spentBy: hash(c.spentBy, `${field}.spentBy`),
  };
}

export function parseReport(json: unknown): VerificationReport {
  const o = object(json, '(file)');
  if (o.kind !== REPORT_KIND) throw invalid('kind', `must be "${REPORT_KIND}"`);
  if (o.version !== REPORT_VERSION) throw invalid('version', `must be ${REPORT_VERSION}`);
  if (typeof o.network !== 'string' || !(NETWORK_NAMES as readonly string[]).includes(o.network))
    throw invalid('network', `must be one of ${NETWORK_NAMES.join(', ')}`);
  const block = object(o.block, 'block');
  const tip = object(o.nodeTip, 'nodeTip');
  if (!Array.isArray(o.coins) || o.coins.length === 0) throw invalid('coins', 'must be a non-empty list');
  if (!Array.isArray(o.checks)) throw invalid('checks', 'must be a list');
  const coins = o.coins.map(coinOf);
  const totalSat = sats(o.totalSat, 'totalSat');
  // The total is what a solvency statement rests on: it must be the coins' sum, not a claim.
  if (coins.reduce((sum, c) => sum + c.valueSat, 0n) !== totalSat)
    throw invalid('totalSat', "is not the sum of the coins' values");
  return {
    proofSha256: hash(o.proofSha256, 'proofSha256'),
    network: o.network as NetworkName,
    message: text(o.message, 'message'),
    block: {
      height: integer(block.height, 'block.height'),
      hash: hash(block.hash, 'block.hash'),
      time: integer(block.time, 'block.time'),
    },
    verifiedAt: integer(o.verifiedAt, 'verifiedAt'),
    nodeTip: { height: integer(tip.height, 'nodeTip.height'), hash: hash(tip.hash, 'nodeTip.hash') },
    totalSat,
    coins,
    checks: o.checks.map((value: unknown, i) => {
      const c = object(value, `checks[${i}]`);
      return { id: text(c.id, `checks[${i}].id`, 64), detail: text(c.detail, `checks[${i}].detail`) };
    }),
  };
}
