// The coordinator's store: typed methods over SQLite, and the only door to it. Every method that
// changes state runs in its own `db.transaction(fn).immediate()` and writes its audit entry in
// that transaction; `atomically` groups several such calls into one transaction (the inner ones
// become savepoints), so a step that fails half-way leaves nothing behind, audit entry included.
import { chmodSync, existsSync } from 'node:fs';
import type { ChainEntry } from '../../artifacts/hashChain.js';
import { KuraError } from '../../errors.js';
import { NETWORK_NAMES, type NetworkName } from '../../bitcoin/networks.js';
import * as addresses from './addresses.js';
import * as audit from './audit.js';
import * as batches from './batches.js';
import * as chain from './chain.js';
import * as coins from './coins.js';
import { openDatabase, Sql, storeFailure } from './database.js';
import { checkVersion, migrate } from './migrations.js';
import * as requests from './requests.js';
import { int, oneOf, text } from './rows.js';
import * as tokens from './tokens.js';
import type { Tx } from './tx.js';
import type * as T from './types.js';
import { hexOf, integerOf } from './validate.js';

export interface StoreOptions {
  /** The clock, in unix seconds (tests pass a fixed one). */
  readonly now?: () => number;
}

/** What the home's wallet and policy files say; the database must agree. */
export interface StoreIdentity {
  readonly network: NetworkName;
  readonly walletId: string;
  readonly policyHash: string;
}

const systemClock = (): number => Math.floor(Date.now() / 1000);

export class Store {
  /**
   * One better-sqlite3 transaction function for every call: it runs the function it is given.
   * Making a new one per call (db.transaction(fn)) cost more than many of the statements inside.
   * Nested calls become savepoints, as with a fresh one.
   */
  private readonly transaction: ReturnType<Sql['db']['transaction']>;

  private constructor(
    readonly path: string,
    private readonly sql: Sql,
    private readonly clock: () => number,
  ) {
    this.transaction = sql.db.transaction((fn: () => unknown) => fn());
  }

  /** True when `path` is a database that migrations have touched (it may hold a coordinator). */
  static isInitialized(path: string): boolean {
    if (!existsSync(path)) return false;
    const db = openDatabase(path, true);
    try {
      return new Sql(db).userVersion() > 0;
    } finally {
      db.close();
    }
  }

  /**
   * Creates the database of a new coordinator: schema, meta row and the first audit entry
   * ('coordinator.init', with `initData`) in one transaction. A database that already holds a
   * coordinator is COORDINATOR_HOME_EXISTS.
   */
  static create(
    path: string,
    meta: StoreIdentity & { birthdayHeight: number },
    initData: Record<string, unknown> = {},
    options: StoreOptions = {},
  ): Store {
    if (!(NETWORK_NAMES as readonly string[]).includes(meta.network)) {
      throw new KuraError('ARGUMENT_INVALID', `"network" must be one of ${NETWORK_NAMES.join(', ')}`, {
        field: 'network',
      });
    }
    hexOf(meta.walletId, 'walletId');
    hexOf(meta.policyHash, 'policyHash');
    integerOf(meta.birthdayHeight, 'birthdayHeight', 0);
    const store = new Store(path, new Sql(openDatabase(path, false)), options.now ?? systemClock);
    try {
      chmodSync(path, 0o600);
      store.atomically(() => {
        if (checkVersion(store.sql, path) > 0) {
          throw new KuraError('COORDINATOR_HOME_EXISTS', `the database ${path} already holds a coordinator`, {
            field: 'home',
            path,
          });
        }
        store.write((tx) => {
          migrate(tx.sql, path, tx.now);
          tx.sql.run(
            `INSERT INTO meta (id, network, wallet_id, policy_hash, created_at, birthday_height)
             VALUES (1, ?, ?, ?, ?, ?)`,
            meta.network,
            meta.walletId,
            meta.policyHash,
            tx.now,
            meta.birthdayHeight,
          );
          tx.audit('coordinator.init', { ...meta, ...initData });
        });
      });
      return store;
    } catch (error) {
      store.close();
      throw error;
    }
  }

  /**
   * Opens an existing database: refuses one from a newer kura (STORE_VERSION_UNSUPPORTED),
   * applies pending migrations, and refuses one whose network or wallet (STORE_MISMATCH) or
   * policy (POLICY_HASH_MISMATCH) differ from `expected`.
   */
  static open(path: string, expected: StoreIdentity, options: StoreOptions = {}): Store {
    if (!existsSync(path)) {
      throw new KuraError('COORDINATOR_NOT_INITIALIZED', `there is no database at ${path}`, {
        field: 'home',
        path,
      });
    }
    const store = new Store(path, new Sql(openDatabase(path, true)), options.now ?? systemClock);
    try {
      if (checkVersion(store.sql, path) === 0) {
        throw new KuraError('COORDINATOR_NOT_INITIALIZED', `the database ${path} was never initialized`, {
          field: 'home',
          path,
        });
      }
      migrate(store.sql, path, store.now());
      const meta = store.meta();
      for (const field of ['network', 'walletId'] as const) {
        if (meta[field] !== expected[field]) {
          throw new KuraError(
            'STORE_MISMATCH',
            `the database is for ${field} ${meta[field]}, the home's wallet file says ${expected[field]}`,
            { field, database: meta[field], expected: expected[field] },
          );
        }
      }
      if (meta.policyHash !== expected.policyHash) {
        throw new KuraError(
          'POLICY_HASH_MISMATCH',
          `the database was set up with policy ${meta.policyHash}, the home's policy file hashes to ${expected.policyHash}`,
          { field: 'policyHash', database: meta.policyHash, expected: expected.policyHash },
        );
      }
      return store;
    } catch (error) {
      store.close();
      throw storeFailure(error, `cannot open ${path}`);
    }
  }

  close(): void {
    if (this.sql.db.open) this.sql.db.close();
  }

  private now(): number {
    const now = this.clock();
    if (!Number.isSafeInteger(now) || now < 0) throw new KuraError('INTERNAL', 'the clock gave no unix time');
    return now;
  }

  /**
   * Whether a transaction is open on this connection. SQLite ends one by itself on some errors
   * (a full disk, an I/O error): a caller that keeps going after an error inside `atomically`
   * checks this before writing more.
   */
  get inTransaction(): boolean {
    return this.sql.db.inTransaction;
  }

  /** Runs `fn` in one immediate transaction; store calls inside it commit or roll back together. */
  atomically<R>(fn: () => R): R {
    try {
      return this.transaction.immediate(fn) as R;
    } catch (error) {
      throw storeFailure(error, 'the store refused a change');
    }
  }

  private write<R>(fn: (tx: Tx) => R): R {
    return this.atomically(() => {
      const now = this.now();
      const sql = this.sql;
      return fn({ sql, now, audit: (type, data) => audit.appendAudit(sql, type, data, now) });
    });
  }

  meta(): T.StoreMeta {
    const row = this.sql.get('SELECT network, wallet_id, policy_hash, created_at, birthday_height FROM meta');
    if (row === undefined) throw new KuraError('STORE_CORRUPT', `the database ${this.path} has no meta row`);
    return {
      network: oneOf(row, 'network', NETWORK_NAMES),
      walletId: text(row, 'wallet_id'),
      policyHash: text(row, 'policy_hash'),
      createdAt: int(row, 'created_at'),
      birthdayHeight: int(row, 'birthday_height'),
    };
  }

  // audit log
  /** Appends an entry that records no table change (an operator's note, a refused attempt). */
  audit(type: string, data: unknown): audit.AuditPosition {
    return this.write((tx) => tx.audit(type, data));
  }
  exportAudit(): string {
    return audit.exportAudit(this.sql);
  }
  verifyAudit(): { entries: number; head: string | null } {
    return audit.verifyAudit(this.sql);
  }
  auditHead(): ChainEntry | undefined {
    return audit.lastAuditEntry(this.sql);
  }

  // requests and approvals
  insertRequest(input: T.NewRequest): { request: T.RequestRecord; created: boolean } {
    return this.write((tx) => requests.insertRequest(tx, input));
  }
  requestById(requestId: string): T.RequestRecord | undefined {
    return requests.requestById(this.sql, requestId);
  }
  requestByIdempotencyKey(clientId: string, idempotencyKey: string): T.RequestRecord | undefined {
    return requests.requestByIdempotencyKey(this.sql, clientId, idempotencyKey);
  }
  listRequests(query?: requests.RequestQuery): T.RequestRecord[] {
    return requests.listRequests(this.sql, query);
  }
  countRequestsByState(): Record<T.RequestState, number> {
    return requests.countRequestsByState(this.sql);
  }
  /** Sats and count of requests created after `since` and not rejected, cancelled or expired. */
  requestUsageSince(since: number): { amountSat: bigint; count: number } {
    return requests.requestUsageSince(this.sql, since);
  }
  setRequestState(requestId: string, to: T.RequestState, change?: requests.StateChange): T.RequestRecord {
    return this.write((tx) => requests.setRequestState(tx, requestId, to, change));
  }
  addApproval(input: requests.NewApproval): { approval: T.ApprovalRecord; added: boolean } {
    return this.write((tx) => requests.addApproval(tx, input));
  }
  approvalsFor(requestId: string): T.ApprovalRecord[] {
    return requests.approvalsFor(this.sql, requestId);
  }

  // addresses, coins and the chain
  addAddresses(list: readonly { branch: T.Branch; addressIndex: number; scriptPubKey: string }[]): number {
    return this.write((tx) => addresses.addAddresses(tx, list));
  }
  issueAddress(branch: T.Branch, index: number): T.AddressRecord {
    return this.write((tx) => addresses.issueAddress(tx, branch, index));
  }
  addressAt(branch: T.Branch, index: number): T.AddressRecord | undefined {
    return addresses.addressAt(this.sql, branch, index);
  }
  addressByScript(scriptPubKey: string): T.AddressRecord | undefined {
    return addresses.addressByScript(this.sql, scriptPubKey);
  }
  addresses(branch: T.Branch): T.AddressRecord[] {
    return addresses.addresses(this.sql, branch);
  }
  nextUnusedAddress(branch: T.Branch): T.AddressRecord | undefined {
    return addresses.nextUnusedAddress(this.sql, branch);
  }
  branchSummary(branch: T.Branch): T.BranchSummary {
    return addresses.branchSummary(this.sql, branch);
  }
  upsertCoin(coin: T.NewCoin): 'received' | 'confirmed' | 'unconfirmed' | 'unchanged' {
    return this.write((tx) => coins.upsertCoin(tx, coin));
  }
  markCoinSpent(outpoint: T.Outpoint, txid: string, height: number | null): boolean {
    return this.write((tx) => coins.markCoinSpent(tx, outpoint, txid, height));
  }
  coin(outpoint: T.Outpoint): T.CoinRecord | undefined {
    return coins.coinAt(this.sql, outpoint);
  }
  coinsSpendable(query?: coins.SpendableQuery): T.CoinRecord[] {
    return coins.coinsSpendable(this.sql, query);
  }
  coinsLockedBy(batchId: string): T.CoinRecord[] {
    return coins.coinsLockedBy(this.sql, batchId);
  }
  lockCoins(batchId: string, outpoints: readonly T.Outpoint[]): void {
    this.write((tx) => coins.lockCoins(tx, batchId, outpoints));
  }
  unlockCoins(batchId: string): number {
    return this.write((tx) => coins.unlockCoins(tx, batchId));
  }
  /** Moves the locks of one batch's coins to another (a fee bump that replaced it); returns how many. */
  moveCoinLocks(fromBatch: string, toBatch: string): number {
    return this.write((tx) => coins.moveCoinLocks(tx, fromBatch, toBatch));
  }
  balance(): T.Balance {
    return coins.balance(this.sql);
  }
  /** Coins in no block yet, and coins whose spend is in no block yet (what the mempool step checks). */
  coinsAwaitingBlock(): T.CoinRecord[] {
    return coins.coinsAwaitingBlock(this.sql);
  }
  /** The height of the scanned block holding `txid`, known from the wallet coins it spends; else null. */
  spendHeightOf(txid: string): number | null {
    return coins.spendHeightOf(this.sql, txid);
  }
  /** Txids whose spends of the wallet's coins sit in blocks above `height`. */
  spendTxidsAbove(height: number): string[] {
    return coins.spendTxidsAbove(this.sql, height);
  }
  /** Forgets an unconfirmed coin whose transaction left the mempool (false if none or confirmed). */
  dropUnconfirmedCoin(outpoint: T.Outpoint, reason: string): boolean {
    return this.write((tx) => coins.dropUnconfirmedCoin(tx, outpoint, reason));
  }
  /** Clears an unconfirmed spend whose transaction left the mempool (false if none or confirmed). */
  clearUnconfirmedSpend(outpoint: T.Outpoint, reason: string): boolean {
    return this.write((tx) => coins.clearUnconfirmedSpend(tx, outpoint, reason));
  }
  recordBlock(block: T.BlockRecord): boolean {
    return this.write((tx) => chain.recordBlock(tx, block));
  }
  blockAt(height: number): T.BlockRecord | undefined {
    return chain.blockAt(this.sql, height);
  }
  tipBlock(): T.BlockRecord | undefined {
    return chain.tipBlock(this.sql);
  }
  /** The most recent `count` stored blocks, ascending by height (what a reorg check walks). */
  recentBlocks(count: number): T.BlockRecord[] {
    return chain.recentBlocks(this.sql, count);
  }
  rollbackToHeight(height: number): T.RollbackResult {
    return this.write((tx) => chain.rollbackToHeight(tx, height));
  }

  // batches
  insertBatch(input: T.NewBatch): T.BatchRecord {
    return this.write((tx) => batches.insertBatch(tx, input));
  }
  batchById(batchId: string): T.BatchRecord | undefined {
    return batches.batchById(this.sql, batchId);
  }
  listBatches(state?: T.BatchState): T.BatchRecord[] {
    return batches.listBatches(this.sql, state);
  }
  batchesByTxid(txid: string): T.BatchRecord[] {
    return batches.batchesByTxid(this.sql, txid);
  }
  setBatchState(batchId: string, to: T.BatchState, change?: batches.BatchStateChange): T.BatchRecord {
    return this.write((tx) => batches.setBatchState(tx, batchId, to, change));
  }
  addBatchSignature(input: { batchId: string; fingerprint: string; psbt: Uint8Array }): { added: boolean } {
    return this.write((tx) => batches.addBatchSignature(tx, input));
  }
  batchSignatures(batchId: string): T.BatchSignatureRecord[] {
    return batches.batchSignatures(this.sql, batchId);
  }

  // API tokens (hashes only)
  insertToken(input: {
    tokenId: string;
    role: T.TokenRole;
    tokenSha256: string;
    label: string;
  }): T.TokenRecord {
    return this.write((tx) => tokens.insertToken(tx, input));
  }
  tokenById(tokenId: string): T.TokenRecord | undefined {
    return tokens.tokenById(this.sql, tokenId);
  }
  tokenByDigest(tokenSha256: string): T.TokenRecord | undefined {
    return tokens.tokenByDigest(this.sql, tokenSha256);
  }
  listTokens(): T.TokenRecord[] {
    return tokens.listTokens(this.sql);
  }
  revokeToken(tokenId: string): { token: T.TokenRecord; changed: boolean } {
    return this.write((tx) => tokens.revokeToken(tx, tokenId));
  }
}
