// Shared material of the chain tests: the demo 2-of-3 regtest wallet over the PUBLIC test
// mnemonics (with its private keys, to spend its coins in tests), a PUBLIC miner key, and a small
// in-memory coin ledger that applies sync events the way the coordinator's store must.
import { Psbt, Transaction, networks, payments, type Signer } from 'bitcoinjs-lib';
import { expect } from 'vitest';
import { WalletDeriver } from '../../src/bitcoin/addresses.js';
import { makeMultisigWallet, type Branch, type MultisigWallet } from '../../src/bitcoin/descriptor.js';
import { ecc } from '../../src/bitcoin/ecc.js';
import {
  accountKeyFromMaster,
  accountPrivateNode,
  bip48Path,
  masterFromSeed,
} from '../../src/keys/account.js';
import { mnemonicToSeed } from '../../src/keys/mnemonic.js';
import { RpcClient } from '../../src/chain/rpcClient.js';
import type { KnownBlock } from '../../src/chain/source.js';
import type { ReceivedOutput } from '../../src/coordinator/scan/block.js';
import { outpointKey } from '../../src/coordinator/scan/block.js';
import type { SyncEvent } from '../../src/coordinator/scan/sync.js';
import { PUBLIC_TEST_MNEMONICS } from '../fixtures/seeds.js';
import type { RegtestNode } from '../helpers/regtest.js';

const NAMES = ['alice', 'bob', 'carol'] as const;
const masters = NAMES.map((name) =>
  masterFromSeed(mnemonicToSeed(PUBLIC_TEST_MNEMONICS[name], ''), 'regtest'),
);

/** The demo wallet: 2-of-3 P2WSH over the public test mnemonics alice, bob and carol. */
export const demoWallet: MultisigWallet = makeMultisigWallet(
  2,
  masters.map((m) => accountKeyFromMaster(m, 'regtest', 0)),
  'regtest',
);
export const deriver = new WalletDeriver(demoWallet);
export const walletAddress = (branch: Branch, index: number): string => deriver.derive(branch, index).address;

// PUBLIC TEST KEY: the private key 1. It only receives regtest coinbases.
const MINER_PRIVATE_KEY = Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? 1 : 0));
const minerPublicKey = ecc.pointFromScalar(MINER_PRIVATE_KEY, true) as Uint8Array;
const minerPayment = payments.p2wpkh({ pubkey: minerPublicKey, network: networks.regtest });
export const miner = {
  address: minerPayment.address as string,
  script: minerPayment.output as Uint8Array,
  signer: { publicKey: minerPublicKey, sign: (hash) => ecc.sign(hash, MINER_PRIVATE_KEY) } as Signer,
};

/** A regtest P2WPKH script of public test key `n`: a foreign destination. */
export function foreignScript(n: number): Uint8Array {
  const key = ecc.pointFromScalar(
    Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? n : 0)),
    true,
  );
  return payments.p2wpkh({ pubkey: key as Uint8Array, network: networks.regtest }).output as Uint8Array;
}

const verify = (pubkey: Uint8Array, msghash: Uint8Array, sig: Uint8Array) => ecc.verify(msghash, pubkey, sig);

/** Spends output 0 of a mature coinbase paying the miner key. */
export function spendMinerCoinbase(coinbase: Transaction, outputs: { script: Uint8Array; value: bigint }[]) {
  const prevout = coinbase.outs[0];
  if (prevout === undefined) throw new Error('coinbase has no output');
  const psbt = new Psbt({ network: networks.regtest })
    .addInput({
      hash: coinbase.getId(),
      index: 0,
      witnessUtxo: { script: prevout.script, value: prevout.value },
    })
    .addOutputs(outputs);
  psbt.signAllInputs(miner.signer);
  expect(psbt.validateSignaturesOfAllInputs(verify)).toBe(true);
  return psbt.finalizeAllInputs().extractTransaction();
}

/** Spends a coin of the demo wallet, signed by alice and bob (2 of 3). */
export function spendWalletCoin(coin: ReceivedOutput, outputs: { script: Uint8Array; value: bigint }[]) {
  const derived = deriver.derive(coin.branch, coin.index);
  const psbt = new Psbt({ network: networks.regtest })
    .addInput({
      hash: coin.txid,
      index: coin.vout,
      witnessUtxo: { script: derived.scriptPubKey, value: coin.valueSat },
      witnessScript: derived.witnessScript,
    })
    .addOutputs(outputs);
  for (const master of masters.slice(0, 2)) {
    psbt.signInput(0, accountPrivateNode(master, [...bip48Path('regtest', 0), coin.branch, coin.index]));
  }
  expect(psbt.validateSignaturesOfAllInputs(verify)).toBe(true);
  return psbt.finalizeAllInputs().extractTransaction();
}

/** An RpcClient on the test node, with short retries. */
export function clientFor(
  node: RegtestNode,
  extra: Partial<ConstructorParameters<typeof RpcClient>[0]> = {},
) {
  return new RpcClient({ url: node.rpcUrl, auth: node.rpcAuth, retries: 2, backoffMs: 20, ...extra });
}

interface HeldCoin extends ReceivedOutput {
  readonly height: number;
  spentAt?: number;
}

/** What the coordinator's store does with sync events, in memory: enough to check the protocol. */
export class CoinLedger {
  readonly blocks: KnownBlock[] = [];
  readonly coins = new Map<string, HeldCoin>();
  readonly events: SyncEvent[] = [];

  readonly holds = (outpoint: string): boolean => {
    const coin = this.coins.get(outpoint);
    return coin !== undefined && coin.spentAt === undefined;
  };

  readonly apply = (event: SyncEvent): void => {
    this.events.push(event);
    if (event.kind === 'reorg') {
      while ((this.blocks.at(-1)?.height ?? -1) > event.forkHeight) this.blocks.pop();
      for (const [key, coin] of this.coins) {
        if (coin.height > event.forkHeight) this.coins.delete(key);
        else if (coin.spentAt !== undefined && coin.spentAt > event.forkHeight) delete coin.spentAt;
      }
      return;
    }
    const { scan } = event;
    expect(scan.height).toBe((this.blocks.at(-1)?.height ?? scan.height - 1) + 1);
    for (const output of scan.received) {
      this.coins.set(outpointKey(output.txid, output.vout), { ...output, height: scan.height });
    }
    for (const input of scan.spent) {
      const coin = this.coins.get(outpointKey(input.txid, input.vout));
      if (coin === undefined) throw new Error(`spent an unknown coin ${input.txid}:${input.vout}`);
      coin.spentAt = scan.height;
    }
    this.blocks.push({ height: scan.height, hash: scan.hash });
  };

  unspent(): HeldCoin[] {
    return [...this.coins.values()].filter((c) => c.spentAt === undefined);
  }

  /** Unspent coins as "r5" / "c2" labels, sorted, for readable assertions. */
  labels(): string[] {
    return this.unspent()
      .map((c) => `${c.branch === 0 ? 'r' : 'c'}${c.index}`)
      .sort();
  }

  balanceSat(): bigint {
    return this.unspent().reduce((sum, c) => sum + c.valueSat, 0n);
  }
}
