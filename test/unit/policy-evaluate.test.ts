// evaluateRequest and evaluateFee: each rule with its code, the boundaries of each, and every
// failed rule reported at once. Officers hold PUBLIC TEST KEYS (private key = the integer n).
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { address as bjsAddress, payments } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { destinationScript, type WithdrawalRequest } from '../../src/approvals/request.js';
import { ecc } from '../../src/bitcoin/ecc.js';
import { networkInfo, type NetworkName } from '../../src/bitcoin/networks.js';
import { isKuraError, type ErrorCode } from '../../src/errors.js';
import {
  assertAllowed,
  assertNoReasons,
  evaluateRequest,
  isoTime,
  refusalError,
  type Decision,
  type VerifiedApproval,
} from '../../src/policy/evaluate.js';
import { evaluateFee } from '../../src/policy/fee.js';
import { MAX_CLOCK_SKEW_SECONDS } from '../../src/policy/quorum.js';
import { parsePolicy, policyHashOf } from '../../src/policy/schema.js';

const REGTEST = networkInfo('regtest').bitcoinjs;
const WALLET = 'd4495213697ea605214146a07cb12a104a0ef1016a2d4d49de90b853ad539f1d';
const ADDED = 1_700_000_000;
const NOW = ADDED + 10 * 86400;
const HOUR = 3600;
const DAY = 86400;

function scalar(n: number): Uint8Array {
  const key = new Uint8Array(32);
  key[31] = n;
  return key;
}
const xOnly = (n: number) => bytesToHex(ecc.xOnlyPointFromScalar(scalar(n)));
const p2wpkh = (n: number) =>
  payments.p2wpkh({ pubkey: ecc.pointFromScalar(scalar(n), true) as Uint8Array, network: REGTEST })
    .address as string;

const HOT = p2wpkh(0x0a);
const WARM = p2wpkh(0x0b);
const NEW = p2wpkh(0x0c);
const STRANGER = p2wpkh(0x0d);
const DENIED = p2wpkh(0x10);
const DENYLIST = `# test\n${DENIED}\n`;

function policyJson(change: (p: Record<string, unknown>) => void = () => {}): Uint8Array {
  const p: Record<string, unknown> = {
    kind: 'kura-policy',
    version: 1,
    network: 'regtest',
    walletId: WALLET,
    officers: [
      { id: 'ops-a', role: 'ops', publicKey: xOnly(1) },
      { id: 'ops-b', role: 'ops', publicKey: xOnly(2) },
      { id: 'sec-c', role: 'sec', publicKey: xOnly(3) },
      { id: 'fin-d', role: 'fin', publicKey: xOnly(4) },
    ],
    tiers: [
      { upToSat: 100_000_000, approvals: 2, requiredRoles: ['ops'], delaySeconds: 0 },
      { upToSat: 1_000_000_000, approvals: 2, requiredRoles: ['ops', 'sec'], delaySeconds: HOUR },
      { upToSat: 5_000_000_000, approvals: 3, requiredRoles: ['ops', 'sec', 'fin'], delaySeconds: DAY },
    ],
    limits: { perWithdrawalSat: 5_000_000_000, rolling24h: { amountSat: 10_000_000_000, count: 5 } },
    allowlist: {
      enforced: true,
      coolingSeconds: DAY,
      entries: [
        { address: HOT, label: 'hot wallet', addedAt: ADDED },
        { address: WARM, label: 'warm wallet', addedAt: ADDED },
        { address: NEW, label: 'new wallet', addedAt: NOW - HOUR },
      ],
    },
    screening: {
      denylistFile: 'denylist.txt',
      denylistSha256: bytesToHex(sha256(new TextEncoder().encode(DENYLIST))),
    },
    fees: { maxFeeRateSatVb: 100, maxFeeSat: 500_000, maxFeePercent: 1 },
    approvalExpirySeconds: DAY,
  };
  change(p);
  return new TextEncoder().encode(JSON.stringify(p));
}

function load(change?: (p: Record<string, unknown>) => void) {
  const bytes = policyJson(change);
  return { policy: parsePolicy(bytes, DENYLIST), policyHash: policyHashOf(bytes) };
}

const { policy, policyHash } = load();

interface RequestFields {
  walletId?: string;
  network?: NetworkName;
  destination?: string;
  amountSat?: bigint;
  policyHash?: string;
  expiresAt?: number;
}

function request(fields: RequestFields = {}): WithdrawalRequest {
  const network = fields.network ?? 'regtest';
  const destination = fields.destination ?? HOT;
  return {
    walletId: fields.walletId ?? WALLET,
    requestId: '11'.repeat(32),
    network,
    destination,
    scriptPubKey: destinationScript(destination, network),
    amountSat: fields.amountSat ?? 50_000_000n,
    policyHash: fields.policyHash ?? policyHash,
    expiresAt: fields.expiresAt ?? NOW + DAY,
  };
}

const by = (officer: number, approvedAt = NOW - 60): VerifiedApproval => ({
  officerPublicKey: xOnly(officer),
  approvedAt,
});

function evaluate(
  req: WithdrawalRequest,
  approvals: VerifiedApproval[] = [by(1), by(2)],
  extra: { now?: number; usageSat?: bigint; usageCount?: number } = {},
): Decision {
  return evaluateRequest(policy, policyHash, req, {
    now: extra.now ?? NOW,
    approvals,
    usage24h: { amountSat: extra.usageSat ?? 0n, count: extra.usageCount ?? 0 },
  });
}

const codes = (d: Decision) => d.reasons.map((r) => `${r.code} ${r.field}`);

describe('evaluateRequest: a request that meets every rule', () => {
  it('is allowed, with its tier, its approvers and when it may be signed', () => {
    const d = evaluate(request());
    expect(d.reasons).toEqual([]);
    expect(d.allowed).toBe(true);
    expect(d.tierIndex).toBe(0);
    expect(d.tier?.approvals).toBe(2);
    expect(d.approvedBy).toEqual(['ops-a', 'ops-b']);
    expect(d.readyAt).toBe(NOW - 60);
    expect(() => assertAllowed(d)).not.toThrow();
  });

  it('picks the first tier whose upToSat covers the amount (upToSat is inclusive)', () => {
    expect(evaluate(request({ amountSat: 100_000_000n })).tierIndex).toBe(0);
    expect(evaluate(request({ amountSat: 100_000_001n })).tierIndex).toBe(1);
    expect(evaluate(request({ amountSat: 5_000_000_000n })).tierIndex).toBe(2);
  });
});

describe('evaluateRequest: the request itself', () => {
  it('refuses another wallet and another network (POLICY_WALLET_MISMATCH)', () => {
    const d = evaluate(
      request({
        walletId: 'ab'.repeat(32),
        network: 'testnet',
        destination: 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx',
      }),
    );
    expect(codes(d)).toContain('POLICY_WALLET_MISMATCH walletId');
    expect(codes(d)).toContain('POLICY_WALLET_MISMATCH network');
  });

  it('refuses a request made under another policy (POLICY_HASH_MISMATCH)', () => {
    expect(codes(evaluate(request({ policyHash: 'cd'.repeat(32) })))).toEqual([
      'POLICY_HASH_MISMATCH policyHash',
    ]);
  });

  it('refuses a request at and after its expiry (APPROVAL_EXPIRED expiresAt)', () => {
    expect(codes(evaluate(request({ expiresAt: NOW + 1 })))).toEqual([]);
    expect(codes(evaluate(request({ expiresAt: NOW })))).toEqual(['APPROVAL_EXPIRED expiresAt']);
  });
});

describe('evaluateRequest: limits', () => {
  it('refuses an amount above the per-withdrawal limit and above the last tier', () => {
    const d = evaluate(request({ amountSat: 5_000_000_001n }));
    expect(codes(d)).toEqual([
      'POLICY_LIMIT_EXCEEDED limits.perWithdrawalSat',
      'POLICY_LIMIT_EXCEEDED tiers',
    ]);
    expect(d.tier).toBeNull();
  });

  it('refuses an amount above the per-withdrawal limit even inside a tier', () => {
    const lower = load((p) => ((p.limits as { perWithdrawalSat: number }).perWithdrawalSat = 200_000_000));
    const d = evaluateRequest(
      lower.policy,
      lower.policyHash,
      request({ amountSat: 200_000_001n, policyHash: lower.policyHash }),
      {
        now: NOW,
        approvals: [by(1), by(3)],
        usage24h: { amountSat: 0n, count: 0 },
      },
    );
    expect(d.reasons.map((r) => r.field)).toContain('limits.perWithdrawalSat');
    expect(d.reasons[0]?.message).toContain('200000001 sats is above the limit of 200000000 sats');
  });

  it('counts the rolling 24 h amount and count with this request included', () => {
    const amount = 50_000_000n;
    expect(
      codes(evaluate(request({ amountSat: amount }), undefined, { usageSat: 10_000_000_000n - amount })),
    ).toEqual([]);
    expect(
      codes(evaluate(request({ amountSat: amount }), undefined, { usageSat: 10_000_000_000n - amount + 1n })),
    ).toEqual(['POLICY_LIMIT_EXCEEDED limits.rolling24h.amountSat']);
    expect(codes(evaluate(request(), undefined, { usageCount: 4 }))).toEqual([]);
    expect(codes(evaluate(request(), undefined, { usageCount: 5 }))).toEqual([
      'POLICY_LIMIT_EXCEEDED limits.rolling24h.count',
    ]);
  });
});

describe('evaluateRequest: destinations', () => {
  it('refuses a destination on the denylist with its own reason, and says where it is listed', () => {
    const d = evaluate(request({ destination: DENIED }));
    expect(codes(d)).toEqual([
      'POLICY_DESTINATION_DENIED destination',
      'POLICY_DESTINATION_NOT_ALLOWED destination',
    ]);
    expect(d.reasons[0]?.message).toContain('denylist.txt line 2');
  });

  it('checks the denylist when the allowlist is not enforced', () => {
    const open = load((p) => ((p.allowlist as { enforced: boolean }).enforced = false));
    const run = (destination: string) =>
      evaluateRequest(open.policy, open.policyHash, request({ destination, policyHash: open.policyHash }), {
        now: NOW,
        approvals: [by(1), by(2)],
        usage24h: { amountSat: 0n, count: 0 },
      });
    expect(codes(run(DENIED))).toEqual(['POLICY_DESTINATION_DENIED destination']);
    expect(codes(run(STRANGER))).toEqual([]);
  });

  it('refuses a destination that is not on an enforced allowlist', () => {
    expect(codes(evaluate(request({ destination: STRANGER })))).toEqual([
      'POLICY_DESTINATION_NOT_ALLOWED destination',
    ]);
  });

  it('refuses a new entry until its cooling period is over', () => {
    const d = evaluate(request({ destination: NEW }));
    expect(codes(d)).toEqual(['POLICY_DESTINATION_COOLING destination']);
    expect(d.reasons[0]?.message).toContain('usable from');
    expect(
      codes(evaluate(request({ destination: NEW }), undefined, { now: NOW - HOUR + DAY - 1 })),
    ).toHaveLength(1);
    expect(
      codes(
        evaluate(request({ destination: NEW }), [by(1, NOW - HOUR + DAY - 5), by(2, NOW - HOUR + DAY - 5)], {
          now: NOW - HOUR + DAY,
        }),
      ),
    ).toEqual([]);
  });

  it('matches whole scripts: a look-alike sharing the prefix is refused; the same address in upper case is the same script', () => {
    const { data } = bjsAddress.fromBech32(HOT);
    const lookAlike = Uint8Array.from(data);
    lookAlike[10] = (lookAlike[10] ?? 0) ^ 1;
    const poisoned = bjsAddress.toBech32(lookAlike, 0, 'bcrt');
    expect(poisoned.slice(0, 20)).toBe(HOT.slice(0, 20));
    expect(codes(evaluate(request({ destination: poisoned })))).toEqual([
      'POLICY_DESTINATION_NOT_ALLOWED destination',
    ]);
    expect(codes(evaluate(request({ destination: HOT.toUpperCase() })))).toEqual([]);
  });

  it('does not deny another script type of the same key', () => {
    const pubkey = ecc.pointFromScalar(scalar(0x10), true) as Uint8Array;
    const legacy = payments.p2pkh({ pubkey, network: REGTEST }).address as string;
    expect(codes(evaluate(request({ destination: legacy })))).toEqual([
      'POLICY_DESTINATION_NOT_ALLOWED destination',
    ]);
  });
});

describe('evaluateRequest: approvals', () => {
  it('does not count an approval from a key that is no officer (APPROVAL_OFFICER_UNKNOWN)', () => {
    const d = evaluate(request(), [by(1), by(9)]);
    expect(codes(d)).toEqual([
      'APPROVAL_OFFICER_UNKNOWN approvals[1]',
      'APPROVAL_QUORUM_NOT_MET tiers[0].approvals',
    ]);
    expect(d.approvedBy).toEqual(['ops-a']);
  });

  it('does not count an approval dated in the future (APPROVAL_EXPIRED)', () => {
    const d = evaluate(request(), [by(1), by(2, NOW + MAX_CLOCK_SKEW_SECONDS + 1)]);
    expect(codes(d)).toEqual(['APPROVAL_EXPIRED approvals[1]', 'APPROVAL_QUORUM_NOT_MET tiers[0].approvals']);
    expect(d.reasons[0]?.message).toContain('after now');
  });

  it('takes an approval a little in the future as clock skew', () => {
    expect(codes(evaluate(request(), [by(1), by(2, NOW + MAX_CLOCK_SKEW_SECONDS)]))).toEqual([]);
  });

  it('counts an approval until approvalExpirySeconds after it was given', () => {
    expect(codes(evaluate(request(), [by(1), by(2, NOW - DAY + 1)]))).toEqual([]);
    expect(codes(evaluate(request(), [by(1), by(2, NOW - DAY)]))).toEqual([
      'APPROVAL_EXPIRED approvals[1]',
      'APPROVAL_QUORUM_NOT_MET tiers[0].approvals',
    ]);
  });

  it('counts one officer once, however many approvals they gave', () => {
    const d = evaluate(request(), [by(1, NOW - 30), by(1, NOW - 20), by(1, NOW - 10)]);
    expect(codes(d)).toEqual(['APPROVAL_QUORUM_NOT_MET tiers[0].approvals']);
    expect(d.reasons[0]?.message).toContain('1 of 2 approvals from distinct officers');
    expect(d.approvedBy).toEqual(['ops-a']);
  });

  it('matches officer keys whatever the case of their hex', () => {
    expect(
      evaluate(request(), [by(1), { officerPublicKey: xOnly(2).toUpperCase(), approvedAt: NOW - 60 }])
        .allowed,
    ).toBe(true);
  });

  it('names a missing required role even when there are enough approvals', () => {
    const d = evaluate(request({ amountSat: 200_000_000n }), [by(1, NOW - 2 * HOUR), by(2, NOW - 2 * HOUR)]);
    expect(codes(d)).toEqual([
      'APPROVAL_QUORUM_NOT_MET tiers[1].requiredRoles',
      'APPROVAL_DELAY_NOT_OVER tiers[1].delaySeconds',
    ]);
    expect(d.reasons[0]?.message).toContain('role "sec"');
  });

  it('says how many approvals and which roles are missing, and that the delay is still to come', () => {
    const d = evaluate(request({ amountSat: 2_000_000_000n }), [by(1)]);
    expect(codes(d)).toEqual([
      'APPROVAL_QUORUM_NOT_MET tiers[2].approvals',
      'APPROVAL_QUORUM_NOT_MET tiers[2].requiredRoles',
      'APPROVAL_DELAY_NOT_OVER tiers[2].delaySeconds',
    ]);
    expect(d.reasons[0]?.message).toContain('1 of 3');
    expect(d.reasons[1]?.message).toContain('roles "sec", "fin"');
    expect(d.readyAt).toBeNull();
  });

  it('waits the tier delay after the LAST approval, and says until when', () => {
    const last = NOW - HOUR + 1;
    const approvals = [by(1, NOW - 5 * HOUR), by(3, NOW - 4 * HOUR), by(1, last)];
    const d = evaluate(request({ amountSat: 200_000_000n }), approvals);
    expect(codes(d)).toEqual(['APPROVAL_DELAY_NOT_OVER tiers[1].delaySeconds']);
    expect(d.readyAt).toBe(last + HOUR);
    expect(d.reasons[0]?.message).toContain(
      new Date((last + HOUR) * 1000).toISOString().replace('.000Z', 'Z'),
    );
    expect(evaluate(request({ amountSat: 200_000_000n }), approvals, { now: last + HOUR }).allowed).toBe(
      true,
    );
  });
});

describe('evaluateRequest: every failed rule at once', () => {
  it('reports all of them, in a stable order, not only the first', () => {
    const d = evaluate(
      request({
        walletId: 'ab'.repeat(32),
        policyHash: 'cd'.repeat(32),
        expiresAt: NOW - 1,
        amountSat: 6_000_000_000n,
        destination: DENIED,
      }),
      [by(1), by(9), by(2, NOW + MAX_CLOCK_SKEW_SECONDS + 100), by(3, NOW - 2 * DAY)],
      { usageSat: 9_000_000_000n, usageCount: 5 },
    );
    expect(codes(d)).toEqual([
      'POLICY_WALLET_MISMATCH walletId',
      'POLICY_HASH_MISMATCH policyHash',
      'APPROVAL_EXPIRED expiresAt',
      'POLICY_LIMIT_EXCEEDED limits.perWithdrawalSat',
      'POLICY_LIMIT_EXCEEDED tiers',
      'POLICY_LIMIT_EXCEEDED limits.rolling24h.amountSat',
      'POLICY_LIMIT_EXCEEDED limits.rolling24h.count',
      'POLICY_DESTINATION_DENIED destination',
      'POLICY_DESTINATION_NOT_ALLOWED destination',
      'APPROVAL_OFFICER_UNKNOWN approvals[1]',
      'APPROVAL_EXPIRED approvals[2]',
      'APPROVAL_EXPIRED approvals[3]',
    ]);
    expect(d.allowed).toBe(false);
  });

  it('writes times as UTC, and times beyond what Date holds as numbers rather than throwing', () => {
    expect(isoTime(1_767_225_600)).toBe('2026-01-01T00:00:00Z');
    expect(isoTime(Number.MAX_SAFE_INTEGER)).toBe(`${Number.MAX_SAFE_INTEGER} (unix seconds)`);
    const late = evaluate(request(), [by(1), by(2, Number.MAX_SAFE_INTEGER)]);
    expect(late.reasons[0]?.message).toContain(`dated ${Number.MAX_SAFE_INTEGER} (unix seconds), after now`);
  });

  it('refuses nonsense context instead of evaluating it', () => {
    const bad =
      (usage24h: { amountSat: bigint; count: number }, now = NOW) =>
      () =>
        evaluateRequest(policy, policyHash, request(), { now, approvals: [], usage24h });
    expect(bad({ amountSat: -1n, count: 0 })).toThrow(expect.objectContaining({ code: 'ARGUMENT_INVALID' }));
    expect(bad({ amountSat: 0n, count: -1 })).toThrow(expect.objectContaining({ code: 'ARGUMENT_INVALID' }));
    expect(bad({ amountSat: 0n, count: 0 }, 1.5)).toThrow(
      expect.objectContaining({ code: 'ARGUMENT_INVALID' }),
    );
  });
});

describe('assertAllowed and refusalError', () => {
  function thrown(fn: () => void): { code: ErrorCode; details: Record<string, unknown> } {
    try {
      fn();
    } catch (error) {
      if (isKuraError(error)) return { code: error.code, details: error.details };
      throw error;
    }
    throw new Error('nothing was thrown');
  }

  it('throws the single reason with its own code', () => {
    const d = evaluate(request({ destination: STRANGER }));
    const e = thrown(() => assertAllowed(d));
    expect(e.code).toBe('POLICY_DESTINATION_NOT_ALLOWED');
    expect(e.details.field).toBe('destination');
  });

  it('throws POLICY_REFUSED listing every reason when there are several', () => {
    const d = evaluate(request({ destination: STRANGER, amountSat: 6_000_000_000n }));
    const e = thrown(() => assertAllowed(d));
    expect(e.code).toBe('POLICY_REFUSED');
    expect(e.details.reasons).toHaveLength(3);
  });

  it('assertNoReasons passes an empty list and throws otherwise; a refusal without reasons is a bug', () => {
    expect(() => assertNoReasons([])).not.toThrow();
    expect(
      thrown(() => assertNoReasons([{ code: 'POLICY_FEE_TOO_HIGH', field: 'fees.maxFeeSat', message: 'x' }]))
        .code,
    ).toBe('POLICY_FEE_TOO_HIGH');
    expect(refusalError([]).code).toBe('INTERNAL');
  });
});

describe('evaluateFee', () => {
  // caps: 100 sat/vB, 500,000 sats, 1 % of the payments
  const fee = (feeSat: bigint, vsize: number, paymentsSat: bigint) =>
    evaluateFee(policy, { feeSat, vsize, paymentsSat }).map((r) => r.field);

  it('accepts a fee exactly at every cap', () => {
    // 100 sat/vB × 5,000 vB = 500,000 sats = 1 % of 50,000,000 sats
    expect(fee(500_000n, 5000, 50_000_000n)).toEqual([]);
  });

  it('refuses each cap one sat past it, with its own field', () => {
    expect(fee(100_001n, 1000, 1_000_000_000n)).toEqual(['fees.maxFeeRateSatVb']);
    expect(fee(500_001n, 10_000, 1_000_000_000n)).toEqual(['fees.maxFeeSat']);
    expect(fee(10_001n, 1000, 1_000_000n)).toEqual(['fees.maxFeePercent']);
  });

  it('reports every cap broken at once', () => {
    const reasons = evaluateFee(policy, { feeSat: 1_000_000n, vsize: 200, paymentsSat: 1_000_000n });
    expect(reasons.map((r) => r.code)).toEqual([
      'POLICY_FEE_TOO_HIGH',
      'POLICY_FEE_TOO_HIGH',
      'POLICY_FEE_TOO_HIGH',
    ]);
    expect(reasons[0]?.message).toContain('5000.00 sat/vB');
    expect(reasons[2]?.message).toContain('at most 10000 sats');
  });

  it('uses exact arithmetic for fractional percentages', () => {
    const fractional = load((p) => ((p.fees as { maxFeePercent: number }).maxFeePercent = 0.57)).policy;
    // 0.57 % of 1,000,000 sats is exactly 5,700; in floating point 0.57 / 100 * 1e6 is
    // 5699.999999999999, which would wrongly refuse a fee of 5,700.
    expect(evaluateFee(fractional, { feeSat: 5700n, vsize: 1000, paymentsSat: 1_000_000n })).toEqual([]);
    expect(evaluateFee(fractional, { feeSat: 5701n, vsize: 1000, paymentsSat: 1_000_000n })).toHaveLength(1);
  });

  it('has no percentage cap for a transaction that pays nothing (a consolidation)', () => {
    expect(fee(400_000n, 10_000, 0n)).toEqual([]);
  });

  it('refuses nonsense input', () => {
    expect(() => fee(-1n, 100, 0n)).toThrow(expect.objectContaining({ code: 'AMOUNT_INVALID' }));
    expect(() => fee(1n, 0, 0n)).toThrow(expect.objectContaining({ code: 'ARGUMENT_INVALID' }));
    expect(() => fee(1n, 10, -1n)).toThrow(expect.objectContaining({ code: 'AMOUNT_INVALID' }));
  });
});
