// A coordinator on a real regtest node, for the batch tests: the signer scenario (alice, bob and
// carol with the 2-of-3 regtest wallet registered and the policy pinned), a coordinator home for
// the same wallet and policy, and helpers to fund the wallet from a miner key, record those coins
// in the store with the store's own methods (the chain-sync glue will do this in production), and
// store approved requests with real officer approvals.
//
// PUBLIC TEST KEYS only: the miner key below and the officers' keys of test/helpers/scenario.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { Psbt, Transaction, networks, payments, type Signer } from 'bitcoinjs-lib';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { WalletDeriver } from '../../src/bitcoin/addresses.js';
import { ecc } from '../../src/bitcoin/ecc.js';
import type { WithdrawalRequest } from '../../src/approvals/request.js';
import type { RpcClient } from '../../src/chain/rpcClient.js';
import {
  initCoordinatorHome,
  openCoordinatorHome,
  type CoordinatorHome,
} from '../../src/coordinator/home.js';
import { nodeClientFor } from '../../src/coordinator/node.js';
import { startRegtestNode, type RegtestNode } from '../helpers/regtest.js';
import { tempDir } from '../helpers/cli.js';
import {
  approve,
  makeRequest,
  setUpScenario,
  signOk,
  testDestination,
  type Scenario,
} from '../helpers/scenario.js';

// PUBLIC TEST KEY (0x…4b): it only mines regtest coins.
const MINER_KEY = hexToBytes('00'.repeat(31) + '4b');
const minerPublicKey = ecc.pointFromScalar(MINER_KEY, true) as Uint8Array;
const minerPayment = payments.p2wpkh({ pubkey: minerPublicKey, network: networks.regtest });
export const MINER_ADDRESS = minerPayment.address as string;
const minerSigner: Signer = { publicKey: minerPublicKey, sign: (hash) => ecc.sign(hash, MINER_KEY) };

export type SignerName = 'alice' | 'bob' | 'carol';

export interface SignedFile {
  readonly signedPath: string;
  /** The signer's ledger verdict: 'new', 'same' (signed before) or 'bump' (a declared fee bump). */
  readonly replay: string;
  readonly txid: string;
  readonly fingerprint: string;
}

export interface BatchWorld {
  readonly node: RegtestNode;
  readonly scenario: Scenario;
  readonly homeDir: string;
  readonly outDir: string;
  readonly deriver: WalletDeriver;
  /** The open home; reopen() replaces it (a restart after a crash). */
  home: CoordinatorHome;
  client: RpcClient;
  reopen(): void;
  /** Pays `amountsSat` to receive addresses from `firstIndex` on, confirms it, records the coins. */
  fund(amountsSat: readonly bigint[], firstIndex: number): Promise<{ txid: string; height: number }>;
  /** Stores the chain's blocks up to the node's tip (those not stored yet). */
  recordChain(): Promise<void>;
  /** Stores a request and officers' approvals, and moves it to 'approved'. */
  approvedRequest(
    amountSat: bigint,
    destination?: string,
    officers?: readonly number[],
    expiresAt?: number,
  ): WithdrawalRequest;
  /** `kura signer sign` as one of the signers; returns the signed file's path and the signer's output. */
  sign(file: string, who: SignerName): Promise<SignedFile>;
  close(): Promise<void>;
}

export async function setUpBatchWorld(policyOverrides: Record<string, unknown> = {}): Promise<BatchWorld> {
  const [node, scenario] = await Promise.all([startRegtestNode(), setUpScenario(policyOverrides)]);
  await node.ensureSegwit(MINER_ADDRESS);
  const dir = tempDir('kura-batch-');
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
  const deriver = new WalletDeriver(scenario.wallet.wallet);
  const open = () => {
    const home = openCoordinatorHome(homeDir);
    return { home, client: nodeClientFor(home, { retries: 2, backoffMs: 20 }) };
  };
  // Each funding spends the coinbase of the next block mined to the miner (all mature by now);
  // each request pays the next public test key.
  let coinbaseHeight = 0;
  let destinationKey = 700;
  const addresses = (branch: 0 | 1, count: number) =>
    deriver
      .range(branch, 0, count)
      .map((a) => ({ branch, addressIndex: a.index, scriptPubKey: bytesToHex(a.scriptPubKey) }));

  const world: BatchWorld = {
    node,
    scenario,
    homeDir,
    outDir: join(dir, 'out'),
    deriver,
    ...open(),
    reopen() {
      world.client.close();
      world.home.close();
      Object.assign(world, open());
    },
    async recordChain() {
      const { store } = world.home;
      const tip = await world.client.getBlockCount();
      for (let height = (store.tipBlock()?.height ?? tip - 1) + 1; height <= tip; height++) {
        const hash = await world.client.getBlockHash(height);
        const header = await world.client.getBlockHeader(hash);
        store.recordBlock({ height, hash, prevHash: header.previousBlockHash ?? '00'.repeat(32) });
      }
    },
    async fund(amountsSat, firstIndex) {
      // A mature coinbase of the miner key pays the wallet; the rest returns to the miner.
      coinbaseHeight += 1;
      const coinbaseHash = await world.client.getBlockHash(coinbaseHeight);
      const coinbase = (await node.rpc<{ tx: string[] }>('getblock', [coinbaseHash, 1])).tx[0] as string;
      const prev = Transaction.fromBuffer(await world.client.getRawTransaction(coinbase));
      const prevOut = prev.outs[0];
      if (prevOut === undefined) throw new Error('the coinbase has no output');
      const totalSat = amountsSat.reduce((sum, a) => sum + a, 0n);
      const psbt = new Psbt({ network: networks.regtest })
        .addInput({
          hash: prev.getId(),
          index: 0,
          witnessUtxo: { script: prevOut.script, value: prevOut.value },
        })
        .addOutputs([
          ...amountsSat.map((value, i) => ({
            script: deriver.derive(0, firstIndex + i).scriptPubKey,
            value,
          })),
          { script: minerPayment.output as Uint8Array, value: prevOut.value - totalSat - 20_000n },
        ]);
      psbt.signAllInputs(minerSigner).finalizeAllInputs();
      const tx = psbt.extractTransaction();
      const txid = await node.broadcast(tx.toHex());
      const [blockHash] = await node.mineTo(MINER_ADDRESS, 1);
      const height = await world.client.getBlockCount();
      const { store } = world.home;
      store.addAddresses([...addresses(0, firstIndex + amountsSat.length), ...addresses(1, 2)]);
      await world.recordChain();
      amountsSat.forEach((valueSat, i) =>
        store.upsertCoin({
          txid,
          vout: i,
          branch: 0,
          addressIndex: firstIndex + i,
          scriptPubKey: bytesToHex(deriver.derive(0, firstIndex + i).scriptPubKey),
          valueSat,
          coinbase: false,
          block: { height, hash: blockHash as string },
        }),
      );
      return { txid, height };
    },
    approvedRequest(
      amountSat,
      destination = testDestination((destinationKey += 1)),
      officers = [0, 1],
      expiresAt,
    ) {
      const request = {
        ...makeRequest(scenario, amountSat, destination),
        ...(expiresAt === undefined ? {} : { expiresAt }),
      };
      const { store } = world.home;
      store.insertRequest({
        requestId: request.requestId,
        clientId: 'batch-tests',
        idempotencyKey: request.requestId,
        bodySha256: bytesToHex(sha256(utf8ToBytes(request.requestId))),
        destination: request.destination,
        scriptPubKey: bytesToHex(request.scriptPubKey),
        amountSat: request.amountSat,
        policyHash: request.policyHash,
        expiresAt: request.expiresAt,
      });
      for (const officer of officers) store.addApproval(approve(request, officer));
      store.setRequestState(request.requestId, 'approved', {
        from: 'pending_approval',
        reason: 'quorum met',
      });
      return request;
    },
    async sign(file, who) {
      const run = await signOk(scenario, scenario.homes[who], file);
      const out = run.json<{
        signedPath: string;
        replay: string;
        txid: string;
        receipt: { fingerprint: string };
      }>();
      return {
        signedPath: out.signedPath,
        replay: out.replay,
        txid: out.txid,
        fingerprint: out.receipt.fingerprint,
      };
    },
    async close() {
      world.client.close();
      world.home.close();
      await node.stop();
    },
  };
  expect(world.home.policy.policyHash).toBe(scenario.policyHash);
  return world;
}
