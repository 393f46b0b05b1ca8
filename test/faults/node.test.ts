// The node misbehaving. A fault-injecting proxy (./nodeProxy.ts) sits between the coordinator and
// the real regtest node: the node down at start, going away mid-sync, not answering (timeouts),
// answering HTTP errors, garbage or replies for another request id, and answering slowly. For
// `kura coordinator sync`, for the serve background sync (startCoinSync, whose state GET
// /v1/health shows) and for `kura coordinator status`: the right NODE_* code, retries with
// backoff where another attempt can help (counted at the proxy), no change to the coin state
// when a sync fails, and a later sync with the node healthy resumes where the failed one stopped
// and ends equal to a fresh sync from scratch. docs/faults.md.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Block, Transaction } from 'bitcoinjs-lib';
import { walletFileFor } from '../../src/artifacts/walletFile.js';
import { RECEIVE } from '../../src/bitcoin/descriptor.js';
import type { RetryEvent } from '../../src/chain/jsonRpc.js';
import { RpcClient } from '../../src/chain/rpcClient.js';
import { openCoordinatorHome, type CoordinatorHome } from '../../src/coordinator/home.js';
import { startCoordinatorServer } from '../../src/coordinator/http/index.js';
import { nodeAuth, nodeClientFor } from '../../src/coordinator/node.js';
import type { Outpoint } from '../../src/coordinator/store/index.js';
import { syncCoordinator, type SyncOptions } from '../../src/coordinator/sync.js';
import { startCoinSync } from '../../src/coordinator/syncService.js';
import { createToken } from '../../src/coordinator/tokens.js';
import { isKuraError } from '../../src/errors.js';
import { errorCode, kura, tempDir, writeTemp } from '../helpers/cli.js';
import { initCoordinatorHomeViaCli } from '../helpers/coordinatorHome.js';
import { COIN, startRegtestNode, type RegtestNode } from '../helpers/regtest.js';
import { testPolicy } from '../helpers/scenario.js';
import { clientFor, demoWallet, deriver, miner, spendMinerCoinbase } from '../chain/fixtures.js';
import { startFaultProxy, type FaultProxy, type ProxyMode } from './nodeProxy.js';

/** Short client settings for in-process syncs: the CLI keeps its defaults (5 retries from 250 ms). */
const QUICK = { retries: 3, backoffMs: 20, timeoutMs: 400 };

let node: RegtestNode;
let direct: RpcClient;
let proxy: FaultProxy;
let dir: string;
let walletPath: string;
let policyPath: string;
let passwordFile: string;
let birthday = 0;
/** Every output paying the wallet that the chain (or mempool) holds: what a store must know. */
const tracked: Outpoint[] = [];
const figures = { cases: 0, faults: 0, retries: 0, rowsChecked: 0 };

function initHome(name: string, rpcUrl: string): Promise<string> {
  return initCoordinatorHomeViaCli({
    home: join(dir, name),
    walletPath,
    policyPath,
    rpcUrl,
    rpcUser: node.rpcAuth.username,
    passwordFile,
    birthdayHeight: birthday,
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

/** A client of the home's own config aimed at the proxy, with QUICK settings and recorded retries. */
function proxyClient(home: CoordinatorHome, retries: RetryEvent[] = []): RpcClient {
  return new RpcClient({
    url: proxy.url,
    auth: nodeAuth(home.config),
    ...QUICK,
    // A fixed jitter, so each wait is exactly 3/4 of its backoff step.
    random: () => 0.5,
    onRetry: (e) => void retries.push(e),
  });
}

async function syncVia(home: string, client: (h: CoordinatorHome) => RpcClient, options: SyncOptions = {}) {
  const opened = openCoordinatorHome(home);
  const rpc = client(opened);
  try {
    return await syncCoordinator(opened, rpc, options);
  } finally {
    rpc.close();
    opened.close();
  }
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the sync to fail');
    },
    (error: unknown) => error,
  );

/** What two stores synced to the same chain must agree on (the audit log is each home's own). */
function coinState(home: string) {
  return withHome(home, ({ store }) => {
    figures.rowsChecked += tracked.length;
    return {
      tip: store.tipBlock() ?? null,
      balance: store.balance(),
      coins: tracked.map((o) => store.coin(o) ?? null).map((c) => (c === null ? null : { ...c })),
      receive: store.branchSummary(RECEIVE).lastUsed,
    };
  });
}

/** The coin state and the audit head: a failed sync must change neither. */
function fullState(home: string) {
  return { ...coinState(home), audit: withHome(home, ({ store }) => store.auditHead()?.hash ?? null) };
}

async function coinbaseAt(height: number): Promise<Transaction> {
  const block = Block.fromBuffer(await direct.getBlock(await direct.getBlockHash(height)));
  const coinbase = block.transactions?.[0];
  if (coinbase === undefined) throw new Error(`no coinbase at ${height}`);
  return coinbase;
}

beforeAll(async () => {
  node = await startRegtestNode();
  direct = clientFor(node);
  proxy = await startFaultProxy(node.rpcUrl);
  dir = tempDir('kura-node-faults-');
  const file = walletFileFor('treasury', demoWallet);
  walletPath = writeTemp(dir, 'treasury.wallet.json', `${JSON.stringify(file, null, 2)}\n`);
  policyPath = writeTemp(dir, 'policy.json', `${JSON.stringify(testPolicy(file.walletId), null, 2)}\n`);
  passwordFile = writeTemp(dir, 'rpc-password', `${node.rpcAuth.password}\n`);
  birthday = (await node.ensureSegwit(miner.address)) + 1;
  // After the birthday: coinbases to receive 0 and 1, payments from the miner to receive 2 and 3
  // in blocks, and one to receive 4 left in the mempool; about twenty blocks in all.
  for (const [i, index] of [0, 1].entries()) {
    const [hash] = await node.mineTo(deriver.derive(RECEIVE, index).address, 1);
    const coinbase = Block.fromBuffer(await direct.getBlock(hash as string)).transactions?.[0];
    tracked.push({ txid: coinbase?.getId() as string, vout: 0 });
    await node.mineTo(miner.address, 3 + i);
  }
  for (const [i, index] of [2, 3, 4].entries()) {
    const pay = spendMinerCoinbase(await coinbaseAt(1 + i), [
      { script: deriver.derive(RECEIVE, index).scriptPubKey, value: COIN },
      { script: miner.script, value: 50n * COIN - COIN - 10_000n },
    ]);
    tracked.push({ txid: await node.broadcast(pay.toHex()), vout: 0 });
    if (index < 4) await node.mineTo(miner.address, 4);
  }
}, 180_000);

afterAll(async () => {
  await proxy?.close();
  direct?.close();
  await node?.stop();
}, 60_000);

describe('kura coordinator sync with the node misbehaving', () => {
  it('the node down at start: NODE_UNREACHABLE after 5 retries with backoff, nothing changed', async () => {
    const home = await initHome('cli-down', proxy.url);
    const before = fullState(home);
    proxy.resetCounts();
    proxy.rule = () => 'down';
    const run = await kura(['coordinator', 'sync', '--home', home, '--json']);
    figures.cases++;
    figures.faults++;
    expect(run.code).toBe(10);
    expect(errorCode(run)).toBe('NODE_UNREACHABLE');
    // The first attempt reached the proxy (which then went down); the 5 retries were refused.
    expect(run.json<{ error: { details: { attempts: number } } }>().error.details.attempts).toBe(6);
    expect(proxy.count()).toBe(1);
    expect(fullState(home)).toEqual(before);

    const status = await kura(['coordinator', 'status', '--home', home, '--json']);
    expect(status.code).toBe(0);
    expect(status.json<{ node: unknown }>().node).toMatchObject({
      status: 'error',
      code: 'NODE_UNREACHABLE',
    });
    const human = await kura(['coordinator', 'status', '--home', home]);
    expect(human.stdout).toMatch(/node state +ERROR NODE_UNREACHABLE: /);
    await proxy.up();
    proxy.rule = () => 'pass';
  });

  it.each<{ mode: ProxyMode; code: string; retried: boolean }>([
    { mode: 'reset', code: 'NODE_UNREACHABLE', retried: true },
    { mode: 'hang', code: 'NODE_TIMEOUT', retried: true },
    { mode: 'error500', code: 'NODE_BAD_RESPONSE', retried: true },
    { mode: 'garbage', code: 'NODE_BAD_RESPONSE', retried: false },
    { mode: 'wrongId', code: 'NODE_BAD_RESPONSE', retried: false },
  ])(
    '$mode: $code, retried with backoff: $retried; the coin state unchanged',
    async ({ mode, code, retried }) => {
      // A home synced half way first, so there is coin state to keep.
      const home = await initHome(`mode-${mode}`, proxy.url);
      await syncVia(home, (h) => nodeClientFor(h, QUICK), { maxBlocks: 8 });
      const before = fullState(home);
      expect(before.tip?.height).toBe(birthday + 7);

      proxy.resetCounts();
      proxy.rule = () => mode;
      const retries: RetryEvent[] = [];
      const error = await failure(syncVia(home, (h) => proxyClient(h, retries)));
      figures.cases++;
      figures.faults += proxy.count();
      expect(isKuraError(error), String(error)).toBe(true);
      expect((error as { code: string }).code).toBe(code);
      const attempts = retried ? 1 + QUICK.retries : 1;
      expect(proxy.count('getblockchaininfo')).toBe(attempts);
      expect(proxy.count()).toBe(attempts);
      expect(retries).toHaveLength(attempts - 1);
      // Exponential backoff: each wait is twice the one before (3/4 of 20, 40, 80 ms).
      expect(retries.map((r) => r.delayMs)).toEqual([15, 30, 60].slice(0, attempts - 1));
      figures.retries += retries.length;
      expect(fullState(home)).toEqual(before);
      proxy.rule = () => 'pass';
    },
  );

  it('slow answers are waited for: the sync completes', async () => {
    const home = await initHome('slow', proxy.url);
    proxy.resetCounts();
    proxy.rule = () => 'slow';
    const report = await syncVia(home, (h) => proxyClient(h));
    figures.cases++;
    expect(report.complete).toBe(true);
    expect(proxy.calls.every((c) => c.mode === 'slow')).toBe(true);
    proxy.rule = () => 'pass';
  });

  it('going away mid-sync leaves a consistent store; the next sync resumes there and ends as a fresh one', async () => {
    const home = await initHome('cli-midway', proxy.url);
    const tip = await direct.getBlockCount();
    const hashes = new Map<string, number>();
    for (let h = birthday; h <= tip; h++) hashes.set(await direct.getBlockHash(h), h);

    // The node answers the first 9 blocks, then every answer is garbage (not retried: immediate).
    proxy.resetCounts();
    proxy.rule = (call) => (call.method === 'getblock' && call.nth >= 9 ? 'garbage' : 'pass');
    const failed = await kura(['coordinator', 'sync', '--home', home, '--json']);
    figures.cases++;
    figures.faults++;
    expect(failed.code).toBe(10);
    expect(errorCode(failed)).toBe('NODE_BAD_RESPONSE');
    const stoppedAt = coinState(home).tip?.height as number;
    expect(stoppedAt).toBeGreaterThanOrEqual(birthday);
    expect(stoppedAt).toBeLessThan(tip);

    // What it stored is exactly what a sync that stopped at the same block stores.
    const reference = await initHome('reference-partial', node.rpcUrl);
    await syncVia(reference, (h) => nodeClientFor(h, QUICK), { maxBlocks: stoppedAt - birthday + 1 });
    expect(coinState(home)).toEqual(coinState(reference));

    // Healthy again: the sync fetches only the blocks it has not stored, each once.
    proxy.resetCounts();
    proxy.rule = () => 'pass';
    const resumed = await kura(['coordinator', 'sync', '--home', home, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json<{ complete: boolean }>().complete).toBe(true);
    const fetched = proxy.calls
      .filter((c) => c.method === 'getblock')
      .map((c) => hashes.get(String(c.params[0])));
    expect(fetched).toEqual(Array.from({ length: tip - stoppedAt }, (_, i) => stoppedAt + 1 + i));

    const fresh = await initHome('reference-fresh', node.rpcUrl);
    await syncVia(fresh, (h) => nodeClientFor(h, QUICK));
    expect(coinState(home)).toEqual(coinState(fresh));
    // Every tracked payment is known, the one in the mempool unconfirmed.
    const coins = coinState(home).coins;
    expect(coins.every((c) => c !== null)).toBe(true);
    expect(coins.filter((c) => c?.height === null)).toHaveLength(1);
  });
});

describe('the serve background sync and GET /v1/health', () => {
  it('shows the node error of the last round, keeps the coins, and recovers', async () => {
    const homeDir = await initHome('serve', proxy.url);
    const home = openCoordinatorHome(homeDir);
    const token = createToken(home.store, 'operator', 'node faults').token;
    const client = proxyClient(home);
    let clock = 1_800_000_000;
    const coins = startCoinSync(home, () => clock, client);
    const api = await startCoordinatorServer({
      home,
      listen: { host: '127.0.0.1', port: 0 },
      health: () => coins.health(),
      log: () => {},
    });
    const health = async () => {
      const res = await fetch(`${api.url}/v1/health`, { headers: { Authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { node: Record<string, unknown> }).node;
    };
    try {
      expect(await health()).toMatchObject({ status: 'starting', error: null });
      // A first round that gets half way, so a failure has something to keep.
      proxy.rule = (call) => (call.method === 'getblock' && call.nth >= 6 ? 'reset' : 'pass');
      proxy.resetCounts();
      const midway = await failure(coins.run());
      expect(isKuraError(midway, 'NODE_UNREACHABLE')).toBe(true);
      const kept = fullState(homeDir);
      expect(kept.tip?.height).toBeGreaterThanOrEqual(birthday);
      expect(await health()).toMatchObject({
        status: 'error',
        storeTip: kept.tip?.height,
        error: { code: 'NODE_UNREACHABLE' },
      });

      for (const [mode, code] of [
        ['down', 'NODE_UNREACHABLE'],
        ['hang', 'NODE_TIMEOUT'],
        ['error500', 'NODE_BAD_RESPONSE'],
        ['wrongId', 'NODE_BAD_RESPONSE'],
      ] as const) {
        proxy.rule = () => mode;
        proxy.resetCounts();
        clock += 5;
        const error = await failure(coins.run());
        figures.cases++;
        figures.faults += proxy.count();
        expect((error as { code?: string }).code, mode).toBe(code);
        expect(await health()).toMatchObject({ status: 'error', lastAttemptAt: clock, error: { code } });
        expect(fullState(homeDir)).toEqual(kept);
        await proxy.up();
      }

      proxy.rule = () => 'pass';
      proxy.resetCounts();
      clock += 5;
      const report = await coins.run();
      expect(report.complete).toBe(true);
      const nodeTip = await direct.getBlockCount();
      expect(await health()).toMatchObject({
        status: 'ok',
        lastSuccessAt: clock,
        nodeTip,
        storeTip: nodeTip,
        complete: true,
        error: null,
      });
      // It resumed: no block at or below the kept tip was fetched again.
      expect(proxy.count('getblock')).toBe(nodeTip - (kept.tip?.height as number));
      const fresh = await initHome('serve-reference', node.rpcUrl);
      await syncVia(fresh, (h) => nodeClientFor(h, QUICK));
      expect(coinState(homeDir)).toEqual(coinState(fresh));
    } finally {
      await api.close();
      coins.close();
      client.close();
      home.close();
    }
  });
});

describe('kura coordinator status reports the node', () => {
  it('answers when the node does not, with the node error; and says how far behind the store is', async () => {
    const home = await initHome('status', proxy.url);
    for (const [mode, code] of [
      ['garbage', 'NODE_BAD_RESPONSE'],
      ['down', 'NODE_UNREACHABLE'],
    ] as const) {
      proxy.rule = () => mode;
      proxy.resetCounts();
      const run = await kura(['coordinator', 'status', '--home', home, '--json']);
      figures.cases++;
      expect(run.code, run.stderr).toBe(0);
      expect(run.json<{ node: unknown; audit: { entries: number } }>()).toMatchObject({
        node: { status: 'error', code },
        audit: { entries: 1 },
      });
      // One quick question, no retries: status never waits for backoff.
      expect(proxy.count()).toBe(1);
      await proxy.up();
    }
    proxy.rule = () => 'pass';
    const nodeTip = await direct.getBlockCount();
    const behind = await kura(['coordinator', 'status', '--home', home, '--json']);
    expect(behind.json<{ node: unknown }>().node).toEqual({
      status: 'ok',
      chain: 'regtest',
      blocks: nodeTip,
      behindBlocks: nodeTip - birthday + 1,
    });
    await syncVia(home, (h) => nodeClientFor(h, QUICK));
    const human = await kura(['coordinator', 'status', '--home', home]);
    expect(human.stdout).toContain(
      `node state     answers: regtest, tip at block ${nodeTip}; the store is in step`,
    );
    console.info(
      `node faults: ${figures.cases} cases, ${figures.faults} faulty answers injected, ` +
        `${figures.retries} client retries checked for backoff, ${figures.rowsChecked} coin rows compared`,
    );
  });
});
