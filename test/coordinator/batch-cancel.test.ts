// Cancelling a batch on a real regtest node: its coins are released and its requests return to
// approved in one step, a new build pays them, and that batch is signed, broadcast and accepted.
// A fully signed batch can no longer be cancelled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WithdrawalRequest } from '../../src/approvals/request.js';
import {
  broadcastBatch,
  buildBatches,
  followBatches,
  importSignedPsbts,
} from '../../src/coordinator/batch/index.js';
import { readFileSync } from 'node:fs';
import { errorCode, kura } from '../helpers/cli.js';
import { MINER_ADDRESS, setUpBatchWorld, type BatchWorld } from './batchFixture.js';

let world: BatchWorld;
let requests: WithdrawalRequest[];

beforeAll(async () => {
  world = await setUpBatchWorld();
  await world.fund([100_000_000n, 60_000_000n], 0);
  requests = [world.approvedRequest(40_000_000n), world.approvedRequest(15_000_000n)];
}, 180_000);

afterAll(async () => {
  await world?.close();
});

describe('a cancelled batch', () => {
  it('releases its coins and returns its requests to approved; a new build pays them', async () => {
    const { store } = world.home;
    const spendableBefore = store.coinsSpendable().map((c) => `${c.txid}:${c.vout}`);
    const [first] = await buildBatches(world.home, world.client, { outDir: world.outDir, feeRateSatVb: 5 });
    if (first === undefined) throw new Error('nothing was built');
    expect(store.coinsLockedBy(first.batchId).length).toBeGreaterThan(0);
    expect(store.coinsSpendable().length).toBeLessThan(spendableBefore.length);

    const run = await kura(['batch', 'cancel', '--home', world.homeDir, first.batchId, '--json']);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({
      batchId: first.batchId,
      coinsReleased: first.inputs.length,
      signedBy: [],
      warning: null,
    });
    expect(store.batchById(first.batchId)?.state).toBe('cancelled');
    expect(store.coinsLockedBy(first.batchId)).toEqual([]);
    expect(store.coinsSpendable().map((c) => `${c.txid}:${c.vout}`)).toEqual(spendableBefore);
    for (const r of requests)
      expect(store.requestById(r.requestId)).toMatchObject({ state: 'approved', batchId: null });
    const types = store
      .exportAudit()
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types.slice(-4)).toEqual(['batch.state', 'coin.unlock', 'request.state', 'request.state']);

    // cancelling again, or a batch nobody knows, is refused with a code
    const again = await kura(['batch', 'cancel', '--home', world.homeDir, first.batchId, '--json']);
    expect(errorCode(again)).toBe('COORDINATOR_STATE_CONFLICT');
    const unknown = await kura(['batch', 'cancel', '--home', world.homeDir, 'no-such-batch', '--json']);
    expect(errorCode(unknown)).toBe('COORDINATOR_NOT_FOUND');

    // The next build pays the same requests from the released coins.
    const [second] = await buildBatches(world.home, world.client, { outDir: world.outDir, feeRateSatVb: 5 });
    if (second === undefined) throw new Error('nothing was built again');
    expect(second.batchId).not.toBe(first.batchId);
    expect(second.payments.map((p) => p.requestId).sort()).toEqual(requests.map((r) => r.requestId).sort());
    expect(second.inputs.map((i) => i.outpoint).sort()).toEqual(first.inputs.map((i) => i.outpoint).sort());
    // The cancelled batch's change address stays handed out; the new one takes the next.
    expect(second.change?.index).toBe((first.change?.index ?? -1) + 1);

    const signed = [await world.sign(second.path, 'bob'), await world.sign(second.path, 'carol')];
    const report = importSignedPsbts(
      world.home,
      signed.map((s) => readFileSync(s.signedPath)),
    );
    expect(report.batches[0]?.state).toBe('finalized');

    // A finalized batch holds a valid transaction: it is broadcast or bumped, never cancelled.
    const refused = await kura(['batch', 'cancel', '--home', world.homeDir, second.batchId, '--json']);
    expect(errorCode(refused)).toBe('COORDINATOR_STATE_CONFLICT');
    expect(refused.code).toBe(6);

    // The transaction reaches the node and is mined while the coordinator is down: broadcasting
    // it afterwards finds it in the chain and records it, sending nothing new.
    await world.client.sendRawTransaction(world.home.store.batchById(second.batchId)?.finalTx as Uint8Array);
    const [blockHash] = await world.node.mineTo(MINER_ADDRESS, 1);
    const sent = await broadcastBatch(world.home, world.client, second.batchId);
    expect(sent).toMatchObject({
      txid: second.txid,
      state: 'broadcast',
      alreadyKnown: true,
      located: { where: 'block', blockHash, confirmations: 1 },
    });
    const [followed] = await followBatches(world.home, world.client);
    expect(followed).toMatchObject({ batchId: second.batchId, state: 'confirmed', changed: true });

    // What an operator reads.
    const list = await kura(['batch', 'list', '--home', world.homeDir]);
    expect(list.stdout).toContain(`${first.batchId}  cancelled`);
    expect(list.stdout).toContain(`${second.batchId}  confirmed`);
    const show = await kura(['batch', 'show', second.batchId, '--home', world.homeDir]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`transaction    ${second.txid} (finalized)`);
    for (const r of requests) expect(show.stdout).toContain(r.destination);
  });
});
