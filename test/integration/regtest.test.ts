// The regtest harness end to end on a real node (docs/regtest.md): mine to a public test key, get
// past segwit activation and coinbase maturity, pay a mature coinbase to the demo 2-of-3 wallet,
// prove the node took it into its mempool and then into a block, and prove that broadcast()
// refuses what the node refuses (a bad signature, a double spend, an immature coinbase).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Block, Psbt, Transaction, networks, payments, type Signer } from 'bitcoinjs-lib';
import { ecc } from '../../src/bitcoin/ecc.js';
import { makeMultisigWallet, RECEIVE } from '../../src/bitcoin/descriptor.js';
import { WalletDeriver, type DerivedAddress } from '../../src/bitcoin/addresses.js';
import { accountKeyFromMaster, masterFromSeed } from '../../src/keys/account.js';
import { mnemonicToSeed } from '../../src/keys/mnemonic.js';
import { PUBLIC_TEST_MNEMONICS } from '../fixtures/seeds.js';
import {
  BroadcastError,
  RegtestRpcError,
  SEGWIT_READY_HEIGHT,
  startRegtestNode,
  type RegtestNode,
} from '../helpers/regtest.js';

// PUBLIC TEST KEY: the private key 1 (its public key is the curve's generator). Anyone can spend
// coins sent to it; it exists only to receive regtest coinbases.
const MINER_PRIVATE_KEY = Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? 1 : 0));
const minerPublicKey = ecc.pointFromScalar(MINER_PRIVATE_KEY, true) as Uint8Array;
const miner = payments.p2wpkh({ pubkey: minerPublicKey, network: networks.regtest });
const minerAddress = miner.address as string;
const minerScript = miner.output as Uint8Array;
const minerSigner: Signer = {
  publicKey: minerPublicKey,
  sign: (hash) => ecc.sign(hash, MINER_PRIVATE_KEY),
};

/** The demo wallet: 2-of-3 P2WSH over the public test mnemonics alice, bob and carol. */
function demoWalletAddress(): DerivedAddress {
  const keys = (['alice', 'bob', 'carol'] as const).map((name) =>
    accountKeyFromMaster(
      masterFromSeed(mnemonicToSeed(PUBLIC_TEST_MNEMONICS[name], ''), 'regtest'),
      'regtest',
      0,
    ),
  );
  return new WalletDeriver(makeMultisigWallet(2, keys, 'regtest')).derive(RECEIVE, 0);
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** A signed transaction spending output 0 of `coinbase` (which pays the miner key) to `outputs`. */
function spendCoinbase(coinbase: Transaction, outputs: { script: Uint8Array; value: bigint }[]): Transaction {
  const prevout = coinbase.outs[0];
  if (prevout === undefined) throw new Error('coinbase has no output');
  const psbt = new Psbt({ network: networks.regtest })
    .addInput({
      hash: coinbase.getId(),
      index: 0,
      witnessUtxo: { script: prevout.script, value: prevout.value },
    })
    .addOutputs(outputs);
  psbt.signAllInputs(minerSigner);
  expect(psbt.validateSignaturesOfAllInputs((pubkey, msghash, sig) => ecc.verify(msghash, pubkey, sig))).toBe(
    true,
  );
  return psbt.finalizeAllInputs().extractTransaction();
}

async function blockAt(node: RegtestNode, height: number): Promise<Block> {
  const hash = await node.rpc<string>('getblockhash', [height]);
  return Block.fromHex(await node.rpc<string>('getblock', [hash, 0]));
}

const FEE = 2_000n;
const timings: Record<string, number> = {};

describe('regtest node harness', () => {
  let node: RegtestNode;
  const began = performance.now();

  beforeAll(async () => {
    let t = performance.now();
    node = await startRegtestNode();
    timings.startMs = performance.now() - t;
    t = performance.now();
    const height = await node.ensureSegwit(minerAddress);
    timings.segwitMs = performance.now() - t;
    expect(height).toBeGreaterThanOrEqual(SEGWIT_READY_HEIGHT[node.kind]);
  }, 120_000);

  afterAll(async () => {
    const t = performance.now();
    await node?.stop();
    timings.stopMs = performance.now() - t;
    timings.totalMs = performance.now() - began;
    if (process.env.KURA_REGTEST_TIMINGS) {
      const ms = Object.entries(timings).map(([k, v]) => `${k}=${Math.round(v)}`);
      console.info(`regtest timings (${node?.kind}): ${ms.join(' ')}`);
    }
  }, 60_000);

  it('answers Bitcoin Core RPC methods on loopback, with errors carrying the node code', async () => {
    expect(node.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const info = await node.rpc<{ chain: string; blocks: number }>('getblockchaininfo');
    expect(info.chain).toBe('regtest');
    expect(info.blocks).toBe(await node.rpc<number>('getblockcount'));
    // Every block so far paid its coinbase to the miner's bcrt1 address.
    const first = await blockAt(node, 1);
    expect(hex(first.transactions?.[0]?.outs[0]?.script ?? new Uint8Array())).toBe(hex(minerScript));
    const unknown = '00'.repeat(32);
    const error = await node.rpc('getmempoolentry', [unknown]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegtestRpcError);
    expect((error as RegtestRpcError).code).toBeLessThan(0);
    expect(await node.mineTo(minerAddress, 0)).toEqual([]);
  });

  it('pays a mature coinbase to the demo 2-of-3 wallet: in the mempool, then in the next block', async () => {
    const wallet = demoWalletAddress();
    expect(wallet.address).toMatch(/^bcrt1q[02-9ac-hj-np-z]{58}$/);
    const coinbase = (await blockAt(node, 1)).transactions?.[0];
    if (coinbase === undefined) throw new Error('block 1 has no coinbase');
    const value = (coinbase.outs[0]?.value ?? 0n) - FEE;
    const spend = spendCoinbase(coinbase, [{ script: wallet.scriptPubKey, value }]);
    const txid = spend.getId();

    // The same spend with one byte of its signature changed: refused, even on bcoin.
    const forged = Transaction.fromHex(spend.toHex());
    const signature = forged.ins[0]?.witness[0];
    if (signature === undefined) throw new Error('the spend has no signature');
    signature[10] = (signature[10] ?? 0) ^ 0x01;
    expect(forged.toHex()).not.toBe(spend.toHex());
    const forgery = await node.broadcast(forged.toHex()).catch((e: unknown) => e);
    expect(forgery).toBeInstanceOf(BroadcastError);
    expect((forgery as BroadcastError).reason).toMatch(/script-verify|signature/i);
    await expect(node.rpc('getmempoolentry', [txid])).rejects.toBeInstanceOf(RegtestRpcError);

    expect(await node.broadcast(spend.toHex())).toBe(txid);
    const entry = await node.rpc<Record<string, unknown>>('getmempoolentry', [txid]);
    expect(entry).toHaveProperty('size');

    // A second spend of the same coin, paying the miner back, is a double spend.
    const conflict = spendCoinbase(coinbase, [{ script: minerScript, value: value - FEE }]);
    const doubleSpend = await node.broadcast(conflict.toHex()).catch((e: unknown) => e);
    expect(doubleSpend).toBeInstanceOf(BroadcastError);
    expect((doubleSpend as BroadcastError).rpcCode).toBeDefined();

    const [blockHash] = await node.mineTo(minerAddress, 1);
    const block = Block.fromHex(await node.rpc<string>('getblock', [blockHash, 0]));
    expect(block.transactions?.map((tx) => tx.getId())).toContain(txid);
    const mined = block.transactions?.find((tx) => tx.getId() === txid);
    expect(hex(mined?.outs[0]?.script ?? new Uint8Array())).toBe(hex(wallet.scriptPubKey));
    expect(mined?.outs[0]?.value).toBe(value);
    await expect(node.rpc('getmempoolentry', [txid])).rejects.toBeInstanceOf(RegtestRpcError);
    // -txindex: the confirmed transaction is still found by txid.
    expect(await node.rpc<string>('getrawtransaction', [txid])).toBe(spend.toHex());
    // Broadcasting it again is refused: it is already in the chain.
    await expect(node.broadcast(spend.toHex())).rejects.toBeInstanceOf(BroadcastError);
  });

  it('refuses to spend a coinbase before it is 100 blocks deep', async () => {
    const tip = await node.rpc<number>('getblockcount');
    const coinbase = (await blockAt(node, tip)).transactions?.[0];
    if (coinbase === undefined) throw new Error('tip has no coinbase');
    const value = (coinbase.outs[0]?.value ?? 0n) - FEE;
    const early = spendCoinbase(coinbase, [{ script: minerScript, value }]);
    const refusal = await node.broadcast(early.toHex()).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(BroadcastError);
    expect((refusal as BroadcastError).reason).toMatch(/premature-spend-of-coinbase/);
  });
});
