// A real Bitcoin node on regtest for the tests, started on loopback and stopped by them: Bitcoin
// Core when KURA_BITCOIND names a bitcoind binary, otherwise bcoin (a full node in JavaScript, a
// devDependency) in a child process with an in-memory chain. Both are driven only through RPC
// methods Bitcoin Core documents, so a test written against one runs on the other; where bcoin
// differs from Core in a way kura depends on (sendrawtransaction's verdict, BIP-125 replacement,
// invalidateblock), the child below makes it behave as Core does.
// docs/regtest.md explains the choices and bcoin's quirks.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Transaction } from 'bitcoinjs-lib';

/** Which node implementation a {@link RegtestNode} runs. */
export type RegtestNodeKind = 'bcoin' | 'bitcoind';

/** Satoshis in one bitcoin. */
export const COIN = 100_000_000n;
/** What a regtest block pays below height 150 (both node kinds halve every 150 blocks). */
export const REGTEST_SUBSIDY = 50n * COIN;

/**
 * The lowest chain height at which a node of each kind accepts segwit spends and has a mature
 * coinbase: bcoin's regtest activates segwit by BIP-9 signalling at block 432, Bitcoin Core's
 * from genesis (so only coinbase maturity, 100 blocks, counts there).
 */
export const SEGWIT_READY_HEIGHT: Readonly<Record<RegtestNodeKind, number>> = { bcoin: 433, bitcoind: 101 };

/** A running regtest node, reachable on loopback only. Call {@link RegtestNode.stop} when done. */
export interface RegtestNode {
  /** `'bitcoind'` when KURA_BITCOIND chose Bitcoin Core, else `'bcoin'`. */
  readonly kind: RegtestNodeKind;
  /** The JSON-RPC endpoint, `http://127.0.0.1:<port>/`, without credentials. */
  readonly rpcUrl: string;
  /** HTTP basic-auth credentials of {@link rpcUrl}: random for each node, never on a command line. */
  readonly rpcAuth: { readonly username: string; readonly password: string };
  /**
   * Calls a JSON-RPC method (JSON-RPC 1.0 over HTTP with basic auth, to loopback only) and
   * returns its `result`. An error the node answers is thrown as a {@link RegtestRpcError}
   * carrying the node's code and message; a transport failure is thrown as a plain Error.
   */
  rpc<T>(method: string, params?: unknown[]): Promise<T>;
  /** Mines `blocks` blocks paying their coinbase to `address` (`generatetoaddress`); returns their hashes. */
  mineTo(address: string, blocks: number): Promise<string[]>;
  /**
   * Mines to `address` until the tip is at least {@link SEGWIT_READY_HEIGHT} for this kind, so
   * that segwit spends are accepted and the earliest coinbases are mature; returns the tip height.
   */
  ensureSegwit(address: string): Promise<number>;
  /**
   * Submits a raw transaction (`sendrawtransaction`) and proves the node accepted it: the
   * returned txid must be the transaction's own, `getmempoolentry` must know it, and
   * `getrawtransaction` must return exactly these bytes (witness included). Returns the txid;
   * throws a {@link BroadcastError} with the node's reason otherwise.
   */
  broadcast(hex: string): Promise<string>;
  /** Shuts the node down cleanly (SIGKILL after a grace period) and removes its temporary directory. */
  stop(): Promise<void>;
}

/** An error answered by the node to a JSON-RPC call. */
export class RegtestRpcError extends Error {
  constructor(
    /** The RPC method called. */
    readonly method: string,
    /** The node's error code, e.g. -26 for a rejected transaction, -5 for an unknown one. */
    readonly code: number,
    /** The node's own message. */
    readonly rpcMessage: string,
  ) {
    super(`${method}: RPC error ${code}: ${rpcMessage}`);
    this.name = 'RegtestRpcError';
  }
}

/** A transaction the node did not accept into its mempool, with the node's reason. */
export class BroadcastError extends Error {
  constructor(
    /** The transaction's txid, or '' when the hex was not a transaction. */
    readonly txid: string,
    /** Why: the node's RPC error message, or what the acceptance check found. */
    readonly reason: string,
    /** The node's RPC error code, when the node refused it through RPC. */
    readonly rpcCode?: number,
  ) {
    super(
      `broadcast of ${txid || 'transaction'} rejected: ${reason}${rpcCode === undefined ? '' : ` (RPC ${rpcCode})`}`,
    );
    this.name = 'BroadcastError';
  }
}

/**
 * Starts a fresh regtest node on loopback and waits until its RPC answers.
 *
 * - If `process.env.KURA_BITCOIND` names a bitcoind binary, spawns it with `-regtest`, a fresh
 *   temporary `-datadir`, `-rpcport` and `-port` on free loopback ports, RPC and P2P bound to
 *   127.0.0.1, no outbound peers, `-fallbackfee` and `-txindex`; the random RPC user and password
 *   are written only to the data directory's `bitcoin.conf`.
 * - Otherwise starts bcoin's FullNode on regtest in a child process: in-memory chain and mempool
 *   (no database on disk), HTTP/RPC server on 127.0.0.1 at a port the OS picks, a random API key
 *   sent over the IPC channel, no P2P socket at all, no worker processes, transaction index on,
 *   standardness rules on (as Bitcoin Core's regtest), Bitcoin Core's regtest address prefixes
 *   (`bcrt1…`), and a `sendrawtransaction` that reports the mempool's verdict as Core does and
 *   replaces conflicting mempool transactions by Core's BIP-125 rules (bcoin has none of its own).
 */
export async function startRegtestNode(): Promise<RegtestNode> {
  const bitcoind = process.env.KURA_BITCOIND;
  return bitcoind !== undefined && bitcoind !== '' ? startBitcoind(bitcoind) : startBcoin();
}

// ---------------------------------------------------------------------------------------------
// JSON-RPC over HTTP

const RPC_TIMEOUT_MS = 120_000;
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 20_000;
let rpcId = 0;

interface RpcEndpoint {
  readonly port: number;
  readonly username: string;
  readonly password: string;
}

/** A failure to reach the node at all (as opposed to an answer from it). */
class RpcTransportError extends Error {
  constructor(
    message: string,
    readonly errno?: string,
  ) {
    super(message);
    this.name = 'RpcTransportError';
  }
}

function callRpc(endpoint: RpcEndpoint, method: string, params: readonly unknown[]): Promise<unknown> {
  const body = JSON.stringify({ jsonrpc: '1.0', id: ++rpcId, method, params });
  const auth = Buffer.from(`${endpoint.username}:${endpoint.password}`).toString('base64');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: endpoint.port,
        path: '/',
        method: 'POST',
        agent: false,
        timeout: RPC_TIMEOUT_MS,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Basic ${auth}`,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => reject(new RpcTransportError(`${method}: ${err.message}`)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode === 401 || res.statusCode === 403) {
            reject(new RpcTransportError(`${method}: RPC authentication refused (HTTP ${res.statusCode})`));
            return;
          }
          let reply: { result?: unknown; error?: { code?: unknown; message?: unknown } | null };
          try {
            reply = JSON.parse(text) as typeof reply;
          } catch {
            reject(new RpcTransportError(`${method}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
            return;
          }
          if (reply.error !== undefined && reply.error !== null) {
            const code = typeof reply.error.code === 'number' ? reply.error.code : -1;
            reject(new RegtestRpcError(method, code, String(reply.error.message ?? 'unknown error')));
            return;
          }
          resolve(reply.result ?? null);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${RPC_TIMEOUT_MS} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(new RpcTransportError(`${method}: ${err.message}`, err.code)),
    );
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// The node object, common to both kinds

/** The last lines a child printed, for error messages. */
class OutputTail {
  private text = '';
  constructor(private readonly limit = 4000) {}
  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.limit);
  }
  toString(): string {
    return this.text.trim() === '' ? '(no output)' : this.text.trim();
  }
}

interface Managed {
  readonly kind: RegtestNodeKind;
  readonly endpoint: RpcEndpoint;
  readonly child: ChildProcess;
  readonly tempDir: string;
  /** What the node printed last, for errors. */
  readonly tail: OutputTail;
  /** Asks the node to shut down; the caller then waits for the process to exit. */
  readonly requestStop: () => Promise<void>;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function makeNode(m: Managed): RegtestNode {
  const { kind, endpoint, child, tempDir } = m;
  // If the test process ends without stop(), do not leave a node or its files behind.
  const onExit = () => {
    if (!exited(child)) child.kill('SIGKILL');
    rmSync(tempDir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  let stopping: Promise<void> | undefined;

  const rpc = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    try {
      return (await callRpc(endpoint, method, params)) as T;
    } catch (err) {
      if (err instanceof RpcTransportError && exited(child)) {
        throw new Error(
          `${method}: the ${kind} node has exited (${child.signalCode ?? child.exitCode}):\n${m.tail}`,
          { cause: err },
        );
      }
      throw err;
    }
  };

  const mineTo = async (address: string, blocks: number): Promise<string[]> => {
    if (!Number.isSafeInteger(blocks) || blocks < 0) throw new Error(`mineTo: bad block count ${blocks}`);
    if (blocks === 0) return [];
    return rpc<string[]>('generatetoaddress', [blocks, address]);
  };

  const broadcast = async (hex: string): Promise<string> => {
    let txid: string;
    try {
      txid = Transaction.fromHex(hex).getId();
    } catch (err) {
      throw new BroadcastError('', `not a transaction: ${(err as Error).message}`);
    }
    let answered: string;
    try {
      answered = await rpc<string>('sendrawtransaction', [hex]);
    } catch (err) {
      if (err instanceof RegtestRpcError) throw new BroadcastError(txid, err.rpcMessage, err.code);
      throw err;
    }
    if (answered !== txid) throw new BroadcastError(txid, `node answered txid ${String(answered)}`);
    // bcoin's stock sendrawtransaction verifies in the background (the child replaces it, but the
    // check must not depend on that): poll briefly. An accepted transaction is found at once.
    let lastError = '';
    for (let wait = 25; wait <= 1600; wait *= 2) {
      try {
        await rpc('getmempoolentry', [txid]);
        lastError = '';
        break;
      } catch (err) {
        if (!(err instanceof RegtestRpcError)) throw err;
        lastError = err.rpcMessage;
        await sleep(wait);
      }
    }
    if (lastError !== '') {
      throw new BroadcastError(txid, `not in the node's mempool after sendrawtransaction (${lastError})`);
    }
    const held = await rpc<string>('getrawtransaction', [txid]);
    if (held.toLowerCase() !== hex.toLowerCase()) {
      throw new BroadcastError(
        txid,
        'the mempool holds a different transaction with this txid (witness differs)',
      );
    }
    return txid;
  };

  return {
    kind,
    rpcUrl: `http://127.0.0.1:${endpoint.port}/`,
    rpcAuth: { username: endpoint.username, password: endpoint.password },
    rpc,
    mineTo,
    async ensureSegwit(address: string): Promise<number> {
      const height = await rpc<number>('getblockcount');
      const target = SEGWIT_READY_HEIGHT[kind];
      if (height < target) await mineTo(address, target - height);
      return rpc<number>('getblockcount');
    },
    broadcast,
    stop(): Promise<void> {
      stopping ??= (async () => {
        try {
          if (!exited(child)) {
            await m.requestStop().catch(() => undefined);
            if (!(await waitForExit(child, STOP_GRACE_MS))) {
              child.kill('SIGKILL');
              await waitForExit(child, 5_000);
            }
          }
        } finally {
          process.removeListener('exit', onExit);
          rmSync(tempDir, { recursive: true, force: true });
        }
      })();
      return stopping;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// bcoin in a child process

// The child's program, run by `node -e` with an IPC channel. It is plain CommonJS (bcoin is),
// kept as text so that no build step or test transform touches it. argv[1] is bcoin's package.json.
const BCOIN_CHILD = String.raw`
'use strict';
const { createRequire } = require('node:module');
const bcoinRequire = createRequire(process.argv[1]);
// Bitcoin Core's regtest prefixes (bcoin 1.0 uses 'rb1…' addresses); set before any Network exists.
Object.assign(bcoinRequire('./lib/protocol/networks.js').regtest.addressPrefix, {
  pubkeyhash: 0x6f, scripthash: 0xc4, witnesspubkeyhash: 0x03, witnessscripthash: 0x28, bech32: 'bcrt',
});
const FullNode = bcoinRequire('./lib/node/fullnode.js');
const TX = bcoinRequire('./lib/primitives/tx.js');
const MempoolEntry = bcoinRequire('./lib/mempool/mempoolentry.js');
const policy = bcoinRequire('./lib/protocol/policy.js');
const { RPCError } = createRequire(bcoinRequire.resolve('./lib/node/rpc.js'))('bweb');

let node = null;
let closing = null;
function close() {
  closing = closing || (node && node.opened ? node.close() : Promise.resolve());
  return closing.catch((err) => console.error('close failed:', err));
}
function report(err) {
  return String((err && err.stack) || err);
}

// ---- BIP-125 replace-by-fee, as Bitcoin Core does it ----
// bcoin 1.0.2's mempool has no replacement at all: it refuses any transaction that spends an
// input a mempool transaction already spends ("bad-txns-inputs-spent"). Bitcoin Core, which
// production runs, replaces a transaction that signals BIP-125 when the new one pays enough, and
// kura's fee bumps (kura batch bump) exist for exactly that. So that the tests see Core's verdict
// on bcoin too, a transaction that conflicts with the mempool is judged here by Core's
// replacement rules (policy/rbf.cpp, validation.cpp PreChecks and ReplacementChecks, before full
// RBF became Core 28's default), with Core's reasons and messages. Only then are the conflicts
// and their descendants evicted and the replacement handed to bcoin's own mempool code, which
// keeps every other check (scripts, standardness, fees, limits); if bcoin refuses it, the evicted
// transactions are put back, so a refused replacement changes nothing.

/** Core's MAX_REPLACEMENT_CANDIDATES: at most this many transactions evicted by one replacement. */
const MAX_REPLACEMENT_CANDIDATES = 100;
/** Core's default -incrementalrelayfee, in sats per 1000 vB (1 sat/vB). */
const INCREMENTAL_RELAY_FEE_PER_KVB = 1000;

function rejected(reason, debug) {
  // Core's TxValidationState::ToString(), answered as RPC_TRANSACTION_REJECTED (-26).
  return new RPCError(-26, debug === undefined ? reason : reason + ', ' + debug);
}

// Core's FormatMoney: BTC with 8 decimals, trailing zeros trimmed down to two decimals.
function formatMoney(sat) {
  const text = Math.floor(sat / 1e8) + '.' + String(sat % 1e8).padStart(8, '0');
  return text.replace(/(\.\d\d\d*?)0+$/, '$1');
}

// Core's CFeeRate::ToString: sats per 1000 vB (truncated, as CFeeRate(fee, size)) in BTC/kvB.
function formatFeeRate(satPerKvB) {
  return Math.floor(satPerKvB / 1e8) + '.' + String(satPerKvB % 1e8).padStart(8, '0') + ' BTC/kvB';
}

// Core's SignalsOptInRBF: an input with nSequence below 0xfffffffe. Only explicit signalling
// counts: BIP-125 also lets a transaction inherit the signal from an unconfirmed ancestor, but
// Core's mempool never implemented that (CVE-2021-31876), so neither does this. bcoin's own
// TX.isRBF() is not used: it answers false for every version-2 transaction.
function signalsReplaceability(tx) {
  return tx.inputs.some((input) => input.isRBF());
}

// The mempool entries spending an input of tx, each once.
function directConflicts(mempool, tx) {
  const found = new Map();
  for (const { prevout } of tx.inputs) {
    const spender = mempool.getSpent(prevout.hash, prevout.index);
    if (spender) found.set(spender.hash('hex'), spender);
  }
  return [...found.values()];
}

// The conflicts and all their descendants, each once, parents before children.
function replacedEntries(mempool, conflicts) {
  const all = new Map();
  for (const conflict of conflicts) {
    all.set(conflict.hash('hex'), conflict);
    for (const descendant of mempool.getDescendants(conflict)) all.set(descendant.hash('hex'), descendant);
  }
  const ordered = [];
  const placed = new Set();
  const place = (entry) => {
    const hash = entry.hash('hex');
    if (placed.has(hash)) return;
    placed.add(hash);
    for (const { prevout } of entry.tx.inputs) {
      const parent = all.get(prevout.hash);
      if (parent) place(parent);
    }
    ordered.push(entry);
  };
  for (const entry of all.values()) place(entry);
  return ordered;
}

// Core's replacement checks, in Core's order. Returns the entries to evict; throws Core's refusal.
async function checkReplacement(mempool, tx, conflicts) {
  const txid = tx.txid();
  for (const conflict of conflicts) {
    if (!signalsReplaceability(conflict.tx)) throw rejected('txn-mempool-conflict');
  }
  const view = await mempool.getCoinView(tx);
  if (!tx.hasCoins(view)) throw new RPCError(-25, 'bad-txns-inputs-missingorspent');
  const entry = MempoolEntry.fromTX(tx, view, node.chain.height);

  const conflictHashes = new Set(conflicts.map((c) => c.hash('hex')));
  for (const ancestor of mempool.getAncestors(entry)) {
    if (conflictHashes.has(ancestor.hash('hex'))) {
      const debug = txid + ' spends conflicting transaction ' + ancestor.txid();
      throw rejected('bad-txns-spends-conflicting-tx', debug);
    }
  }
  // Rule 6: a higher fee rate than every transaction it directly replaces.
  const newRate = policy.getRate(entry.size, entry.deltaFee);
  for (const conflict of conflicts) {
    const oldRate = policy.getRate(conflict.size, conflict.deltaFee);
    if (newRate <= oldRate) {
      throw rejected(
        'insufficient fee',
        'rejecting replacement ' + txid + '; new feerate ' + formatFeeRate(newRate) +
          ' <= old feerate ' + formatFeeRate(oldRate),
      );
    }
  }
  // Rule 5: a bounded number of evictions.
  const evicted = replacedEntries(mempool, conflicts);
  if (evicted.length > MAX_REPLACEMENT_CANDIDATES) {
    throw rejected(
      'too many potential replacements',
      'rejecting replacement ' + txid + '; too many potential replacements (' + evicted.length +
        ' > ' + MAX_REPLACEMENT_CANDIDATES + ')',
    );
  }
  // Rule 2: no unconfirmed input that the replaced transactions did not already spend.
  const parentsOfConflicts = new Set();
  for (const conflict of conflicts) {
    for (const { prevout } of conflict.tx.inputs) parentsOfConflicts.add(prevout.hash);
  }
  tx.inputs.forEach(({ prevout }, index) => {
    if (!parentsOfConflicts.has(prevout.hash) && mempool.hasEntry(prevout.hash)) {
      const debug = 'replacement ' + txid + ' adds unconfirmed input, idx ' + index;
      throw rejected('replacement-adds-unconfirmed', debug);
    }
  });
  // Rules 3 and 4: at least the fees of everything evicted, plus its own relay at the increment.
  const originalFees = evicted.reduce((sum, e) => sum + e.deltaFee, 0);
  if (entry.deltaFee < originalFees) {
    throw rejected(
      'insufficient fee',
      'rejecting replacement ' + txid + ', less fees than conflicting txs; ' + formatMoney(entry.deltaFee) +
        ' < ' + formatMoney(originalFees),
    );
  }
  const additionalFees = entry.deltaFee - originalFees;
  const relayFee = Math.ceil((INCREMENTAL_RELAY_FEE_PER_KVB * entry.size) / 1000);
  if (additionalFees < relayFee) {
    throw rejected(
      'insufficient fee',
      'rejecting replacement ' + txid + ', not enough additional fees to relay; ' +
        formatMoney(additionalFees) + ' < ' + formatMoney(relayFee),
    );
  }
  return evicted;
}

// mempool.addTX, with BIP-125 replacement of conflicting mempool transactions. Holds the mempool's
// lock (the chain's, as addTX does) from the checks to the end, so nothing changes in between.
async function addWithReplacement(tx) {
  const mempool = node.mempool;
  const hash = tx.hash('hex');
  const unlock = await mempool.locker.lock(hash);
  try {
    const conflicts = mempool.hasEntry(hash) ? [] : directConflicts(mempool, tx);
    if (conflicts.length === 0) return await mempool._addTX(tx);
    const evicted = await checkReplacement(mempool, tx, conflicts);
    // Children first, so that each eviction removes a leaf and keeps bcoin's ancestor sums right.
    for (const entry of [...evicted].reverse()) mempool.evictEntry(entry);
    let missing;
    try {
      missing = await mempool._addTX(tx);
      if (missing) {
        mempool.removeOrphan(hash);
        throw new RPCError(-25, 'bad-txns-inputs-missingorspent');
      }
    } catch (err) {
      for (const entry of evicted) {
        try {
          await mempool._addTX(entry.tx);
        } catch (restoreErr) {
          const why = restoreErr && restoreErr.message;
          console.error('could not restore ' + entry.txid() + ' after a refused replacement: ' + why);
        }
      }
      throw err;
    }
    mempool.logger.info('Replaced %d transaction(s) by %s (BIP-125).', evicted.length, tx.txid());
    return null;
  } finally {
    unlock();
  }
}

// bcoin's own sendrawtransaction relays in the background and answers the txid even when the
// mempool refuses the transaction. This one waits for the mempool's verdict (replacing
// conflicting mempool transactions by BIP-125, above) and answers with Bitcoin Core's error
// codes: -22 undecodable, -25 missing inputs, -26 rejected, -27 confirmed.
async function sendRawTransaction(args, help) {
  if (help || args.length < 1 || args.length > 2) {
    throw new RPCError(-1, 'sendrawtransaction "hexstring" ( maxfeerate )');
  }
  let tx;
  try {
    if (typeof args[0] !== 'string' || !/^(?:[0-9a-fA-F]{2})+$/.test(args[0])) throw new Error('hex');
    tx = TX.fromRaw(Buffer.from(args[0], 'hex'));
  } catch (err) {
    throw new RPCError(-22, 'TX decode failed');
  }
  const hash = tx.hash('hex');
  let missing;
  try {
    missing = await addWithReplacement(tx);
  } catch (err) {
    if (!err || err.type !== 'VerifyError') throw err;
    if (err.reason === 'txn-already-in-mempool' && node.mempool.hasEntry(hash)) return tx.txid();
    if (err.reason === 'txn-already-known') throw new RPCError(-27, 'Transaction already in block chain');
    throw new RPCError(-26, err.reason + ' (' + err.code + ')');
  }
  if (missing) {
    node.mempool.removeOrphan(hash);
    throw new RPCError(-25, 'bad-txns-inputs-missingorspent');
  }
  return tx.txid();
}

// bcoin's invalidateblock rewinds the chain but leaves the mempool pointing at the old tip, so
// the next generatetoaddress fails ("Mempool/chain tip mismatch"). Bitcoin Core instead returns
// the disconnected blocks' transactions to the mempool; this does the same.
async function invalidateBlock(args, help) {
  const disconnected = [];
  if (!help && args.length === 1 && typeof args[0] === 'string' && /^[0-9a-fA-F]{64}$/.test(args[0])) {
    const target = await node.chain.getEntry(Buffer.from(args[0], 'hex').reverse().toString('hex'));
    if (target && (await node.chain.isMainChain(target))) {
      for (let e = node.chain.tip; e && e.height >= target.height; e = await node.chain.getPrevious(e)) {
        const block = await node.chain.getBlock(e.hash);
        disconnected.unshift(block.txs.slice(1));
      }
    }
  }
  const result = await node.rpc.invalidateBlock(args, help);
  await node.mempool._reset();
  for (const tx of disconnected.flat()) {
    try {
      await node.mempool.addTX(tx);
    } catch (err) {
      // Core drops a transaction that no longer fits the chain; so does this.
    }
  }
  return result;
}

async function start(apiKey, prefix, logLevel) {
  node = new FullNode({
    network: 'regtest',
    memory: true,
    prefix,
    workers: false,
    listen: false,
    host: '127.0.0.1',
    httpHost: '127.0.0.1',
    httpPort: 0,
    apiKey,
    indexTX: true,
    requireStandard: true,
    // bcoin otherwise refuses a version-1 transaction that signals BIP-125 as non-standard; Core
    // takes it (replacement itself is emulated in addWithReplacement).
    replaceByFee: true,
    logLevel,
    logConsole: true,
  });
  node.on('error', (err) => console.error('node error:', err && err.message));
  node.rpc.calls.sendrawtransaction = sendRawTransaction;
  node.rpc.calls.invalidateblock = invalidateBlock;
  await node.ensure();
  await node.open();
  return node.http.address().port;
}

process.on('message', (msg) => {
  if (msg && msg.type === 'start') {
    start(msg.apiKey, msg.prefix, msg.logLevel).then(
      (port) => process.send({ type: 'ready', port }),
      (err) => process.send({ type: 'failed', error: report(err) }, () => process.exit(1)),
    );
  } else if (msg && msg.type === 'stop') {
    close().then(() => process.exit(0));
  }
});
// The test process went away without stopping us.
process.on('disconnect', () => close().then(() => process.exit(0)));
process.send({ type: 'loaded' });
`;

type ChildMessage = { type: 'loaded' } | { type: 'ready'; port: number } | { type: 'failed'; error: string };

async function startBcoin(): Promise<RegtestNode> {
  const bcoinPackageJson = createRequire(import.meta.url).resolve('bcoin/package.json');
  const tempDir = mkdtempSync(join(tmpdir(), 'kura-bcoin-'));
  const apiKey = randomBytes(32).toString('hex');
  const tail = new OutputTail();
  const child = spawn(process.execPath, ['-e', BCOIN_CHILD, bcoinPackageJson], {
    cwd: dirname(bcoinPackageJson),
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  child.stdout?.on('data', (chunk: Buffer) => tail.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`bcoin did not start within ${START_TIMEOUT_MS} ms:\n${tail}`)),
        START_TIMEOUT_MS,
      );
      const done = () => {
        clearTimeout(timer);
        child.removeAllListeners('message');
        child.removeListener('exit', onEarlyExit);
      };
      const onEarlyExit = (code: number | null, signal: string | null) => {
        done();
        reject(new Error(`bcoin exited during start-up (${signal ?? code}):\n${tail}`));
      };
      child.on('exit', onEarlyExit);
      child.on('error', (err) => {
        done();
        reject(err);
      });
      child.on('message', (msg: ChildMessage) => {
        if (msg.type === 'loaded') {
          child.send({
            type: 'start',
            apiKey,
            prefix: tempDir,
            logLevel: process.env.KURA_REGTEST_LOG ?? 'warning',
          });
        } else if (msg.type === 'ready') {
          done();
          resolve(msg.port);
        } else {
          done();
          reject(new Error(`bcoin failed to start: ${msg.error}\n${tail}`));
        }
      });
    });
    // A forgotten stop() must not keep the test process alive; 'disconnect' ends the child.
    child.unref();
    child.channel?.unref();
    for (const stream of [child.stdout, child.stderr])
      (stream as unknown as { unref?: () => void }).unref?.();
    return makeNode({
      kind: 'bcoin',
      endpoint: { port, username: 'kura', password: apiKey },
      child,
      tempDir,
      tail,
      requestStop: async () => {
        if (child.connected) child.send({ type: 'stop' });
        else child.kill('SIGTERM');
      },
    });
  } catch (err) {
    if (!exited(child)) child.kill('SIGKILL');
    rmSync(tempDir, { recursive: true, force: true });
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Bitcoin Core

/** Free TCP ports on 127.0.0.1 (the OS picks them; another process could still take one). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP port');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

async function startBitcoind(binary: string): Promise<RegtestNode> {
  const tempDir = mkdtempSync(join(tmpdir(), 'kura-bitcoind-'));
  const [rpcPort, p2pPort] = await freePorts(2);
  if (rpcPort === undefined || p2pPort === undefined) throw new Error('no free ports');
  const endpoint: RpcEndpoint = {
    port: rpcPort,
    username: `kura-${randomBytes(4).toString('hex')}`,
    password: randomBytes(32).toString('hex'),
  };
  // Credentials live only in the data directory's config file, never on the command line.
  writeFileSync(
    join(tempDir, 'bitcoin.conf'),
    `# written by kura's test/helpers/regtest.ts\nrpcuser=${endpoint.username}\nrpcpassword=${endpoint.password}\n`,
    { mode: 0o600 },
  );
  const args = [
    '-regtest',
    `-datadir=${tempDir}`,
    `-rpcport=${rpcPort}`,
    `-port=${p2pPort}`,
    `-bind=127.0.0.1:${p2pPort}`,
    '-rpcbind=127.0.0.1',
    '-rpcallowip=127.0.0.1',
    '-connect=0',
    '-dnsseed=0',
    '-fixedseeds=0',
    '-listenonion=0',
    '-fallbackfee=0.0002',
    '-txindex=1',
    '-server=1',
  ];
  const tail = new OutputTail();
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => tail.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
  let spawnError: Error | undefined;
  child.on('error', (err) => (spawnError = err));
  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (spawnError !== undefined) throw new Error(`cannot run ${binary}: ${spawnError.message}`);
      if (exited(child)) {
        throw new Error(`bitcoind exited during start-up (${child.signalCode ?? child.exitCode}):\n${tail}`);
      }
      try {
        await callRpc(endpoint, 'getblockchaininfo', []);
        break;
      } catch (err) {
        // Not listening yet, or listening and still warming up (-28): wait. Anything else is fatal.
        const starting =
          (err instanceof RpcTransportError && err.errno !== undefined) ||
          (err instanceof RegtestRpcError && err.code === -28);
        if (!starting) throw err;
      }
      if (Date.now() > deadline)
        throw new Error(`bitcoind did not answer within ${START_TIMEOUT_MS} ms:\n${tail}`);
      await sleep(100);
    }
    child.unref();
    for (const stream of [child.stdout, child.stderr])
      (stream as unknown as { unref?: () => void }).unref?.();
    return makeNode({
      kind: 'bitcoind',
      endpoint,
      child,
      tempDir,
      tail,
      requestStop: async () => {
        try {
          await callRpc(endpoint, 'stop', []);
        } catch {
          child.kill('SIGTERM');
        }
      },
    });
  } catch (err) {
    if (!exited(child)) child.kill('SIGKILL');
    await waitForExit(child, 5_000);
    rmSync(tempDir, { recursive: true, force: true });
    throw err;
  }
}
