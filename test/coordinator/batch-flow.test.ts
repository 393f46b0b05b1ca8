// The whole path of a batch on a real regtest node, through the `kura batch` commands: approved
// requests → one PSBT with everything a signer and a hardware wallet check → two real signers →
// import (idempotent) → finalized → a broadcast that "crashed" after sending and is retried → the
// node's mempool → mined → followed to 'confirmed', and the block pays exactly the requests.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Block, Psbt, Transaction } from 'bitcoinjs-lib';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { WithdrawalRequest } from '../../src/approvals/request.js';
import { RBF_SEQUENCE } from '../../src/artifacts/buildPackage.js';
import { readPackage } from '../../src/artifacts/kuraFields.js';
import type { BuildReport } from '../../src/coordinator/batch/index.js';
import { kura } from '../helpers/cli.js';
import { NOW } from '../helpers/scenario.js';
import { MINER_ADDRESS, setUpBatchWorld, type BatchWorld } from './batchFixture.js';

let world: BatchWorld;
let requests: WithdrawalRequest[];
let fundedTxid: string;
let expired: WithdrawalRequest;

beforeAll(async () => {
  world = await setUpBatchWorld();
  ({ txid: fundedTxid } = await world.fund([100_000_000n, 100_000_000n, 50_000_000n, 200_000_000n], 0));
  requests = [
    world.approvedRequest(30_000_000n),
    world.approvedRequest(20_000_000n),
    world.approvedRequest(5_000_000n),
  ];
  // approved ten minutes ago, expired five minutes ago: never batched
  expired = world.approvedRequest(1_000_000n, undefined, [0, 1], NOW - 300);
}, 180_000);

afterAll(async () => {
  await world?.close();
});

interface Built {
  batchId: string;
  txid: string;
  path: string;
  feeSat: string;
  feeRateSatVb: number;
  feeRateSource: string;
  vsize: number;
  change: { index: number; valueSat: string } | null;
}

describe('a batch from approved requests to a confirmed transaction', () => {
  let batch: Built;
  let psbt: Psbt;
  const signedFiles: string[] = [];

  it('is built into one PSBT that carries what signers and hardware wallets check', async () => {
    const run = await kura(['batch', 'build', '--home', world.homeDir, '--out', world.outDir, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = run.json<BuildReport & { batches: Built[] }>();
    expect(report.batches).toHaveLength(1);
    batch = report.batches[0] as Built;
    expect(report.skipped).toEqual([
      expect.objectContaining({
        requestId: expired.requestId,
        expired: true,
        reasons: [expect.objectContaining({ code: 'APPROVAL_EXPIRED' })],
      }),
    ]);
    expect(world.home.store.requestById(expired.requestId)?.state).toBe('expired');
    // bcoin has no fee data on a fresh chain: the fallback is used and said so.
    expect(report.feeRate?.source).toBe('fallback');
    expect(report.feeRate?.notes.join(' ')).toMatch(/no fee estimate/);
    expect(batch.feeRateSatVb).toBe(10);
    expect(existsSync(batch.path)).toBe(true);

    psbt = Psbt.fromBuffer(readFileSync(batch.path));
    const pkg = readPackage(psbt);
    expect(pkg.header).toMatchObject({
      purpose: 'withdrawal',
      batchId: batch.batchId,
      walletId: world.scenario.wallet.id,
    });
    expect([...pkg.requests.keys()].sort()).toEqual(requests.map((r) => r.requestId).sort());
    // PSBT_GLOBAL_XPUB for every cosigner, with its origin
    const xpubs = psbt.data.globalMap.globalXpub ?? [];
    expect(xpubs.map((x) => bytesToHex(x.masterFingerprint)).sort()).toEqual(
      world.scenario.wallet.wallet.keys.map((k) => k.origin.fingerprint).sort(),
    );
    expect(xpubs.every((x) => x.path === "m/48'/1'/0'/2'")).toBe(true);
    for (const input of psbt.data.inputs) {
      expect(input.nonWitnessUtxo).toBeDefined();
      expect(input.witnessUtxo).toBeDefined();
      expect(input.witnessScript).toBeDefined();
      expect(input.bip32Derivation).toHaveLength(3);
    }
    expect(psbt.txInputs.every((i) => i.sequence === RBF_SEQUENCE)).toBe(true);
    expect(psbt.locktime).toBe(await world.client.getBlockCount());
    // the change goes to the first unused change address, with its derivations
    expect(batch.change?.index).toBe(0);
    const changeOutput = psbt.data.outputs[psbt.txOutputs.length - 1];
    expect(changeOutput?.bip32Derivation).toHaveLength(3);
    expect(psbt.txOutputs.at(-1)?.script).toEqual(world.deriver.derive(1, 0).scriptPubKey);
    // fee = inputs − outputs, at least the target rate on the largest possible size
    const inSat = psbt.data.inputs.reduce((sum, i) => sum + (i.witnessUtxo?.value ?? 0n), 0n);
    const outSat = psbt.txOutputs.reduce((sum, o) => sum + o.value, 0n);
    expect(inSat - outSat).toBe(BigInt(batch.feeSat));
    expect(BigInt(batch.feeSat)).toBeGreaterThanOrEqual(BigInt(batch.vsize * batch.feeRateSatVb));

    // the store: requests batched, coins locked, the change address handed out
    const { store } = world.home;
    for (const r of requests)
      expect(store.requestById(r.requestId)).toMatchObject({ state: 'batched', batchId: batch.batchId });
    expect(store.coinsLockedBy(batch.batchId)).toHaveLength(psbt.inputCount);
    expect(store.addressAt(1, 0)?.issued).toBe(true);
    expect(store.batchById(batch.batchId)).toMatchObject({ state: 'built', txid: batch.txid });
  });

  it('builds nothing more while every approved request is batched', async () => {
    const run = await kura(['batch', 'build', '--home', world.homeDir, '--out', world.outDir, '--json']);
    expect(run.code).toBe(0);
    expect(run.json<BuildReport>().batches).toHaveLength(0);
  });

  it('is signed by two real signers and imported, idempotently, until it is finalized', async () => {
    for (const who of ['alice', 'carol'] as const) {
      const signed = await world.sign(batch.path, who);
      expect(signed.txid).toBe(batch.txid);
      signedFiles.push(signed.signedPath);
    }
    const first = await kura([
      'batch',
      'import',
      '--home',
      world.homeDir,
      signedFiles[0] as string,
      '--json',
    ]);
    expect(first.code).toBe(0);
    const one = first.json<{
      files: { cosigners: { added: boolean; signatures: number }[] }[];
      batches: { state: string; inputsReady: number }[];
    }>();
    expect(one.files[0]?.cosigners).toEqual([
      expect.objectContaining({ added: true, signatures: psbt.inputCount }),
    ]);
    expect(one.batches[0]).toMatchObject({ state: 'signed', inputsReady: 0 });

    // The same file again changes nothing.
    const entries = world.home.store.verifyAudit().entries;
    const again = await kura([
      'batch',
      'import',
      '--home',
      world.homeDir,
      signedFiles[0] as string,
      '--json',
    ]);
    expect(again.code).toBe(0);
    expect(again.json<{ files: { cosigners: { added: boolean }[] }[] }>().files[0]?.cosigners[0]?.added).toBe(
      false,
    );
    expect(world.home.store.verifyAudit().entries).toBe(entries);

    const second = await kura(['batch', 'import', '--home', world.homeDir, ...signedFiles, '--json']);
    expect(second.code).toBe(0);
    const done = second.json<{ batches: { state: string; inputsReady: number; inputs: number }[] }>()
      .batches[0];
    expect(done).toMatchObject({ state: 'finalized', inputsReady: psbt.inputCount, inputs: psbt.inputCount });
    const stored = world.home.store.batchById(batch.batchId);
    expect(stored?.finalTx).not.toBeNull();
    expect(Transaction.fromBuffer(stored?.finalTx as Uint8Array).getId()).toBe(batch.txid);
    for (const r of requests) expect(world.home.store.requestById(r.requestId)?.state).toBe('signed');
  });

  it('is broadcast after a crash as the same transaction, proven by the node’s mempool', async () => {
    const finalTx = world.home.store.batchById(batch.batchId)?.finalTx as Uint8Array;
    // The crash: the transaction reached the node, the coordinator died before recording it.
    await world.client.sendRawTransaction(finalTx);
    world.reopen();
    expect(world.home.store.batchById(batch.batchId)?.state).toBe('finalized');

    const run = await kura(['batch', 'broadcast', '--home', world.homeDir, batch.batchId, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = run.json<{
      txid: string;
      state: string;
      alreadyKnown: boolean;
      located: { where: string };
    }>();
    expect(result).toMatchObject({
      txid: batch.txid,
      state: 'broadcast',
      alreadyKnown: true,
      located: { where: 'mempool' },
    });
    // The node holds exactly the stored bytes.
    expect(await world.node.rpc<string>('getrawtransaction', [batch.txid])).toBe(bytesToHex(finalTx));
    expect(await world.node.rpc<string[]>('getrawmempool')).toEqual([batch.txid]);
    for (const r of requests) expect(world.home.store.requestById(r.requestId)?.state).toBe('broadcast');
    for (const coin of world.home.store.coinsLockedBy(batch.batchId))
      expect(coin.spentByTxid).toBe(batch.txid);

    // And again: still the same transaction, nothing new.
    const retry = await kura(['batch', 'broadcast', '--home', world.homeDir, batch.batchId, '--json']);
    expect(retry.code).toBe(0);
    expect(retry.json<{ txid: string }>().txid).toBe(batch.txid);
    expect(await world.node.rpc<string[]>('getrawmempool')).toEqual([batch.txid]);
  });

  it('is mined, followed to confirmed, and the block pays exactly the requests', async () => {
    const [blockHash] = await world.node.mineTo(MINER_ADDRESS, 1);
    const run = await kura(['batch', 'follow', '--home', world.homeDir, '--json']);
    expect(run.code).toBe(0);
    const followed = run.json<{
      batches: { batchId: string; state: string; confirmations: number; changed: boolean }[];
    }>();
    expect(followed.batches).toEqual([
      expect.objectContaining({
        batchId: batch.batchId,
        state: 'confirmed',
        confirmations: 1,
        changed: true,
      }),
    ]);
    for (const r of requests) expect(world.home.store.requestById(r.requestId)?.state).toBe('confirmed');

    const block = Block.fromHex(await world.node.rpc<string>('getblock', [blockHash, 0]));
    const tx = block.transactions?.find((t) => t.getId() === batch.txid);
    if (tx === undefined) throw new Error('the batch is not in the block');
    const paid = tx.outs
      .slice(0, -1)
      .map((o) => `${bytesToHex(o.script)}:${o.value}`)
      .sort();
    expect(paid).toEqual(requests.map((r) => `${bytesToHex(r.scriptPubKey)}:${r.amountSat}`).sort());
    expect(bytesToHex(tx.outs.at(-1)?.script ?? new Uint8Array())).toBe(
      bytesToHex(world.deriver.derive(1, 0).scriptPubKey),
    );
    expect(tx.ins.every((i) => bytesToHex(Uint8Array.from(i.hash).reverse()) === fundedTxid)).toBe(true);
    // The real size never exceeds the estimate, so the real rate is never below the target.
    expect(tx.virtualSize()).toBeLessThanOrEqual(batch.vsize);
    expect(Number(batch.feeSat) / tx.virtualSize()).toBeGreaterThanOrEqual(batch.feeRateSatVb);

    // Following again changes nothing.
    const again = await kura(['batch', 'follow', '--home', world.homeDir, '--json']);
    expect(again.json<{ batches: { changed: boolean }[] }>().batches[0]?.changed).toBe(false);
  });
});
