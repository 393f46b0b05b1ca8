// `kura coordinator sync` on a real regtest node (bcoin, or Bitcoin Core with KURA_BITCOIND): a
// coordinator home made by `kura coordinator init` with the demo 2-of-3 wallet and the scenario
// policy, funded by coinbases and payments from the miner. After each step the store is checked
// coin by coin against the node's own UTXO set (gettxout) and mempool, and its balance against
// the node's view. Then: a payment beyond the gap found by a rescan, unconfirmed payments and
// spends, transactions that leave the mempool, a reorg removing a funding block, a batch followed
// to confirmation and back through a reorg, a crash, a node fault, a concurrent change and a
// crash mid-rescan resumed to the state of an uninterrupted sync, the CLI's --json report, and a
// node that is down.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Block, Psbt, Transaction, networks } from 'bitcoinjs-lib';
import { bytesToHex } from '@noble/hashes/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { walletFileFor } from '../../src/artifacts/walletFile.js';
import { CHANGE, RECEIVE, type Branch } from '../../src/bitcoin/descriptor.js';
import { RpcClient } from '../../src/chain/rpcClient.js';
import { openCoordinatorHome, type CoordinatorHome } from '../../src/coordinator/home.js';
import { connectNode, nodeClientFor } from '../../src/coordinator/node.js';
import type { CoinRecord, Outpoint } from '../../src/coordinator/store/index.js';
import { syncCoordinator, type SyncOptions, type SyncReport } from '../../src/coordinator/sync.js';
import { KuraError, isKuraError } from '../../src/errors.js';
import { errorCode, kura, tempDir, writeTemp } from '../helpers/cli.js';
import { initCoordinatorHomeViaCli } from '../helpers/coordinatorHome.js';
import { COIN, REGTEST_SUBSIDY, startRegtestNode, type RegtestNode } from '../helpers/regtest.js';
import { testDestination, testPolicy } from '../helpers/scenario.js';
import {
  clientFor,
  demoWallet,
  deriver,
  foreignScript,
  miner,
  spendMinerCoinbase,
  spendWalletCoin,
  walletAddress,
} from '../chain/fixtures.js';

const FEE = 10_000n;

let node: RegtestNode;
let client: RpcClient;
let dir: string;
let walletPath: string;
let policyPath: string;
let passwordFile: string;
/** Home A follows the chain step by step through every test. */
let homeA: string;
/** Every output the tests made that pays the wallet: what the store must know about. */
const tracked: Outpoint[] = [];
/** Height of the block paying receive index 30, which widens the window past index 55's coin. */
let wideningHeight = 0;

const key = (o: Outpoint) => `${o.txid}:${o.vout}`;
const scriptOf = (branch: Branch, index: number) => deriver.derive(branch, index).scriptPubKey;

async function coinbaseAt(height: number): Promise<Transaction> {
  const block = Block.fromBuffer(await client.getBlock(await client.getBlockHash(height)));
  const coinbase = block.transactions?.[0];
  if (coinbase === undefined) throw new Error(`no coinbase at ${height}`);
  return coinbase;
}

/** Broadcasts `tx` and tracks its outputs that pay the wallet. */
async function send(tx: Transaction): Promise<string> {
  const txid = await node.broadcast(tx.toHex());
  tx.outs.forEach((out, vout) => {
    if (out.script.length === 34 && out.script[0] === 0) tracked.push({ txid, vout });
  });
  return txid;
}

/** Mines `count` blocks to `address`; a wallet address's coinbases are tracked. */
async function mine(count: number, address = miner.address): Promise<string[]> {
  const hashes = await node.mineTo(address, count);
  if (address !== miner.address) {
    for (const hash of hashes) {
      const block = Block.fromBuffer(await client.getBlock(hash));
      const coinbase = block.transactions?.[0];
      if (coinbase !== undefined) tracked.push({ txid: coinbase.getId(), vout: 0 });
    }
  }
  return hashes;
}

function initHome(name: string, rpcUrl = node.rpcUrl): Promise<string> {
  return initCoordinatorHomeViaCli({
    home: join(dir, name),
    walletPath,
    policyPath,
    rpcUrl,
    rpcUser: node.rpcAuth.username,
    passwordFile,
  });
}

function withHome<R>(home: string, fn: (h: CoordinatorHome) => R): R {
  const opened = openCoordinatorHome(home);
  try {
    return fn(opened);
  } finally {
    opened.close();
  }
}

/** One sync through the home's own config (user and password file), with short retries. */
async function syncHome(home: string, options: SyncOptions = {}, using?: RpcClient): Promise<SyncReport> {
  const opened = openCoordinatorHome(home);
  const rpc = using ?? nodeClientFor(opened, { retries: 2, backoffMs: 20 });
  try {
    return await syncCoordinator(opened, rpc, options);
  } finally {
    if (using === undefined) rpc.close();
    opened.close();
  }
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );

/** The node's chain UTXO (mempool left out, as both nodes agree on that), in sats. */
async function chainUtxoSat(o: Outpoint): Promise<bigint | null> {
  const out = await node.rpc<{ value: number } | null>('gettxout', [o.txid, o.vout, false]);
  return out === null ? null : BigInt(Math.round(out.value * 1e8));
}

/** The value of an output of a transaction in the node's mempool, from the node. */
async function mempoolOutputSat(o: Outpoint): Promise<bigint> {
  const out = Transaction.fromBuffer(await client.getRawTransaction(o.txid)).outs[o.vout];
  if (out === undefined) throw new Error(`no output ${key(o)}`);
  return out.value;
}

/** The node's mempool: its txids and the outpoints its transactions spend. */
async function nodeMempool(): Promise<{ txids: Set<string>; spent: Set<string> }> {
  const txids = new Set(await client.getRawMempool());
  const spent = new Set<string>();
  for (const txid of txids) {
    for (const input of Transaction.fromBuffer(await client.getRawTransaction(txid)).ins) {
      spent.add(key({ txid: Buffer.from(input.hash).reverse().toString('hex'), vout: input.index }));
    }
  }
  return { txids, spent };
}

/**
 * Every coin of the store agrees with the node (a confirmed one is in the chain's UTXO set unless
 * its spend is confirmed; an unconfirmed one and an unconfirmed spend are in the mempool), every
 * tracked output the node holds is in the store, and the balance is the node's view.
 */
async function expectStoreMatchesNode(home: string): Promise<void> {
  const coins = withHome(home, (h) => [
    ...h.store.coinsSpendable({ includeUnconfirmed: true }),
    ...spentOrLocked(h),
  ]);
  const mempool = await nodeMempool();
  for (const coin of coins) {
    if (coin.height === null) expect(mempool.txids.has(coin.txid)).toBe(true);
    else expect(await chainUtxoSat(coin)).toBe(coin.spentHeight === null ? coin.valueSat : null);
    if (coin.spentByTxid !== null && coin.spentHeight === null)
      expect(mempool.txids.has(coin.spentByTxid)).toBe(true);
  }
  const expected = { confirmedSat: 0n, unconfirmedSat: 0n, lockedSat: 0n };
  for (const o of tracked) {
    const stored = withHome(home, (h) => h.store.coin(o));
    const utxo = await chainUtxoSat(o);
    const pending = mempool.txids.has(o.txid);
    if (utxo === null && !pending) continue;
    expect(stored, `store knows ${key(o)}`).toBeDefined();
    if (stored === undefined) continue;
    expect(stored.height === null).toBe(pending);
    if (mempool.spent.has(key(o))) continue; // spent by an unconfirmed transaction: in no part
    const part = stored.lockedByBatch !== null ? 'lockedSat' : pending ? 'unconfirmedSat' : 'confirmedSat';
    expected[part] += utxo ?? (await mempoolOutputSat(o));
  }
  expect(withHome(home, (h) => h.store.balance())).toEqual(expected);
}

/** Coins that are spent or locked (coinsSpendable leaves them out). */
function spentOrLocked(h: CoordinatorHome): CoinRecord[] {
  return tracked
    .map((o) => h.store.coin(o))
    .filter((c): c is CoinRecord => c !== undefined && (c.spentByTxid !== null || c.lockedByBatch !== null));
}

function storedCoin(home: string, o: Outpoint): CoinRecord {
  const coin = withHome(home, (h) => h.store.coin(o));
  if (coin === undefined) throw new Error(`no coin ${key(o)}`);
  return coin;
}

/** A stored coin as the fixtures' spendWalletCoin takes it. */
function received(coin: CoinRecord) {
  return {
    txid: coin.txid,
    vout: coin.vout,
    branch: coin.branch,
    index: coin.addressIndex,
    valueSat: coin.valueSat,
    scriptPubKey: coin.scriptPubKey,
    coinbase: coin.coinbase,
  };
}

/** Everything two homes must agree on after syncing the same chain (locks are the coordinator's own). */
function chainState(home: string) {
  return withHome(home, (h) => ({
    tip: h.store.tipBlock(),
    coins: tracked
      .map((o) => h.store.coin(o))
      .filter((c): c is CoinRecord => c !== undefined)
      .map((c) => ({ ...c, lockedByBatch: null }))
      .sort((a, b) => key(a).localeCompare(key(b))),
    addresses: [h.store.branchSummary(RECEIVE).lastUsed, h.store.branchSummary(CHANGE).lastUsed],
  }));
}

beforeAll(async () => {
  node = await startRegtestNode();
  client = clientFor(node);
  dir = tempDir('kura-sync-');
  const file = walletFileFor('treasury', demoWallet);
  walletPath = writeTemp(dir, 'treasury.wallet.json', `${JSON.stringify(file, null, 2)}\n`);
  policyPath = writeTemp(dir, 'policy.json', `${JSON.stringify(testPolicy(file.walletId), null, 2)}\n`);
  passwordFile = writeTemp(dir, 'rpc-password', `${node.rpcAuth.password}\n`);
  homeA = await initHome('a');
  // Coinbases to receive 0, 5 and 55 (heights 1–3): 55 lies beyond every window until index 30
  // is paid (later), so only a rescan of old blocks can find it.
  for (const index of [0, 5, 55]) await mine(1, walletAddress(RECEIVE, index));
  await node.ensureSegwit(miner.address);
  await mine(10);
}, 180_000);

afterAll(async () => {
  client?.close();
  await node?.stop();
}, 60_000);

describe('kura coordinator sync on a real node', () => {
  it('finds every coin from the birthday, rescanning old blocks when a payment widens the window', async () => {
    const pay = spendMinerCoinbase(await coinbaseAt(4), [
      { script: scriptOf(RECEIVE, 30), value: 1n * COIN },
      { script: scriptOf(CHANGE, 0), value: 2n * COIN },
      { script: miner.script, value: REGTEST_SUBSIDY - 3n * COIN - FEE },
    ]);
    await send(pay);
    await mine(1);
    wideningHeight = await client.getBlockCount();

    const report = await syncHome(homeA);
    expect(report).toMatchObject({
      complete: true,
      tip: { height: wideningHeight, hash: await client.getBlockHash(wideningHeight) },
      blocksScanned: wideningHeight + 1,
      reorgs: 0,
      coinsFound: 5,
      coinsSpent: 0,
      mempool: { scanned: true, walletTransactions: 0 },
    });
    // Index 0 widened the window at block 1 (a rescan of genesis), index 30 at the last block.
    expect(report.rescans).toBe(2);
    expect(report.blocksRescanned).toBe(1 + wideningHeight);
    const r55 = tracked[2] as Outpoint;
    expect(storedCoin(homeA, r55)).toMatchObject({
      addressIndex: 55,
      height: 3,
      coinbase: true,
      valueSat: REGTEST_SUBSIDY,
    });
    expect(report.balance).toEqual({
      confirmedSat: 3n * REGTEST_SUBSIDY + 3n * COIN,
      unconfirmedSat: 0n,
      lockedSat: 0n,
      totalSat: 3n * REGTEST_SUBSIDY + 3n * COIN,
    });
    await expectStoreMatchesNode(homeA);
    withHome(homeA, (h) => {
      expect(h.store.verifyAudit().entries).toBeGreaterThan(wideningHeight);
      // The addresses table holds the window: index 30 + gap 20 at least, and its marks.
      expect(h.store.branchSummary(RECEIVE)).toMatchObject({ lastUsed: 55, lastIssued: -1 });
      expect(h.store.branchSummary(RECEIVE).lastDerived).toBeGreaterThanOrEqual(75);
    });

    // Nothing new: nothing scanned, nothing written.
    const entries = withHome(homeA, (h) => h.store.verifyAudit().entries);
    expect(await syncHome(homeA)).toMatchObject({ blocksScanned: 0, rescans: 0, coinsFound: 0, reorgs: 0 });
    expect(withHome(homeA, (h) => h.store.verifyAudit().entries)).toBe(entries);
  });

  it('counts a payment and a spend in the mempool as unconfirmed, then confirmed once mined', async () => {
    const pay = spendMinerCoinbase(await coinbaseAt(5), [
      { script: scriptOf(RECEIVE, 1), value: COIN / 2n },
      { script: miner.script, value: REGTEST_SUBSIDY - COIN / 2n - FEE },
    ]);
    await send(pay);
    const r5 = storedCoin(homeA, tracked[1] as Outpoint);
    const spend = spendWalletCoin(received(r5), [
      { script: foreignScript(7), value: 10n * COIN },
      { script: scriptOf(CHANGE, 1), value: r5.valueSat - 10n * COIN - FEE },
    ]);
    await send(spend);

    const before = withHome(homeA, (h) => h.store.balance());
    const report = await syncHome(homeA);
    expect(report).toMatchObject({ blocksScanned: 0, coinsFound: 2, coinsSpent: 1 });
    expect(report.mempool).toMatchObject({ scanned: true, walletTransactions: 2, coinsDropped: 0 });
    expect(storedCoin(homeA, r5)).toMatchObject({ spentByTxid: spend.getId(), spentHeight: null });
    expect(storedCoin(homeA, { txid: pay.getId(), vout: 0 })).toMatchObject({
      height: null,
      valueSat: COIN / 2n,
    });
    expect(report.balance).toMatchObject({
      confirmedSat: before.confirmedSat - REGTEST_SUBSIDY,
      unconfirmedSat: COIN / 2n + REGTEST_SUBSIDY - 10n * COIN - FEE,
    });
    await expectStoreMatchesNode(homeA);

    await mine(1);
    const mined = await syncHome(homeA);
    const height = await client.getBlockCount();
    expect(mined).toMatchObject({ blocksScanned: 1, coinsSpent: 1, coinsFound: 0 });
    expect(storedCoin(homeA, r5)).toMatchObject({ spentByTxid: spend.getId(), spentHeight: height });
    expect(storedCoin(homeA, { txid: spend.getId(), vout: 1 })).toMatchObject({ height, addressIndex: 1 });
    expect(mined.balance.unconfirmedSat).toBe(0n);
    expect(mined.balance.confirmedSat).toBe(before.confirmedSat - 10n * COIN - FEE + COIN / 2n);
    await expectStoreMatchesNode(homeA);
  });

  it('drops an unconfirmed coin and clears an unconfirmed spend when their transaction leaves the mempool', async () => {
    // A coinbase to receive 6 at height k, spendable from block k + 100: spend it when the tip is
    // k + 99, then take the tip away so that it is immature again and the node drops the spend.
    const [k6] = await mine(1, walletAddress(RECEIVE, 6));
    await mine(99);
    await syncHome(homeA);
    const r6 = storedCoin(homeA, tracked.at(-1) as Outpoint);
    expect(r6.blockHash).toBe(k6);
    const spend = spendWalletCoin(received(r6), [
      { script: foreignScript(8), value: COIN },
      { script: scriptOf(CHANGE, 2), value: r6.valueSat - COIN - FEE },
    ]);
    await send(spend);
    const pending = await syncHome(homeA);
    expect(pending.mempool.walletTransactions).toBe(1);
    expect(storedCoin(homeA, r6).spentByTxid).toBe(spend.getId());

    await node.rpc('invalidateblock', [await client.getBlockHash(await client.getBlockCount())]);
    expect(await client.getMempoolEntry(spend.getId())).toBeNull();
    const dropped = await syncHome(homeA);
    expect(dropped).toMatchObject({ reorgs: 1, mempool: { coinsDropped: 1, spendsCleared: 1 } });
    expect(withHome(homeA, (h) => h.store.coin({ txid: spend.getId(), vout: 1 }))).toBeUndefined();
    expect(storedCoin(homeA, r6)).toMatchObject({ spentByTxid: null, spentHeight: null, blockHash: k6 });
    await expectStoreMatchesNode(homeA);
    await mine(1);
    await syncHome(homeA);
  });

  it('follows a reorg that removes a funding block: its coinbase is gone, its payment back to unconfirmed', async () => {
    const pay = spendMinerCoinbase(await coinbaseAt(6), [
      { script: scriptOf(RECEIVE, 3), value: 2n * COIN },
      { script: miner.script, value: REGTEST_SUBSIDY - 2n * COIN - FEE },
    ]);
    await send(pay);
    const [funding] = await mine(1, walletAddress(RECEIVE, 4));
    const fundingHeight = await client.getBlockCount();
    await syncHome(homeA);
    const r4 = tracked.at(-1) as Outpoint;
    const r3 = { txid: pay.getId(), vout: 0 };
    // Regtest halves the subsidy every 150 blocks, and the coinbase also takes the fee.
    const r4Sat = storedCoin(homeA, r4).valueSat;
    expect(r4Sat).toBe(REGTEST_SUBSIDY / 2n ** BigInt(Math.floor(fundingHeight / 150)) + FEE);
    expect(storedCoin(homeA, r4)).toMatchObject({ height: fundingHeight, coinbase: true });
    expect(storedCoin(homeA, r3)).toMatchObject({ height: fundingHeight });
    const before = withHome(homeA, (h) => h.store.balance());

    await node.rpc('invalidateblock', [funding]);
    const report = await syncHome(homeA);
    expect(report).toMatchObject({ reorgs: 1, blocksScanned: 0, tip: { height: fundingHeight - 1 } });
    expect(withHome(homeA, (h) => h.store.coin(r4))).toBeUndefined();
    expect(storedCoin(homeA, r3)).toMatchObject({ height: null, blockHash: null });
    expect(report.balance).toMatchObject({
      confirmedSat: before.confirmedSat - r4Sat - 2n * COIN,
      unconfirmedSat: 2n * COIN,
    });
    await expectStoreMatchesNode(homeA);

    await mine(2);
    const again = await syncHome(homeA);
    expect(again).toMatchObject({ blocksScanned: 2, reorgs: 0 });
    expect(storedCoin(homeA, r3)).toMatchObject({ height: fundingHeight });
    await expectStoreMatchesNode(homeA);
  });

  it('moves a broadcast batch and its request to confirmed when mined, and back when a reorg unmines it', async () => {
    const coin = storedCoin(homeA, tracked[0] as Outpoint); // the coinbase to receive 0
    const destination = testDestination(9);
    const change = coin.valueSat - 5n * COIN - FEE;
    const outputs = [
      { script: foreignScript(9), value: 5n * COIN },
      { script: scriptOf(CHANGE, 3), value: change },
    ];
    const tx = spendWalletCoin(received(coin), outputs);
    const psbt = new Psbt({ network: networks.regtest })
      .addInput({ hash: coin.txid, index: coin.vout })
      .addOutputs(outputs)
      .toBuffer();
    const requestId = bytesToHex(sha256(Buffer.from('sync-test-request')));
    withHome(homeA, ({ store }) =>
      store.atomically(() => {
        store.insertRequest({
          requestId,
          clientId: 'test',
          idempotencyKey: 'sync-1',
          bodySha256: requestId,
          destination,
          scriptPubKey: Buffer.from(foreignScript(9)).toString('hex'),
          amountSat: 5n * COIN,
          policyHash: store.meta().policyHash,
          expiresAt: 4_000_000_000,
        });
        store.insertBatch({ batchId: 'b1', psbt, txid: tx.getId(), feeSat: FEE, feeRateSatVb: 50 });
        store.lockCoins('b1', [coin]);
        store.setRequestState(requestId, 'approved');
        store.setRequestState(requestId, 'batched', { batchId: 'b1' });
        store.setRequestState(requestId, 'signed');
        store.setBatchState('b1', 'finalized', { finalTx: tx.toBuffer() });
        store.setBatchState('b1', 'broadcast');
        store.setRequestState(requestId, 'broadcast');
      }),
    );
    expect(withHome(homeA, (h) => h.store.balance().lockedSat)).toBe(REGTEST_SUBSIDY);
    await send(tx);
    const states = () =>
      withHome(homeA, (h) => [h.store.batchById('b1')?.state, h.store.requestById(requestId)?.state]);

    const inMempool = await syncHome(homeA);
    expect(inMempool.batches).toEqual({ confirmed: [], unconfirmed: [] });
    expect(states()).toEqual(['broadcast', 'broadcast']);
    expect(inMempool.balance.lockedSat).toBe(0n); // the locked coin is spent (unconfirmed)
    await expectStoreMatchesNode(homeA);

    const [block] = await mine(1);
    const mined = await syncHome(homeA);
    expect(mined.batches).toEqual({ confirmed: ['b1'], unconfirmed: [] });
    expect(states()).toEqual(['confirmed', 'confirmed']);
    expect(storedCoin(homeA, { txid: tx.getId(), vout: 1 })).toMatchObject({
      valueSat: change,
      addressIndex: 3,
    });

    await node.rpc('invalidateblock', [block]);
    const reorged = await syncHome(homeA);
    expect(reorged).toMatchObject({ reorgs: 1, batches: { confirmed: [], unconfirmed: ['b1'] } });
    expect(states()).toEqual(['broadcast', 'broadcast']);
    expect(storedCoin(homeA, coin)).toMatchObject({ spentByTxid: tx.getId(), spentHeight: null });
    await expectStoreMatchesNode(homeA);

    await mine(1);
    expect((await syncHome(homeA)).batches.confirmed).toEqual(['b1']);
    expect(states()).toEqual(['confirmed', 'confirmed']);
    await expectStoreMatchesNode(homeA);
  });

  it('prints the report with --json, and a human summary without', async () => {
    await send(
      spendMinerCoinbase(await coinbaseAt(7), [
        { script: scriptOf(RECEIVE, 2), value: COIN },
        { script: miner.script, value: REGTEST_SUBSIDY - COIN - FEE },
      ]),
    );
    await mine(1);
    const run = await kura(['coordinator', 'sync', '--home', homeA, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const balance = withHome(homeA, (h) => h.store.balance());
    const height = await client.getBlockCount();
    expect(run.json()).toMatchObject({
      complete: true,
      tip: { height, hash: await client.getBlockHash(height) },
      blocksScanned: 1,
      coinsFound: 1,
      balance: {
        confirmedSat: String(balance.confirmedSat),
        unconfirmedSat: '0',
        lockedSat: '0',
        totalSat: String(balance.confirmedSat),
      },
    });
    await expectStoreMatchesNode(homeA);

    const human = await kura(['coordinator', 'sync', '--home', homeA]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`Synced to block ${height}`);
    expect(human.stdout).toContain(`confirmed      ${balance.confirmedSat} sats`);
    const bad = await kura(['coordinator', 'sync', '--home', homeA, '--max-blocks', '0', '--json']);
    expect(bad.code).toBe(2);
    expect(errorCode(bad)).toBe('ARGUMENT_INVALID');
  });

  it('resumes after a crash, a node fault and a crash mid-rescan to the state of an uninterrupted sync', async () => {
    const homeB = await initHome('b');
    const crash = await failure(
      syncHome(homeB, {
        onProgress: (p) => {
          if (p.phase === 'scan' && p.height === 200) throw new Error('simulated crash');
        },
      }),
    );
    expect((crash as Error).message).toBe('simulated crash');
    expect(withHome(homeB, (h) => h.store.tipBlock()?.height)).toBe(200);

    // The node fails (after its retries) when asked for block 300.
    class FaultyClient extends RpcClient {
      override async getBlockHash(height: number): Promise<string> {
        if (height === 300)
          throw new KuraError('NODE_UNREACHABLE', 'simulated node failure', { method: 'getblockhash' });
        return super.getBlockHash(height);
      }
    }
    const faulty = new FaultyClient({ url: node.rpcUrl, auth: node.rpcAuth, retries: 0 });
    const fault = await failure(syncHome(homeB, {}, faulty));
    faulty.close();
    expect(isKuraError(fault, 'NODE_UNREACHABLE')).toBe(true);
    expect(withHome(homeB, (h) => h.store.tipBlock()?.height)).toBe(299);

    // Another handle on the same home (the batch builder) stores a change address meanwhile.
    const conflict = await failure(
      syncHome(homeB, {
        onProgress: (p) => {
          if (p.height !== 310) return;
          withHome(homeB, ({ store }) => {
            const index = store.branchSummary(CHANGE).lastDerived + 1;
            const scriptPubKey = Buffer.from(scriptOf(CHANGE, index)).toString('hex');
            store.addAddresses([{ branch: CHANGE, addressIndex: index, scriptPubKey }]);
            store.issueAddress(CHANGE, index);
          });
        },
      }),
    );
    expect(isKuraError(conflict, 'COORDINATOR_SYNC_CONFLICT')).toBe(true);
    expect(withHome(homeB, (h) => h.store.tipBlock()?.height)).toBe(310);

    // The walk reaches the block paying index 30, which needs a rescan; the rescan crashes.
    const r55 = tracked[2] as Outpoint;
    const inRescan = await failure(
      syncHome(homeB, {
        onProgress: (p) => {
          if (p.phase === 'rescan' && p.height === 100) throw new Error('crash in the rescan');
        },
      }),
    );
    expect((inRescan as Error).message).toBe('crash in the rescan');
    expect(withHome(homeB, (h) => h.store.tipBlock()?.height)).toBe(wideningHeight - 1);
    expect(withHome(homeB, (h) => h.store.coin(r55))).toBeUndefined();
    expect(withHome(homeB, (h) => h.store.verifyAudit().entries)).toBeGreaterThan(0);

    // Resume in bounded steps.
    let steps = 0;
    for (let done = false; !done && steps < 20; steps++) {
      const step = await syncHome(homeB, { maxBlocks: 40 });
      expect(step.blocksScanned).toBeLessThanOrEqual(40);
      done = step.complete;
    }
    expect(steps).toBeGreaterThan(1);
    expect(chainState(homeB)).toEqual(chainState(homeA));
    expect(storedCoin(homeB, r55).height).toBe(3);
    const a = withHome(homeA, (h) => h.store.balance());
    const b = withHome(homeB, (h) => h.store.balance());
    expect(b).toEqual({ ...a, confirmedSat: a.confirmedSat + a.lockedSat, lockedSat: 0n });
    await expectStoreMatchesNode(homeB);
  });

  it('changes nothing when the node is down, and refuses a node of another network', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
      });
    });
    const homeC = await initHome('c', `http://127.0.0.1:${closed}/`);
    // The home's own config, with one quick retry instead of five slow ones.
    const rpcC = withHome(homeC, (h) => nodeClientFor(h, { retries: 1, backoffMs: 1 }));
    const down = await failure(syncHome(homeC, {}, rpcC));
    rpcC.close();
    expect(isKuraError(down, 'NODE_UNREACHABLE')).toBe(true);
    withHome(homeC, (h) => {
      expect(h.store.verifyAudit().entries).toBe(1);
      expect(h.store.addresses(RECEIVE)).toEqual([]);
      expect(h.store.tipBlock()).toBeUndefined();
    });

    const head = withHome(homeA, (h) => h.store.auditHead()?.hash);
    const dead = new RpcClient({ url: `http://127.0.0.1:${closed}/`, auth: node.rpcAuth, retries: 0 });
    expect(isKuraError(await failure(syncHome(homeA, {}, dead)), 'NODE_UNREACHABLE')).toBe(true);
    dead.close();
    expect(withHome(homeA, (h) => h.store.auditHead()?.hash)).toBe(head);

    const { client: ok, info } = await withHome(homeA, (h) => connectNode(h));
    ok.close();
    expect(info.chain).toBe('regtest');
    const config = withHome(homeA, (h) => h.config);
    const wrong = await failure(connectNode({ config: { ...config, network: 'mainnet' } }));
    expect(isKuraError(wrong, 'NODE_WRONG_NETWORK')).toBe(true);
  });
});
