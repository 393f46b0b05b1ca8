// The coordinator's coin tracking: brings the store up to the node's chain and mempool. The pure
// parts (block scanning, the address book, the reorg-aware walk) live in ./scan; this is the glue.
// Each block, reorg and rescan is applied in one store transaction with its audit entries, so a
// crash or a node failure leaves the store at the last whole step and the next sync resumes there.
// docs/chain.md describes the protocol, the RPC calls it uses and why a rescan is (rarely) needed.
import { Transaction } from 'bitcoinjs-lib';
import { KuraError } from '../errors.js';
import { WalletDeriver } from '../bitcoin/addresses.js';
import { HARDENED } from '../bitcoin/keyExpression.js';
import type { Branch } from '../bitcoin/descriptor.js';
import { isNotFound, type RpcClient } from '../chain/rpcClient.js';
import {
  BRANCHES,
  BlockScanner,
  DEFAULT_GAP_LIMIT,
  MAX_GAP_LIMIT,
  outpointKey,
  syncFrom,
  watchedUpTo,
  type AddressBook,
  type ReceivedOutput,
  type SpentOutpoint,
  type SyncEvent,
} from './scan/index.js';
import { faultPoint } from './faults.js';
import type { CoordinatorHome } from './home.js';
import type { Balance, BatchRecord, BlockRecord, NewCoin, Outpoint, Store } from './store/index.js';

export interface SyncProgress {
  /** 'scan': a new block was applied; 'rescan': an old block was scanned again with a wider window. */
  readonly phase: 'scan' | 'rescan';
  readonly height: number;
  /** The node's tip (scan) or the stored tip (rescan). */
  readonly tip: number;
}

/**
 * What a long-running caller (`serve`) keeps between syncs so that each one does only new work:
 * the derived scripts, and the mempool transactions already found to pay nothing of the wallet
 * (with the outpoints they spend, in case one of them becomes the wallet's later).
 */
export class SyncCache {
  walletId = '';
  scanner: BlockScanner | undefined;
  mempoolWindow = '';
  readonly mempool = new Map<string, readonly string[]>();
}

export interface SyncOptions {
  /** Stop after scanning this many new blocks; the next sync resumes. A rescan, once started, completes. */
  readonly maxBlocks?: number;
  /** Called after each block is committed. If it throws, the sync stops there (and can be resumed). */
  readonly onProgress?: (progress: SyncProgress) => void;
  readonly cache?: SyncCache;
}

export interface SyncReport {
  /** The last block applied to the store. */
  readonly tip: { readonly height: number; readonly hash: string } | null;
  /** The node's block count when last asked. */
  readonly nodeTip: number;
  /** True when the store reached the node's tip and the mempool was read. */
  readonly complete: boolean;
  readonly blocksScanned: number;
  readonly reorgs: number;
  readonly rescans: number;
  readonly blocksRescanned: number;
  /** New coins of the wallet, in blocks or in the mempool. */
  readonly coinsFound: number;
  /** Coins whose spend this sync saw, in a block or in the mempool. */
  readonly coinsSpent: number;
  readonly mempool: {
    readonly scanned: boolean;
    readonly transactions: number;
    readonly walletTransactions: number;
    readonly coinsDropped: number;
    readonly spendsCleared: number;
  };
  /** Batches this sync moved to 'confirmed', and back to 'broadcast' after a reorg. */
  readonly batches: { readonly confirmed: readonly string[]; readonly unconfirmed: readonly string[] };
  readonly balance: Balance & { readonly totalSat: bigint };
}

// syncFrom gives up after maxReorgDepth (1000) + 1 mismatches, so only that many blocks matter.
const KNOWN_BLOCKS = 1002;
// Each round ends at the tip, or with a rescan after discovery widened the window (which grows
// geometrically, so a restore of N addresses needs about log2(N / 20) of them), or because the
// chain moved while the mempool was read. The cap only stops a node that never holds still.
const MAX_ROUNDS = 64;
const MAX_REQUESTS_PER_BATCH = 100_000;

/** Stops the walk before a block whose coin widens the window past the stored addresses. */
class Widened extends Error {
  constructor(readonly book: AddressBook) {
    super('the address window widened');
  }
}

type Window = Record<Branch, number>;

interface FoundCoin {
  readonly output: ReceivedOutput;
  readonly block: BlockRecord;
  spend?: { txid: string; height: number };
}

const toNewCoin = (o: ReceivedOutput, block: NewCoin['block']): NewCoin => ({
  txid: o.txid,
  vout: o.vout,
  branch: o.branch,
  addressIndex: o.index,
  scriptPubKey: o.scriptPubKey,
  valueSat: o.valueSat,
  coinbase: o.coinbase,
  block,
});

const outpoint = (o: { txid: string; vout: number }): Outpoint => ({ txid: o.txid, vout: o.vout });

function outpointOf(key: string): Outpoint {
  const colon = key.lastIndexOf(':');
  return { txid: key.slice(0, colon), vout: Number(key.slice(colon + 1)) };
}

/** Unknown to the store, or known only from the mempool. */
function notInBlock(store: Store, o: Outpoint): boolean {
  const coin = store.coin(outpoint(o));
  return coin === undefined || coin.height === null;
}

function inputsOf(raw: Uint8Array): string[] {
  return Transaction.fromBuffer(raw).ins.map((input) =>
    outpointKey(Buffer.from(input.hash).reverse().toString('hex'), input.index),
  );
}

class SyncRun {
  private readonly store: Store;
  private readonly scanner: BlockScanner;
  private readonly deriver: WalletDeriver;
  private readonly cache: SyncCache;
  private readonly birthday: number;
  private readonly gapLimit = DEFAULT_GAP_LIMIT;
  /** The highest stored address index per branch: the window every stored block was scanned with. */
  private readonly rows: Window;
  private nodeTip: number;
  private readonly n = {
    blocksScanned: 0,
    reorgs: 0,
    rescans: 0,
    blocksRescanned: 0,
    coinsFound: 0,
    coinsSpent: 0,
  };
  private pool: SyncReport['mempool'] = {
    scanned: false,
    transactions: 0,
    walletTransactions: 0,
    coinsDropped: 0,
    spendsCleared: 0,
  };
  private readonly moved = { confirmed: [] as string[], unconfirmed: [] as string[] };

  constructor(
    home: CoordinatorHome,
    private readonly client: RpcClient,
    private readonly options: SyncOptions,
    nodeTip: number,
  ) {
    this.store = home.store;
    this.cache = options.cache ?? new SyncCache();
    if (this.cache.walletId !== home.wallet.id || this.cache.scanner === undefined) {
      this.cache.walletId = home.wallet.id;
      this.cache.scanner = new BlockScanner(home.wallet.wallet);
      this.cache.mempool.clear();
    }
    this.scanner = this.cache.scanner;
    this.deriver = new WalletDeriver(home.wallet.wallet);
    this.birthday = this.store.meta().birthdayHeight;
    this.rows = { 0: this.store.branchSummary(0).lastDerived, 1: this.store.branchSummary(1).lastDerived };
    this.nodeTip = nodeTip;
  }

  async run(): Promise<SyncReport> {
    // Widening by an address handed out needs no rescan: nobody was given the new addresses before.
    this.storeRows(this.windowOf(this.markBook()));
    let complete = false;
    for (let round = 0; round < MAX_ROUNDS && !complete; round++) {
      const walked = await this.walk();
      if (walked instanceof Widened) {
        await this.rescan(walked.book);
        continue;
      }
      if (walked === 'limit') break;
      const pooled = await this.scanMempool();
      if (pooled instanceof Widened) await this.rescan(pooled.book);
      else complete = pooled === 'done';
    }
    this.settleBatches();
    return this.report(complete);
  }

  // --- the address window ---------------------------------------------------------------------

  /** The book as the store's marks say: used (a coin paid it) and issued (handed out). */
  private markBook(): AddressBook {
    const branch = (b: Branch) => {
      const s = this.store.branchSummary(b);
      return { lastUsed: s.lastUsed, lastIssued: s.lastIssued };
    };
    return { gapLimit: this.gapLimit, receive: branch(0), change: branch(1) };
  }

  /**
   * The book to scan with: the marks, widened to every stored address. The extra width rides on
   * the issued mark of this in-memory copy only; the store's issued column is never written here.
   */
  private bookFor(window: Window): AddressBook {
    const marks = this.markBook();
    const widen = (b: Branch, m: AddressBook['receive']) => ({
      lastUsed: m.lastUsed,
      lastIssued: Math.max(m.lastIssued, window[b] - this.gapLimit, -1),
    });
    return { ...marks, receive: widen(0, marks.receive), change: widen(1, marks.change) };
  }

  private windowOf(book: AddressBook): Window {
    return { 0: watchedUpTo(book, 0), 1: watchedUpTo(book, 1) };
  }

  private beyondRows(book: AddressBook): boolean {
    return BRANCHES.some((b) => watchedUpTo(book, b) > this.rows[b]);
  }

  /** Derives and stores the addresses up to `window` (in the caller's transaction, if any). */
  private storeRows(window: Window): void {
    const list: { branch: Branch; addressIndex: number; scriptPubKey: string }[] = [];
    for (const branch of BRANCHES) {
      for (let from = this.rows[branch] + 1; from <= window[branch]; from += 100_000) {
        const count = Math.min(100_000, window[branch] - from + 1);
        for (const a of this.deriver.range(branch, from, count)) {
          list.push({
            branch,
            addressIndex: a.index,
            scriptPubKey: Buffer.from(a.scriptPubKey).toString('hex'),
          });
        }
      }
    }
    if (list.length > 0) this.store.addAddresses(list);
    for (const branch of BRANCHES) this.rows[branch] = Math.max(this.rows[branch], window[branch]);
  }

  /**
   * Inside a transaction: the stored addresses are still the ones this run scans with. Another
   * sync of the same home that widened them meanwhile would leave blocks scanned too narrowly.
   */
  private checkRows(): void {
    for (const branch of BRANCHES) {
      // Addresses are only ever added after the last one (here, and by the batch builder).
      const next = this.store.addressAt(branch, this.rows[branch] + 1);
      if (next !== undefined) {
        throw new KuraError(
          'COORDINATOR_SYNC_CONFLICT',
          `another sync or batch stored address ${branch}/${next.addressIndex} meanwhile`,
          { field: 'addresses', branch, addressIndex: next.addressIndex },
        );
      }
    }
  }

  /**
   * The window a rescan uses: at least what `book` watches, and, when it must grow, by as many
   * addresses as are stored (up to MAX_GAP_LIMIT at a time), so that repeated discoveries (a
   * restore) cost a logarithmic number of rescans rather than one per address.
   */
  private grown(book: AddressBook): Window {
    const grow = (b: Branch) => {
      const needed = watchedUpTo(book, b);
      if (needed <= this.rows[b]) return this.rows[b];
      const step = Math.min(Math.max(this.gapLimit, this.rows[b] + 1), MAX_GAP_LIMIT);
      return Math.min(Math.max(needed, this.rows[b] + step), HARDENED - 1);
    };
    return { 0: grow(0), 1: grow(1) };
  }

  /** Whether the store holds `key` unspent, or spent only by a transaction in no block yet. */
  private readonly holds = (key: string): boolean => {
    const coin = this.store.coin(outpointOf(key));
    return coin !== undefined && coin.spentHeight === null;
  };

  // --- blocks ------------------------------------------------------------------------------------

  private async walk(): Promise<'tip' | 'limit' | Widened> {
    const remaining = (this.options.maxBlocks ?? Number.MAX_SAFE_INTEGER) - this.n.blocksScanned;
    if (remaining <= 0) return 'limit';
    this.nodeTip = await this.client.getBlockCount();
    const known = this.store.tipBlock() === undefined ? [] : this.store.recentBlocks(KNOWN_BLOCKS);
    try {
      const result = await syncFrom(
        this.client,
        this.scanner,
        {
          fromHeight: this.birthday,
          known,
          book: this.bookFor(this.rows),
          holds: this.holds,
          maxBlocks: remaining,
        },
        (event) => this.apply(event),
      );
      return result.complete ? 'tip' : 'limit';
    } catch (error) {
      if (error instanceof Widened) return error;
      throw error;
    }
  }

  private apply(event: SyncEvent): void {
    if (event.kind === 'reorg') {
      const unconfirmed = this.store.atomically(() => {
        const orphaned = this.confirmedAbove(event.forkHeight);
        this.store.rollbackToHeight(event.forkHeight);
        return this.unconfirmBatches(orphaned, event.forkHeight);
      });
      this.n.reorgs++;
      this.moved.unconfirmed.push(...unconfirmed);
      return;
    }
    const { scan } = event;
    // Applying this block would widen the window past blocks scanned with a narrower one.
    if (this.beyondRows(scan.book)) throw new Widened(scan.book);
    const block = { height: scan.height, hash: scan.hash };
    const counts = this.store.atomically(() => {
      this.checkRows();
      this.store.recordBlock({ ...block, prevHash: scan.prevHash });
      const found = scan.received.filter((o) => this.store.upsertCoin(toNewCoin(o, block)) === 'received');
      const spent = scan.spent.filter((s) => this.store.markCoinSpent(outpoint(s), s.spentBy, scan.height));
      const confirmed = this.confirmBatches(new Set(scan.spent.map((s) => s.spentBy)), scan.height);
      return { found: found.length, spent: spent.length, confirmed };
    });
    if (counts.confirmed.length > 0) faultPoint('confirmation-recorded');
    this.n.blocksScanned++;
    this.n.coinsFound += counts.found;
    this.n.coinsSpent += counts.spent;
    this.moved.confirmed.push(...counts.confirmed);
    this.nodeTip = Math.max(this.nodeTip, scan.height);
    this.options.onProgress?.({ phase: 'scan', height: scan.height, tip: this.nodeTip });
  }

  /**
   * Scans every stored block again with a window wide enough for `book`, growing it until no old
   * block widens it further, then commits the addresses, the coins and spends found, and an audit
   * entry in one transaction: a crash before the commit leaves nothing, and the next sync meets
   * the widening block again and starts the rescan over.
   */
  private async rescan(book: AddressBook): Promise<void> {
    let window = this.grown(book);
    for (;;) {
      const tip = this.store.tipBlock();
      const found = new Map<string, FoundCoin>();
      const spends: (SpentOutpoint & { height: number })[] = [];
      const holds = (key: string) => {
        const coin = found.get(key);
        return coin !== undefined ? coin.spend === undefined : this.holds(key);
      };
      let scanBook = this.bookFor(window);
      let widened: AddressBook | undefined;
      for (let height = this.birthday; tip !== undefined && height <= tip.height; height++) {
        const stored = this.store.blockAt(height);
        if (stored === undefined) continue;
        const scan = this.scanner.scanBlock(await this.client.getBlock(stored.hash), height, scanBook, holds);
        if (BRANCHES.some((b) => watchedUpTo(scan.book, b) > window[b])) {
          widened = scan.book;
          break;
        }
        scanBook = scan.book;
        for (const o of scan.received) {
          const key = outpointKey(o.txid, o.vout);
          if (!found.has(key) && notInBlock(this.store, o)) found.set(key, { output: o, block: stored });
        }
        for (const s of scan.spent) {
          const coin = found.get(outpointKey(s.txid, s.vout));
          if (coin !== undefined) coin.spend = { txid: s.spentBy, height };
          else spends.push({ ...s, height });
        }
        this.n.blocksRescanned++;
        this.options.onProgress?.({ phase: 'rescan', height, tip: tip.height });
      }
      if (widened !== undefined) {
        const more = this.windowOf(widened);
        window = { 0: Math.max(window[0], more[0]), 1: Math.max(window[1], more[1]) };
        continue;
      }
      this.commitRescan(window, tip, [...found.values()], spends);
      return;
    }
  }

  private commitRescan(
    window: Window,
    tip: BlockRecord | undefined,
    found: readonly FoundCoin[],
    spends: readonly (SpentOutpoint & { height: number })[],
  ): void {
    const counts = this.store.atomically(() => {
      if (this.store.tipBlock()?.hash !== tip?.hash) {
        throw new KuraError('COORDINATOR_SYNC_CONFLICT', 'the stored chain changed during the rescan', {
          field: 'tip',
        });
      }
      this.checkRows();
      this.storeRows(window);
      let received = 0;
      let spent = 0;
      for (const coin of found) {
        const block = { height: coin.block.height, hash: coin.block.hash };
        if (this.store.upsertCoin(toNewCoin(coin.output, block)) === 'received') received++;
        if (coin.spend && this.store.markCoinSpent(outpoint(coin.output), coin.spend.txid, coin.spend.height))
          spent++;
      }
      for (const s of spends) if (this.store.markCoinSpent(outpoint(s), s.spentBy, s.height)) spent++;
      if (tip !== undefined) {
        this.store.audit('chain.rescan', {
          fromHeight: this.birthday,
          toHeight: tip.height,
          window: { receive: window[0], change: window[1] },
          coinsFound: received,
          spendsFound: spent,
        });
      }
      return { received, spent };
    });
    if (tip !== undefined) this.n.rescans++;
    this.n.coinsFound += counts.received;
    this.n.coinsSpent += counts.spent;
  }

  // --- the mempool -------------------------------------------------------------------------------

  /**
   * Reads the node's mempool against the stored tip: new unconfirmed payments and spends of the
   * wallet's coins are recorded, and unconfirmed coins and spends whose transaction left the
   * mempool are dropped. 'moved' when the node's tip is no longer the stored tip.
   */
  private async scanMempool(): Promise<'done' | 'moved' | Widened> {
    const tip = this.store.tipBlock();
    const chainMoved = async () => {
      const best = (await this.client.getBlockchainInfo()).bestBlockHash;
      return tip !== undefined && best !== tip.hash;
    };
    const txids = await this.client.getRawMempool();
    if (await chainMoved()) return 'moved';
    const inMempool = new Set(txids);
    const memo = this.cache.mempool;
    const windowKey = `${this.rows[0]}/${this.rows[1]}`;
    if (this.cache.mempoolWindow !== windowKey) memo.clear();
    this.cache.mempoolWindow = windowKey;
    for (const txid of memo.keys()) if (!inMempool.has(txid)) memo.delete(txid);

    const book = this.bookFor(this.rows);
    let walletTransactions = 0;
    for (const txid of txids) {
      if (memo.has(txid)) continue;
      let raw: Uint8Array;
      try {
        raw = await this.client.getRawTransaction(txid);
      } catch (error) {
        if (isNotFound(error)) continue; // mined or evicted since getrawmempool
        throw error;
      }
      const scan = this.scanner.scanTransaction(raw, book, this.holds);
      if (this.beyondRows(scan.book)) return new Widened(scan.book);
      if (scan.received.length === 0 && scan.spent.length === 0) {
        memo.set(txid, inputsOf(raw));
        continue;
      }
      walletTransactions++;
      this.recordUnconfirmed(txid, scan.received, scan.spent.map(outpoint));
    }
    // A transaction read before its parent paid the wallet may spend that parent's coin.
    for (const [txid, inputs] of memo) {
      const spent = inputs.filter(this.holds).map(outpointOf);
      if (spent.length > 0) this.recordUnconfirmed(txid, [], spent);
    }
    const gone = await this.leftMempool(inMempool);
    if (await chainMoved()) return 'moved';
    const cleaned = this.store.atomically(() => ({
      dropped: gone.coins.filter((c) => this.store.dropUnconfirmedCoin(c, 'the transaction left the mempool'))
        .length,
      cleared: gone.spends.filter((c) =>
        this.store.clearUnconfirmedSpend(c, 'the spending transaction left the mempool'),
      ).length,
    }));
    this.pool = {
      scanned: true,
      transactions: txids.length,
      walletTransactions,
      coinsDropped: this.pool.coinsDropped + cleaned.dropped,
      spendsCleared: this.pool.spendsCleared + cleaned.cleared,
    };
    return 'done';
  }

  private recordUnconfirmed(
    txid: string,
    received: readonly ReceivedOutput[],
    spent: readonly Outpoint[],
  ): void {
    const counts = this.store.atomically(() => {
      // A coin already in a block stays there: only a reorg (rollbackToHeight) unconfirms it.
      const found = received.filter(
        (o) => notInBlock(this.store, o) && this.store.upsertCoin(toNewCoin(o, null)) === 'received',
      );
      const marked = spent.filter(
        (o) => this.store.coin(o)?.spentHeight === null && this.store.markCoinSpent(o, txid, null),
      );
      return { found: found.length, spent: marked.length };
    });
    this.n.coinsFound += counts.found;
    this.n.coinsSpent += counts.spent;
  }

  /** Unconfirmed coins and spends whose transaction left the mempool (in no snapshot, nor when asked). */
  private async leftMempool(
    inMempool: ReadonlySet<string>,
  ): Promise<{ coins: Outpoint[]; spends: Outpoint[] }> {
    const gone = new Map<string, boolean>();
    const isGone = async (txid: string) => {
      if (inMempool.has(txid)) return false;
      let answer = gone.get(txid);
      if (answer === undefined) {
        answer = (await this.client.getMempoolEntry(txid)) === null;
        gone.set(txid, answer);
      }
      return answer;
    };
    const coins: Outpoint[] = [];
    const spends: Outpoint[] = [];
    for (const coin of this.store.coinsAwaitingBlock()) {
      // A dropped coin takes its spend with it; otherwise a spend that left is cleared.
      if (coin.height === null && (await isGone(coin.txid))) coins.push(outpoint(coin));
      else if (coin.spentByTxid !== null && coin.spentHeight === null && (await isGone(coin.spentByTxid))) {
        spends.push(outpoint(coin));
      }
    }
    return { coins, spends };
  }

  // --- batches -----------------------------------------------------------------------------------

  private moveBatch(batch: BatchRecord, to: 'confirmed' | 'broadcast', reason: string): void {
    const from = to === 'confirmed' ? 'broadcast' : 'confirmed';
    this.store.setBatchState(batch.batchId, to, { from, reason });
    const requests = this.store.listRequests({
      batchId: batch.batchId,
      state: from,
      limit: MAX_REQUESTS_PER_BATCH,
    });
    for (const r of requests) this.store.setRequestState(r.requestId, to, { from, reason });
  }

  /** Inside a block's transaction: broadcast batches whose transaction that block holds. */
  private confirmBatches(txids: ReadonlySet<string>, height: number): string[] {
    const batches = [...txids]
      .flatMap((txid) => this.store.batchesByTxid(txid))
      .filter((b) => b.state === 'broadcast');
    for (const b of batches)
      this.moveBatch(b, 'confirmed', `transaction ${b.txid} confirmed in block ${height}`);
    return batches.map((b) => b.batchId);
  }

  /** Confirmed batches whose transaction sits in a block above `height` (read before a rollback). */
  private confirmedAbove(height: number): BatchRecord[] {
    return this.store
      .spendTxidsAbove(height)
      .flatMap((txid) => this.store.batchesByTxid(txid))
      .filter((b) => b.state === 'confirmed');
  }

  /** Inside a reorg's transaction, after the rollback: back to broadcast, with their requests. */
  private unconfirmBatches(batches: readonly BatchRecord[], forkHeight: number): string[] {
    for (const b of batches) {
      this.moveBatch(b, 'broadcast', `the block above ${forkHeight} holding ${b.txid} left the chain`);
    }
    return batches.map((b) => b.batchId);
  }

  /** Broadcast batches confirmed in a block applied before they were marked broadcast. */
  private settleBatches(): void {
    for (const b of this.store.listBatches('broadcast')) {
      const height = this.store.spendHeightOf(b.txid);
      if (height === null) continue;
      this.store.atomically(() =>
        this.moveBatch(b, 'confirmed', `transaction ${b.txid} confirmed in block ${height}`),
      );
      faultPoint('confirmation-recorded');
      this.moved.confirmed.push(b.batchId);
    }
  }

  private report(complete: boolean): SyncReport {
    const tip = this.store.tipBlock();
    const balance = this.store.balance();
    return {
      tip: tip === undefined ? null : { height: tip.height, hash: tip.hash },
      nodeTip: this.nodeTip,
      complete,
      ...this.n,
      mempool: this.pool,
      batches: this.moved,
      balance: { ...balance, totalSat: balance.confirmedSat + balance.unconfirmedSat + balance.lockedSat },
    };
  }
}

/**
 * Brings the coordinator's store up to the node: new blocks (from the birthday height the first
 * time), reorgs rolled back to their fork point, the mempool, and batch confirmations. The node is
 * asked first whether it serves the wallet's network, so a node that is down or wrong
 * (NODE_UNREACHABLE, NODE_WRONG_NETWORK, …) changes nothing.
 */
export async function syncCoordinator(
  home: CoordinatorHome,
  client: RpcClient,
  options: SyncOptions = {},
): Promise<SyncReport> {
  const { maxBlocks } = options;
  if (maxBlocks !== undefined && (!Number.isSafeInteger(maxBlocks) || maxBlocks < 1)) {
    throw new KuraError('ARGUMENT_INVALID', '"maxBlocks" must be an integer ≥ 1', { field: 'maxBlocks' });
  }
  const info = await client.expectNetwork(home.store.meta().network);
  return new SyncRun(home, client, options, info.blocks).run();
}
