// The whole withdrawal lifecycle, end to end on a real regtest node (bcoin, or Bitcoin Core with
// KURA_BITCOIND): the wallet is funded by mining and by a payment whose block a reorg removes;
// withdrawals arrive over the HTTP API (idempotent, one refused by the policy), officers approve
// over HTTP, the batch PSBT is downloaded, two signers sign it offline with `kura signer sign`,
// the signed files go back over HTTP, the coordinator finalizes and broadcasts, the node mines it,
// and the coordinator's coins and balance agree with the node's own view.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Block, Transaction } from 'bitcoinjs-lib';
import { bytesToHex } from '@noble/hashes/utils.js';
import { approvalFileText, signApproval } from '../../src/approvals/approval.js';
import { parseRequest } from '../../src/approvals/request.js';
import { WalletDeriver } from '../../src/bitcoin/addresses.js';
import { broadcastBatch, buildBatches } from '../../src/coordinator/batch/index.js';
import {
  initCoordinatorHome,
  openCoordinatorHome,
  type CoordinatorHome,
} from '../../src/coordinator/home.js';
import { startCoordinatorServer } from '../../src/coordinator/http/index.js';
import { nodeClientFor } from '../../src/coordinator/node.js';
import { syncCoordinator } from '../../src/coordinator/sync.js';
import { createToken } from '../../src/coordinator/tokens.js';
import type { TokenRole } from '../../src/coordinator/store/index.js';
import type { RpcClient } from '../../src/chain/rpcClient.js';
import { tempDir } from '../helpers/cli.js';
import { COIN, startRegtestNode, type RegtestNode } from '../helpers/regtest.js';
import { OFFICERS, setUpScenario, signOk, testDestination, type Scenario } from '../helpers/scenario.js';
import { miner, spendMinerCoinbase } from '../chain/fixtures.js';

let node: RegtestNode;
let scenario: Scenario;
let home: CoordinatorHome;
let client: RpcClient;
let api: { url: string; close(): Promise<void> };
let deriver: WalletDeriver;
const tokens = {} as Record<TokenRole, string>;
/** What the wallet was paid, independently of the coordinator: coinbases and the miner's payment. */
let fundedSat = 0n;

interface Reply {
  status: number;
  body: Record<string, unknown>;
  bytes: Uint8Array;
}

async function http(
  method: string,
  path: string,
  role: TokenRole | null,
  body?: string | Uint8Array,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: {
      ...(role === null ? {} : { Authorization: `Bearer ${tokens[role]}` }),
      ...(typeof body === 'string' ? { 'Content-Type': 'application/json' } : {}),
      ...(body instanceof Uint8Array ? { 'Content-Type': 'application/octet-stream' } : {}),
      ...headers,
    },
    ...(body === undefined ? {} : { body }),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const type = res.headers.get('content-type') ?? '';
  const parsed = type.startsWith('application/json')
    ? (JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>)
    : {};
  return { status: res.status, body: parsed, bytes };
}

const submit = (key: string, destination: string, amountSat: bigint) =>
  http(
    'POST',
    '/v1/withdrawals',
    'intake',
    JSON.stringify({ destination, amountSat: amountSat.toString() }),
    { 'Idempotency-Key': key },
  );

async function coinbaseAt(height: number): Promise<Transaction> {
  const block = Block.fromBuffer(await client.getBlock(await client.getBlockHash(height)));
  const coinbase = block.transactions?.[0];
  if (coinbase === undefined) throw new Error(`no coinbase at ${height}`);
  return coinbase;
}

/** The node's own value of an outpoint (gettxout, mempool included), or null when spent/unknown. */
async function nodeValue(txid: string, vout: number): Promise<bigint | null> {
  const out = await node.rpc<{ value: number } | null>('gettxout', [txid, vout, true]);
  return out === null ? null : BigInt(Math.round(out.value * 1e8));
}

/**
 * Every unspent coin the store holds exists on the node with that value, and the sum matches
 * (called when no batch holds coins locked).
 */
async function expectStoreMatchesNode(): Promise<bigint> {
  const coins = home.store.coinsSpendable({ includeUnconfirmed: true });
  let total = 0n;
  for (const coin of coins) {
    expect(await nodeValue(coin.txid, coin.vout), `${coin.txid}:${coin.vout}`).toBe(coin.valueSat);
    total += coin.valueSat;
  }
  const balance = home.store.balance();
  expect(balance.confirmedSat + balance.unconfirmedSat + balance.lockedSat).toBe(total);
  if (node.kind === 'bitcoind') {
    // Core counts the wallet's descriptors itself.
    const descriptors = [scenario.wallet.file.receiveDescriptor, scenario.wallet.file.changeDescriptor].map(
      (desc) => ({ desc, range: 200 }),
    );
    const scan = await node.rpc<{ total_amount: number }>('scantxoutset', ['start', descriptors]);
    expect(BigInt(Math.round(scan.total_amount * 1e8))).toBe(balance.confirmedSat + balance.lockedSat);
  }
  return total;
}

beforeAll(async () => {
  [node, scenario] = await Promise.all([startRegtestNode(), setUpScenario()]);
  deriver = new WalletDeriver(scenario.wallet.wallet);
  // Coinbases to receive addresses 0 and 1, then past segwit activation and coinbase maturity.
  for (const index of [0, 1]) await node.mineTo(deriver.derive(0, index).address, 1);
  fundedSat += 2n * 50n * COIN;
  await node.ensureSegwit(miner.address);

  const dir = tempDir('kura-e2e-');
  const passwordFile = join(dir, 'rpc-password');
  writeFileSync(passwordFile, `${node.rpcAuth.password}\n`, { mode: 0o600 });
  const homeDir = join(dir, 'coordinator');
  initCoordinatorHome({
    home: homeDir,
    walletPath: scenario.walletPath,
    policyPath: scenario.policyPath,
    rpcUrl: node.rpcUrl,
    rpcAuth: { kind: 'password', user: node.rpcAuth.username, passwordFile },
  });
  home = openCoordinatorHome(homeDir);
  client = nodeClientFor(home, { retries: 2, backoffMs: 20 });
  for (const role of ['intake', 'officer', 'operator', 'auditor'] as const) {
    tokens[role] = createToken(home.store, role, `e2e ${role}`).token;
  }
  api = await startCoordinatorServer({ home, listen: { host: '127.0.0.1', port: 0 }, log: () => {} });
}, 240_000);

afterAll(async () => {
  await api?.close();
  client?.close();
  home?.close();
  await node?.stop();
}, 60_000);

describe('a withdrawal from request to confirmation', () => {
  let paymentTxid = '';

  it('follows a funding payment through a reorg that removes its block', async () => {
    // The miner pays receive address 2; the block holding it is then orphaned.
    const pay = spendMinerCoinbase(await coinbaseAt(3), [
      { script: deriver.derive(0, 2).scriptPubKey, value: 3n * COIN },
      { script: miner.script, value: 50n * COIN - 3n * COIN - 10_000n },
    ]);
    paymentTxid = await node.broadcast(pay.toHex());
    const [block] = await node.mineTo(miner.address, 1);
    fundedSat += 3n * COIN;
    await syncCoordinator(home, client);
    expect(home.store.coin({ txid: paymentTxid, vout: 0 })?.height).toBe(await client.getBlockCount());

    await node.rpc('invalidateblock', [block]);
    const afterReorg = await syncCoordinator(home, client);
    expect(afterReorg.reorgs).toBe(1);
    // Back in the mempool, like Core does: the coin is unconfirmed, not lost.
    expect(home.store.coin({ txid: paymentTxid, vout: 0 })).toMatchObject({
      height: null,
      valueSat: 3n * COIN,
    });
    expect(home.store.balance().unconfirmedSat).toBe(3n * COIN);

    await node.mineTo(miner.address, 1);
    await syncCoordinator(home, client);
    expect(home.store.coin({ txid: paymentTxid, vout: 0 })?.height).toBe(await client.getBlockCount());
    expect(await expectStoreMatchesNode()).toBe(fundedSat);
  });

  it('takes withdrawals over HTTP, once per idempotency key, and refuses one by policy', async () => {
    const first = await submit('order-1', testDestination(901), 30_000_000n);
    expect(first.status).toBe(201);
    const again = await submit('order-1', testDestination(901), 30_000_000n);
    expect(again.status).toBe(200);
    const id = (reply: Reply) => (reply.body.withdrawal as { requestId: string }).requestId;
    expect(id(again)).toBe(id(first));
    const conflict = await submit('order-1', testDestination(901), 31_000_000n);
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ error: { code: 'COORDINATOR_IDEMPOTENCY_CONFLICT' } });

    expect((await submit('order-2', testDestination(902), 20_000_000n)).status).toBe(201);
    const tooMuch = await submit('order-3', testDestination(903), 20n * COIN);
    expect(tooMuch.status).toBe(422);
    expect(JSON.stringify(tooMuch.body)).toContain('POLICY_');

    const pending = await http('GET', '/v1/withdrawals?state=pending_approval', 'auditor');
    expect(pending.status).toBe(200);
    expect(JSON.stringify(pending.body)).toContain(id(first));
  });

  it('lets officers approve over HTTP, and nobody else', async () => {
    const list = await http('GET', '/v1/withdrawals?state=pending_approval', 'officer');
    const withdrawals = (list.body.withdrawals ?? []) as { requestId: string; request: unknown }[];
    expect(withdrawals).toHaveLength(2);
    for (const w of withdrawals) {
      const request = parseRequest(w.request);
      const now = Math.floor(Date.now() / 1000) - 60;
      const [one, two] = [0, 1].map((i) =>
        approvalFileText(signApproval(request, OFFICERS[i]?.privateKey as Uint8Array, now)),
      );
      const path = `/v1/withdrawals/${w.requestId}/approvals`;
      const byIntake = await http('POST', path, 'intake', one);
      expect(byIntake.status).toBe(403);
      expect(byIntake.body).toMatchObject({ error: { code: 'TOKEN_ROLE_FORBIDDEN' } });
      expect((await http('POST', path, 'officer', one)).status).toBeLessThan(300);
      expect((await http('POST', path, 'officer', two)).status).toBeLessThan(300);
      const shown = await http('GET', `/v1/withdrawals/${w.requestId}`, 'auditor');
      expect((shown.body.withdrawal as { state: string }).state).toBe('approved');
    }
  });

  it('batches, signs offline, imports over HTTP, broadcasts and confirms', async () => {
    const outDir = tempDir('kura-e2e-out-');
    const built = await buildBatches(home, client, { outDir, feeRateSatVb: 5 });
    expect(built).toHaveLength(1);
    const batchId = (built[0] as { batchId: string }).batchId;

    const download = await http('GET', `/v1/batches/${batchId}/psbt`, 'operator');
    expect(download.status).toBe(200);
    expect((await http('GET', `/v1/batches/${batchId}/psbt`, 'officer')).status).toBe(403);
    const packagePath = join(outDir, `${batchId}.download.psbt`);
    writeFileSync(packagePath, download.bytes);

    for (const signer of ['alice', 'bob'] as const) {
      const run = await signOk(scenario, scenario.homes[signer], packagePath);
      const signedPath = (JSON.parse(run.stdout) as { signedPath: string }).signedPath;
      const signed = new Uint8Array(readFileSync(signedPath));
      expect((await http('POST', `/v1/batches/${batchId}/signatures`, 'auditor', signed)).status).toBe(403);
      const imported = await http('POST', `/v1/batches/${batchId}/signatures`, 'operator', signed);
      expect(imported.status, JSON.stringify(imported.body)).toBe(200);
    }
    expect(home.store.batchById(batchId)?.state).toBe('finalized');

    const sent = await broadcastBatch(home, client, batchId);
    const txid = home.store.batchById(batchId)?.txid as string;
    expect(sent.txid).toBe(txid);
    expect(await node.rpc('getmempoolentry', [txid])).toBeTruthy();
    await node.mineTo(miner.address, 1);
    await syncCoordinator(home, client);
    expect(home.store.batchById(batchId)?.state).toBe('confirmed');

    const confirmed = await http('GET', '/v1/withdrawals?state=confirmed', 'auditor');
    expect(((confirmed.body.withdrawals ?? []) as unknown[]).length).toBe(2);

    // The node paid exactly the requests; the wallet kept the rest minus the fee.
    const tx = Transaction.fromBuffer(await client.getRawTransaction(txid));
    const paid = tx.outs.filter(
      (o) => bytesToHex(o.script) !== bytesToHex(deriver.derive(1, 0).scriptPubKey),
    );
    expect(paid.map((o) => o.value).sort()).toEqual([20_000_000n, 30_000_000n]);
    const feeSat = home.store.batchById(batchId)?.feeSat as bigint;
    expect(await expectStoreMatchesNode()).toBe(fundedSat - 50_000_000n - feeSat);
  });
});
