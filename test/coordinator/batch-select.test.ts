// The pure parts of batching: the size estimate (equal to the signer's, so both judge the fee
// rate on the same number), coin selection (never dust change, never a fee below the target
// rate), the fee-rate choice, and the split of requests into batches within the policy's caps.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { makeMultisigWallet } from '../../src/bitcoin/descriptor.js';
import { WalletDeriver } from '../../src/bitcoin/addresses.js';
import { estimateVsize } from '../../src/signer/checks/size.js';
import { parsePolicy } from '../../src/policy/schema.js';
import { isKuraError } from '../../src/errors.js';
import type { RequestRecord } from '../../src/coordinator/store/index.js';
import type { EligibleRequest } from '../../src/coordinator/batch/eligible.js';
import {
  chooseFeeRate,
  minChangeSat,
  P2WSH_DUST_SAT,
  planBatches,
  selectCoins,
  spendVsize,
} from '../../src/coordinator/batch/index.js';
import { inputVsize } from '../../src/coordinator/batch/size.js';
import {
  buildPackage,
  makeRequest,
  testDestination,
  testPolicy,
  validParts,
  fundingTransaction,
} from '../helpers/scenario.js';
import { accountKeyFromMaster, masterFromSeed } from '../../src/keys/account.js';
import { mnemonicToSeed } from '../../src/keys/mnemonic.js';
import { PUBLIC_TEST_MNEMONICS } from '../fixtures/seeds.js';
import type { LoadedWallet } from '../../src/artifacts/walletFile.js';

// The 2-of-3 regtest wallet of the public test mnemonics, without the CLI.
const multisig = makeMultisigWallet(
  2,
  (['alice', 'bob', 'carol'] as const).map((n) =>
    accountKeyFromMaster(
      masterFromSeed(mnemonicToSeed(PUBLIC_TEST_MNEMONICS[n], ''), 'regtest'),
      'regtest',
      0,
    ),
  ),
  'regtest',
);
const deriver = new WalletDeriver(multisig);
const WITNESS_SCRIPT = deriver.derive(0, 0).witnessScript.length;
const wallet = { id: 'a'.repeat(64), wallet: multisig } as unknown as LoadedWallet;
const scenario = { wallet, policyHash: 'b'.repeat(64) };

function policyWith(fees: Record<string, number>) {
  const json = testPolicy(wallet.id, {
    fees: { maxFeeRateSatVb: 200, maxFeeSat: 1_000_000, maxFeePercent: 5, ...fees },
  });
  return parsePolicy(new TextEncoder().encode(JSON.stringify(json)));
}

function eligible(amountSat: bigint, n: number): EligibleRequest {
  const request = makeRequest(scenario, amountSat, testDestination(300 + n));
  return {
    record: { requestId: request.requestId, amountSat } as RequestRecord,
    request,
    approvals: [],
  };
}

describe('the size estimate', () => {
  it('is the signer’s, for any number of inputs and outputs', () => {
    for (const [inputs, payments, change] of [
      [1, 1, false],
      [2, 2, true],
      [5, 3, true],
      [40, 1, false],
    ] as const) {
      const parts = validParts(scenario);
      const funding = fundingTransaction(
        wallet,
        Array.from({ length: inputs }, () => 1_000_000n),
      );
      parts.coins = Array.from({ length: inputs }, (_, i) => ({
        previousTx: funding,
        vout: i,
        branch: 0,
        index: i,
      }));
      parts.requests = Array.from({ length: payments }, (_, i) =>
        makeRequest(scenario, 10_000n, testDestination(400 + i)),
      );
      parts.approvals = [];
      if (!change) delete parts.change;
      const psbt = buildPackage(scenario, parts);
      const signer = estimateVsize(
        psbt,
        2,
        Array.from({ length: inputs }, () => WITNESS_SCRIPT),
      );
      const ours = spendVsize({
        threshold: 2,
        witnessScriptLength: WITNESS_SCRIPT,
        inputCount: inputs,
        outputScriptLengths: psbt.txOutputs.map((o) => o.script.length),
      });
      expect(ours).toBe(signer);
    }
  });
});

describe('coin selection', () => {
  const base = { paymentScriptLengths: [22], threshold: 2, witnessScriptLength: WITNESS_SCRIPT };

  it('takes one coin that pays without change rather than making dust change', () => {
    const rate = 10;
    const fee = BigInt(rate * spendVsize({ ...base, inputCount: 1, outputScriptLengths: [22] }));
    const exact = { valueSat: 1_000_000n + fee + 200n, name: 'exact' }; // 200 sats over: no change
    const big = { valueSat: 50_000_000n, name: 'big' };
    const chosen = selectCoins({ ...base, coins: [big, exact], paymentsSat: 1_000_000n, feeRateSatVb: rate });
    expect(chosen).toMatchObject({ ok: true, changeSat: null, feeSat: fee + 200n });
    if (chosen.ok) expect(chosen.coins).toEqual([exact]);
  });

  it('makes change only when it is worth more than spending it costs', () => {
    expect(minChangeSat(1, 2, WITNESS_SCRIPT)).toBe(P2WSH_DUST_SAT + 1n);
    expect(minChangeSat(50, 2, WITNESS_SCRIPT)).toBe(50n * BigInt(inputVsize(2, WITNESS_SCRIPT)));
  });

  it('holds its arithmetic for any coins, payments and rate', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 300_000_000n }), { minLength: 0, maxLength: 12 }),
        fc.bigInt({ min: 1n, max: 500_000_000n }),
        fc.integer({ min: 1, max: 200 }),
        (values, paymentsSat, rate) => {
          const coins = values.map((valueSat) => ({ valueSat }));
          const chosen = selectCoins({ ...base, coins, paymentsSat, feeRateSatVb: rate });
          if (!chosen.ok) {
            // refused only when even every coin cannot pay without change
            const all = values.reduce((s, v) => s + v, 0n);
            const vsize = spendVsize({
              ...base,
              inputCount: Math.max(coins.length, 1),
              outputScriptLengths: [22],
            });
            expect(all < paymentsSat + BigInt(rate * vsize)).toBe(true);
            return;
          }
          const inputSat = chosen.coins.reduce((s, c) => s + c.valueSat, 0n);
          expect(chosen.inputSat).toBe(inputSat);
          expect(inputSat).toBe(paymentsSat + chosen.feeSat + (chosen.changeSat ?? 0n));
          expect(chosen.feeSat).toBeGreaterThanOrEqual(BigInt(rate * chosen.vsize));
          expect(chosen.vsize).toBe(
            spendVsize({
              ...base,
              inputCount: chosen.coins.length,
              outputScriptLengths: chosen.changeSat === null ? [22] : [22, 34],
            }),
          );
          if (chosen.changeSat !== null) {
            expect(chosen.changeSat).toBeGreaterThanOrEqual(minChangeSat(rate, 2, WITNESS_SCRIPT));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the fee rate', () => {
  const policy = policyWith({ maxFeeRateSatVb: 50 });
  const codeOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      if (isKuraError(error)) return error.code;
      throw error;
    }
    return undefined;
  };

  it.each([
    { description: 'zero', rate: 0, code: 'ARGUMENT_INVALID' },
    { description: 'a fraction', rate: 1.5, code: 'ARGUMENT_INVALID' },
    { description: 'above the policy cap', rate: 51, code: 'POLICY_FEE_TOO_HIGH' },
  ])('refuses an operator’s rate of $description', ({ rate, code }) => {
    expect(codeOf(() => chooseFeeRate(policy, { feeRateSatVb: rate }, undefined))).toBe(code);
  });

  it('takes the node’s estimate rounded up, capped by the policy with a note, or the fallback with a note', () => {
    const estimate = (perKvB: bigint | undefined) => ({ feeRateSatPerKvB: perKvB, blocks: 6, errors: [] });
    expect(chooseFeeRate(policy, {}, estimate(12_001n))).toEqual({
      satVb: 13,
      source: 'estimate',
      notes: [],
    });
    const capped = chooseFeeRate(policy, {}, estimate(90_000n));
    expect(capped).toMatchObject({ satVb: 50, source: 'estimate' });
    expect(capped.notes[0]).toMatch(/above the policy's cap/);
    const fallback = chooseFeeRate(policy, {}, estimate(undefined));
    expect(fallback).toMatchObject({ satVb: 10, source: 'fallback' });
    expect(fallback.notes[0]).toMatch(/no fee estimate/);
    expect(chooseFeeRate(policyWith({ maxFeeRateSatVb: 4 }), {}, undefined).satVb).toBe(4);
    expect(chooseFeeRate(policy, { feeRateSatVb: 7 }, estimate(90_000n))).toEqual({
      satVb: 7,
      source: 'flag',
      notes: [],
    });
  });
});

describe('splitting requests into batches', () => {
  const coins = Array.from({ length: 30 }, (_, i) => ({ valueSat: 10_000_000n + BigInt(i), id: i }));
  const options = { feeRateSatVb: 20, threshold: 2, witnessScriptLength: WITNESS_SCRIPT };

  it('closes a batch when the next request would break the absolute fee cap', () => {
    const policy = policyWith({ maxFeeSat: 12_000 });
    const requests = Array.from({ length: 6 }, (_, i) => eligible(15_000_000n, i));
    const plan = planBatches(requests, coins, { ...options, policy });
    expect(plan.skipped).toEqual([]);
    expect(plan.batches.length).toBeGreaterThan(1);
    expect(plan.batches.flatMap((b) => b.requests.map((r) => r.request.requestId))).toEqual(
      requests.map((r) => r.request.requestId),
    );
    for (const b of plan.batches) expect(b.selection.feeSat).toBeLessThanOrEqual(12_000n);
    // no coin is spent twice
    const used = plan.batches.flatMap((b) => b.selection.coins);
    expect(new Set(used).size).toBe(used.length);
  });

  it('leaves a request approved, with the reason, when the coins or a cap cannot pay it', () => {
    const policy = policyWith({ maxFeePercent: 1 });
    const tiny = eligible(20_000n, 1); // its fee would be far above 1 % of it
    const huge = eligible(900_000_000n, 2); // more than all the coins
    const fine = eligible(5_000_000n, 3);
    const plan = planBatches([tiny, huge, fine], coins, { ...options, policy });
    expect(plan.batches.map((b) => b.requests.map((r) => r.request.requestId))).toEqual([
      [fine.request.requestId],
    ]);
    expect(plan.skipped.map((s) => [s.requestId, s.reasons.map((r) => r.code)])).toEqual([
      [tiny.request.requestId, ['POLICY_FEE_TOO_HIGH']],
      [huge.request.requestId, ['BATCH_FUNDS_INSUFFICIENT']],
    ]);
  });
});
