// The valid path on a real node: the wallet is funded by mining on regtest, a signing package
// spends that coin to two approved requests with change, two signers sign their copies offline
// through `kura signer sign`, the signatures are combined and finalized, and the node accepts the
// transaction into its mempool and then into a block.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Block, Psbt } from 'bitcoinjs-lib';
import { decodePsbt } from '../../src/artifacts/psbtFile.js';
import { WalletDeriver } from '../../src/bitcoin/addresses.js';
import { startRegtestNode, type RegtestNode } from '../helpers/regtest.js';
import {
  approve,
  buildPackage,
  makeRequest,
  setUpScenario,
  testDestination,
  writePackage,
  type Scenario,
  signOk,
} from '../helpers/scenario.js';

let node: RegtestNode;
let scenario: Scenario;

beforeAll(async () => {
  [node, scenario] = await Promise.all([startRegtestNode(), setUpScenario()]);
}, 120_000);

afterAll(async () => {
  await node?.stop();
});

describe('a withdrawal on regtest', () => {
  it('is signed by two signers offline and accepted by the node', async () => {
    const walletAddress = new WalletDeriver(scenario.wallet.wallet).derive(0, 0).address;
    const [fundingBlock] = await node.mineTo(walletAddress, 1);
    await node.ensureSegwit(testDestination(500)); // also matures the wallet's coinbase
    const block = Block.fromHex(await node.rpc<string>('getblock', [fundingBlock, 0]));
    const coinbase = block.transactions?.[0];
    if (coinbase === undefined) throw new Error('no coinbase');
    const coinSat = coinbase.outs[0]?.value ?? 0n;

    const requests = [
      makeRequest(scenario, 40_000_000n, testDestination(501)),
      makeRequest(scenario, 25_000_000n, testDestination(502)),
    ];
    const feeSat = 20_000n;
    const psbt = buildPackage(scenario, {
      coins: [{ previousTx: coinbase.toBuffer(), vout: 0, branch: 0, index: 0 }],
      requests,
      approvals: requests.flatMap((r) => [approve(r, 0), approve(r, 2)]),
      change: { index: 0, valueSat: coinSat - 65_000_000n - feeSat },
      batchId: 'regtest-1',
    });
    const file = writePackage(scenario.dir, 'regtest-1.psbt', Buffer.from(psbt.toBase64()));

    const signed = [];
    for (const home of [scenario.homes.alice, scenario.homes.carol]) {
      const run = await signOk(scenario, home, file);
      signed.push(decodePsbt(readFileSync(run.json<{ signedPath: string }>().signedPath)));
    }

    const combined = Psbt.fromBase64(psbt.toBase64()).combine(...signed);
    combined.finalizeAllInputs();
    const tx = combined.extractTransaction();
    const txid = await node.broadcast(tx.toHex());
    expect(txid).toBe(tx.getId());

    const [confirmedIn] = await node.mineTo(testDestination(503), 1);
    const mined = Block.fromHex(await node.rpc<string>('getblock', [confirmedIn, 0]));
    expect(mined.transactions?.map((t) => t.getId())).toContain(txid);
  });
});
