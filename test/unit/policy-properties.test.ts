// Rules that must hold for every input (fast-check), on the example policy
// policies/exchange-hot-to-cold.json: officers 1–4 hold PUBLIC TEST KEYS (private key = n).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { destinationScript, MAX_MONEY_SAT, type WithdrawalRequest } from '../../src/approvals/request.js';
import { ecc } from '../../src/bitcoin/ecc.js';
import { isKuraError } from '../../src/errors.js';
import { evaluateRequest, type VerifiedApproval } from '../../src/policy/evaluate.js';
import { MAX_CLOCK_SKEW_SECONDS } from '../../src/policy/quorum.js';
import { evaluateFee } from '../../src/policy/fee.js';
import { parsePolicy, policyHashOf } from '../../src/policy/schema.js';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const policyBytes = readFileSync(join(root, 'policies', 'exchange-hot-to-cold.json'));
const denylist = readFileSync(join(root, 'policies', 'denylist.example.txt'));
const policy = parsePolicy(policyBytes, denylist);
const policyHash = policyHashOf(policyBytes);
const NOW = 1_800_000_000;
const { perWithdrawalSat, rolling24h } = policy.limits;

function scalar(n: number): Uint8Array {
  const key = new Uint8Array(32);
  key[31] = n;
  return key;
}
/** Keys 1–4 are the officers; 5–7 are keys of nobody in the policy. */
const KEYS = [1, 2, 3, 4, 5, 6, 7].map((n) => bytesToHex(ecc.xOnlyPointFromScalar(scalar(n))));

const destination = policy.allowlist.entries[0]?.address ?? '';

function request(amountSat: bigint): WithdrawalRequest {
  return {
    walletId: policy.walletId,
    requestId: '33'.repeat(32),
    network: policy.network,
    destination,
    scriptPubKey: destinationScript(destination, policy.network),
    amountSat,
    policyHash,
    expiresAt: NOW + 86_400,
  };
}

const amountArb = fc.bigInt({ min: 1n, max: MAX_MONEY_SAT });
const approvalArb = fc.record({
  key: fc.integer({ min: 0, max: KEYS.length - 1 }),
  age: fc.integer({ min: -100, max: policy.approvalExpirySeconds + 100 }),
});
const approvalsArb = fc.array(approvalArb, { maxLength: 12 }).map((list) =>
  list.map(({ key, age }): VerifiedApproval => ({
    officerPublicKey: KEYS[key] ?? '',
    approvedAt: NOW - age,
  })),
);
const usageArb = fc.record({
  amountSat: fc.bigInt({ min: 0n, max: 2n * rolling24h.amountSat }),
  count: fc.integer({ min: 0, max: 2 * rolling24h.count }),
});

describe('evaluateRequest, for all inputs', () => {
  it('refuses any amount above perWithdrawalSat, whatever the approvals and usage', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: perWithdrawalSat + 1n, max: MAX_MONEY_SAT }),
        approvalsArb,
        usageArb,
        (amount, approvals, usage24h) => {
          const d = evaluateRequest(policy, policyHash, request(amount), { now: NOW, approvals, usage24h });
          expect(d.allowed).toBe(false);
          expect(d.reasons).toContainEqual(
            expect.objectContaining({ code: 'POLICY_LIMIT_EXCEEDED', field: 'limits.perWithdrawalSat' }),
          );
        },
      ),
    );
  });

  it('refuses by the rolling limits exactly when usage plus this request passes them', () => {
    fc.assert(
      fc.property(amountArb, usageArb, (amount, usage24h) => {
        const d = evaluateRequest(policy, policyHash, request(amount), { now: NOW, approvals: [], usage24h });
        const fields = d.reasons.map((r) => r.field);
        expect(fields.includes('limits.rolling24h.amountSat')).toBe(
          usage24h.amountSat + amount > rolling24h.amountSat,
        );
        expect(fields.includes('limits.rolling24h.count')).toBe(usage24h.count + 1 > rolling24h.count);
      }),
    );
  });

  it('never counts an officer twice: the quorum is the number of distinct officers with a valid approval', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: perWithdrawalSat }), approvalsArb, (amount, approvals) => {
        const d = evaluateRequest(policy, policyHash, request(amount), {
          now: NOW,
          approvals,
          usage24h: { amountSat: 0n, count: 0 },
        });
        const valid = approvals.filter(
          (a) =>
            policy.officers.some((o) => o.publicKey === a.officerPublicKey) &&
            a.approvedAt <= NOW + MAX_CLOCK_SKEW_SECONDS &&
            NOW < a.approvedAt + policy.approvalExpirySeconds,
        );
        const distinct = policy.officers.filter((o) => valid.some((a) => a.officerPublicKey === o.publicKey));
        expect(d.approvedBy).toEqual(distinct.map((o) => o.id));
        const short = d.reasons.some(
          (r) => r.code === 'APPROVAL_QUORUM_NOT_MET' && r.field.endsWith('.approvals'),
        );
        expect(short).toBe(distinct.length < (d.tier?.approvals ?? 0));
        // one reason for each approval that does not count, and none for those that do
        const isOfficer = (a: VerifiedApproval) =>
          policy.officers.some((o) => o.publicKey === a.officerPublicKey);
        const unknown = approvals.filter((a) => !isOfficer(a));
        const stale = approvals.filter((a) => isOfficer(a) && !valid.includes(a));
        expect(d.reasons.filter((r) => r.code === 'APPROVAL_OFFICER_UNKNOWN')).toHaveLength(unknown.length);
        expect(
          d.reasons.filter((r) => r.code === 'APPROVAL_EXPIRED' && r.field.startsWith('approvals')),
        ).toHaveLength(stale.length);
      }),
    );
  });

  it('gives the same decision for the same input', () => {
    fc.assert(
      fc.property(
        amountArb,
        approvalsArb,
        usageArb,
        fc.integer({ min: 0, max: 2 * NOW }),
        (amount, approvals, usage24h, now) => {
          const ctx = { now, approvals, usage24h };
          expect(evaluateRequest(policy, policyHash, request(amount), ctx)).toEqual(
            evaluateRequest(policy, policyHash, request(amount), ctx),
          );
        },
      ),
    );
  });
});

describe('evaluateFee, for all inputs', () => {
  it('allows exactly floor(payments × percent) and refuses one sat more', () => {
    const caps = { ...policy, fees: { ...policy.fees, maxFeeSat: MAX_MONEY_SAT, maxFeeRateSatVb: 10_000 } };
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: MAX_MONEY_SAT }), (paymentsSat) => {
        const most = (paymentsSat * policy.fees.maxFeeBasisPoints) / 10_000n;
        const vsize = Number.MAX_SAFE_INTEGER;
        expect(evaluateFee(caps, { feeSat: most, vsize, paymentsSat })).toEqual([]);
        expect(evaluateFee(caps, { feeSat: most + 1n, vsize, paymentsSat }).map((r) => r.field)).toEqual([
          'fees.maxFeePercent',
        ]);
      }),
    );
  });
});

describe('parsePolicy, for all mutations of a valid file', () => {
  const original = JSON.parse(policyBytes.toString('utf8')) as unknown;

  /** Every path into the example policy, as lists of keys. */
  function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
    if (Array.isArray(value)) return [at, ...value.flatMap((v, i) => paths(v, [...at, i]))];
    if (typeof value === 'object' && value !== null) {
      return [at, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...at, k]))];
    }
    return [at];
  }
  const allPaths = paths(original).filter((p) => p.length > 0);

  function mutate(path: (string | number)[], value: unknown, remove: boolean): unknown {
    const copy = structuredClone(original) as Record<string | number, unknown>;
    const parent = path
      .slice(0, -1)
      .reduce<Record<string | number, unknown>>((o, k) => o[k] as Record<string | number, unknown>, copy);
    const last = path[path.length - 1] as string | number;
    if (remove) delete parent[last];
    else parent[last] = value;
    return copy;
  }

  function onlyKuraErrors(bytes: Uint8Array): void {
    try {
      parsePolicy(bytes, denylist);
    } catch (error) {
      if (!isKuraError(error)) throw error;
    }
  }

  it('throws nothing but a KuraError when any field is replaced by any JSON value or removed', () => {
    fc.assert(
      fc.property(fc.constantFrom(...allPaths), fc.jsonValue(), fc.boolean(), (path, value, remove) => {
        onlyKuraErrors(new TextEncoder().encode(JSON.stringify(mutate(path, value, remove))));
      }),
      { numRuns: 500 },
    );
  });

  it('throws nothing but a KuraError when bytes of the file are changed, cut or inserted', () => {
    const edit = fc.record({
      at: fc.nat({ max: policyBytes.length - 1 }),
      byte: fc.integer({ min: 0, max: 255 }),
      kind: fc.constantFrom('set', 'cut', 'insert'),
    });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        let bytes = Uint8Array.from(policyBytes);
        for (const { at, byte, kind } of edits) {
          const i = at % Math.max(bytes.length, 1);
          if (kind === 'set') bytes[i] = byte;
          else if (kind === 'cut') bytes = bytes.slice(0, i);
          else bytes = Uint8Array.from([...bytes.slice(0, i), byte, ...bytes.slice(i)]);
        }
        onlyKuraErrors(bytes);
      }),
      { numRuns: 500 },
    );
  });
});
