// Crash at every step. Two withdrawals go from request to confirmation on a real regtest node,
// and the real `kura` program, run as a child process with KURA_TEST_FAULT (and NODE_ENV=test),
// dies by SIGKILL right after each durable step: request stored, approval stored (from the CLI
// and over HTTP), batch built, coins locked, signature imported, finalized, broadcast sent,
// broadcast recorded, confirmation recorded (by `batch follow` and by `coordinator sync`). After
// every crash the coordinator is started again on the same database and the test checks that
// every acknowledged request, approval and signature is still there, the audit chain verifies
// (`kura coordinator status`), no request sits in two batches, the step can be run again and
// finishes, a finalized transaction is sent again unchanged, and in the end the node paid each
// destination exactly once. docs/faults.md.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Block, Transaction } from 'bitcoinjs-lib';
import { bytesToHex } from '@noble/hashes/utils.js';
import { approvalFileText, signApproval } from '../../src/approvals/approval.js';
import { destinationScript, parseRequest } from '../../src/approvals/request.js';
import { WalletDeriver } from '../../src/bitcoin/addresses.js';
import type { RpcClient } from '../../src/chain/rpcClient.js';
import { FAULT_POINTS, faultArmed, type FaultPoint } from '../../src/coordinator/faults.js';
import { openCoordinatorHome, type CoordinatorHome } from '../../src/coordinator/home.js';
import { kura, tempDir, writeTemp, type KuraRun } from '../helpers/cli.js';
import { initCoordinatorHomeViaCli } from '../helpers/coordinatorHome.js';
import { COIN, startRegtestNode, type RegtestNode } from '../helpers/regtest.js';
import { OFFICERS, setUpScenario, signOk, testDestination, type Scenario } from '../helpers/scenario.js';
import { clientFor, miner, spendMinerCoinbase } from '../chain/fixtures.js';
import { runKuraChild, spawnKura, watch, type ChildRun } from './child.js';

const FEE_RATE = '5';
const PAYMENTS = [
  { key: 'order-1', destination: testDestination(811), amountSat: 10_000_000n },
  { key: 'order-2', destination: testDestination(812), amountSat: 20_000_000n },
] as const;

let node: RegtestNode;
let client: RpcClient;
let scenario: Scenario;
let dir: string;
let home: string;
let outDir: string;
let birthday = 0;

/** What the coordinator acknowledged (a command that exited 0): it must survive every later crash. */
const acknowledged = {
  requests: new Map<string, { destination: string; amountSat: bigint }>(),
  approvals: new Set<string>(),
  signatures: new Set<string>(),
};
const requestIds: string[] = [];
const figures = { faultsInjected: 0, sigkills: 0, reruns: 0, rowsChecked: 0, pointsHit: new Set<string>() };

function withHome<R>(fn: (h: CoordinatorHome) => R): R {
  const opened = openCoordinatorHome(home);
  try {
    return fn(opened);
  } finally {
    opened.close();
  }
}

/** Runs a step in a child process with `fault` armed and expects it to die there by SIGKILL. */
async function crash(fault: FaultPoint, args: string[]): Promise<ChildRun> {
  figures.faultsInjected++;
  const run = await runKuraChild([...args, '--home', home, '--json'], fault);
  expect(run.signal, `${fault}: ${run.stderr}`).toBe('SIGKILL');
  expect(run.code).toBeNull();
  // Killed before it could answer: nothing was acknowledged to the caller.
  expect(run.stdout).toBe('');
  figures.sigkills++;
  figures.pointsHit.add(fault);
  return run;
}

/** Runs a step again, without a fault, in this process, and expects it to succeed. */
async function rerun(args: string[]): Promise<KuraRun> {
  figures.reruns++;
  const run = await kura([...args, '--home', home, '--json']);
  expect(run.code, run.stderr).toBe(0);
  return run;
}

/**
 * After a crash: the audit chain verifies (`kura coordinator status`), every acknowledged
 * request, approval and signature is stored, and no request is in two live batches.
 */
async function expectNothingLost(): Promise<void> {
  const status = await rerun(['coordinator', 'status']);
  expect(status.json<{ audit: { entries: number } }>().audit.entries).toBeGreaterThan(1);
  withHome(({ store }) => {
    for (const [requestId, want] of acknowledged.requests) {
      const stored = store.requestById(requestId);
      expect(stored, `request ${requestId}`).toMatchObject(want);
      figures.rowsChecked++;
    }
    for (const key of acknowledged.approvals) {
      const [requestId, officer] = key.split('/');
      const approvals = store.approvalsFor(requestId as string).map((a) => a.officerPublicKey);
      expect(approvals, `approval ${key}`).toContain(officer);
      figures.rowsChecked++;
    }
    for (const key of acknowledged.signatures) {
      const [batchId, fingerprint] = key.split('/');
      const signers = store.batchSignatures(batchId as string).map((s) => s.fingerprint);
      expect(signers, `signature ${key}`).toContain(fingerprint);
      figures.rowsChecked++;
    }
    const live = store.listBatches().filter((b) => b.state !== 'cancelled' && b.state !== 'replaced');
    const batchOf = new Map<string, string>();
    for (const batch of live) {
      for (const r of store.listRequests({ batchId: batch.batchId, limit: 1000 })) {
        expect(batchOf.get(r.requestId), `request ${r.requestId} in two batches`).toBeUndefined();
        batchOf.set(r.requestId, batch.batchId);
        figures.rowsChecked++;
      }
      const locked = store.coinsLockedBy(batch.batchId);
      for (const coin of locked) expect(coin.lockedByBatch).toBe(batch.batchId);
    }
  });
}

const batches = () => withHome(({ store }) => store.listBatches());
const batchState = (batchId: string) => withHome(({ store }) => store.batchById(batchId));

async function approvalFile(requestId: string, officer: number): Promise<string> {
  const requestPath = join(dir, `${requestId.slice(0, 8)}.${officer}.request.json`);
  await rerun(['request', 'show', requestId, '--out', requestPath]);
  const request = parseRequest(JSON.parse(readFileSync(requestPath, 'utf8')));
  const at = Math.floor(Date.now() / 1000) - 60;
  const approval = signApproval(request, OFFICERS[officer]?.privateKey as Uint8Array, at);
  return writeTemp(dir, `${requestId.slice(0, 8)}.${officer}.approval.json`, approvalFileText(approval));
}

function noteApproval(requestId: string, officer: number): void {
  acknowledged.approvals.add(`${requestId}/${OFFICERS[officer]?.publicKey}`);
}

/** Signs a batch's package as alice and bob (offline signers, in this process). */
async function signBatch(batchId: string): Promise<string[]> {
  const packagePath = join(outDir, `${batchId}.psbt`);
  const paths: string[] = [];
  for (const signer of ['alice', 'bob'] as const) {
    const run = await signOk(scenario, scenario.homes[signer], packagePath);
    paths.push(run.json<{ signedPath: string }>().signedPath);
  }
  return paths;
}

async function coinbaseAt(height: number): Promise<Transaction> {
  const block = Block.fromBuffer(await client.getBlock(await client.getBlockHash(height)));
  const coinbase = block.transactions?.[0];
  if (coinbase === undefined) throw new Error(`no coinbase at ${height}`);
  return coinbase;
}

beforeAll(async () => {
  [node, scenario] = await Promise.all([startRegtestNode(), setUpScenario()]);
  client = clientFor(node);
  birthday = (await node.ensureSegwit(miner.address)) + 1;
  dir = tempDir('kura-crash-');
  home = join(dir, 'coordinator');
  outDir = join(dir, 'out');
  const passwordFile = writeTemp(dir, 'rpc-password', `${node.rpcAuth.password}\n`);
  await initCoordinatorHomeViaCli({
    home,
    walletPath: scenario.walletPath,
    policyPath: scenario.policyPath,
    rpcUrl: node.rpcUrl,
    rpcUser: node.rpcAuth.username,
    passwordFile,
    birthdayHeight: birthday,
  });
  // Two coins of 1 BTC, one per batch, from a mature coinbase of the miner.
  const deriver = new WalletDeriver(scenario.wallet.wallet);
  const funding = spendMinerCoinbase(await coinbaseAt(1), [
    { script: deriver.derive(0, 0).scriptPubKey, value: COIN },
    { script: deriver.derive(0, 1).scriptPubKey, value: COIN },
    { script: miner.script, value: 50n * COIN - 2n * COIN - 10_000n },
  ]);
  await node.broadcast(funding.toHex());
  await node.mineTo(miner.address, 1);
  const synced = await rerun(['coordinator', 'sync']);
  expect(synced.json<{ coinsFound: number }>().coinsFound).toBe(2);
}, 180_000);

afterAll(async () => {
  client?.close();
  await node?.stop();
}, 60_000);

describe('the coordinator killed by SIGKILL after every durable step', () => {
  it('keeps a request stored just before the crash (CLI, and an API group commit), and a retry with its key finds it', async () => {
    const [first, second] = PAYMENTS;
    const submit = (p: (typeof PAYMENTS)[number]) => [
      'request',
      'submit',
      '--destination',
      p.destination,
      '--amount-sat',
      String(p.amountSat),
      '--idempotency-key',
      p.key,
    ];
    await crash('request-stored', submit(first));
    const stored = withHome(({ store }) => store.listRequests({ limit: 10 }));
    expect(stored).toHaveLength(1);

    // The client got no answer, so it retries with the same idempotency key: the same request.
    const retried = (await rerun(submit(first))).json<{
      created: boolean;
      withdrawal: { requestId: string };
    }>();
    expect(retried.created).toBe(false);
    expect(retried.withdrawal.requestId).toBe(stored[0]?.requestId);
    // Over HTTP, a group commit stores the request and the server dies before it answers.
    const token = (await rerun(['coordinator', 'token', 'create', '--role', 'intake'])).json<{
      token: string;
    }>().token;
    const post = (url: string) =>
      fetch(`${url}/v1/withdrawals`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          'Idempotency-Key': second.key,
        },
        body: JSON.stringify({ destination: second.destination, amountSat: String(second.amountSat) }),
      });
    const serveArgs = ['coordinator', 'serve', '--home', home, '--listen', '127.0.0.1:0', '--json'];
    figures.faultsInjected++;
    const dying = watch(spawnKura(serveArgs, 'request-stored'));
    const answer = await post((await dying.waitFor(/"url": "([^"]+)"/))[1] as string).then(
      (res) => `HTTP ${res.status}`,
      (error: unknown) => `no answer (${String(error)})`,
    );
    expect(answer).toMatch(/^no answer/);
    expect((await dying.done).signal).toBe('SIGKILL');
    figures.sigkills++;
    const afterHttp = withHome(({ store }) => store.listRequests({ limit: 10 }));
    expect(afterHttp).toHaveLength(2);
    // The client retries with the same key on the restarted server: the request it did not hear about.
    const serving = watch(spawnKura(serveArgs));
    const again = await post((await serving.waitFor(/"url": "([^"]+)"/))[1] as string);
    expect(again.status).toBe(200);
    const other = (await again.json()) as { withdrawal: { requestId: string } };
    serving.child.kill('SIGTERM');
    expect((await serving.done).code).toBe(0);
    expect(afterHttp.map((r) => r.requestId)).toContain(other.withdrawal.requestId);
    for (const [i, id] of [retried.withdrawal.requestId, other.withdrawal.requestId].entries()) {
      const p = PAYMENTS[i] as (typeof PAYMENTS)[number];
      requestIds.push(id);
      acknowledged.requests.set(id, { destination: p.destination, amountSat: p.amountSat });
    }
    await expectNothingLost();
  });

  it('ignores KURA_TEST_FAULT unless NODE_ENV=test', async () => {
    expect(faultArmed('request-stored', { KURA_TEST_FAULT: 'request-stored' })).toBe(false);
    expect(faultArmed('request-stored', { KURA_TEST_FAULT: 'request-stored', NODE_ENV: 'production' })).toBe(
      false,
    );
    expect(faultArmed('request-stored', { KURA_TEST_FAULT: 'request-stored', NODE_ENV: 'test' })).toBe(true);
    expect(faultArmed('approval-stored', { KURA_TEST_FAULT: 'request-stored', NODE_ENV: 'test' })).toBe(
      false,
    );
    // A production coordinator with the variable set by mistake runs the step to its end.
    const args = ['request', 'submit', '--destination', testDestination(813), '--amount-sat', '1000000'];
    const run = await runKuraChild(
      [...args, '--idempotency-key', 'stray-fault', '--home', home, '--json'],
      'request-stored',
      'production',
    );
    expect(run.signal).toBeNull();
    expect(run.code, run.stderr).toBe(0);
    const { withdrawal } = JSON.parse(run.stdout) as { withdrawal: { requestId: string } };
    await rerun(['request', 'cancel', withdrawal.requestId]);
  });

  it('keeps approvals: the CLI stores all files or none, HTTP keeps what it committed', async () => {
    const r1 = requestIds[0] as string;
    const [byOps1, byOps2] = [await approvalFile(r1, 0), await approvalFile(r1, 1)];

    // `kura approval submit` stores its files in one transaction: killed inside it, none is
    // stored and nothing was acknowledged; run again, the approval is stored.
    await crash('approval-stored', ['approval', 'submit', byOps1]);
    expect(withHome(({ store }) => store.approvalsFor(r1))).toEqual([]);
    const again = (await rerun(['approval', 'submit', byOps1])).json<{ approvals: { outcome: string }[] }>();
    expect(again.approvals[0]?.outcome).toBe('stored');
    noteApproval(r1, 0);

    // Over HTTP the approval commits, then the server dies before it answers.
    const token = (await rerun(['coordinator', 'token', 'create', '--role', 'officer'])).json<{
      token: string;
    }>().token;
    figures.faultsInjected++;
    const serve = watch(
      spawnKura(
        ['coordinator', 'serve', '--home', home, '--listen', '127.0.0.1:0', '--json'],
        'approval-stored',
      ),
    );
    const url = (await serve.waitFor(/"url": "([^"]+)"/))[1] as string;
    const answer = await fetch(`${url}/v1/withdrawals/${r1}/approvals`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: readFileSync(byOps2, 'utf8'),
    }).then(
      (res) => `HTTP ${res.status}`,
      (error: unknown) => `no answer (${String(error)})`,
    );
    expect(answer).toMatch(/^no answer/);
    const served = await serve.done;
    expect(served.signal).toBe('SIGKILL');
    figures.sigkills++;
    figures.pointsHit.add('approval-stored');
    withHome(({ store }) => {
      expect(store.approvalsFor(r1)).toHaveLength(2);
      expect(store.requestById(r1)?.state).toBe('approved');
    });
    // The officer got no answer and sends the same file again: already stored, nothing doubled.
    const resent = (await rerun(['approval', 'submit', byOps2])).json<{ approvals: { outcome: string }[] }>();
    expect(resent.approvals[0]?.outcome).toBe('already stored');
    noteApproval(r1, 1);
    await expectNothingLost();
  });

  it('keeps a batch built and its coins locked, and builds nothing twice', async () => {
    const build = ['batch', 'build', '--out', outDir, '--fee-rate', FEE_RATE];
    await crash('batch-built', build);
    const [b1] = batches();
    expect(b1?.state).toBe('built');
    // Died between the commit and the file: the file is written again from the store.
    expect(existsSync(join(outDir, `${b1?.batchId}.psbt`))).toBe(false);
    const rebuilt = (await rerun(build)).json<{ batches: unknown[] }>();
    expect(rebuilt.batches).toEqual([]);
    await rerun(['batch', 'show', b1?.batchId as string, '--out', outDir]);

    // The second request is approved only now, so it gets a batch of its own.
    const r2 = requestIds[1] as string;
    const files = [await approvalFile(r2, 0), await approvalFile(r2, 1)];
    await rerun(['approval', 'submit', ...files]);
    noteApproval(r2, 0);
    noteApproval(r2, 1);
    await crash('coins-locked', build);
    const list = batches();
    expect(list).toHaveLength(2);
    const b2 = list.find((b) => b.batchId !== b1?.batchId);
    expect((await rerun(build)).json<{ batches: unknown[] }>().batches).toEqual([]);
    await rerun(['batch', 'show', b2?.batchId as string, '--out', outDir]);
    withHome(({ store }) => {
      const locks = [b1, b2].map((b) =>
        store.coinsLockedBy(b?.batchId as string).map((c) => `${c.txid}:${c.vout}`),
      );
      expect(locks.map((l) => l.length)).toEqual([1, 1]);
      expect(locks[0]).not.toEqual(locks[1]);
      expect(store.requestById(requestIds[0] as string)?.batchId).toBe(b1?.batchId);
      expect(store.requestById(r2)?.batchId).toBe(b2?.batchId);
    });
    await expectNothingLost();
  });

  it('keeps signatures imported and a batch finalized, with the same final transaction', async () => {
    const b1 = batches()[0]?.batchId as string;
    const [alice, bob] = await signBatch(b1);
    const importArgs = ['batch', 'import', alice as string, bob as string];

    await crash('signature-imported', importArgs);
    const afterFirst = withHome(({ store }) => store.batchSignatures(b1).map((s) => s.fingerprint));
    expect(afterFirst).toHaveLength(1);
    // The file was taken whole before the crash: its signature counts as acknowledged now.
    for (const fp of afterFirst) acknowledged.signatures.add(`${b1}/${fp}`);

    await crash('finalized', importArgs);
    const finalized = batchState(b1);
    expect(finalized?.state).toBe('finalized');
    expect(finalized?.finalTx).not.toBeNull();
    expect(withHome(({ store }) => store.requestById(requestIds[0] as string)?.state)).toBe('signed');

    const again = (await rerun(importArgs)).json<{
      files: { cosigners: { added: boolean }[] }[];
      batches: { state: string }[];
    }>();
    expect(again.files.flatMap((f) => f.cosigners.map((c) => c.added))).toEqual([false, false]);
    expect(again.batches[0]?.state).toBe('finalized');
    const kept = batchState(b1);
    expect(bytesToHex(kept?.finalTx as Uint8Array)).toBe(bytesToHex(finalized?.finalTx as Uint8Array));
    for (const s of withHome(({ store }) => store.batchSignatures(b1))) {
      acknowledged.signatures.add(`${b1}/${s.fingerprint}`);
    }
    await expectNothingLost();
  });

  it('sends a finalized transaction again unchanged after a crash around its broadcast', async () => {
    const b1 = batchState(batches()[0]?.batchId as string);
    const txid = b1?.txid as string;
    const broadcast = ['batch', 'broadcast', b1?.batchId as string];

    await crash('broadcast-sent', broadcast);
    // The node has it; the store does not know yet.
    expect(await node.rpc('getmempoolentry', [txid])).toBeTruthy();
    expect(batchState(b1?.batchId as string)?.state).toBe('finalized');
    // Nobody runs broadcast again before the transaction is mined and the chain sync sees it:
    // the coins are spent, the batch still says finalized until broadcast is run again.
    await node.mineTo(miner.address, 1);
    await rerun(['coordinator', 'sync']);
    expect(batchState(b1?.batchId as string)?.state).toBe('finalized');

    await crash('broadcast-recorded', broadcast);
    expect(batchState(b1?.batchId as string)?.state).toBe('broadcast');
    expect(withHome(({ store }) => store.requestById(requestIds[0] as string)?.state)).toBe('broadcast');

    const sent = (await rerun(broadcast)).json<{
      txid: string;
      alreadyKnown: boolean;
      state: string;
      located: { where: string };
    }>();
    expect(sent).toMatchObject({ txid, alreadyKnown: true, state: 'broadcast', located: { where: 'block' } });
    // The same bytes: what the node holds is the transaction finalized before the crashes.
    const held = await client.getRawTransaction(txid);
    expect(bytesToHex(held)).toBe(bytesToHex(b1?.finalTx as Uint8Array));
    await expectNothingLost();
  });

  it('keeps a confirmation recorded by batch follow', async () => {
    const b1 = batches()[0]?.batchId as string;
    await crash('confirmation-recorded', ['batch', 'follow']);
    expect(batchState(b1)?.state).toBe('confirmed');
    const followed = (await rerun(['batch', 'follow'])).json<{
      batches: { batchId: string; state: string; changed: boolean }[];
    }>();
    expect(followed.batches).toEqual([
      expect.objectContaining({ batchId: b1, state: 'confirmed', changed: false }),
    ]);
    await expectNothingLost();
  });

  it('keeps a confirmation recorded by coordinator sync, and pays every destination once', async () => {
    const b2 = batches()[1]?.batchId as string;
    const signed = await signBatch(b2);
    await rerun(['batch', 'import', ...signed]);
    await rerun(['batch', 'broadcast', b2]);
    await node.mineTo(miner.address, 1);
    await crash('confirmation-recorded', ['coordinator', 'sync']);
    expect(batchState(b2)?.state).toBe('confirmed');
    const synced = (await rerun(['coordinator', 'sync'])).json<{ complete: boolean }>();
    expect(synced.complete).toBe(true);
    await expectNothingLost();

    // The node's own record: each destination was paid exactly once, in a block, the right amount.
    const tip = await client.getBlockCount();
    const paid = new Map<string, bigint[]>(PAYMENTS.map((p) => [p.destination, []]));
    for (let height = birthday; height <= tip; height++) {
      const block = Block.fromBuffer(await client.getBlock(await client.getBlockHash(height)));
      for (const tx of block.transactions ?? []) {
        for (const out of tx.outs) {
          for (const p of PAYMENTS) {
            if (bytesToHex(out.script) === bytesToHex(destinationScript(p.destination, 'regtest')))
              paid.get(p.destination)?.push(out.value);
          }
        }
      }
    }
    for (const p of PAYMENTS) expect(paid.get(p.destination)).toEqual([p.amountSat]);
    expect(await client.getRawMempool()).toEqual([]);
    const status = (await rerun(['coordinator', 'status'])).json<{
      requests: Record<string, number>;
      balance: { totalSat: string };
      node: { status: string; behindBlocks: number };
    }>();
    expect(status.requests.confirmed).toBe(2);
    expect(status.node).toMatchObject({ status: 'ok', behindBlocks: 0 });
    const fees = withHome(({ store }) => store.listBatches().reduce((sum, b) => sum + b.feeSat, 0n));
    expect(BigInt(status.balance.totalSat)).toBe(2n * COIN - 30_000_000n - fees);

    expect([...figures.pointsHit].sort()).toEqual([...FAULT_POINTS].sort());
    console.info(
      `crash test: ${FAULT_POINTS.length} fault points, ${figures.faultsInjected} faults injected, ` +
        `${figures.sigkills} processes killed by SIGKILL, ${figures.reruns} steps run again, ` +
        `${figures.rowsChecked} rows checked after crashes; ${PAYMENTS.length} destinations paid once each`,
    );
  });
});
