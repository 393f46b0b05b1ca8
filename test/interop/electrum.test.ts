// Interoperability with Electrum (the Debian package, offline, regtest): Electrum holds one
// cosigner of the scenario's 2-of-3 wallet (bob, from the PUBLIC test words), derives the same
// addresses as kura, and co-signs the very signing package that kura's own signer (`kura signer
// sign`, alice) signs. The two signed files are combined and finalized here with bitcoinjs-lib
// (the coordinator's `kura batch import` can take this over), and a real regtest node accepts the
// transaction and mines it. Electrum missing is a failure, not a skip: `.ci/run` installs it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Block, Psbt } from 'bitcoinjs-lib';
import { decodePsbt } from '../../src/artifacts/psbtFile.js';
import { WalletDeriver } from '../../src/bitcoin/addresses.js';
import { ecc } from '../../src/bitcoin/ecc.js';
import { startRegtestNode, type RegtestNode } from '../helpers/regtest.js';
import {
  approve,
  buildPackage,
  makeRequest,
  setUpScenario,
  signOk,
  testDestination,
  writePackage,
  type Scenario,
} from '../helpers/scenario.js';
import { electrumCosigner, requireElectrum, type ElectrumCosigner } from './electrum.js';

let node: RegtestNode | undefined;
let scenario: Scenario;
let electrum: ElectrumCosigner | undefined;
// A missing Electrum must fail every test here, with the reason (a failing beforeAll would only
// mark them skipped, and this project has no skipped tests).
let electrumMissing: Error | undefined;

beforeAll(async () => {
  try {
    requireElectrum();
  } catch (error) {
    electrumMissing = error as Error;
    return;
  }
  [node, scenario] = await Promise.all([startRegtestNode(), setUpScenario()]);
  electrum = electrumCosigner(scenario.wallet, 'bob');
}, 120_000);

afterAll(async () => {
  electrum?.remove();
  await node?.stop();
});

function ready(): { node: RegtestNode; electrum: ElectrumCosigner } {
  if (electrumMissing !== undefined) throw electrumMissing;
  if (node === undefined || electrum === undefined) throw new Error('set-up failed');
  return { node, electrum };
}

describe('Electrum as a cosigner of a kura wallet', () => {
  it('derives the same receive and change addresses as kura', async () => {
    const { electrum } = ready();
    const deriver = new WalletDeriver(scenario.wallet.wallet);
    for (const [flag, branch] of [['--receiving', 0] as const, ['--change', 1] as const]) {
      const listed = JSON.parse(await electrum.run(['listaddresses', flag])) as string[];
      expect(listed.length).toBeGreaterThanOrEqual(5);
      expect(listed.slice(0, 5)).toEqual(deriver.range(branch, 0, 5).map((a) => a.address));
    }
  });

  it('co-signs a kura signing package that kura signs too; the node accepts and mines the result', async () => {
    const { node, electrum } = ready();
    const deriver = new WalletDeriver(scenario.wallet.wallet);
    const [fundingBlock] = await node.mineTo(deriver.derive(0, 0).address, 1);
    await node.ensureSegwit(testDestination(700)); // also matures the wallet's coinbase
    const block = Block.fromHex(await node.rpc<string>('getblock', [fundingBlock, 0]));
    const coinbase = block.transactions?.[0];
    if (coinbase === undefined) throw new Error('no coinbase');
    const coinSat = coinbase.outs[0]?.value ?? 0n;

    const request = makeRequest(scenario, 30_000_000n, testDestination(701));
    const feeSat = 15_000n;
    const psbt = buildPackage(scenario, {
      coins: [{ previousTx: coinbase.toBuffer(), vout: 0, branch: 0, index: 0 }],
      requests: [request],
      approvals: [approve(request, 0), approve(request, 2)],
      change: { index: 0, valueSat: coinSat - request.amountSat - feeSat },
      batchId: 'electrum-1',
    });
    const packageBytes = psbt.toBuffer();
    const file = writePackage(scenario.dir, 'electrum-1.psbt', packageBytes);

    // kura's signer (alice) signs the binary file through the real CLI.
    const run = await signOk(scenario, scenario.homes.alice, file);
    const byKura = decodePsbt(readFileSync(run.json<{ signedPath: string }>().signedPath));

    // Electrum (bob) signs the same package, given as base64 on stdin.
    const byElectrum = await electrum.sign(packageBytes);
    // One signature of two: Electrum cannot finalize, so it must answer a PSBT.
    if (byElectrum.kind !== 'psbt') throw new Error('Electrum finalized a 2-of-3 spend with one key');
    const bob = JSON.parse(readFileSync(join(scenario.homes.bob, 'cosigner.json'), 'utf8')) as {
      fingerprint: string;
    };
    const bobKeys = deriver.derive(0, 0).keys.filter((k) => k.fingerprint === bob.fingerprint);
    expect(bobKeys).toHaveLength(1);
    const signers = (p: Psbt) =>
      (p.data.inputs[0]?.partialSig ?? []).map((s) => Buffer.from(s.pubkey).toString('hex'));
    expect(signers(byElectrum.psbt)).toEqual(bobKeys.map((k) => Buffer.from(k.publicKey).toString('hex')));
    expect(signers(byKura)).toHaveLength(1);
    expect(signers(byKura)).not.toEqual(signers(byElectrum.psbt));
    // Electrum keeps kura's proprietary fields (requests, approvals) and signed the very
    // transaction kura's signer signed.
    const unknowns = (p: Psbt) =>
      (p.data.globalMap.unknownKeyVals ?? []).map((kv) => Buffer.concat([kv.key, kv.value]).toString('hex'));
    expect(unknowns(byElectrum.psbt)).toEqual(unknowns(psbt));
    expect(unknowns(psbt).length).toBeGreaterThan(0);
    expect(byElectrum.psbt.data.getTransaction()).toEqual(byKura.data.getTransaction());

    const combined = Psbt.fromBuffer(packageBytes).combine(byKura, byElectrum.psbt);
    expect(combined.validateSignaturesOfAllInputs((pub, hash, sig) => ecc.verify(hash, pub, sig))).toBe(true);
    combined.finalizeAllInputs();
    const tx = combined.extractTransaction();
    const payment = tx.outs.find((o) => Buffer.from(o.script).equals(Buffer.from(request.scriptPubKey)));
    expect(payment?.value).toBe(request.amountSat);

    const txid = await node.broadcast(tx.toHex()); // proves acceptance with getmempoolentry
    expect(txid).toBe(tx.getId());
    const [minedIn] = await node.mineTo(testDestination(702), 1);
    const mined = Block.fromHex(await node.rpc<string>('getblock', [minedIn, 0]));
    expect(mined.transactions?.map((t) => t.getId())).toContain(txid);
  });
});
