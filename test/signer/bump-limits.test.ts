// A declared fee bump pays requests the signer's ledger already counts against the rolling 24 h
// limit: they must not be counted a second time, or a bump of a large batch near the limit would
// be refused. New requests still count in full.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildPackage,
  fundingTransaction,
  makeRequest,
  approve,
  runSign,
  setUpScenario,
  signOk,
  testDestination,
  validParts,
  writePackage,
  type Scenario,
} from '../helpers/scenario.js';

let scenario: Scenario;

beforeAll(async () => {
  // 0.6 BTC a day: the 0.5 BTC batch of validParts fits once, not twice.
  scenario = await setUpScenario({
    limits: { perWithdrawalSat: 1_000_000_000, rolling24h: { amountSat: 60_000_000, count: 20 } },
  });
});

describe('rolling limits and fee bumps', () => {
  it('signs a bump of a batch that used most of the 24 h limit, and still refuses new payments past it', async () => {
    const dir = join(scenario.dir, 'bump-limits');
    mkdirSync(dir, { recursive: true });
    const parts = validParts(scenario);
    const first = await signOk(
      scenario,
      scenario.homes.bob,
      writePackage(dir, 'first.psbt', buildPackage(scenario, parts).toBuffer()),
    );
    const txid = first.json<{ txid: string }>().txid;

    const bump = {
      ...parts,
      change: parts.change && { ...parts.change, valueSat: parts.change.valueSat - 30_000n },
      bumps: txid,
      batchId: 'bump',
    };
    const bumped = await runSign(
      scenario,
      scenario.homes.bob,
      writePackage(dir, 'bump.psbt', buildPackage(scenario, bump).toBuffer()),
    );
    expect(bumped.stdout + bumped.stderr).not.toContain('POLICY_LIMIT_EXCEEDED');
    expect(bumped.code).toBe(0);
    expect(bumped.json<{ replay: string }>().replay).toBe('bump');

    // A new 0.4 BTC request would take the day to 0.9 BTC of 0.6: refused.
    const request = makeRequest(scenario, 40_000_000n, testDestination(333));
    const funding = fundingTransaction(scenario.wallet, [100_000_000n], 60);
    const more = {
      coins: [{ previousTx: funding, vout: 0, branch: 0 as const, index: 60 }],
      requests: [request],
      approvals: [approve(request, 0), approve(request, 1)],
      change: { index: 2, valueSat: 100_000_000n - 40_000_000n - 20_000n },
      batchId: 'more',
    };
    const refused = await runSign(
      scenario,
      scenario.homes.bob,
      writePackage(dir, 'more.psbt', buildPackage(scenario, more).toBuffer()),
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toContain('POLICY_LIMIT_EXCEEDED');
  });
});
