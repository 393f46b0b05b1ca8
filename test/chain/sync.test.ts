// Coin tracking on a real regtest node (bcoin, or Bitcoin Core with KURA_BITCOIND): blocks are
// fetched raw over RPC and scanned locally. Gap-limit discovery (a coin beyond the gap is found
// only once an address in between is used, and then by a rescan), payments in and out of the
// wallet checked against the node's own UTXO set, reorgs reported at their fork point (including
// one that happens in the middle of a walk), and a sync that resumes after a crash.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Block, type Transaction } from 'bitcoinjs-lib';
import { CHANGE, RECEIVE } from '../../src/bitcoin/descriptor.js';
import type { RpcClient } from '../../src/chain/rpcClient.js';
import { BlockScanner } from '../../src/coordinator/scan/block.js';
import { newAddressBook, watchedUpTo, type AddressBook } from '../../src/coordinator/scan/book.js';
import { syncFrom, type SyncStart } from '../../src/coordinator/scan/sync.js';
import { isKuraError } from '../../src/errors.js';
import { COIN, REGTEST_SUBSIDY, startRegtestNode, type RegtestNode } from '../helpers/regtest.js';
import {
  CoinLedger,
  clientFor,
  demoWallet,
  deriver,
  foreignScript,
  miner,
  spendMinerCoinbase,
  spendWalletCoin,
  walletAddress,
} from './fixtures.js';

const FEE = 5_000n;

let node: RegtestNode;
let client: RpcClient;
const scanner = new BlockScanner(demoWallet);
const timings: Record<string, number> = {};

async function coinbaseAt(height: number): Promise<Transaction> {
  const block = Block.fromBuffer(await client.getBlock(await client.getBlockHash(height)));
  const coinbase = block.transactions?.[0];
  if (coinbase === undefined) throw new Error(`no coinbase at ${height}`);
  return coinbase;
}

async function sync(ledger: CoinLedger, book: AddressBook, extra: Partial<SyncStart> = {}) {
  const t = performance.now();
  const result = await syncFrom(
    client,
    scanner,
    { fromHeight: 0, known: ledger.blocks, book, holds: ledger.holds, ...extra },
    ledger.apply,
  );
  timings.lastSyncMs = performance.now() - t;
  return result;
}

/** The node's own view of a coin (gettxout): its value in sats, or null if spent or unknown. */
async function nodeCoinSat(txid: string, vout: number): Promise<bigint | null> {
  const out = await node.rpc<{ value: number } | null>('gettxout', [txid, vout, true]);
  return out === null ? null : BigInt(Math.round(out.value * 1e8));
}

async function expectLedgerMatchesNode(ledger: CoinLedger): Promise<void> {
  for (const coin of ledger.unspent()) expect(await nodeCoinSat(coin.txid, coin.vout)).toBe(coin.valueSat);
}

beforeAll(async () => {
  let t = performance.now();
  node = await startRegtestNode();
  client = clientFor(node);
  timings.startMs = performance.now() - t;
  t = performance.now();
  // Coinbases to receive indices 0, 5 and 30 (heights 1–3), then past segwit and maturity.
  for (const index of [0, 5, 30]) await node.mineTo(walletAddress(RECEIVE, index), 1);
  await node.ensureSegwit(miner.address);
  await node.mineTo(miner.address, 10); // so that coinbases 4 and 5 are mature on Core too
  timings.mineMs = performance.now() - t;
}, 180_000);

afterAll(async () => {
  client?.close();
  await node?.stop();
  if (process.env.KURA_REGTEST_TIMINGS) {
    const ms = Object.entries(timings).map(([k, v]) => `${k}=${Math.round(v)}`);
    console.info(`chain sync timings (${node?.kind}): ${ms.join(' ')}`);
  }
}, 60_000);

describe('syncFrom on a real node', () => {
  const full = new CoinLedger();
  let book: AddressBook = newAddressBook();

  it('finds coins within the gap limit and not beyond it', async () => {
    const tip = await client.getBlockCount();
    const result = await sync(full, book);
    timings.firstScanMs = timings.lastSyncMs ?? 0;
    timings.firstScanBlocks = result.blocksScanned;
    expect(result).toMatchObject({ complete: true, reorgs: 0, blocksScanned: tip + 1 });
    expect(result.tip).toEqual({ height: tip, hash: await client.getBlockHash(tip) });
    expect(full.labels()).toEqual(['r0', 'r5']); // r30 is 25 past r5: beyond a gap of 20
    for (const coin of full.unspent()) {
      expect(coin).toMatchObject({ valueSat: REGTEST_SUBSIDY, coinbase: true, vout: 0 });
      expect(coin.scriptPubKey).toBe(
        Buffer.from(deriver.derive(RECEIVE, coin.index).scriptPubKey).toString('hex'),
      );
    }
    book = result.book;
    expect(book.receive).toEqual({ lastUsed: 5, lastIssued: -1 });
    expect(watchedUpTo(book, RECEIVE)).toBe(25);
    await expectLedgerMatchesNode(full);
  });

  it('finds index 30 with a wider gap limit in one pass', async () => {
    const wide = new CoinLedger();
    await sync(wide, newAddressBook(30));
    expect(wide.labels()).toEqual(['r0', 'r30', 'r5']);
  });

  it('widens the window when index 15 is used, and a rescan then finds index 30', async () => {
    // A payment from the miner to receive 15 and change 2, with the rest back to the miner.
    const pay = spendMinerCoinbase(await coinbaseAt(4), [
      { script: deriver.derive(RECEIVE, 15).scriptPubKey, value: 1n * COIN },
      { script: deriver.derive(CHANGE, 2).scriptPubKey, value: 2n * COIN },
      { script: miner.script, value: REGTEST_SUBSIDY - 3n * COIN - FEE },
    ]);
    await node.broadcast(pay.toHex());
    await node.mineTo(miner.address, 1);

    const result = await sync(full, book);
    expect(result).toMatchObject({ complete: true, reorgs: 0, blocksScanned: 1 });
    expect(full.labels()).toEqual(['c2', 'r0', 'r15', 'r5']);
    const r15 = full.unspent().find((c) => c.index === 15);
    expect(r15).toMatchObject({ txid: pay.getId(), vout: 0, valueSat: COIN, coinbase: false });
    book = result.book;
    expect(watchedUpTo(book, RECEIVE)).toBe(35);
    expect(watchedUpTo(book, CHANGE)).toBe(22);

    // Block 3 (paying r30) was scanned with the old window: only a rescan from the birthday
    // with the wider book finds it. The store does this when discovery widens the window.
    const rescan = new CoinLedger();
    const again = await sync(rescan, book);
    expect(rescan.labels()).toEqual(['c2', 'r0', 'r15', 'r30', 'r5']);
    expect(again.book.receive).toEqual({ lastUsed: 30, lastIssued: -1 });
    expect(again.book.change).toEqual(book.change);
    book = again.book;
    full.blocks.splice(0, full.blocks.length, ...rescan.blocks);
    for (const [key, coin] of rescan.coins) full.coins.set(key, coin);
    await expectLedgerMatchesNode(full);
  });

  it('sees the wallet spend a coin to a foreign address with change', async () => {
    const r0 = full.unspent().find((c) => c.branch === RECEIVE && c.index === 0);
    if (r0 === undefined) throw new Error('no r0 coin');
    const spend = spendWalletCoin(r0, [
      { script: foreignScript(7), value: 10n * COIN },
      { script: deriver.derive(CHANGE, 3).scriptPubKey, value: r0.valueSat - 10n * COIN - FEE },
    ]);
    await node.broadcast(spend.toHex());
    const before = full.balanceSat();
    await node.mineTo(miner.address, 1);

    const result = await sync(full, book);
    const last = full.events.at(-1);
    expect(last?.kind).toBe('block');
    if (last?.kind !== 'block') throw new Error('expected a block event');
    expect(last.scan.spent).toEqual([{ txid: r0.txid, vout: 0, spentBy: spend.getId(), vin: 0 }]);
    expect(last.scan.received).toEqual([
      expect.objectContaining({ txid: spend.getId(), vout: 1, branch: CHANGE, index: 3 }),
    ]);
    expect(full.labels()).toEqual(['c2', 'c3', 'r15', 'r30', 'r5']);
    expect(full.balanceSat()).toBe(before - 10n * COIN - FEE);
    expect(await nodeCoinSat(r0.txid, 0)).toBeNull();
    await expectLedgerMatchesNode(full);
    book = result.book;
  });

  it('reports a reorg at its fork point and drops the orphaned coin', async () => {
    // The orphaned block pays r2 by its coinbase and holds a payment to r1 from the miner.
    const pay = spendMinerCoinbase(await coinbaseAt(5), [
      { script: deriver.derive(RECEIVE, 1).scriptPubKey, value: COIN },
      { script: miner.script, value: REGTEST_SUBSIDY - COIN - FEE },
    ]);
    await node.broadcast(pay.toHex());
    const [orphan] = await node.mineTo(walletAddress(RECEIVE, 2), 1);
    await sync(full, book);
    const height = await client.getBlockCount();
    expect(full.labels()).toContain('r2');
    const r2 = full.unspent().find((c) => c.index === 2 && c.branch === RECEIVE);
    if (r2 === undefined || orphan === undefined) throw new Error('no r2 coin');

    await node.rpc('invalidateblock', [orphan]);
    expect(await client.getBlockCount()).toBe(height - 1);
    const replacement = await node.mineTo(miner.address, 2);
    const eventsBefore = full.events.length;
    const result = await sync(full, book);
    expect(result).toMatchObject({ complete: true, reorgs: 1, blocksScanned: 2 });
    const events = full.events.slice(eventsBefore);
    expect(
      events.map((e) => (e.kind === 'reorg' ? `reorg@${e.forkHeight}` : `block@${e.scan.height}`)),
    ).toEqual([`reorg@${height - 1}`, `block@${height}`, `block@${height + 1}`]);
    expect(events[0]).toMatchObject({ previousTip: { height, hash: orphan } });
    expect(full.blocks.slice(-2).map((b) => b.hash)).toEqual(replacement);
    expect(full.labels()).not.toContain('r2');
    expect(await nodeCoinSat(r2.txid, 0)).toBeNull();
    // The miner's payment went back to the mempool and into the replacement block.
    const r1 = full.unspent().find((c) => c.index === 1 && c.branch === RECEIVE);
    expect(r1).toMatchObject({ txid: pay.getId(), height });
    await expectLedgerMatchesNode(full);
    book = result.book;
  });

  it('finds the fork again when the chain changes in the middle of a walk', async () => {
    const start = await client.getBlockCount();
    await node.mineTo(miner.address, 3);
    const ledger = new CoinLedger();
    ledger.blocks.push(...full.blocks);
    let replaced: string[] = [];
    const result = await syncFrom(
      client,
      scanner,
      { fromHeight: 0, known: ledger.blocks.slice(), book, holds: ledger.holds },
      async (event) => {
        ledger.apply(event);
        if (event.kind === 'block' && event.scan.height === start + 2 && replaced.length === 0) {
          // The node switches chains while the walk is between blocks start+2 and start+3.
          await node.rpc('invalidateblock', [event.scan.hash]);
          replaced = await node.mineTo(walletAddress(RECEIVE, 4), 3);
        }
      },
    );
    expect(result).toMatchObject({ complete: true, reorgs: 1 });
    expect(
      ledger.events.map((e) => (e.kind === 'reorg' ? `reorg@${e.forkHeight}` : `block@${e.scan.height}`)),
    ).toEqual([1, 2, 0, 2, 3, 4].map((d, i) => (i === 2 ? `reorg@${start + 1}` : `block@${start + d}`)));
    expect(ledger.blocks.slice(-3).map((b) => b.hash)).toEqual(replaced);
    expect(result.tip).toEqual({ height: start + 4, hash: replaced[2] });
  });

  it('resumes after the caller crashed mid-sync, and in bounded steps', async () => {
    const tip = await client.getBlockCount();
    const crashed = new CoinLedger();
    const crashAt = Math.floor(tip / 2);
    const failing = await syncFrom(
      client,
      scanner,
      { fromHeight: 0, known: [], book: newAddressBook(), holds: crashed.holds },
      (event) => {
        if (event.kind === 'block' && event.scan.height === crashAt) throw new Error('simulated crash');
        crashed.apply(event);
      },
    ).catch((e: unknown) => e);
    expect((failing as Error).message).toBe('simulated crash');
    expect(crashed.blocks.at(-1)?.height).toBe(crashAt - 1);

    // Resume in steps of at most 150 blocks, with the book as it was before the crash.
    let resumeBook = newAddressBook();
    for (const event of crashed.events) if (event.kind === 'block') resumeBook = event.scan.book;
    let steps = 0;
    for (let done = false; !done && steps < 10; steps++) {
      const step = await sync(crashed, resumeBook, { maxBlocks: 150 });
      expect(step.blocksScanned).toBeLessThanOrEqual(150);
      resumeBook = step.book;
      done = step.complete;
    }
    expect(crashed.blocks.at(-1)?.height).toBe(tip);
    const fresh = new CoinLedger();
    await sync(fresh, newAddressBook());
    expect(crashed.labels()).toEqual(fresh.labels());
    expect(crashed.balanceSat()).toBe(fresh.balanceSat());
  });

  it('refuses to guess when the fork lies below every remembered block', async () => {
    const bogus = (height: number) => ({ height, hash: 'ab'.repeat(32) });
    const ledger = new CoinLedger();
    const tooDeep = await sync(ledger, book, { fromHeight: 0, known: [bogus(5), bogus(6)] }).catch(
      (e: unknown) => e,
    );
    expect(isKuraError(tooDeep, 'CHAIN_REORG_TOO_DEEP')).toBe(true);
    const depth = await sync(ledger, book, { known: [bogus(5), bogus(6), bogus(7)], maxReorgDepth: 1 }).catch(
      (e: unknown) => e,
    );
    expect(isKuraError(depth, 'CHAIN_REORG_TOO_DEEP')).toBe(true);
    expect(ledger.events).toEqual([]);

    // Remembered down to the birthday: everything is orphaned and rescanned from there.
    const fromBirthday = new CoinLedger();
    fromBirthday.blocks.push(bogus(3), bogus(4));
    const result = await sync(fromBirthday, book, { fromHeight: 3, maxBlocks: 2 });
    expect(fromBirthday.events[0]).toMatchObject({ kind: 'reorg', forkHeight: 2 });
    expect(result).toMatchObject({ reorgs: 1, blocksScanned: 2, complete: false });
    expect(fromBirthday.labels()).toEqual(['r30']);
  });
});
