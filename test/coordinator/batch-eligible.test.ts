// Just before batching, every approved request is judged again as a signer will judge it. Here:
// its stored approvals (a forged one, an expired one, one by a stranger), its expiry, its tier's
// delay and the rolling 24 h limits — each case with the reason code it must give.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { makeMultisigWallet } from '../../src/bitcoin/descriptor.js';
import { accountKeyFromMaster, masterFromSeed } from '../../src/keys/account.js';
import { mnemonicToSeed } from '../../src/keys/mnemonic.js';
import type { WithdrawalRequest } from '../../src/approvals/request.js';
import type { LoadedWallet } from '../../src/artifacts/walletFile.js';
import { parsePolicy, policyHashOf } from '../../src/policy/schema.js';
import type { LoadedPolicy } from '../../src/policy/load.js';
import { Store } from '../../src/coordinator/store/index.js';
import { reviewApproved } from '../../src/coordinator/batch/eligible.js';
import { PUBLIC_TEST_MNEMONICS } from '../fixtures/seeds.js';
import { tempDir } from '../helpers/cli.js';
import { approve, makeRequest, NOW, OFFICERS, testDestination, testPolicy } from '../helpers/scenario.js';

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
const wallet = { id: 'c'.repeat(64), wallet: multisig } as unknown as LoadedWallet;
const policyBytes = utf8ToBytes(
  JSON.stringify(
    testPolicy(wallet.id, {
      limits: { perWithdrawalSat: 1_000_000_000, rolling24h: { amountSat: 150_000_000, count: 20 } },
    }),
  ),
);
const policy: LoadedPolicy = { policy: parsePolicy(policyBytes), policyHash: policyHashOf(policyBytes) };
const scenario = { wallet, policyHash: policy.policyHash };

let store: Store;
let n = 0;

beforeEach(() => {
  store = Store.create(
    join(tempDir('kura-eligible-'), 'kura.sqlite'),
    { network: 'regtest', walletId: wallet.id, policyHash: policy.policyHash, birthdayHeight: 0 },
    {},
    { now: () => NOW },
  );
});

afterEach(() => store.close());

/** Stores `request` with the approvals given, moved to approved (and on, with `state`). */
function stored(
  request: WithdrawalRequest,
  approvals: ReturnType<typeof approve>[],
  state: 'approved' | 'batched' = 'approved',
) {
  store.insertRequest({
    requestId: request.requestId,
    clientId: 'test',
    idempotencyKey: request.requestId,
    bodySha256: bytesToHex(sha256(utf8ToBytes(request.requestId))),
    destination: request.destination,
    scriptPubKey: bytesToHex(request.scriptPubKey),
    amountSat: request.amountSat,
    policyHash: request.policyHash,
    expiresAt: request.expiresAt,
  });
  for (const a of approvals) store.addApproval(a);
  store.setRequestState(request.requestId, 'approved');
  if (state === 'batched') {
    store.insertBatch({
      batchId: `old-${request.requestId.slice(0, 8)}`,
      psbt: Uint8Array.of(1),
      txid: 'd'.repeat(64),
      feeSat: 0n,
      feeRateSatVb: 1,
    });
    store.setRequestState(request.requestId, 'batched', { batchId: `old-${request.requestId.slice(0, 8)}` });
  }
  return request;
}

function review() {
  return reviewApproved(store, wallet, policy, store.listRequests({ state: 'approved' }), NOW);
}

const request = (amountSat: bigint, overrides: Partial<WithdrawalRequest> = {}) => ({
  ...makeRequest(scenario, amountSat, testDestination(900 + (n += 1))),
  ...overrides,
});

describe('approved requests judged again before batching', () => {
  it('are eligible with exactly the approvals that count now', () => {
    const r = request(10_000_000n);
    const expired = approve(r, 2, NOW - 8 * 86_400); // older than approvalExpirySeconds (7 days)
    stored(r, [approve(r, 0), approve(r, 1), expired]);
    const { eligible, skipped } = review();
    expect(skipped).toEqual([]);
    expect(eligible[0]?.approvals.map((a) => a.officerPublicKey).sort()).toEqual(
      [OFFICERS[0]?.publicKey, OFFICERS[1]?.publicKey].sort(),
    );
  });

  it.each([
    {
      description: 'a forged stored approval',
      make: () => {
        const r = request(10_000_000n);
        const forged = { ...approve(r, 1), signature: approve(r, 0).signature };
        return stored(r, [approve(r, 0), forged]);
      },
      codes: ['APPROVAL_SIGNATURE_INVALID', 'APPROVAL_QUORUM_NOT_MET'],
      expired: false,
    },
    {
      description: 'an expired request',
      make: () => {
        const r = request(10_000_000n, { expiresAt: NOW - 1 });
        return stored(r, [approve(r, 0, NOW - 7200), approve(r, 1, NOW - 7200)]);
      },
      codes: ['APPROVAL_EXPIRED'],
      expired: true,
    },
    {
      description: "a tier's delay not over (3 approvals, 1 h after the last)",
      make: () => {
        const r = request(500_000_000n);
        return stored(r, [approve(r, 0, NOW - 60), approve(r, 1, NOW - 60), approve(r, 2, NOW - 60)]);
      },
      codes: ['APPROVAL_DELAY_NOT_OVER', 'POLICY_LIMIT_EXCEEDED'],
      expired: false,
    },
  ])('are skipped for $description', ({ make, codes, expired }) => {
    const r = make();
    const { eligible, skipped } = review();
    expect(eligible).toEqual([]);
    expect(skipped).toEqual([expect.objectContaining({ requestId: r.requestId, expired })]);
    expect(skipped[0]?.reasons.map((x) => x.code).sort()).toEqual([...codes].sort());
  });

  it('count against the rolling 24 h limit with what is already batched and with each other', () => {
    const old = request(100_000_000n);
    stored(old, [approve(old, 0), approve(old, 1)], 'batched');
    const first = request(40_000_000n);
    stored(first, [approve(first, 0), approve(first, 1)]);
    const second = request(20_000_000n);
    stored(second, [approve(second, 0), approve(second, 1)]);
    const { eligible, skipped } = review();
    expect(eligible.map((e) => e.request.requestId)).toEqual([first.requestId]);
    expect(skipped.map((s) => [s.requestId, s.reasons.map((x) => x.field)])).toEqual([
      [second.requestId, ['limits.rolling24h.amountSat']],
    ]);
  });
});
