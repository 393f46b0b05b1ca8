// Fee bumps on a real regtest node. A bump spends the same coins, pays the same requests, takes
// the extra fee from the change and declares `bumps: <old txid>`; the real signers sign it as a
// declared bump (their ledgers already hold the old transaction). Broadcast, it replaces the old
// batch: the old one becomes 'replaced', its coin locks and requests move to the bump.
//
// About the node: Bitcoin Core (KURA_BITCOIND) replaces a mempool transaction by BIP-125. bcoin
// 1.0.2, the default node, has no replacement of its own; the harness (test/helpers/regtest.ts,
// docs/regtest.md) makes its sendrawtransaction follow Core's replacement rules, so the bump of a
// transaction in the mempool really evicts it from the node's mempool on either node.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Block, Psbt } from 'bitcoinjs-lib';
import { bytesToHex } from '@noble/hashes/utils.js';
import { readPackage } from '../../src/artifacts/kuraFields.js';
import type { WithdrawalRequest } from '../../src/approvals/request.js';
import {
  broadcastBatch,
  buildBatches,
  bumpBatch,
  followBatches,
  importSignedPsbts,
  INCREMENTAL_RELAY_SAT_VB,
  type BuiltBatch,
  type FollowedBatch,
} from '../../src/coordinator/batch/index.js';
import { isKuraError } from '../../src/errors.js';
import { errorCode, kura } from '../helpers/cli.js';
import { RegtestRpcError } from '../helpers/regtest.js';
import { MINER_ADDRESS, setUpBatchWorld, type BatchWorld, type SignerName } from './batchFixture.js';

let world: BatchWorld;

beforeAll(async () => {
  world = await setUpBatchWorld();
  await world.fund([100_000_000n, 50_000_000n, 70_000_000n], 0);
}, 180_000);

afterAll(async () => {
  await world?.close();
});

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    if (isKuraError(error)) return error.code;
    throw error;
  }
  return undefined;
}

/** Builds one batch for `requests` at `rate`, has two signers sign it and imports the files. */
async function signedBatch(rate: number, signers: readonly SignerName[]): Promise<BuiltBatch> {
  const [built] = await buildBatches(world.home, world.client, { outDir: world.outDir, feeRateSatVb: rate });
  if (built === undefined) throw new Error('nothing was built');
  await signAndImport(built, signers, 'new');
  return built;
}

async function signAndImport(
  batch: BuiltBatch,
  signers: readonly SignerName[],
  replay: string,
): Promise<void> {
  const files = [];
  for (const who of signers) {
    const signed = await world.sign(batch.path, who);
    expect(signed.replay).toBe(replay);
    files.push(readFileSync(signed.signedPath));
  }
  const report = importSignedPsbts(world.home, files);
  expect(report.files.every((f) => f.refusal === null)).toBe(true);
  expect(report.batches[0]?.state).toBe('finalized');
}

function requestStates(requests: readonly WithdrawalRequest[]) {
  return requests.map((r) => {
    const stored = world.home.store.requestById(r.requestId);
    return { state: stored?.state, batchId: stored?.batchId };
  });
}

describe('a fee bump of a transaction in the mempool', () => {
  let original: BuiltBatch;
  let bump: BuiltBatch;
  let requests: WithdrawalRequest[];

  it('starts from a batch broadcast at a low rate', async () => {
    requests = [world.approvedRequest(40_000_000n), world.approvedRequest(10_000_000n)];
    original = await signedBatch(2, ['alice', 'bob']);
    const sent = await broadcastBatch(world.home, world.client, original.batchId);
    expect(sent.located.where).toBe('mempool');
  });

  it('is refused when it would not pay more than the relay increment', async () => {
    expect(await codeOf(bumpBatch(world.home, world.client, original.batchId, 2, world.outDir))).toBe(
      'BATCH_BUMP_IMPOSSIBLE',
    );
    expect(await codeOf(bumpBatch(world.home, world.client, original.batchId, 100_000, world.outDir))).toBe(
      'POLICY_FEE_TOO_HIGH',
    );
  });

  it('spends the same coins and pays the same requests, with the extra fee taken from the change', async () => {
    const run = await kura([
      'batch',
      'bump',
      original.batchId,
      '--home',
      world.homeDir,
      '--fee-rate',
      '12',
      '--out',
      world.outDir,
      '--json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    bump = { ...run.json<BuiltBatch>(), feeSat: BigInt(run.json<{ feeSat: string }>().feeSat) };
    const before = Psbt.fromBuffer(readFileSync(original.path));
    const after = Psbt.fromBuffer(readFileSync(bump.path));
    expect(readPackage(after).header.bumps).toBe(original.txid);
    expect(after.txInputs.map((i) => `${bytesToHex(i.hash)}:${i.index}`)).toEqual(
      before.txInputs.map((i) => `${bytesToHex(i.hash)}:${i.index}`),
    );
    const payments = (p: Psbt) => p.txOutputs.slice(0, -1).map((o) => `${bytesToHex(o.script)}:${o.value}`);
    expect(payments(after)).toEqual(payments(before));
    expect(after.txOutputs.at(-1)?.script).toEqual(before.txOutputs.at(-1)?.script);
    const feeDelta = bump.feeSat - original.feeSat;
    expect((before.txOutputs.at(-1)?.value ?? 0n) - (after.txOutputs.at(-1)?.value ?? 0n)).toBe(feeDelta);
    // BIP-125 rule 4: at least the old fee plus the incremental relay fee for its own size
    expect(bump.feeSat).toBeGreaterThanOrEqual(
      original.feeSat + INCREMENTAL_RELAY_SAT_VB * BigInt(bump.vsize),
    );
    expect(world.home.store.batchById(bump.batchId)).toMatchObject({
      state: 'built',
      replacesBatch: original.batchId,
    });
    // Until the bump is broadcast, the requests and coins stay with the transaction the node holds.
    expect(requestStates(requests)).toEqual(
      requests.map(() => ({ state: 'broadcast', batchId: original.batchId })),
    );
    expect(world.home.store.coinsLockedBy(bump.batchId)).toEqual([]);

    const second = await kura([
      'batch',
      'bump',
      original.batchId,
      '--home',
      world.homeDir,
      '--fee-rate',
      '20',
      '--out',
      world.outDir,
      '--json',
    ]);
    expect(errorCode(second)).toBe('COORDINATOR_STATE_CONFLICT');
  });

  it('is signed by the real signers as a declared fee bump', async () => {
    // alice signed the original: her ledger accepts only a declared bump of it; carol did not.
    const alice = await world.sign(bump.path, 'alice');
    expect(alice.replay).toBe('bump');
    const carol = await world.sign(bump.path, 'carol');
    expect(carol.replay).toBe('new');
    const report = importSignedPsbts(world.home, [
      readFileSync(alice.signedPath),
      readFileSync(carol.signedPath),
    ]);
    expect(report.batches[0]?.state).toBe('finalized');
  });

  it("replaces the original in the node's mempool; the requests and coin locks move to the bump", async () => {
    const { store } = world.home;
    expect(await world.node.rpc<string[]>('getrawmempool')).toEqual([original.txid]);
    expect(
      store
        .coinsLockedBy(original.batchId)
        .map((c) => `${c.txid}:${c.vout}`)
        .sort(),
    ).toEqual(original.inputs.map((i) => i.outpoint).sort());

    const run = await kura(['batch', 'broadcast', bump.batchId, '--home', world.homeDir, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({
      batchId: bump.batchId,
      txid: bump.txid,
      state: 'broadcast',
      replaced: original.batchId,
      alreadyKnown: false,
      located: { where: 'mempool' },
    });

    // The node evicted the original and holds the bump in its place.
    expect(await world.node.rpc<string[]>('getrawmempool')).toEqual([bump.txid]);
    await expect(world.node.rpc('getmempoolentry', [original.txid])).rejects.toBeInstanceOf(RegtestRpcError);
    const entry = await world.node.rpc<{ vsize?: number; size?: number }>('getmempoolentry', [bump.txid]);
    expect(entry.vsize ?? entry.size).toBeLessThanOrEqual(bump.vsize);

    expect(store.batchById(original.batchId)?.state).toBe('replaced');
    expect(store.batchById(bump.batchId)?.state).toBe('broadcast');
    expect(store.coinsLockedBy(original.batchId)).toEqual([]);
    expect(
      store
        .coinsLockedBy(bump.batchId)
        .map((c) => `${c.txid}:${c.vout}`)
        .sort(),
    ).toEqual(original.inputs.map((i) => i.outpoint).sort());
    for (const input of bump.inputs) {
      const [txid = '', vout = ''] = input.outpoint.split(':');
      expect(store.coin({ txid, vout: Number(vout) })?.spentByTxid).toBe(bump.txid);
    }
    expect(requestStates(requests)).toEqual(
      requests.map(() => ({ state: 'broadcast', batchId: bump.batchId })),
    );
    const audit = store
      .exportAudit()
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { type: string }).type);
    expect(audit).toContain('coin.relock');
    expect(audit).not.toContain('batch.broadcast_refused');
    // The replaced batch is never sent again.
    expect(await codeOf(broadcastBatch(world.home, world.client, original.batchId))).toBe(
      'COORDINATOR_STATE_CONFLICT',
    );

    // Mined: the block holds the bump, never the original, and follow confirms the bump.
    const [blockHash] = await world.node.mineTo(MINER_ADDRESS, 1);
    const block = Block.fromHex(await world.node.rpc<string>('getblock', [blockHash, 0]));
    const ids = block.transactions?.map((t) => t.getId()) ?? [];
    expect(ids).toContain(bump.txid);
    expect(ids).not.toContain(original.txid);
    const followed = await kura(['batch', 'follow', '--home', world.homeDir, '--json']);
    expect(followed.code).toBe(0);
    expect(followed.json<{ batches: FollowedBatch[] }>().batches).toEqual([
      expect.objectContaining({
        batchId: bump.batchId,
        state: 'confirmed',
        where: 'block',
        confirmations: 1,
        blockHash,
        changed: true,
      }),
    ]);
    expect(store.batchById(bump.batchId)?.state).toBe('confirmed');
    expect(store.batchById(original.batchId)?.state).toBe('replaced');
    expect(requestStates(requests)).toEqual(
      requests.map(() => ({ state: 'confirmed', batchId: bump.batchId })),
    );
  });
});

describe('a fee bump of a batch the node never took', () => {
  it('is accepted by the node and replaces the original: locks and requests move to it', async () => {
    const { store } = world.home;
    const requests = [world.approvedRequest(25_000_000n), world.approvedRequest(5_000_000n)];
    const original = await signedBatch(1, ['alice', 'bob']);
    const [bump] = [await bumpBatch(world.home, world.client, original.batchId, 4, world.outDir)];
    if (bump === undefined) throw new Error('no bump');
    expect(bump.replaces).toBe(original.batchId);
    await signAndImport(bump, ['alice', 'bob'], 'bump');

    const sent = await broadcastBatch(world.home, world.client, bump.batchId);
    expect(sent).toMatchObject({ txid: bump.txid, state: 'broadcast', replaced: original.batchId });
    expect(await world.node.rpc<string[]>('getrawmempool')).toEqual([bump.txid]);
    expect(store.batchById(original.batchId)?.state).toBe('replaced');
    expect(store.coinsLockedBy(original.batchId)).toEqual([]);
    expect(
      store
        .coinsLockedBy(bump.batchId)
        .map((c) => `${c.txid}:${c.vout}`)
        .sort(),
    ).toEqual(bump.inputs.map((i) => i.outpoint).sort());
    expect(requestStates(requests)).toEqual(
      requests.map(() => ({ state: 'broadcast', batchId: bump.batchId })),
    );
    // The replaced batch is never sent again.
    expect(await codeOf(broadcastBatch(world.home, world.client, original.batchId))).toBe(
      'COORDINATOR_STATE_CONFLICT',
    );

    const [blockHash] = await world.node.mineTo(MINER_ADDRESS, 1);
    const followed = await followBatches(world.home, world.client);
    expect(followed.find((f) => f.batchId === bump.batchId)).toMatchObject({
      state: 'confirmed',
      confirmations: 1,
    });
    expect(requestStates(requests)).toEqual(
      requests.map(() => ({ state: 'confirmed', batchId: bump.batchId })),
    );
    const block = Block.fromHex(await world.node.rpc<string>('getblock', [blockHash, 0]));
    const ids = block.transactions?.map((t) => t.getId()) ?? [];
    expect(ids).toContain(bump.txid);
    expect(ids).not.toContain(original.txid);
    const tx = block.transactions?.find((t) => t.getId() === bump.txid);
    expect(
      tx?.outs
        .slice(0, -1)
        .map((o) => `${bytesToHex(o.script)}:${o.value}`)
        .sort(),
    ).toEqual(requests.map((r) => `${bytesToHex(r.scriptPubKey)}:${r.amountSat}`).sort());
  });
});

describe('a fee bump whose original confirms first', () => {
  it('is dropped when follow confirms the original, and is never sent', async () => {
    const { store } = world.home;
    await world.fund([30_000_000n], 3);
    const requests = [world.approvedRequest(8_000_000n)];
    const original = await signedBatch(2, ['alice', 'bob']);
    await broadcastBatch(world.home, world.client, original.batchId);
    const bump = await bumpBatch(world.home, world.client, original.batchId, 6, world.outDir);
    await signAndImport(bump, ['alice', 'bob'], 'bump');

    // A miner takes the original before the bump is broadcast.
    const [blockHash] = await world.node.mineTo(MINER_ADDRESS, 1);
    const block = Block.fromHex(await world.node.rpc<string>('getblock', [blockHash, 0]));
    expect(block.transactions?.map((t) => t.getId())).toContain(original.txid);
    await followBatches(world.home, world.client);
    expect(store.batchById(original.batchId)?.state).toBe('confirmed');
    expect(store.batchById(bump.batchId)?.state).toBe('replaced');
    expect(requestStates(requests)).toEqual(
      requests.map(() => ({ state: 'confirmed', batchId: original.batchId })),
    );
    expect(await codeOf(broadcastBatch(world.home, world.client, bump.batchId))).toBe(
      'COORDINATOR_STATE_CONFLICT',
    );
    expect(await world.node.rpc<string[]>('getrawmempool')).not.toContain(bump.txid);
  });
});
