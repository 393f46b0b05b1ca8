// The node client kura uses: typed wrappers for the few RPCs Bitcoin Core documents that the
// coordinator needs (docs/chain.md lists them and why). Every result is shape-checked; blocks and
// transactions are checked to hash to what was asked for, so a wrong answer cannot pass as a
// right one. Transport, auth and retries live in ./jsonRpc.ts.
import { sha256 } from '@noble/hashes/sha2.js';
import { Transaction } from 'bitcoinjs-lib';
import { KuraError } from '../errors.js';
import type { NetworkName } from '../bitcoin/networks.js';
import { JsonRpcConnection, type CallOptions, type RpcClientOptions } from './jsonRpc.js';
import { checkNodeChain } from './network.js';
import {
  asHash,
  asHexBytes,
  asInt,
  asObject,
  asOptionalHash,
  asString,
  asStringArray,
  badResult,
  btcToSat,
  checkHashArgument,
} from './results.js';
import type { ChainSource } from './source.js';

export interface BlockchainInfo {
  /** `main`, `test`, `testnet4`, `signet` or `regtest`. */
  readonly chain: string;
  readonly blocks: number;
  readonly headers: number;
  readonly bestBlockHash: string;
  /** Core only; bcoin does not say. */
  readonly initialBlockDownload: boolean | undefined;
  readonly pruned: boolean;
}

export interface BlockHeaderInfo {
  readonly hash: string;
  readonly height: number;
  /** -1 on Core for a block off the active chain (bcoin counts from the tip regardless). */
  readonly confirmations: number;
  readonly time: number;
  readonly medianTime: number;
  readonly previousBlockHash: string | undefined;
  readonly nextBlockHash: string | undefined;
}

export interface MempoolEntry {
  readonly txid: string;
  /** Virtual size (Core `vsize`; bcoin's `size` is its sigop-adjusted virtual size). */
  readonly vsize: number;
  /** When the node took it in, Unix seconds. */
  readonly time: number;
  /** The chain height when it entered the mempool. */
  readonly height: number;
  /** Core `fees.base` (bcoin `fee`), in sats; undefined if the node does not say. */
  readonly feeSat: bigint | undefined;
}

export interface FeeEstimate {
  /** undefined when the node has no estimate (Core: `errors` and no `feerate`; bcoin: `fee: -1`). */
  readonly feeRateSatPerKvB: bigint | undefined;
  /** The target the estimate is for. */
  readonly blocks: number;
  readonly errors: readonly string[];
}

/**
 * Whether an error is the node saying "no such block or transaction": Core answers -5; bcoin -1
 * with "not found" or "not in mempool".
 */
export function isNotFound(error: unknown): boolean {
  if (!(error instanceof KuraError) || error.code !== 'NODE_RPC_ERROR') return false;
  const { rpcCode, rpcMessage } = error.details;
  return (
    rpcCode === -5 ||
    (rpcCode === -1 && /not found|not in mempool/i.test(typeof rpcMessage === 'string' ? rpcMessage : ''))
  );
}

/** The block hash (display order) of a serialized block: SHA-256d of its 80-byte header, reversed. */
export function blockHashOf(raw: Uint8Array): string {
  if (raw.length < 80) return '';
  return Buffer.from(sha256(sha256(raw.subarray(0, 80))))
    .reverse()
    .toString('hex');
}

function txidOf(raw: Uint8Array): string | undefined {
  try {
    return Transaction.fromBuffer(raw).getId();
  } catch {
    return undefined;
  }
}

function checkHeight(height: number): number {
  if (!Number.isSafeInteger(height) || height < 0) {
    throw new KuraError('ARGUMENT_INVALID', '"height" must be an integer ≥ 0', { field: 'height' });
  }
  return height;
}

export class RpcClient implements ChainSource {
  private readonly rpc: JsonRpcConnection;

  constructor(options: RpcClientOptions) {
    this.rpc = new JsonRpcConnection(options);
  }

  /** The endpoint, without credentials (safe to log). */
  get url(): string {
    return this.rpc.url.href;
  }

  /** Any RPC by name; the result is unchecked. Prefer the typed methods. */
  call(method: string, params: readonly unknown[] = [], options?: CallOptions): Promise<unknown> {
    return this.rpc.call(method, params, options);
  }

  /** Frees keep-alive sockets. */
  close(): void {
    this.rpc.close();
  }

  async getBlockchainInfo(): Promise<BlockchainInfo> {
    const m = 'getblockchaininfo';
    const r = asObject(m, await this.call(m));
    const ibd = r.initialblockdownload;
    return {
      chain: asString(m, r.chain, 'chain'),
      blocks: asInt(m, r.blocks, 'blocks'),
      headers: asInt(m, r.headers, 'headers'),
      bestBlockHash: asHash(m, r.bestblockhash, 'bestblockhash'),
      initialBlockDownload: typeof ibd === 'boolean' ? ibd : undefined,
      pruned: r.pruned === true,
    };
  }

  /** getblockchaininfo, refusing a node on another network than `network` (NODE_WRONG_NETWORK). */
  async expectNetwork(network: NetworkName): Promise<BlockchainInfo> {
    const info = await this.getBlockchainInfo();
    checkNodeChain(info.chain, network);
    return info;
  }

  async getBlockCount(): Promise<number> {
    return asInt('getblockcount', await this.call('getblockcount'));
  }

  async getBlockHash(height: number): Promise<string> {
    return asHash('getblockhash', await this.call('getblockhash', [checkHeight(height)]));
  }

  async getBlockHeader(hash: string): Promise<BlockHeaderInfo> {
    const m = 'getblockheader';
    const asked = checkHashArgument(hash, 'hash');
    const r = asObject(m, await this.call(m, [asked, true]));
    const header: BlockHeaderInfo = {
      hash: asHash(m, r.hash, 'hash'),
      height: asInt(m, r.height, 'height'),
      confirmations: asInt(m, r.confirmations, 'confirmations', -1),
      time: asInt(m, r.time, 'time'),
      medianTime: asInt(m, r.mediantime, 'mediantime'),
      previousBlockHash: asOptionalHash(m, r.previousblockhash, 'previousblockhash'),
      nextBlockHash: asOptionalHash(m, r.nextblockhash, 'nextblockhash'),
    };
    if (header.hash !== asked) throw badResult(m, 'hash', `the hash asked for (${asked})`);
    return header;
  }

  /** The raw block (verbosity 0, which bcoin and Core share), checked to hash to `hash`. */
  async getBlock(hash: string): Promise<Uint8Array> {
    const asked = checkHashArgument(hash, 'hash');
    const raw = asHexBytes('getblock', await this.call('getblock', [asked, 0]));
    const got = blockHashOf(raw);
    if (got !== asked) {
      throw new KuraError(
        'CHAIN_BLOCK_MALFORMED',
        `the node's block ${asked} hashes to ${got || 'nothing'}`,
        {
          method: 'getblock',
          hash: asked,
          got,
        },
      );
    }
    return raw;
  }

  /**
   * A transaction's bytes, checked to have `txid`. Without `-txindex` Core finds only mempool and
   * wallet transactions unless `blockHash` is given (bcoin, with its transaction index, takes no
   * block hash: pass none there).
   */
  async getRawTransaction(txid: string, blockHash?: string): Promise<Uint8Array> {
    const m = 'getrawtransaction';
    const asked = checkHashArgument(txid, 'txid');
    const params: unknown[] =
      blockHash === undefined ? [asked] : [asked, false, checkHashArgument(blockHash, 'blockHash')];
    const raw = asHexBytes(m, await this.call(m, params));
    if (txidOf(raw) !== asked) throw badResult(m, 'result', `the transaction ${asked}`);
    return raw;
  }

  /**
   * Submits a transaction; returns its txid once the node answered that very txid. The node's
   * own fee ceiling (Core: `maxfeerate`, 0.10 BTC/kvB by default) applies; kura's policy caps
   * fees before this point. Acceptance is proven by {@link getMempoolEntry}, not by this answer.
   */
  async sendRawTransaction(tx: Uint8Array): Promise<string> {
    const txid = txidOf(tx);
    if (txid === undefined) {
      throw new KuraError('ARGUMENT_INVALID', '"tx" is not a serialized transaction', { field: 'tx' });
    }
    const answered = asHash(
      'sendrawtransaction',
      await this.call('sendrawtransaction', [Buffer.from(tx).toString('hex')]),
    );
    if (answered !== txid) throw badResult('sendrawtransaction', 'result', `the txid sent (${txid})`);
    return txid;
  }

  /** The mempool entry, or null when the transaction is not in the node's mempool. */
  async getMempoolEntry(txid: string): Promise<MempoolEntry | null> {
    const m = 'getmempoolentry';
    const asked = checkHashArgument(txid, 'txid');
    let result: unknown;
    try {
      result = await this.call(m, [asked]);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    const r = asObject(m, result);
    const fees = r.fees === undefined ? undefined : asObject(m, r.fees, 'fees');
    const fee = fees?.base ?? r.fee;
    return {
      txid: asked,
      vsize: asInt(m, r.vsize ?? r.size, 'vsize'),
      time: asInt(m, r.time, 'time'),
      height: asInt(m, r.height, 'height'),
      feeSat: fee === undefined ? undefined : btcToSat(m, fee, fees === undefined ? 'fee' : 'fees.base'),
    };
  }

  /** The txids in the node's mempool. */
  async getRawMempool(): Promise<string[]> {
    const m = 'getrawmempool';
    return asStringArray(m, await this.call(m, [false])).map((txid, i) => asHash(m, txid, `[${i}]`));
  }

  /**
   * The node's fee-rate estimate for confirmation within `confTarget` blocks (1–1008). `mode` is
   * sent only when given: bcoin takes one argument.
   */
  async estimateSmartFee(confTarget: number, mode?: 'economical' | 'conservative'): Promise<FeeEstimate> {
    const m = 'estimatesmartfee';
    if (!Number.isSafeInteger(confTarget) || confTarget < 1 || confTarget > 1008) {
      throw new KuraError('ARGUMENT_INVALID', '"confTarget" must be an integer from 1 to 1008', {
        field: 'confTarget',
      });
    }
    const r = asObject(m, await this.call(m, mode === undefined ? [confTarget] : [confTarget, mode]));
    // Core: { feerate, blocks } or { errors, blocks }; bcoin: { fee, blocks } with fee -1 for none.
    const rate = r.feerate ?? (typeof r.fee === 'number' && r.fee >= 0 ? r.fee : undefined);
    return {
      feeRateSatPerKvB: rate === undefined ? undefined : btcToSat(m, rate, 'feerate'),
      blocks: asInt(m, r.blocks, 'blocks'),
      errors: r.errors === undefined ? [] : asStringArray(m, r.errors, 'errors'),
    };
  }
}
