// Coins, blocks and batches in the store: a balance in bigint split three ways, locks that are
// all-or-nothing, and a reorg rolled back to its fork point.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store, type NewCoin } from '../../src/coordinator/store/index.js';
import { isKuraError } from '../../src/errors.js';
import { tempDir } from '../helpers/cli.js';

let store: Store;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isKuraError(error)) return error.code;
    throw error;
  }
  return undefined;
}

const hex = (n: number) => n.toString(16).padStart(64, '0');
const script = (branch: 0 | 1, index: number) => `0020${hex(branch * 1000 + index + 1)}`;
const blockHash = (height: number, fork = 0) => hex(0xb000000 + fork * 0x10000 + height);

/** Blocks from..to on top of whatever is stored (fork 0 is the main chain). */
function mine(from: number, to: number, fork = 0): void {
  for (let h = from; h <= to; h++) {
    const prevHash = h === from ? (store.tipBlock()?.hash ?? hex(0)) : blockHash(h - 1, fork);
    store.recordBlock({ height: h, hash: blockHash(h, fork), prevHash });
  }
}

function coin(n: number, valueSat: bigint, height: number | null, extra: Partial<NewCoin> = {}): NewCoin {
  return {
    txid: hex(0x7000 + n),
    vout: 0,
    branch: 0,
    addressIndex: n % 5,
    scriptPubKey: script(0, n % 5),
    valueSat,
    coinbase: false,
    block: height === null ? null : { height, hash: blockHash(height) },
    ...extra,
  };
}

beforeEach(() => {
  store = Store.create(
    join(tempDir('kura-store-'), 'kura.sqlite'),
    { network: 'regtest', walletId: 'a'.repeat(64), policyHash: 'b'.repeat(64), birthdayHeight: 0 },
    {},
    { now: () => 1_700_000_000 },
  );
  const list = [0, 1].flatMap((branch) =>
    [0, 1, 2, 3, 4].map((i) => ({
      branch: branch as 0 | 1,
      addressIndex: i,
      scriptPubKey: script(branch as 0 | 1, i),
    })),
  );
  expect(store.addAddresses(list)).toBe(10);
  expect(store.addAddresses(list)).toBe(0);
  mine(100, 110);
});

afterEach(() => store.close());

describe('addresses', () => {
  it('finds addresses by script and marks them used when a coin pays them', () => {
    expect(store.nextUnusedAddress(1)?.addressIndex).toBe(0);
    store.upsertCoin({ ...coin(1, 1000n, null), branch: 1, addressIndex: 0, scriptPubKey: script(1, 0) });
    expect(store.addressByScript(script(1, 0))).toMatchObject({ branch: 1, addressIndex: 0, used: true });
    expect(store.nextUnusedAddress(1)?.addressIndex).toBe(1);
    expect(store.addresses(0)).toHaveLength(5);
  });

  it('hands out addresses and sums up each branch for the gap limit', () => {
    expect(store.branchSummary(0)).toEqual({ lastDerived: 4, lastUsed: -1, lastIssued: -1 });
    expect(store.issueAddress(0, 0).issued).toBe(true);
    const entries = store.verifyAudit().entries;
    expect(store.issueAddress(0, 0).issued).toBe(true);
    expect(store.verifyAudit().entries).toBe(entries);
    expect(store.nextUnusedAddress(0)?.addressIndex).toBe(1);
    store.upsertCoin(coin(3, 1000n, null));
    expect(store.branchSummary(0)).toEqual({ lastDerived: 4, lastUsed: 3, lastIssued: 0 });
    expect(store.branchSummary(1)).toEqual({ lastDerived: 4, lastUsed: -1, lastIssued: -1 });
    expect(codeOf(() => store.issueAddress(0, 99))).toBe('COORDINATOR_NOT_FOUND');
  });

  it('refuses an address stored again with another script, and a non-P2WSH script', () => {
    expect(
      codeOf(() => store.addAddresses([{ branch: 0, addressIndex: 0, scriptPubKey: script(0, 9) }])),
    ).toBe('STORE_CORRUPT');
    expect(
      codeOf(() =>
        store.addAddresses([{ branch: 0, addressIndex: 9, scriptPubKey: '0014' + '1'.repeat(40) }]),
      ),
    ).toBe('ARGUMENT_INVALID');
  });
});

describe('coins and the balance', () => {
  it('splits the balance into confirmed, unconfirmed and locked, as bigint', () => {
    store.upsertCoin(coin(1, 2_000_000_000_000_000n, 101));
    store.upsertCoin(coin(2, 50_000n, null));
    store.upsertCoin(coin(3, 70_000n, 102));
    expect(store.balance()).toEqual({
      confirmedSat: 2_000_000_000_070_000n,
      unconfirmedSat: 50_000n,
      lockedSat: 0n,
    });
    expect(store.coinsSpendable().map((c) => c.valueSat)).toEqual([2_000_000_000_000_000n, 70_000n]);
    expect(store.coinsSpendable({ includeUnconfirmed: true })).toHaveLength(3);

    store.insertBatch({
      batchId: 'b1',
      psbt: Uint8Array.of(0x70),
      txid: hex(0xbb),
      feeSat: 300n,
      feeRateSatVb: 3,
    });
    store.lockCoins('b1', [coin(3, 0n, null)]);
    expect(store.balance()).toEqual({
      confirmedSat: 2_000_000_000_000_000n,
      unconfirmedSat: 50_000n,
      lockedSat: 70_000n,
    });
    expect(store.coinsLockedBy('b1').map((c) => c.txid)).toEqual([hex(0x7003)]);

    store.markCoinSpent(coin(3, 0n, null), hex(0xbb), null);
    expect(store.balance().lockedSat).toBe(0n);
    expect(store.unlockCoins('b1')).toBe(1);
    expect(store.balance()).toEqual({
      confirmedSat: 2_000_000_000_000_000n,
      unconfirmedSat: 50_000n,
      lockedSat: 0n,
    });
  });

  it('confirms a mempool coin, and refuses the same outpoint with another value', () => {
    expect(store.upsertCoin(coin(4, 1000n, null))).toBe('received');
    expect(store.upsertCoin(coin(4, 1000n, null))).toBe('unchanged');
    expect(store.upsertCoin(coin(4, 1000n, 105))).toBe('confirmed');
    expect(store.coin(coin(4, 0n, null))).toMatchObject({ height: 105, blockHash: blockHash(105) });
    expect(codeOf(() => store.upsertCoin(coin(4, 999n, 105)))).toBe('STORE_CORRUPT');
  });

  it('refuses a coin in a block it does not know, or paying an address it does not know', () => {
    expect(codeOf(() => store.upsertCoin(coin(5, 1000n, 500)))).toBe('STORE_FAILED');
    expect(codeOf(() => store.upsertCoin({ ...coin(5, 1000n, null), addressIndex: 7 }))).toBe(
      'ARGUMENT_INVALID',
    );
  });

  it('locks all coins or none', () => {
    store.upsertCoin(coin(1, 1000n, 101));
    store.upsertCoin(coin(2, 2000n, 101));
    store.insertBatch({
      batchId: 'b1',
      psbt: Uint8Array.of(1),
      txid: hex(0xb1),
      feeSat: 1n,
      feeRateSatVb: 1,
    });
    store.insertBatch({
      batchId: 'b2',
      psbt: Uint8Array.of(2),
      txid: hex(0xb2),
      feeSat: 1n,
      feeRateSatVb: 1,
    });
    store.lockCoins('b1', [coin(2, 0n, null)]);
    expect(codeOf(() => store.lockCoins('b2', [coin(1, 0n, null), coin(2, 0n, null)]))).toBe(
      'COORDINATOR_COIN_UNAVAILABLE',
    );
    expect(store.coin(coin(1, 0n, null))?.lockedByBatch).toBeNull();
    expect(codeOf(() => store.lockCoins('b2', [coin(9, 0n, null)]))).toBe('COORDINATOR_NOT_FOUND');
    expect(codeOf(() => store.lockCoins('nope', [coin(1, 0n, null)]))).toBe('COORDINATOR_NOT_FOUND');
  });
});

describe('blocks and reorgs', () => {
  it('refuses a block that does not extend the tip', () => {
    expect(store.tipBlock()).toEqual({ height: 110, hash: blockHash(110), prevHash: blockHash(109) });
    expect(store.recentBlocks(3).map((b) => b.height)).toEqual([108, 109, 110]);
    expect(store.recordBlock({ height: 110, hash: blockHash(110), prevHash: blockHash(109) })).toBe(false);
    expect(
      codeOf(() => store.recordBlock({ height: 111, hash: blockHash(111, 1), prevHash: blockHash(109) })),
    ).toBe('STORE_BLOCK_MISMATCH');
    expect(
      codeOf(() => store.recordBlock({ height: 113, hash: blockHash(113), prevHash: blockHash(112) })),
    ).toBe('STORE_BLOCK_MISMATCH');
  });

  it('rolls back to the fork point: coins unconfirmed, coinbase coins gone, spends undone, locks kept', () => {
    store.upsertCoin(coin(1, 100_000n, 102)); // below the fork: stays
    store.upsertCoin(coin(2, 200_000n, 106)); // above: back to the mempool
    store.upsertCoin(coin(3, 5_000_000_000n, 107, { coinbase: true })); // above, coinbase: gone
    store.upsertCoin(coin(4, 400_000n, 103));
    store.markCoinSpent(coin(4, 0n, null), hex(0x5), 108); // spend above: undone
    store.insertBatch({
      batchId: 'b1',
      psbt: Uint8Array.of(1),
      txid: hex(0xb1),
      feeSat: 1n,
      feeRateSatVb: 1,
    });
    store.lockCoins('b1', [coin(2, 0n, null)]);
    expect(store.balance()).toEqual({
      confirmedSat: 5_000_100_000n,
      unconfirmedSat: 0n,
      lockedSat: 200_000n,
    });

    const result = store.rollbackToHeight(105);
    expect(result).toEqual({
      toHeight: 105,
      blocksRemoved: 5,
      unconfirmed: [{ txid: hex(0x7002), vout: 0 }],
      removed: [{ txid: hex(0x7003), vout: 0 }],
      unspent: [{ txid: hex(0x7004), vout: 0 }],
    });
    expect(store.tipBlock()?.height).toBe(105);
    expect(store.coin(coin(3, 0n, null))).toBeUndefined();
    expect(store.coin(coin(2, 0n, null))).toMatchObject({
      height: null,
      blockHash: null,
      lockedByBatch: 'b1',
    });
    expect(store.coin(coin(4, 0n, null))).toMatchObject({
      spentByTxid: null,
      spentHeight: null,
      height: 103,
    });
    expect(store.balance()).toEqual({ confirmedSat: 500_000n, unconfirmedSat: 0n, lockedSat: 200_000n });

    // the other branch now extends the fork point
    mine(106, 108, 1);
    expect(store.tipBlock()?.hash).toBe(blockHash(108, 1));
    expect(
      store.upsertCoin({ ...coin(2, 200_000n, null), block: { height: 107, hash: blockHash(107, 1) } }),
    ).toBe('confirmed');
    expect(store.rollbackToHeight(200).blocksRemoved).toBe(0);
  });
});

describe('batches', () => {
  it('stores a batch, moves it through its states and keeps one signed file per cosigner', () => {
    const batch = store.insertBatch({
      batchId: 'b-1',
      psbt: Uint8Array.of(1, 2),
      txid: hex(0xb1),
      feeSat: 1_234n,
      feeRateSatVb: 5,
    });
    expect(batch).toMatchObject({ state: 'built', feeSat: 1_234n, feeRateSatVb: 5, finalTx: null });
    expect(codeOf(() => store.insertBatch({ ...batch, replacesBatch: undefined }))).toBe(
      'COORDINATOR_DUPLICATE',
    );
    expect(
      store.addBatchSignature({ batchId: 'b-1', fingerprint: '0a0b0c0d', psbt: Uint8Array.of(9) }).added,
    ).toBe(true);
    expect(
      store.addBatchSignature({ batchId: 'b-1', fingerprint: '0a0b0c0d', psbt: Uint8Array.of(9) }).added,
    ).toBe(false);
    expect(
      codeOf(() =>
        store.addBatchSignature({ batchId: 'b-1', fingerprint: '0a0b0c0d', psbt: Uint8Array.of(8) }),
      ),
    ).toBe('COORDINATOR_DUPLICATE');
    expect(store.batchSignatures('b-1')).toHaveLength(1);
    expect(codeOf(() => store.setBatchState('b-1', 'finalized'))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => store.setBatchState('b-1', 'confirmed'))).toBe('COORDINATOR_STATE_CONFLICT');
    store.setBatchState('b-1', 'signed');
    const finalized = store.setBatchState('b-1', 'finalized', { finalTx: Uint8Array.of(2, 0, 0, 0) });
    expect(finalized.finalTx).toEqual(Uint8Array.of(2, 0, 0, 0));
    expect(store.batchById('b-1')).toMatchObject({ state: 'finalized', finalTx: Uint8Array.of(2, 0, 0, 0) });
    const bump = store.insertBatch({
      batchId: 'b-2',
      psbt: Uint8Array.of(3),
      txid: hex(0xb2),
      feeSat: 5_000n,
      feeRateSatVb: 20,
      replacesBatch: 'b-1',
    });
    expect(bump.replacesBatch).toBe('b-1');
    store.setBatchState('b-1', 'replaced', { from: 'finalized' });
    expect(store.listBatches('built').map((b) => b.batchId)).toEqual(['b-2']);
    expect(codeOf(() => store.setBatchState('b-1', 'broadcast'))).toBe('COORDINATOR_STATE_CONFLICT');
  });
});
